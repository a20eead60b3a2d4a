"""The district's shape: handling units, grids and the rules that route cases to them."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Unit(Model):
    """A handling unit (承办部门): a street office, a bureau, a utility."""

    parent_id: int | None
    head_id: int | None

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=64)
    kind = fields.CharField(
        max_length=16, default="department", description="street | department | utility | center"
    )
    street = fields.CharField(max_length=64, null=True, description="for street offices")
    phone = fields.CharField(max_length=32, default="")
    parent: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="children", null=True, on_delete=fields.SET_NULL
    )
    # A Worker (models.people imports this module: the type would make a ring).
    head: fields.ForeignKeyNullableRelation[Model] = fields.ForeignKeyField(
        "models.Worker", related_name="headed_units", null=True, on_delete=fields.SET_NULL
    )
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "units"


class Grid(Model):
    """A grid (网格): the smallest area with its own grid worker."""

    unit_id: int | None

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=64)
    street = fields.CharField(max_length=64, db_index=True)
    compounds: fields.JSONField[list[str]] = fields.JSONField(
        default=list, description="compounds, roads and POIs inside"
    )
    aliases: fields.JSONField[list[str]] = fields.JSONField(
        default=list, description="names residents use for them"
    )
    boundary: fields.JSONField[list[list[float]]] = fields.JSONField(
        default=list, description="polygon as [[lng, lat], ...]"
    )
    unit: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit",
        related_name="grids",
        null=True,
        on_delete=fields.SET_NULL,
        description="the street office responsible for the grid",
    )
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "grids"


class RoutingRule(Model):
    """category × place -> unit. Rules are tried in ascending priority: the first match wins."""

    grid_id: int | None
    unit_id: int | None

    id = fields.BigIntField(primary_key=True)
    priority = fields.IntField(default=100, db_index=True)
    category_prefix = fields.CharField(max_length=128, default="", description="empty matches all")
    kind = fields.CharField(max_length=16, null=True, description="None matches every kind")
    street = fields.CharField(max_length=64, null=True, description="None matches everywhere")
    grid: fields.ForeignKeyNullableRelation[Grid] = fields.ForeignKeyField(
        "models.Grid", related_name="routing_rules", null=True, on_delete=fields.CASCADE
    )
    unit: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit",
        related_name="routing_rules",
        null=True,
        on_delete=fields.CASCADE,
        description="None = the street office of the case's grid",
    )
    note = fields.CharField(max_length=128, default="")
    active = fields.BooleanField(default=True)

    class Meta:
        table = "routing_rules"


class SlaRule(Model):
    """A deployment's own time limits for a kind and grade, edited on the dashboard.

    A row overrides the policy in ``config/sla.py`` for its kind (empty = every kind) and grade
    (急, 一般 or 难). Each limit is hours on the clock or, when its working-days column is set,
    working days on the Chinese calendar.
    """

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=16, default="", description="empty matches every kind")
    grade = fields.CharField(max_length=4, description="急 | 一般 | 难")
    sign_hours = fields.FloatField(default=0)
    sign_working_days = fields.IntField(default=0)
    first_contact_hours = fields.FloatField(default=0)
    first_contact_working_days = fields.IntField(default=0)
    completion_hours = fields.FloatField(default=0)
    completion_working_days = fields.IntField(default=0)
    updated_at = fields.DatetimeField(auto_now=True)
    updated_by = fields.CharField(max_length=64, default="")

    class Meta:
        table = "sla_rules"
        unique_together = (("kind", "grade"),)
