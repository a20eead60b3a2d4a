"""Issue 15's organisation: a unit's parent and head, its supervisors, a worker's grids, and the
place names the understanding reads. Only new tables and new nullable columns: no rebuild."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0010_security')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Place',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=64)),
                ('kind', fields.CharField(description='street | compound | road | poi', max_length=16)),
                ('street', fields.CharField(default='', max_length=64)),
                ('grid', fields.ForeignKeyField('models.Grid', source_field='grid_id', null=True, db_constraint=True, to_field='id', related_name='places', on_delete=OnDelete.SET_NULL)),
                ('aliases', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('active', fields.BooleanField(default=True)),
            ],
            options={'table': 'places', 'app': 'models', 'unique_together': (('kind', 'name'),), 'pk_attr': 'id', 'table_description': 'A place name residents write: a street (with its other names), or a compound, road or'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UnitSupervisor',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('unit', fields.ForeignKeyField('models.Unit', source_field='unit_id', db_constraint=True, to_field='id', related_name='supervisor_links', on_delete=OnDelete.CASCADE)),
                ('worker', fields.ForeignKeyField('models.Worker', source_field='worker_id', db_constraint=True, to_field='id', related_name='supervised_links', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'unit_supervisors', 'app': 'models', 'unique_together': (('unit', 'worker'),), 'pk_attr': 'id', 'table_description': 'A worker who supervises a unit (分管/督办), beside its head.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WorkerGrid',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('worker', fields.ForeignKeyField('models.Worker', source_field='worker_id', db_constraint=True, to_field='id', related_name='grid_links', on_delete=OnDelete.CASCADE)),
                ('grid', fields.ForeignKeyField('models.Grid', source_field='grid_id', db_constraint=True, to_field='id', related_name='worker_links', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'worker_grids', 'app': 'models', 'unique_together': (('worker', 'grid'),), 'pk_attr': 'id', 'table_description': 'A grid a worker covers. ``Worker.grid`` is the first of them (routing reads it).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Unit',
            name='head',
            field=fields.ForeignKeyField('models.Worker', source_field='head_id', null=True, db_constraint=True, to_field='id', related_name='headed_units', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Unit',
            name='parent',
            field=fields.ForeignKeyField('models.Unit', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.SET_NULL),
        ),
    ]
