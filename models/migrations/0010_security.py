"""Replay nonces and sign-in failures (issue 13), and the outbox's "unknown" status.

The status change is an AlterField, which Tortoise 1.1.9 carries out on SQLite by rebuilding the
table, losing its indexes; the last operation restores them under PostgreSQL's names (a no-op
there, IF NOT EXISTS). tests/models/test_schema.py compares both backends' indexes.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.messaging import OutboxStatus
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0009_resident_access')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ReplayNonce',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharField(description='mp | mini | work', max_length=16)),
                ('timestamp', fields.BigIntField(description="the query's timestamp, Unix seconds")),
                ('nonce', fields.CharField(max_length=64)),
                ('seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'replay_nonces', 'app': 'models', 'unique_together': (('channel', 'timestamp', 'nonce'),), 'indexes': [Index(fields=['seen_at'])], 'pk_attr': 'id', 'table_description': 'A plaintext-mode WeChat callback URL (its timestamp and nonce) that was already used. A'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SignInFailure',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('address', fields.CharField(max_length=64)),
                ('window_start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('failures', fields.IntField(default=0)),
            ],
            options={'table': 'sign_in_failures', 'app': 'models', 'unique_together': (('address', 'window_start'),), 'indexes': [Index(fields=['window_start'])], 'pk_attr': 'id', 'table_description': 'Failed staff sign-ins from one client address within one window (whatever the account),'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='OutboxMessage',
            name='status',
            field=fields.CharEnumField(default=OutboxStatus.PENDING, description='PENDING: pending\nSENDING: sending\nSENT: sent\nFAILED: failed\nSKIPPED: skipped\nUNKNOWN: unknown', enum_type=OutboxStatus, max_length=16),
        ),
        ops.RunSQL(
            [
                'CREATE INDEX IF NOT EXISTS "idx_outbox_case_id_ae3756" ON "outbox" (case_id)',
                'CREATE INDEX IF NOT EXISTS "idx_outbox_next_at_59be67" ON "outbox" (next_attempt_at)',
                'CREATE INDEX IF NOT EXISTS "idx_outbox_status_a060ae" ON "outbox" (status, next_attempt_at)',
            ],
            reverse_sql=[],
        ),
    ]
