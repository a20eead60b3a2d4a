"""Bursts absorbed (issue 17): an inbound message acknowledged at once keeps the case number it
was told, which its case then takes.

Chained after 0019 on this branch; the merge re-chains it after whatever came in between.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0021_intake_hot_path')]

    initial = False

    operations = [
        ops.AddField(
            model_name='InboundMessage',
            name='reserved_number',
            field=fields.CharField(null=True, description='acknowledged at once under load: the case number told, used by its case', max_length=16),
        ),
    ]
