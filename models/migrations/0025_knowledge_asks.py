"""Questions put to the knowledge base and what came of them (issue 19): the figures and the gaps.

Only the new table (HeldMessage.reason's comment and ExtensionRequest's options are left as
earlier migrations left them, as in 0023)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.knowledge import AskOutcome
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0024_field_visit_overdue')]

    initial = False

    operations = [
        ops.CreateModel(
            name='KnowledgeAsk',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('channel', fields.CharField(description='chat | mini', max_length=16)),
                ('resident', fields.ForeignKeyField('models.Resident', source_field='resident_id', null=True, db_constraint=True, to_field='id', related_name='knowledge_asks', on_delete=OnDelete.SET_NULL)),
                ('text', fields.CharField(max_length=200)),
                ('gap_key', fields.CharField(default='', max_length=64)),
                ('entry', fields.ForeignKeyField('models.KnowledgeEntry', source_field='entry_id', null=True, db_constraint=True, to_field='id', related_name='asks', on_delete=OnDelete.SET_NULL)),
                ('score', fields.FloatField(default=0.0)),
                ('outcome', fields.CharEnumField(description='ANSWERED: answered\nSOLVED: solved\nUNSOLVED: unsolved\nUNANSWERED: unanswered', enum_type=AskOutcome, max_length=16)),
                ('case', fields.ForeignKeyField('models.Case', source_field='case_id', null=True, db_constraint=True, to_field='id', related_name='knowledge_asks', on_delete=OnDelete.SET_NULL)),
                ('answered_at', fields.DatetimeField(null=True, description='when the resident said 解决 or not', auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'knowledge_asks', 'app': 'models', 'indexes': [Index(fields=['at']), Index(fields=['outcome', 'gap_key'])], 'pk_attr': 'id', 'table_description': "A resident's question put to the knowledge base (chat or mini-program) and what came of"},
            bases=['Model'],
        ),
    ]
