"""Repeats and review (issue 16, points 4 and 5): case links (重复诉求 and hand merges) and the
review of a finished result before the survey (办结审核).

HeldMessage.reason's enum comment is left as it is (see 0015).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.cases import LinkKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0017_figure_snapshots')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CaseLink',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='REPEAT: repeat\nMERGE: merge', enum_type=LinkKind, max_length=16)),
                ('case', fields.ForeignKeyField('models.Case', source_field='case_id', db_constraint=True, to_field='id', related_name='links_in', on_delete=OnDelete.CASCADE)),
                ('other', fields.ForeignKeyField('models.Case', source_field='other_id', null=True, db_constraint=True, to_field='id', related_name='links_out', on_delete=OnDelete.CASCADE)),
                ('unit', fields.ForeignKeyField('models.Unit', source_field='unit_id', null=True, db_constraint=True, to_field='id', related_name='case_links', on_delete=OnDelete.SET_NULL)),
                ('same_resident', fields.BooleanField(default=False)),
                ('reopened', fields.BooleanField(default=False, description='the repeat reopened the original')),
                ('actor', fields.CharField(default='', description='system, or staff:username', max_length=80)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, description='a merge undone (拆分)', auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'case_links', 'app': 'models', 'indexes': [Index(fields=['kind', 'unit_id', 'at']), Index(fields=['case_id', 'kind']), Index(fields=['other_id', 'kind'])], 'pk_attr': 'id', 'table_description': 'A later case (or message) tied to an earlier case: a repeat after close, or a hand merge.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Case',
            name='review_requested_at',
            field=fields.DatetimeField(null=True, description='办结, waiting for review', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Case',
            name='review_state',
            field=fields.CharField(null=True, description='办结审核: pending | passed | sent_back', max_length=16),
        ),
        ops.AddIndex(
            model_name='Case',
            index=Index(fields=['review_state', 'review_requested_at']),
        ),
    ]
