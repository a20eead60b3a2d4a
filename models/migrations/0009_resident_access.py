from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.people import ResidentApp
from models.resident_access import HeldReason, HeldStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0008_restore_sqlite_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='HeldMessage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('resident', fields.ForeignKeyField('models.Resident', source_field='resident_id', db_constraint=True, to_field='id', related_name='held_messages', on_delete=OnDelete.CASCADE)),
                ('channel', fields.CharField(description='mp | miniprogram | open311', max_length=16)),
                ('reason', fields.CharEnumField(description='CONTENT_CHECK: content_check\nBLOCKED: blocked', enum_type=HeldReason, max_length=16)),
                ('status', fields.CharEnumField(default=HeldStatus.HELD, description='HELD: held\nRELEASED: released\nDISCARDED: discarded', enum_type=HeldStatus, max_length=16)),
                ('text', fields.TextField(default='', unique=False)),
                ('payload', fields.JSONField(default=dict, description='the submission as sent (place, photos, contact ...)', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('check_result', fields.JSONField(default=dict, description='what the content check answered', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('case', fields.ForeignKeyField('models.Case', source_field='case_id', null=True, db_constraint=True, to_field='id', related_name='held_messages', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decided_by', fields.CharField(default='', description='staff username', max_length=64)),
                ('note', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'held_messages', 'app': 'models', 'indexes': [Index(fields=['status', 'created_at'])], 'pk_attr': 'id', 'table_description': 'Something a resident sent that is kept but not routed until a dispatcher decides.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MediaFile',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, description='random, used in URLs', max_length=64)),
                ('owner_type', fields.CharField(description='resident | worker | staff', max_length=16)),
                ('owner_id', fields.BigIntField()),
                ('content_type', fields.CharField(max_length=64)),
                ('size', fields.IntField()),
                ('sha256', fields.CharField(max_length=64)),
                ('storage', fields.CharField(default='local', max_length=16)),
                ('path', fields.CharField(description='where the bytes are, storage-relative', max_length=255)),
                ('case_id', fields.BigIntField(null=True, db_index=True, description='attached to this case')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'media_files', 'app': 'models', 'indexes': [Index(fields=['owner_type', 'owner_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A photo someone uploaded, stored where the settings say (a local folder by default).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Open311Client',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=64)),
                ('key_hash', fields.CharField(unique=True, max_length=64)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'open311_clients', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A system allowed to file requests through Open311 with its api_key (SHA-256 stored).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Open311Request',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token', fields.CharField(unique=True, max_length=64)),
                ('client', fields.ForeignKeyField('models.Open311Client', source_field='client_id', db_constraint=True, to_field='id', related_name='requests', on_delete=OnDelete.CASCADE)),
                ('case', fields.ForeignKeyField('models.Case', source_field='case_id', null=True, db_constraint=True, to_field='id', related_name='open311_requests', on_delete=OnDelete.SET_NULL)),
                ('service_code', fields.CharField(max_length=64)),
                ('account_id', fields.CharField(default='', max_length=64)),
                ('device_id', fields.CharField(default='', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'open311_requests', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A request filed through Open311: its token and the case it became.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ResidentSession',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('resident', fields.ForeignKeyField('models.Resident', source_field='resident_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('session_key', fields.CharField(description="WeChat's session_key, base64", max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'resident_sessions', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A mini-program sign-in (jscode2session): the resident holds a token, we its SHA-256.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Resident',
            name='app',
            field=fields.CharEnumField(default=ResidentApp.MP, description='whose openid it is', enum_type=ResidentApp, max_length=16),
        ),
        ops.AddField(
            model_name='Resident',
            name='blocked',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Resident',
            name='blocked_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Resident',
            name='blocked_reason',
            field=fields.CharField(default='', max_length=255),
        ),
    ]
