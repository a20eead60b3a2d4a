"""The organisation beyond one row per unit and worker: a unit's supervisors, a worker's grids,
and the place names (streets, compounds, roads) that the understanding reads beside the grids."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.district import Grid, Unit
    from models.people import Worker


class UnitSupervisor(Model):
    """A worker who supervises a unit (分管/督办), beside its head."""

    unit_id: int
    worker_id: int

    id = fields.BigIntField(primary_key=True)
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="supervisor_links", on_delete=fields.CASCADE
    )
    worker: fields.ForeignKeyRelation[Worker] = fields.ForeignKeyField(
        "models.Worker", related_name="supervised_links", on_delete=fields.CASCADE
    )

    class Meta:
        table = "unit_supervisors"
        unique_together = (("unit", "worker"),)


class WorkerGrid(Model):
    """A grid a worker covers. ``Worker.grid`` is the first of them (routing reads it)."""

    worker_id: int
    grid_id: int

    id = fields.BigIntField(primary_key=True)
    worker: fields.ForeignKeyRelation[Worker] = fields.ForeignKeyField(
        "models.Worker", related_name="grid_links", on_delete=fields.CASCADE
    )
    grid: fields.ForeignKeyRelation[Grid] = fields.ForeignKeyField(
        "models.Grid", related_name="worker_links", on_delete=fields.CASCADE
    )
    position = fields.IntField(default=0)

    class Meta:
        table = "worker_grids"
        unique_together = (("worker", "grid"),)


class Place(Model):
    """A place name residents write: a street (with its other names), or a compound, road or
    point of interest inside a grid. The gazetteer adds them to the grids' own names."""

    grid_id: int | None

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=16, description="street | compound | road | poi")
    street = fields.CharField(max_length=64, default="")
    grid: fields.ForeignKeyNullableRelation[Grid] = fields.ForeignKeyField(
        "models.Grid", related_name="places", null=True, on_delete=fields.SET_NULL
    )
    aliases: fields.JSONField[list[str]] = fields.JSONField(default=list)
    active = fields.BooleanField(default=True)

    class Meta:
        table = "places"
        unique_together = (("kind", "name"),)
