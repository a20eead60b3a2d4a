from tortoise import migrations
from tortoise.migrations import operations as ops
from models.case_status import CaseStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CategoryCorrection',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case', fields.ForeignKeyField('models.Case', source_field='case_id', null=True, db_constraint=True, to_field='id', related_name='corrections', on_delete=OnDelete.SET_NULL)),
                ('text', fields.TextField(unique=False)),
                ('old_category', fields.CharField(max_length=128)),
                ('new_category', fields.CharField(max_length=128)),
                ('corrected_by', fields.CharField(default='', max_length=64)),
                ('corrected_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'category_corrections', 'app': 'models', 'pk_attr': 'id', 'table_description': "A dispatcher changed the category of a case, and jiesu nlu train --from-cases learns from it."},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Case',
            name='status',
            field=fields.CharEnumField(default=CaseStatus.ACCEPTED, description='ACCEPTED: accepted\nDISPATCHED: dispatched\nSIGNED: signed\nCONTACTED: contacted\nIN_PROGRESS: in_progress\nCOMPLETED: completed\nVISITED: visited\nARCHIVED: archived\nCANCELLED: cancelled\nMERGED: merged', enum_type=CaseStatus, max_length=16),
        ),
    ]
