"""The centre decides a unit's requests (issue 16): return requests (退单), extension requests that
name their unit, date and lateness, and the unit spells that deadlines are charged to.

HeldMessage.reason's enum comment (RATE_LIMITED added) is left as it is: an AlterField would
rebuild the table on SQLite for a column comment.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.workflow import ExtensionStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0014_photos')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ReturnRequest',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case', fields.ForeignKeyField('models.Case', source_field='case_id', db_constraint=True, to_field='id', related_name='return_requests', on_delete=OnDelete.CASCADE)),
                ('unit', fields.ForeignKeyField('models.Unit', source_field='unit_id', null=True, db_constraint=True, to_field='id', related_name='return_requests', on_delete=OnDelete.SET_NULL)),
                ('worker', fields.ForeignKeyField('models.Worker', source_field='worker_id', null=True, db_constraint=True, to_field='id', related_name='return_requests', on_delete=OnDelete.SET_NULL)),
                ('reason', fields.TextField(default='', unique=False)),
                ('suggested_unit', fields.ForeignKeyField('models.Unit', source_field='suggested_unit_id', null=True, db_constraint=True, to_field='id', related_name='suggested_returns', on_delete=OnDelete.SET_NULL)),
                ('status', fields.CharEnumField(default=ExtensionStatus.PENDING, description='PENDING: pending\nAPPROVED: approved\nREFUSED: refused', enum_type=ExtensionStatus, max_length=16)),
                ('decided_by_staff', fields.CharField(default='', description='staff username', max_length=64)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('note', fields.TextField(default='', description="the dispatcher's note or reason to refuse", unique=False)),
                ('new_unit', fields.ForeignKeyField('models.Unit', source_field='new_unit_id', null=True, db_constraint=True, to_field='id', related_name='returned_to', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'return_requests', 'app': 'models', 'indexes': [Index(fields=['status', 'case_id']), Index(fields=['unit_id', 'decided_at'])], 'pk_attr': 'id', 'table_description': 'A unit asks the centre to take a case back (退单) with a reason and a suggested unit.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UnitSpell',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case', fields.ForeignKeyField('models.Case', source_field='case_id', db_constraint=True, to_field='id', related_name='unit_spells', on_delete=OnDelete.CASCADE)),
                ('unit', fields.ForeignKeyField('models.Unit', source_field='unit_id', db_constraint=True, to_field='id', related_name='spells', on_delete=OnDelete.CASCADE)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('end_reason', fields.CharField(default='', description='returned | reassigned | merged | invalid | empty', max_length=16)),
                ('sign_due_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('first_contact_due_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('completion_due_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('first_contact_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'case_unit_spells', 'app': 'models', 'indexes': [Index(fields=['unit_id', 'started_at']), Index(fields=['case_id', 'started_at'])], 'pk_attr': 'id', 'table_description': 'The time a case spent with one unit, from 派单 or 改派 until it left (退单 approved, 改派)'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='ExtensionRequest',
            name='decided_by_staff',
            field=fields.CharField(default='', description='staff username', max_length=64),
        ),
        ops.AddField(
            model_name='ExtensionRequest',
            name='late',
            field=fields.BooleanField(default=False, description='asked after the deadline had passed'),
        ),
        ops.AddField(
            model_name='ExtensionRequest',
            name='new_due_at',
            field=fields.DatetimeField(null=True, description='the completion date asked for', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ExtensionRequest',
            name='unit',
            field=fields.ForeignKeyField('models.Unit', source_field='unit_id', null=True, db_constraint=True, to_field='id', related_name='extension_requests', on_delete=OnDelete.SET_NULL),
        ),
    ]
