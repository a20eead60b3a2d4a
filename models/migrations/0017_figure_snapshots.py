"""Frozen figures (issue 16): a closed month's figures, district-wide and per unit.

Only the new table: HeldMessage.reason's enum comment is left as 0015 left it.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0015_unit_requests_and_spells')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FigureSnapshot',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, description='period and unit', max_length=40)),
                ('period', fields.CharField(description='YYYY-MM (Shanghai)', max_length=7)),
                ('unit', fields.ForeignKeyField('models.Unit', source_field='unit_id', null=True, db_constraint=True, to_field='id', related_name='figure_snapshots', on_delete=OnDelete.SET_NULL)),
                ('figures', fields.JSONField(description='the figures as the admin API answers them', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('definitions_version', fields.CharField(max_length=32)),
                ('computed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('computed_by', fields.CharField(description='staff username, cli:... or sweep', max_length=64)),
            ],
            options={'table': 'figure_snapshots', 'app': 'models', 'pk_attr': 'id', 'table_description': "A closed month's figures, district-wide (no unit) or of one unit, never changed after."},
            bases=['Model'],
        ),
    ]
