from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_broadcasts')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Case',
            index=Index(fields=['unit_id', 'created_at']),
        ),
        ops.AddIndex(
            model_name='Case',
            index=Index(fields=['duplicate_of_id', 'status']),
        ),
    ]
