"""不予受理 (issue 15): the ``invalid`` case status and its reason, and everyday data care: when a
case's personal fields were removed, and when a resident's data was erased on request.

The status change is an AlterField, which Tortoise 1.1.9 carries out on SQLite by rebuilding the
``cases`` table, losing its indexes; the last operation restores them under PostgreSQL's names
(a no-op there, IF NOT EXISTS). tests/models/test_schema.py compares both backends' indexes.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from models.case_status import CaseStatus

CASE_INDEXES = [
    ("idx_cases_categor_103760", "category"),
    ("idx_cases_complet_ff680b", "completion_due_at"),
    ("idx_cases_created_7dc973", "created_at"),
    ("idx_cases_first_c_e243a2", "first_contact_due_at"),
    ("idx_cases_residen_ef3599", "resident_id, created_at"),
    ("idx_cases_sign_du_db3bfd", "sign_due_at"),
    ("idx_cases_status_c0d2c3", "status, completion_due_at"),
    ("idx_cases_survey__f158b4", "survey_due_at"),
    ("idx_cases_unit_id_8fb919", "unit_id, created_at"),
    ("idx_cases_duplica_31e6e2", "duplicate_of_id, status"),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0012_account_links")]

    initial = False

    operations = [
        ops.AlterField(
            model_name="Case",
            name="status",
            field=fields.CharEnumField(
                default=CaseStatus.ACCEPTED,
                description="ACCEPTED: accepted\nDISPATCHED: dispatched\nSIGNED: signed\n"
                "CONTACTED: contacted\nIN_PROGRESS: in_progress\nCOMPLETED: completed\n"
                "VISITED: visited\nARCHIVED: archived\nCANCELLED: cancelled\nMERGED: merged\n"
                "INVALID: invalid",
                enum_type=CaseStatus,
                max_length=16,
            ),
        ),
        ops.AddField(
            model_name="Case",
            name="anonymised_at",
            field=fields.DatetimeField(
                null=True,
                description="personal fields and media removed (erasure or retention)",
                auto_now=False,
                auto_now_add=False,
            ),
        ),
        ops.AddField(
            model_name="Case",
            name="invalid_reason",
            field=fields.CharField(
                null=True, description="不予受理 reason code (config/invalid.py)", max_length=32
            ),
        ),
        ops.AddField(
            model_name="Resident",
            name="erased_at",
            field=fields.DatetimeField(
                null=True,
                description="personal data erased on request, openid replaced by a token",
                auto_now=False,
                auto_now_add=False,
            ),
        ),
        ops.RunSQL(
            [
                f'CREATE INDEX IF NOT EXISTS "{name}" ON "cases" ({columns})'
                for name, columns in CASE_INDEXES
            ],
            reverse_sql=[],
        ),
    ]
