"""Restore the indexes Tortoise dropped on SQLite.

Tortoise 1.1.9 carries out an AlterField on SQLite by rebuilding the table, and the rebuilt
table loses its indexes: 0002 (cases.status) cost the cases table its deadline, category and
created-at indexes, and a later change of notices cost notices its scheduled_at index. The
sweeps scan those columns. PostgreSQL kept them, under these very names, so IF NOT EXISTS makes
this a no-op there.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

INDEXES = [
    ("idx_cases_categor_103760", "cases", "category"),
    ("idx_cases_complet_ff680b", "cases", "completion_due_at"),
    ("idx_cases_created_7dc973", "cases", "created_at"),
    ("idx_cases_first_c_e243a2", "cases", "first_contact_due_at"),
    ("idx_cases_residen_ef3599", "cases", "resident_id, created_at"),
    ("idx_cases_sign_du_db3bfd", "cases", "sign_due_at"),
    ("idx_cases_status_c0d2c3", "cases", "status, completion_due_at"),
    ("idx_cases_survey__f158b4", "cases", "survey_due_at"),
    ("idx_notices_schedul_7dfca9", "notices", "scheduled_at"),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0007_case_indexes")]

    initial = False

    operations = [
        ops.RunSQL(
            [
                f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({columns})'
                for name, table, columns in INDEXES
            ],
            reverse_sql=[],
        ),
    ]
