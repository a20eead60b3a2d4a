from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.hot import HotItemKind, HotItemOutcome, HotItemStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0026_suggestions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='HotItem',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('number', fields.CharField(unique=True, description='RD + yymm + sequence', max_length=16)),
                ('kind', fields.CharEnumField(default=HotItemKind.PROACTIVE, description='PROACTIVE: proactive\nMONTHLY: monthly', enum_type=HotItemKind, max_length=16)),
                ('status', fields.CharEnumField(default=HotItemStatus.OPEN, description='OPEN: open\nCLOSED: closed\nWITHDRAWN: withdrawn', enum_type=HotItemStatus, max_length=16)),
                ('title', fields.CharField(max_length=128)),
                ('problem', fields.TextField(default='', description='what the residents raised, in short', unique=False)),
                ('topic_words', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('place_key', fields.CharField(default='', description='empty: no place', max_length=64)),
                ('place_label', fields.CharField(default='', max_length=128)),
                ('category', fields.CharField(default='', max_length=128)),
                ('month', fields.CharField(null=True, description='YYYY-MM for 每月一题', max_length=7)),
                ('owner_unit', fields.ForeignKeyField('models.Unit', source_field='owner_unit_id', db_constraint=True, to_field='id', related_name='hot_items', on_delete=OnDelete.RESTRICT)),
                ('plan', fields.TextField(default='', unique=False)),
                ('deadline', fields.DateField(description='local date by which it is to be solved')),
                ('created_by', fields.ForeignKeyField('models.StaffUser', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='hot_items', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('outcome', fields.CharEnumField(null=True, description='SOLVED: solved\nPARTLY: partly\nUNSOLVED: unsolved', enum_type=HotItemOutcome, max_length=16)),
                ('result', fields.TextField(default='', description='what was done, as residents are told', unique=False)),
                ('notice_id', fields.BigIntField(null=True)),
                ('heat', fields.JSONField(default=dict, description="the hot issue's factors when it was taken up", encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('version', fields.IntField(default=0, description='bumped on every change')),
            ],
            options={'table': 'hot_items', 'app': 'models', 'indexes': [Index(fields=['status', 'deadline']), Index(fields=['owner_unit_id', 'status'])], 'pk_attr': 'id', 'table_description': 'One hot issue taken up as a piece of work, a line of the ledger (台账).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HotItemCase',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('item', fields.ForeignKeyField('models.HotItem', source_field='item_id', db_constraint=True, to_field='id', related_name='cases', on_delete=OnDelete.CASCADE)),
                ('case', fields.ForeignKeyField('models.Case', source_field='case_id', db_constraint=True, to_field='id', related_name='hot_items', on_delete=OnDelete.CASCADE)),
                ('how', fields.CharField(default='hot', description='hot | auto | staff', max_length=8)),
                ('linked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'hot_item_cases', 'app': 'models', 'unique_together': (('item', 'case'),), 'indexes': [Index(fields=['case_id'])], 'pk_attr': 'id', 'table_description': 'A case an item covers: one it was made from (``hot``), one linked as it arrived'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HotItemMilestone',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('item', fields.ForeignKeyField('models.HotItem', source_field='item_id', db_constraint=True, to_field='id', related_name='milestones', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField(default=0)),
                ('title', fields.CharField(max_length=128)),
                ('due', fields.DateField()),
                ('done_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('note', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'hot_item_milestones', 'app': 'models', 'pk_attr': 'id', 'table_description': "A step of an item's plan with its own date, ticked off when done."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HotItemNote',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('item', fields.ForeignKeyField('models.HotItem', source_field='item_id', db_constraint=True, to_field='id', related_name='notes', on_delete=OnDelete.CASCADE)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('action', fields.CharField(description='created | progress | milestone | ...', max_length=16)),
                ('actor', fields.CharField(default='', description='staff username or system', max_length=64)),
                ('text', fields.TextField(default='', unique=False)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'hot_item_notes', 'app': 'models', 'indexes': [Index(fields=['item_id', 'at'])], 'pk_attr': 'id', 'table_description': "One entry of an item's timeline: taken up, a progress note, a milestone done, the"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HotItemUnit',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('item', fields.ForeignKeyField('models.HotItem', source_field='item_id', db_constraint=True, to_field='id', related_name='co_units', on_delete=OnDelete.CASCADE)),
                ('unit', fields.ForeignKeyField('models.Unit', source_field='unit_id', db_constraint=True, to_field='id', related_name='hot_item_roles', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'hot_item_units', 'app': 'models', 'unique_together': (('item', 'unit'),), 'pk_attr': 'id', 'table_description': 'A co-unit (协办单位) of an item.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HotWarning',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(description='t:<topic words> or p:<place key>', max_length=160)),
                ('label', fields.CharField(description='what people read: place and topic', max_length=160)),
                ('week', fields.DateField(description='local Monday of the week it was found in')),
                ('found_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('count', fields.IntField(description='cases in the last 7 days')),
                ('residents', fields.IntField(default=0)),
                ('baseline', fields.FloatField(description='weekly average over the trailing four weeks')),
                ('unit', fields.ForeignKeyField('models.Unit', source_field='unit_id', null=True, db_constraint=True, to_field='id', related_name='hot_warnings', on_delete=OnDelete.SET_NULL)),
                ('numbers', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('item', fields.ForeignKeyField('models.HotItem', source_field='item_id', null=True, db_constraint=True, to_field='id', related_name='warnings', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'hot_warnings', 'app': 'models', 'unique_together': (('key', 'week'),), 'indexes': [Index(fields=['found_at'])], 'pk_attr': 'id', 'table_description': 'A topic or place whose volume jumped against its trailing weeks (预警), stored once per'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Case',
            name='source_ref',
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
        ops.AddField(
            model_name='Case',
            name='topic',
            field=fields.CharField(null=True, description='topic words for hot issues, space-separated', max_length=160),
        ),
        ops.AddField(
            model_name='Case',
            name='votes_down',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Case',
            name='votes_up',
            field=fields.IntField(null=True),
        ),
    ]
