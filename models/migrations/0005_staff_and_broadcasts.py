from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.followup import NoticeStatus
from models.staff import StaffRole
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_surveys')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('user_id', fields.BigIntField(null=True, db_index=True)),
                ('username', fields.CharField(default='', max_length=64)),
                ('role', fields.CharField(default='', max_length=16)),
                ('action', fields.CharField(description='e.g. case.recategorise, notice.approve', max_length=64)),
                ('target_type', fields.CharField(default='', max_length=32)),
                ('target_id', fields.CharField(default='', max_length=64)),
                ('detail', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('ip', fields.CharField(default='', max_length=64)),
                ('user_agent', fields.CharField(default='', max_length=255)),
                ('via', fields.CharField(default='', description='dashboard | api | cli', max_length=16)),
            ],
            options={'table': 'audit_events', 'app': 'models', 'indexes': [Index(fields=['target_type', 'target_id'])], 'pk_attr': 'id', 'table_description': 'Who did what, when and from where: one row per staff action, never updated.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SlaRule',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(default='', description='empty matches every kind', max_length=16)),
                ('grade', fields.CharField(description='急 | 一般 | 难', max_length=4)),
                ('sign_hours', fields.FloatField(default=0)),
                ('sign_working_days', fields.IntField(default=0)),
                ('first_contact_hours', fields.FloatField(default=0)),
                ('first_contact_working_days', fields.IntField(default=0)),
                ('completion_hours', fields.FloatField(default=0)),
                ('completion_working_days', fields.IntField(default=0)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('updated_by', fields.CharField(default='', max_length=64)),
            ],
            options={'table': 'sla_rules', 'app': 'models', 'unique_together': (('kind', 'grade'),), 'pk_attr': 'id', 'table_description': "A deployment's own time limits for a kind and grade, edited on the dashboard."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StaffUser',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('username', fields.CharField(unique=True, max_length=64)),
                ('display_name', fields.CharField(default='', max_length=64)),
                ('role', fields.CharEnumField(description='ADMIN: admin\nDISPATCHER: dispatcher\nSUPERVISOR: supervisor\nUNIT: unit\nWORKER: worker', enum_type=StaffRole, max_length=16)),
                ('password_hash', fields.CharField(default='', description='argon2id', max_length=255)),
                ('unit', fields.ForeignKeyField('models.Unit', source_field='unit_id', null=True, db_constraint=True, to_field='id', related_name='staff', on_delete=OnDelete.SET_NULL)),
                ('worker', fields.ForeignKeyField('models.Worker', source_field='worker_id', null=True, db_constraint=True, to_field='id', related_name='staff_accounts', on_delete=OnDelete.SET_NULL)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_login_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('failed_logins', fields.IntField(default=0)),
                ('locked_until', fields.DatetimeField(null=True, description='after repeated failed logins', auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'staff_users', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A person (or, for API tokens, a machine) acting for the district.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApiToken',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.StaffUser', source_field='user_id', db_constraint=True, to_field='id', related_name='api_tokens', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('label', fields.CharField(default='', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_tokens', 'app': 'models', 'pk_attr': 'id', 'table_description': "A bearer token for machines calling the admin API, acting with its user's role."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StaffSession',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.StaffUser', source_field='user_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('csrf_token', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ip', fields.CharField(default='', max_length=64)),
                ('user_agent', fields.CharField(default='', max_length=255)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'staff_sessions', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A dashboard sign-in: a cookie holds the token, only its SHA-256 is stored.'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Notice',
            name='status',
            field=fields.CharEnumField(default=NoticeStatus.DRAFT, description='DRAFT: draft\nAWAITING_APPROVAL: awaiting_approval\nAPPROVED: approved\nSENDING: sending\nDONE: done\nCANCELLED: cancelled\nREJECTED: rejected', enum_type=NoticeStatus, max_length=24),
        ),
        ops.AddField(
            model_name='Notice',
            name='approved_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Notice',
            name='cancelled_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Notice',
            name='cancelled_by',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='Notice',
            name='clientmsgid',
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
        ops.AddField(
            model_name='Notice',
            name='decision_note',
            field=fields.TextField(default='', description="the approver's note or refusal", unique=False),
        ),
        ops.AddField(
            model_name='Notice',
            name='fanned_out',
            field=fields.BooleanField(default=False, description='every delivery row is written'),
        ),
        ops.AddField(
            model_name='Notice',
            name='preview_sent_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Notice',
            name='quota_warning',
            field=fields.TextField(default='', description="what WeChat's quotas will cut", unique=False),
        ),
        ops.AddField(
            model_name='Notice',
            name='recipients_total',
            field=fields.IntField(default=0, description='audience size when fanned out'),
        ),
        ops.AddField(
            model_name='Notice',
            name='started_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Notice',
            name='submitted_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Notice',
            name='version',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='Notice',
            name='wechat_msg_id',
            field=fields.CharField(null=True, db_index=True, max_length=64),
        ),
        ops.AddField(
            model_name='Notice',
            name='wechat_result',
            field=fields.JSONField(default=dict, description='MASSSENDJOBFINISH / TEMPLATESENDJOBFINISH counts', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='NoticeDelivery',
            name='channel',
            field=fields.CharField(default='', description='how it goes out', max_length=16),
        ),
        ops.AddField(
            model_name='NoticeDelivery',
            name='resident_id',
            field=fields.BigIntField(null=True, description='for residents: the monthly quota'),
        ),
        ops.AddField(
            model_name='NoticeDelivery',
            name='sent_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='NoticeDelivery',
            index=Index(fields=['resident_id', 'sent_at']),
        ),
    ]
