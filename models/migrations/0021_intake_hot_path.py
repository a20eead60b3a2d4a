"""Intake at the machine's limit (issue 17).

- PostgreSQL: case numbers from the sequence ``case_numbers`` (``handlers.case_numbers``),
  started past every per-day counter so no number already given can come again. SQLite keeps
  its per-day counter.
- The duplicate and repeat searches read candidates by place: indexes on (compound,
  created_at) of cases not merged, (address, created_at), (grid_id, created_at) for the cases
  without a compound (a case at another compound is never the same place, so only those are
  read by grid), and (compound, completed_at) of closed cases for the repeat search.

Chained after 0019; 0020 may come from another branch (re-chain on merge).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

INDEXES = [
    # Open candidates: cases not merged into another, by place and time made.
    'CREATE INDEX IF NOT EXISTS "idx_cases_compound_created" ON "cases" ("compound", "created_at") '
    'WHERE "duplicate_of_id" IS NULL',
    'CREATE INDEX IF NOT EXISTS "idx_cases_address_created" ON "cases" ("address", "created_at")',
    'CREATE INDEX IF NOT EXISTS "idx_cases_grid_placeless" ON "cases" ("grid_id", "created_at") '
    'WHERE "compound" IS NULL',
    # Closed candidates (repeats): by place and time completed, so a compound's long history is
    # not read to find the few completed within the window.
    'CREATE INDEX IF NOT EXISTS "idx_cases_compound_completed" ON "cases" '
    '("compound", "completed_at") WHERE "completed_at" IS NOT NULL AND "duplicate_of_id" IS NULL',
]


async def number_sequence(apps: object, schema_editor: object) -> None:
    client = schema_editor.client  # type: ignore[attr-defined]
    if client.capabilities.dialect != "postgres":
        return
    await client.execute_script(
        "CREATE SEQUENCE IF NOT EXISTS case_numbers;"
        "SELECT setval('case_numbers', GREATEST((SELECT max(value) FROM case_counters), 0) + 1, "
        "false);"
    )


async def drop_sequence(apps: object, schema_editor: object) -> None:
    client = schema_editor.client  # type: ignore[attr-defined]
    if client.capabilities.dialect == "postgres":
        await client.execute_script("DROP SEQUENCE IF EXISTS case_numbers")


class Migration(migrations.Migration):
    dependencies = [("models", "0020_deadline_changes")]

    initial = False

    operations = [
        ops.RunPython(number_sequence, reverse_code=drop_sequence),
        ops.RunSQL(
            INDEXES,
            reverse_sql=[
                'DROP INDEX IF EXISTS "idx_cases_compound_created"',
                'DROP INDEX IF EXISTS "idx_cases_address_created"',
                'DROP INDEX IF EXISTS "idx_cases_grid_placeless"',
                'DROP INDEX IF EXISTS "idx_cases_compound_completed"',
            ],
        ),
    ]
