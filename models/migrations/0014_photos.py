"""Photos on both sides (issue 15): a media file remembers where its cached thumbnail is."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0013_invalid_and_retention')]

    initial = False

    operations = [
        ops.AddField(
            model_name='MediaFile',
            name='thumbnail_path',
            field=fields.CharField(default='', description='its thumbnail, storage-relative, once made', max_length=255),
        ),
    ]
