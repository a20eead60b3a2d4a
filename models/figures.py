"""Frozen figures: a closed month's figures as they stood when it was closed (issue 16)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.district import Unit


class FigureSnapshot(Model):
    """A closed month's figures, district-wide (no unit) or of one unit, never changed after.

    ``key`` is the period and the unit (``2026-11:district``, ``2026-11:12``), unique, so that a
    month is closed once even when two processes close it at the same moment.
    """

    unit_id: int | None

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=40, unique=True, description="period and unit")
    period = fields.CharField(max_length=7, description="YYYY-MM (Shanghai)")
    unit: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="figure_snapshots", null=True, on_delete=fields.SET_NULL
    )
    figures: fields.JSONField[dict[str, Any]] = fields.JSONField(
        description="the figures as the admin API answers them"
    )
    definitions_version = fields.CharField(max_length=32)
    computed_at = fields.DatetimeField()
    computed_by = fields.CharField(max_length=64, description="staff username, cli:... or sweep")

    class Meta:
        table = "figure_snapshots"
