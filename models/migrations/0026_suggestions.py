"""人民建议征集 (issue 18): suggestions, their events and adoptions, themed calls, stations.

Only the new tables: StaffRole's new member (suggestions) changes only the role column's comment,
left as it was (an AlterField on SQLite rebuilds staff_users and drops its unique username).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.suggestions import AdoptionStatus, CallStatus, SuggestionStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0025_knowledge_asks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Station',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=32)),
                ('name', fields.CharField(max_length=64)),
                ('kind', fields.CharField(default='station', description='center | street | station | partner', max_length=16)),
                ('street', fields.CharField(default='', max_length=64)),
                ('unit', fields.ForeignKeyField('models.Unit', source_field='unit_id', null=True, db_constraint=True, to_field='id', related_name='stations', on_delete=OnDelete.SET_NULL)),
                ('contact', fields.CharField(default='', max_length=64)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'suggestion_stations', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A suggestion station or partner (人民建议征集联系点): the channel a suggestion came'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SuggestionCall',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=32)),
                ('title', fields.CharField(max_length=100)),
                ('question', fields.TextField(unique=False)),
                ('keyword', fields.CharField(default='', description='a chat message starting with it replies to the call', max_length=32)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('audience', fields.JSONField(default=dict, description="as a broadcast notice's audience", encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('channels', fields.JSONField(default=list, description='chat | menu | mini', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=CallStatus.DRAFT, description='DRAFT: draft\nOPEN: open\nCLOSED: closed', enum_type=CallStatus, max_length=16)),
                ('notice', fields.ForeignKeyField('models.Notice', source_field='notice_id', null=True, db_constraint=True, to_field='id', related_name='suggestion_calls', on_delete=OnDelete.SET_NULL)),
                ('created_by', fields.CharField(default='', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'suggestion_calls', 'app': 'models', 'indexes': [Index(fields=['status', 'ends_at'])], 'pk_attr': 'id', 'table_description': 'A themed call (征集活动, 金点子): a question put to an audience for a period, replies'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Suggestion',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('number', fields.CharField(unique=True, max_length=32)),
                ('resident', fields.ForeignKeyField('models.Resident', source_field='resident_id', null=True, db_constraint=True, to_field='id', related_name='suggestions', on_delete=OnDelete.SET_NULL)),
                ('channel', fields.CharField(description='wechat | mp | open311 | staff | station', max_length=16)),
                ('station', fields.ForeignKeyField('models.Station', source_field='station_id', null=True, db_constraint=True, to_field='id', related_name='suggestions', on_delete=OnDelete.SET_NULL)),
                ('call', fields.ForeignKeyField('models.SuggestionCall', source_field='call_id', null=True, db_constraint=True, to_field='id', related_name='suggestions', on_delete=OnDelete.SET_NULL)),
                ('title', fields.CharField(max_length=64)),
                ('text', fields.TextField(unique=False)),
                ('category', fields.CharField(default='', max_length=128)),
                ('keywords', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('street', fields.CharField(default='', max_length=64)),
                ('place_text', fields.CharField(default='', max_length=128)),
                ('contact_phone', fields.CharField(null=True, max_length=32)),
                ('attachments', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=SuggestionStatus.RECEIVED, description='RECEIVED: received\nMORE_INFO: more_info\nDECLINED: declined\nMERGED: merged\nADOPTED: adopted\nFORWARDED: forwarded\nANSWERED: answered\nIMPLEMENTED: implemented\nCONVERTED: converted', enum_type=SuggestionStatus, max_length=16)),
                ('screen_due_at', fields.DatetimeField(null=True, description="the office's screening deadline", auto_now=False, auto_now_add=False)),
                ('screened_at', fields.DatetimeField(null=True, description='first decision of the office', auto_now=False, auto_now_add=False)),
                ('decision_reason', fields.TextField(default='', description='why declined, what was asked', unique=False)),
                ('merged_into', fields.ForeignKeyField('models.Suggestion', source_field='merged_into_id', null=True, db_constraint=True, to_field='id', related_name='merged', on_delete=OnDelete.SET_NULL)),
                ('adopted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('forwarded_at', fields.DatetimeField(null=True, description='sent on to the city level', auto_now=False, auto_now_add=False)),
                ('forward_reference', fields.CharField(default='', max_length=64)),
                ('instructed_at', fields.DatetimeField(null=True, description="a leader's 批示 recorded", auto_now=False, auto_now_add=False)),
                ('implemented_at', fields.DatetimeField(null=True, description='落地 recorded', auto_now=False, auto_now_add=False)),
                ('result', fields.TextField(default='', description='the final result (落地) as published', unique=False)),
                ('consent_publish', fields.BooleanField(default=False, description='the proposer agreed')),
                ('credit_name', fields.CharField(default='', description='how the proposer wishes to be named, empty: 匿名', max_length=64)),
                ('published_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('case', fields.ForeignKeyField('models.Case', source_field='case_id', null=True, db_constraint=True, to_field='id', related_name='suggestions_converted', on_delete=OnDelete.SET_NULL)),
                ('from_case', fields.ForeignKeyField('models.Case', source_field='from_case_id', null=True, db_constraint=True, to_field='id', related_name='suggestions_from', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'suggestions', 'app': 'models', 'indexes': [Index(fields=['status', 'screen_due_at']), Index(fields=['created_at']), Index(fields=['resident_id', 'created_at'])], 'pk_attr': 'id', 'table_description': "One resident's suggestion (人民建议) and where it stands."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SuggestionAdoption',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('suggestion', fields.ForeignKeyField('models.Suggestion', source_field='suggestion_id', db_constraint=True, to_field='id', related_name='adoptions', on_delete=OnDelete.CASCADE)),
                ('unit', fields.ForeignKeyField('models.Unit', source_field='unit_id', db_constraint=True, to_field='id', related_name='suggestion_adoptions', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(default=AdoptionStatus.PENDING, description='PENDING: pending\nANSWERED: answered', enum_type=AdoptionStatus, max_length=16)),
                ('assigned_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('due_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('answer_kind', fields.CharField(default='', description='policy | project | fix | not_now', max_length=16)),
                ('answer', fields.TextField(default='', unique=False)),
                ('answer_date', fields.DateField(null=True, description='the date the measure takes effect')),
                ('attachments', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('answered_by', fields.CharField(default='', max_length=64)),
            ],
            options={'table': 'suggestion_adoptions', 'app': 'models', 'unique_together': (('suggestion', 'unit'),), 'indexes': [Index(fields=['unit_id', 'status'])], 'pk_attr': 'id', 'table_description': 'A suggestion adopted for one department (采纳, 交办): its answer and its deadline.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SuggestionEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('suggestion', fields.ForeignKeyField('models.Suggestion', source_field='suggestion_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('action', fields.CharField(max_length=24)),
                ('actor_type', fields.CharField(description='resident | staff | system | unit', max_length=16)),
                ('actor_id', fields.CharField(default='', max_length=64)),
                ('from_status', fields.CharField(null=True, max_length=16)),
                ('to_status', fields.CharField(null=True, max_length=16)),
                ('note', fields.TextField(default='', unique=False)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('told', fields.BooleanField(default=False, description='the proposer was sent this step')),
            ],
            options={'table': 'suggestion_events', 'app': 'models', 'indexes': [Index(fields=['suggestion_id', 'at'])], 'pk_attr': 'id', 'table_description': "One step of a suggestion's life: who, when, what, ``told`` when the proposer was told."},
            bases=['Model'],
        ),
    ]
