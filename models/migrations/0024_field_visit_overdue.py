"""Field visits past their 整改时限 are reported once (issue 16): when that happened."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [('models', '0023_knowledge_base')]

    initial = False

    operations = [
        ops.AddField(
            model_name='FieldVisit',
            name='overdue_notified_at',
            field=fields.DatetimeField(null=True, description='when the people owing the outcome were told it is past due', auto_now=False, auto_now_add=False),
        ),
    ]
