from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_staff_and_broadcasts')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Notice',
            name='fanout_cursor',
            field=fields.BigIntField(default=0, description='last audience key written'),
        ),
        ops.AddField(
            model_name='Notice',
            name='paced_until',
            field=fields.DatetimeField(null=True, description='when the last queued row is due', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='NoticeDelivery',
            name='wechat_msg_id',
            field=fields.CharField(null=True, description='msgid of the send (or mass job)', max_length=64),
        ),
        ops.AddField(
            model_name='NoticeDelivery',
            name='wechat_status',
            field=fields.CharField(default='', description='what TEMPLATESENDJOBFINISH reported', max_length=64),
        ),
        ops.AddIndex(
            model_name='NoticeDelivery',
            index=Index(fields=['outbox_id']),
        ),
        ops.AddIndex(
            model_name='NoticeDelivery',
            index=Index(fields=['wechat_msg_id']),
        ),
    ]
