"""回访 by every channel (issue 16): how a survey answer was taken and who recorded it, and the
field visits (四不两直) that 不满意 sends the centre or the unit's head on.

HeldMessage.reason's enum comment is left as it is (see 0015).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.followup import FieldVisitStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0018_repeats_and_review')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FieldVisit',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case', fields.ForeignKeyField('models.Case', source_field='case_id', db_constraint=True, to_field='id', related_name='field_visits', on_delete=OnDelete.CASCADE)),
                ('survey', fields.ForeignKeyField('models.Survey', source_field='survey_id', null=True, db_constraint=True, to_field='id', related_name='field_visits', on_delete=OnDelete.SET_NULL)),
                ('unit', fields.ForeignKeyField('models.Unit', source_field='unit_id', null=True, db_constraint=True, to_field='id', related_name='field_visits', on_delete=OnDelete.SET_NULL)),
                ('assignee', fields.ForeignKeyField('models.Worker', source_field='assignee_id', null=True, db_constraint=True, to_field='id', related_name='field_visits', on_delete=OnDelete.SET_NULL)),
                ('assignee_label', fields.CharField(default='', description='who goes', max_length=64)),
                ('status', fields.CharEnumField(default=FieldVisitStatus.OPEN, description='OPEN: open\nDONE: done', enum_type=FieldVisitStatus, max_length=16)),
                ('due_at', fields.DatetimeField(description='整改时限', auto_now=False, auto_now_add=False)),
                ('supervised', fields.BooleanField(default=False, description='督办: a second 不满意')),
                ('supervised_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('outcome', fields.CharField(default='', description='rectified | unrectifiable', max_length=16)),
                ('outcome_text', fields.TextField(default='', unique=False)),
                ('photos', fields.JSONField(default=list, description='media keys', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('recorded_by', fields.CharField(default='', description='staff username', max_length=64)),
                ('recorded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'field_visits', 'app': 'models', 'indexes': [Index(fields=['status', 'due_at']), Index(fields=['case_id', 'created_at'])], 'pk_attr': 'id', 'table_description': "The field visit (四不两直) a 不满意 answer sends the centre or the unit's head on."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Survey',
            name='channel',
            field=fields.CharField(default='', description='wechat | phone | visit | other', max_length=16),
        ),
        ops.AddField(
            model_name='Survey',
            name='recorded_by',
            field=fields.CharField(default='', description='staff username', max_length=64),
        ),
    ]
