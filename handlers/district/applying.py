"""Write a checked plan (``handlers.district.planning``) in one transaction, with its audit event.

Units first (their parents once all exist), then grids, workers and their grids, the units'
heads and supervisors, places, and the suggestion stations. Rows the plan leaves alone are not
touched; nothing is ever deleted (a worker who leaves, a station that closes, is deactivated). A
failure anywhere rolls all of it back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from handlers.district.planning import Change, Plan, plan_district, worker_label
from handlers.district.records import DistrictData
from handlers.district.stations import write_stations
from handlers.staff.audit import StaffActor, audit
from models import Grid, Place, Unit, UnitSupervisor, Worker, WorkerGrid, WorkerRole

MAX_AUDITED_CHANGES = 200


class DistrictConflict(RuntimeError):
    """Another writer changed the same rows between the plan and its writing: plan again."""


async def apply_plan(
    plan: Plan, actor: StaffActor | None, now: datetime, *, action: str = "district.import"
) -> dict[str, dict[str, int]]:
    """Write what ``plan`` adds and changes; answers its summary. ``actor`` None: the demo
    district loading itself, which nobody did and nothing audits."""
    try:
        await _apply(plan, actor, now, action)
    except IntegrityError as clash:
        raise DistrictConflict(str(clash)) from None
    return plan.summary()


async def _apply(plan: Plan, actor: StaffActor | None, now: datetime, action: str) -> None:
    async with in_transaction():
        units = await _write_units(plan)
        grids = await _write_grids(plan, units)
        await _write_workers(plan, units, grids)
        await _write_unit_people(plan, units)
        await _write_places(plan, grids)
        await write_stations(plan.of("station"), units, now)
        written = [c for c in plan.changes if c.action != "same"]
        if written and actor is not None:
            await audit(
                actor,
                action,
                now,
                target_type=written[0].kind if len(written) == 1 else "district",
                target_id=written[0].key if len(written) == 1 else "",
                detail={
                    "summary": plan.summary(),
                    "changes": [_described(c) for c in written[:MAX_AUDITED_CHANGES]],
                },
            )


async def save_district(
    data: DistrictData, actor: StaffActor, now: datetime, *, action: str
) -> Plan:
    """Check, plan and write ``data`` (the API's and the dashboard's one-row edits)."""
    plan = await plan_district(data)
    await apply_plan(plan, actor, now, action=action)
    return plan


def _described(change: Change) -> dict[str, Any]:
    fields = {
        name: {"before": before, "after": after}
        for name, (before, after) in change.fields.items()
        if name != "boundary"
    }
    if "boundary" in change.fields:
        fields["boundary"] = {"before": "…", "after": "…"}
    return {"kind": change.kind, "key": change.key, "action": change.action, "fields": fields}


async def _write_units(plan: Plan) -> dict[str, int]:
    for change in plan.of("unit"):
        if change.action == "same":
            continue
        after = change.after
        columns = {
            "name": after["name"],
            "kind": after["kind"],
            "phone": after["phone"],
            "street": after["street"] or None,
            "active": after["active"],
        }
        if change.db_id is None:
            unit = await Unit.create(code=change.key, **columns)
            change.db_id = unit.id
        else:
            await Unit.filter(id=change.db_id).update(**columns)
    units = {u.code: u.id for u in await Unit.all()}
    for change in plan.of("unit"):
        if change.action != "same":
            parent = units.get(change.after["parent"]) if change.after["parent"] else None
            await Unit.filter(id=units[change.key]).update(parent_id=parent)
    return units


async def _write_grids(plan: Plan, units: dict[str, int]) -> dict[str, int]:
    for change in plan.of("grid"):
        if change.action == "same":
            continue
        after = change.after
        columns = {
            "name": after["name"],
            "street": after["street"],
            "unit_id": units.get(after["unit"]) if after["unit"] else None,
            "compounds": after["compounds"],
            "aliases": after["aliases"],
            "boundary": after["boundary"],
            "active": after["active"],
        }
        if change.db_id is None:
            await Grid.create(code=change.key, **columns)
        else:
            await Grid.filter(id=change.db_id).update(**columns)
    return {g.code: g.id for g in await Grid.all()}


async def _write_workers(plan: Plan, units: dict[str, int], grids: dict[str, int]) -> None:
    for change in plan.of("worker"):
        if change.action == "same":
            continue
        after = change.after
        grid_ids = [grids[code] for code in after["grids"]]
        columns = {
            "name": after["name"],
            "role": WorkerRole(after["role"]),
            "unit_id": units.get(after["unit"]) if after["unit"] else None,
            "grid_id": grid_ids[0] if grid_ids else None,
            "phone": after["phone"],
            "wecom_userid": after["wecom_userid"] or None,
            "openid": after["openid"] or None,
            "active": after["active"],
        }
        if change.db_id is None:
            worker = await Worker.create(**columns)
            change.db_id = worker.id
        else:
            await Worker.filter(id=change.db_id).update(**columns)
        await WorkerGrid.filter(worker_id=change.db_id).delete()
        for position, grid_id in enumerate(grid_ids):
            await WorkerGrid.create(worker_id=change.db_id, grid_id=grid_id, position=position)


async def _write_unit_people(plan: Plan, units: dict[str, int]) -> None:
    changed = [c for c in plan.of("unit") if c.action != "same"]
    if not changed:
        return
    by_label: dict[str, int] = {}
    for worker in await Worker.all().order_by("-id"):
        row = {
            "name": worker.name,
            "wecom_userid": worker.wecom_userid or "",
            "openid": worker.openid or "",
            "phone": worker.phone,
        }
        by_label[worker_label(row)] = worker.id
    for change in changed:
        unit_id = units[change.key]
        head = change.after["head"]
        await Unit.filter(id=unit_id).update(head_id=by_label.get(head) if head else None)
        await UnitSupervisor.filter(unit_id=unit_id).delete()
        for label in change.after["supervisors"]:
            await UnitSupervisor.create(unit_id=unit_id, worker_id=by_label[label])


async def _write_places(plan: Plan, grids: dict[str, int]) -> None:
    for change in plan.of("place"):
        if change.action == "same":
            continue
        kind, name = change.key.split(":", 1)
        after = change.after
        columns = {
            "street": after["street"],
            "grid_id": grids.get(after["grid"]) if after["grid"] else None,
            "aliases": after["aliases"],
            "active": after["active"],
        }
        if change.db_id is None:
            await Place.create(kind=kind, name=name, **columns)
        else:
            await Place.filter(id=change.db_id).update(**columns)
