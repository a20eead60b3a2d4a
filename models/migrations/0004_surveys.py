from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_workflow')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Survey',
            name='answer_source',
            field=fields.CharField(default='', description='reply | menu | miniprogram | staff', max_length=16),
        ),
        ops.AddIndex(
            model_name='Survey',
            index=Index(fields=['status', 'reminder_due_at']),
        ),
        ops.AddIndex(
            model_name='Survey',
            index=Index(fields=['status', 'closes_at']),
        ),
        ops.AddIndex(
            model_name='Survey',
            index=Index(fields=['resident_id', 'status']),
        ),
    ]
