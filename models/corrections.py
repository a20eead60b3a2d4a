"""What staff taught the understanding: each category correction is a labelled example."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.cases import Case


class CategoryCorrection(Model):
    """A dispatcher changed the category of a case, and jiesu nlu train --from-cases learns from it.

    The resident's text is copied so that the example survives the case being deleted.
    """

    case_id: int | None

    id = fields.BigIntField(primary_key=True)
    case: fields.ForeignKeyNullableRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="corrections", null=True, on_delete=fields.SET_NULL
    )
    text = fields.TextField()
    old_category = fields.CharField(max_length=128)
    new_category = fields.CharField(max_length=128)
    corrected_by = fields.CharField(max_length=64, default="")
    corrected_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "category_corrections"
