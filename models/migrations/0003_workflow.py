from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.workflow import ExtensionStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_merge_and_corrections')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ExtensionRequest',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case', fields.ForeignKeyField('models.Case', source_field='case_id', db_constraint=True, to_field='id', related_name='extension_requests', on_delete=OnDelete.CASCADE)),
                ('worker', fields.ForeignKeyField('models.Worker', source_field='worker_id', db_constraint=True, to_field='id', related_name='extension_requests', on_delete=OnDelete.CASCADE)),
                ('hours', fields.IntField(description='more time asked for completion')),
                ('reason', fields.TextField(default='', unique=False)),
                ('status', fields.CharEnumField(default=ExtensionStatus.PENDING, description='PENDING: pending\nAPPROVED: approved\nREFUSED: refused', enum_type=ExtensionStatus, max_length=16)),
                ('decided_by', fields.ForeignKeyField('models.Worker', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='extension_decisions', on_delete=OnDelete.SET_NULL)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('note', fields.TextField(default='', description="the supervisor's note or reason to refuse", unique=False)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'extension_requests', 'app': 'models', 'indexes': [Index(fields=['status', 'case_id'])], 'pk_attr': 'id', 'table_description': 'A worker asks for more time to complete a case (延期申请) and a supervisor decides.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WorkerToken',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('worker', fields.ForeignKeyField('models.Worker', source_field='worker_id', db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, description='sha256 hex of the token', max_length=64)),
                ('label', fields.CharField(default='', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'worker_tokens', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A bearer token for the worker API. Only the SHA-256 of the token is kept, never the token.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Case',
            name='result_attachments',
            field=fields.JSONField(default=list, description='photos of the result [{type, media_id, url}]', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
