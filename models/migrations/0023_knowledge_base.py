"""The knowledge base (issue 19): entries and their versions.

Only the new tables: HeldMessage.reason's enum comment and ExtensionRequest's options are left
as earlier migrations left them. Numbered 0023 and chained after 0019 for now (0020-0022 are
being added beside it): whoever merges re-chains the dependency.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.knowledge import EntryScope, EntryStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0022_burst_acknowledgement')]

    initial = False

    operations = [
        ops.CreateModel(
            name='KnowledgeEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=32)),
                ('question', fields.CharField(max_length=200)),
                ('variants', fields.JSONField(default=list, description='other ways residents ask it', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('answer', fields.TextField(unique=False)),
                ('links', fields.JSONField(default=list, description='[{title, url}]', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('mini_page', fields.CharField(default='', description='a mini-program page path', max_length=255)),
                ('unit', fields.ForeignKeyField('models.Unit', source_field='unit_id', null=True, description='the unit that owns the answer', db_constraint=True, to_field='id', related_name='knowledge_entries', on_delete=OnDelete.SET_NULL)),
                ('policy', fields.CharField(default='', description='the policy it rests on', max_length=255)),
                ('valid_from', fields.DateField(null=True, description='Shanghai date, inclusive')),
                ('valid_until', fields.DateField(null=True, description='Shanghai date, inclusive')),
                ('category', fields.CharField(default='', description='path, e.g. 民政/养老', max_length=128)),
                ('scope', fields.CharEnumField(default=EntryScope.DISTRICT, description='DISTRICT: district\nSTREET: street\nCOMPOUND: compound', enum_type=EntryScope, max_length=16)),
                ('street', fields.CharField(default='', description='for street and compound', max_length=64)),
                ('compound', fields.CharField(default='', description='for compound scope', max_length=64)),
                ('status', fields.CharEnumField(default=EntryStatus.DRAFT, description='DRAFT: draft\nPUBLISHED: published\nRETIRED: retired', enum_type=EntryStatus, max_length=16)),
                ('version', fields.IntField(default=1)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_by', fields.CharField(default='', max_length=64)),
                ('published_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('published_by', fields.CharField(default='', max_length=64)),
                ('expiry_reminded_version', fields.IntField(default=0, description='the version whose expiry reminder went out')),
            ],
            options={'table': 'knowledge_entries', 'app': 'models', 'indexes': [Index(fields=['status', 'valid_until']), Index(fields=['unit_id', 'status'])], 'pk_attr': 'id', 'table_description': 'A question with its variants and the answer the district gives to it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='KnowledgeVersion',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('entry', fields.ForeignKeyField('models.KnowledgeEntry', source_field='entry_id', db_constraint=True, to_field='id', related_name='versions', on_delete=OnDelete.CASCADE)),
                ('version', fields.IntField()),
                ('action', fields.CharField(description='create | edit | publish | retire | import', max_length=16)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('by', fields.CharField(default='', description='staff username or import', max_length=64)),
                ('changes', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('snapshot', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'knowledge_versions', 'app': 'models', 'unique_together': (('entry', 'version'),), 'pk_attr': 'id', 'table_description': 'One change of an entry: who, when, what (field -> [before, after]) and the whole entry'},
            bases=['Model'],
        ),
    ]
