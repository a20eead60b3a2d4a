"""Account links (issue 15): one-time QR scenes and chat codes, and the staff user's openid."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.account_links import LinkTarget
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0011_organisation')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccountLink',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('target', fields.CharEnumField(description='WORKER: worker\nSTAFF: staff', enum_type=LinkTarget, max_length=16)),
                ('worker', fields.ForeignKeyField('models.Worker', source_field='worker_id', null=True, db_constraint=True, to_field='id', related_name='account_links', on_delete=OnDelete.CASCADE)),
                ('staff_user', fields.ForeignKeyField('models.StaffUser', source_field='staff_user_id', null=True, db_constraint=True, to_field='id', related_name='account_links', on_delete=OnDelete.CASCADE)),
                ('scene_hash', fields.CharField(unique=True, description='SHA-256 of the scene', max_length=64)),
                ('code_hash', fields.CharField(unique=True, description='SHA-256 of the code', max_length=64)),
                ('created_by', fields.CharField(default='', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('used_by_openid', fields.CharField(null=True, max_length=64)),
                ('revoked_at', fields.DatetimeField(null=True, description='a newer link for the same person', auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_links', 'app': 'models', 'pk_attr': 'id', 'table_description': "A single-use invitation to link one person's openid, valid until ``expires_at``."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='StaffUser',
            name='openid',
            field=fields.CharField(null=True, unique=True, description='their WeChat, for previews to self', max_length=64),
        ),
    ]
