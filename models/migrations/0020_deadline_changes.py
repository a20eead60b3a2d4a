"""Closed periods frozen as of their end (issue 16, point 3) and every deadline change an event
with who and why (point 2): the deadline changes, when a survey answer was recorded, and the
index the as-of figures read a case's events by.

HeldMessage.reason's enum comment is left as it is (see 0015).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0019_survey_channels')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DeadlineChange',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case', fields.ForeignKeyField('models.Case', source_field='case_id', db_constraint=True, to_field='id', related_name='deadline_changes', on_delete=OnDelete.CASCADE)),
                ('spell', fields.ForeignKeyField('models.UnitSpell', source_field='spell_id', null=True, db_constraint=True, to_field='id', related_name='deadline_changes', on_delete=OnDelete.CASCADE)),
                ('event', fields.ForeignKeyField('models.CaseEvent', source_field='event_id', null=True, db_constraint=True, to_field='id', related_name='deadline_changes', on_delete=OnDelete.SET_NULL)),
                ('deadline', fields.CharField(description='sign | first_contact | completion', max_length=16)),
                ('old_at', fields.DatetimeField(null=True, description='the deadline before (empty: none)', auto_now=False, auto_now_add=False)),
                ('new_at', fields.DatetimeField(null=True, description='the deadline after (empty: none)', auto_now=False, auto_now_add=False)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('actor_type', fields.CharField(description='resident | worker | staff | system', max_length=16)),
                ('actor_id', fields.CharField(default='', max_length=64)),
                ('cause', fields.CharField(description='the action that moved it (CaseAction)', max_length=16)),
                ('reason', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'deadline_changes', 'app': 'models', 'indexes': [Index(fields=['spell_id', 'deadline', 'at']), Index(fields=['case_id', 'at'])], 'pk_attr': 'id', 'table_description': 'One deadline of a case moved (or first set for a unit): which, from what to what, when,'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Survey',
            name='recorded_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='CaseEvent',
            index=Index(fields=['case_id', 'at']),
        ),
    ]
