"""Staff correct a case's category (改类); each correction teaches the understanding model.

The correction is a timeline event and a :class:`models.CategoryCorrection` row: the resident's
text with the right label, which ``jiesu nlu train --from-cases`` learns from. A case nobody has
signed for yet is routed again by its new category.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.taxonomy import TAXONOMY
from handlers.context import HandlerContext
from handlers.intake.report import route_again
from handlers.timeline import Actor, apply_action
from models import Case, CaseAction, CategoryCorrection

_PATHS = frozenset(category.path for category in TAXONOMY)


class UnknownCategory(ValueError):
    """The category is not a path of the deployment's taxonomy."""

    def __init__(self, category: str) -> None:
        parent = category.split("/", 1)[0]
        near = sorted(path for path in _PATHS if path.startswith(f"{parent}/"))
        hint = f"; paths under {parent}: {', '.join(near)}" if near else ""
        example = "城乡建设/物业管理"
        super().__init__(f"unknown category {category!r}: use a path such as {example}{hint}")
        self.category = category


@dataclass(frozen=True)
class Recategorised:
    case: Case
    old: str
    new: str
    rerouted_to: str | None  # the unit's name, when the case was routed again


async def recategorise(
    case: Case, category: str, actor: Actor, ctx: HandlerContext, reason: str = ""
) -> Recategorised:
    """Give ``case`` the category ``category`` (a taxonomy path) and keep the correction."""
    category = category.strip()
    if category not in _PATHS:
        raise UnknownCategory(category)
    old = case.category
    if category == old:
        return Recategorised(case, old, category, None)
    await apply_action(
        case,
        CaseAction.RECATEGORISE,
        actor,
        ctx.now,
        note=f"{old} → {category}" + (f"：{reason}" if reason else ""),
        data={"from": old, "to": category, "reason": reason},
        changes={"category": category, "category_confidence": 1.0},
    )
    await CategoryCorrection.create(
        case_id=case.id,
        text=case.text,
        old_category=old,
        new_category=category,
        corrected_by=f"{actor.type}:{actor.id}",
        corrected_at=ctx.now,
    )
    unit = await route_again(case, ctx, Actor.system(), "改类后")
    return Recategorised(case, old, category, unit.name if unit else None)


async def correction_examples() -> list[tuple[str, str]]:
    """(text, category) of every corrected case, by its latest correction, oldest first."""
    latest: dict[int | str, tuple[str, str]] = {}
    async for row in CategoryCorrection.all().order_by("corrected_at", "id"):
        key: int | str = row.case_id if row.case_id is not None else f"row{row.id}"
        latest[key] = (row.text, row.new_category)
    return [example for example in latest.values() if example[0].strip()]
