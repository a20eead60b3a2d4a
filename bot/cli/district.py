"""``jiesu district``: the organisation and map from the command line.

- ``import PATH... [--apply]``: preview (default) or apply a district's files (a directory holding
  them, or the files): grids.geojson, units.csv|xlsx, workers.csv|xlsx, places.csv|xlsx,
  stations.csv|xlsx (the suggestion stations, 人民建议征集联系点).
- ``export DIR``: write the files back (CSV); importing them again changes nothing.
- ``units`` / ``grids`` / ``workers``: print them (``--json``).
- ``unit CODE``, ``grid CODE``, ``worker WHO``: create or change one row; only the options given
  change (``worker --new NAME`` adds a worker). Every write is audited as ``cli:$USER``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from config.settings import Settings
from handlers.clock import SystemClock


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


def _fail(command: str, problems: list[str]) -> int:
    for problem in problems:
        sys.stderr.write(f"jiesu district {command}: {problem}\n")
    return 2


def describe(plan: Any) -> list[str]:
    """The preview a person reads: each added and changed row, then the counts."""
    lines = []
    for change in plan.changes:
        if change.action == "add":
            lines.append(f"+ {change.kind} {change.key}")
        elif change.action == "change":
            lines.append(f"~ {change.kind} {change.key}")
            for name, (before, after) in change.fields.items():
                if name == "boundary":
                    lines.append("    boundary: changed")
                else:
                    lines.append(f"    {name}: {before!r} -> {after!r}")
    counts = plan.counts()
    lines.append(f"{counts['add']} added, {counts['change']} changed, {counts['same']} left alone")
    return lines


async def _import(settings: Settings, paths: list[Path], apply: bool) -> tuple[Any, bool]:
    from bot.cli.users import cli_actor
    from handlers.district.applying import apply_plan
    from handlers.district.files import files_in, read_files
    from handlers.district.planning import plan_district
    from models.database import orm

    data = read_files(files_in(paths))
    async with orm(settings.database_url):
        plan = await plan_district(data)
        if apply and any(c.action != "same" for c in plan.changes):
            await apply_plan(plan, cli_actor(), SystemClock().now())
            return plan, True
    return plan, False


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.district.applying import DistrictConflict
    from handlers.district.records import DistrictProblem

    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        return _fail("import", [f"no such file or directory: {', '.join(missing)}"])
    try:
        plan, written = asyncio.run(_import(settings, args.paths, args.apply))
    except DistrictProblem as problem:
        return _fail("import", [*problem.problems, "nothing was written"])
    except DistrictConflict:
        return _fail("import", ["the organisation changed meanwhile; run the import again"])
    for line in describe(plan):
        _say(line)
    if written:
        _say("applied.")
    elif not args.apply:
        _say("preview only: nothing was written. Run again with --apply to write it.")
    return 0


async def _export(settings: Settings) -> dict[str, bytes]:
    from handlers.district.files import export_files
    from models.database import orm

    async with orm(settings.database_url):
        return await export_files()


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    files = asyncio.run(_export(settings))
    args.dir.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (args.dir / name).write_bytes(content)
        _say(f"wrote {args.dir / name}")
    return 0


async def _rows(settings: Settings, what: str) -> list[dict[str, Any]]:
    from handlers.district import planning
    from models.database import orm

    async with orm(settings.database_url):
        if what == "workers":
            return await planning.current_workers()
        views = await (planning.current_units() if what == "units" else planning.current_grids())
    rows = [{"code": code, **view} for code, view in sorted(views.items())]
    for row in rows:
        row.pop("boundary", None)
    return rows


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    rows = asyncio.run(_rows(settings, args.what))
    if args.json:
        _say(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for row in rows:
        key = row.get("code") or row["id"]
        extra = row.get("unit") or row.get("kind") or ""
        _say(f"{key}  {row['name']}  {extra}" + ("" if row["active"] else "  (inactive)"))
    if not rows:
        _say(f"no {args.what} yet; see `jiesu district import --help`")
    return 0


def _given(args: argparse.Namespace, names: tuple[str, ...]) -> dict[str, Any]:
    found = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
    for listed in ("supervisors", "compounds", "aliases", "grids"):
        if listed in found:
            found[listed] = [v.strip() for v in found[listed].split("|") if v.strip()]
    if getattr(args, "inactive", False):
        found["active"] = False
    if getattr(args, "active", False):
        found["active"] = True
    return found


async def _edit(settings: Settings, args: argparse.Namespace) -> str:
    from bot.cli.users import cli_actor
    from handlers.district import planning
    from handlers.district.applying import save_district
    from handlers.district.records import DistrictData, GridIn, UnitIn
    from models.database import orm

    async with orm(settings.database_url):
        data = DistrictData()
        if args.what == "unit":
            now = (await planning.current_units()).get(args.key, {"name": ""})
            row = {**now, **_given(args, UNIT_OPTIONS)}
            row.pop("id", None)
            row["supervisors"] = tuple(row.get("supervisors", ()))
            data.units.append(UnitIn(code=args.key, **row))
        elif args.what == "grid":
            now = (await planning.current_grids()).get(args.key, {"name": "", "street": ""})
            row = {**now, **_given(args, GRID_OPTIONS)}
            row.pop("id", None)
            if args.boundary_text is not None:
                row["boundary"] = json.loads(args.boundary_text)
            for listed in ("compounds", "aliases"):
                row[listed] = tuple(row.get(listed, ()))
            data.grids.append(GridIn(code=args.key, **row))
        else:
            data.workers.append(await _worker(args, planning))
        plan = await save_district(
            data, cli_actor(), SystemClock().now(), action=f"{args.what}.save"
        )
        return "\n".join(describe(plan))


async def _worker(args: argparse.Namespace, planning: Any) -> Any:
    from bot.cli.workers import find_worker
    from handlers.district.records import WorkerIn

    if args.new:
        row: dict[str, Any] = {"name": args.key}
        worker_id = None
    else:
        worker = await find_worker(args.key)
        worker_id = worker.id
        row = next(w for w in await planning.current_workers() if w["id"] == worker_id)
        row.pop("id")
    row.update(_given(args, WORKER_OPTIONS))
    row["grids"] = tuple(row.get("grids", ()))
    return WorkerIn(id=worker_id, new=args.new, **row)


def cmd_edit(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.workers import WorkerNotFound
    from handlers.district.applying import DistrictConflict
    from handlers.district.records import DistrictProblem

    try:
        boundary = getattr(args, "boundary", None)
        args.boundary_text = Path(boundary).read_text(encoding="utf-8") if boundary else None
        _say(asyncio.run(_edit(settings, args)))
    except DistrictProblem as problem:
        return _fail(args.what, [*problem.problems, "nothing was written"])
    except (WorkerNotFound, DistrictConflict, OSError, ValueError) as error:
        return _fail(args.what, [str(error)])
    return 0


UNIT_OPTIONS = ("name", "kind", "parent", "head", "supervisors", "phone", "street")
GRID_OPTIONS = ("name", "street", "unit", "compounds", "aliases")
WORKER_OPTIONS = ("name", "role", "unit", "grids", "phone", "wecom_userid", "openid")


def _options(parser: argparse.ArgumentParser, names: tuple[str, ...]) -> None:
    for name in names:
        listed = name in ("supervisors", "compounds", "aliases", "grids")
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            dest=name,
            default=None,
            help="several separated by |" if listed else None,
        )
    state = parser.add_mutually_exclusive_group()
    state.add_argument("--inactive", action="store_true", help="deactivate (nothing is deleted)")
    state.add_argument("--active", action="store_true", help="activate again")


def add_parser(commands: Any) -> None:
    district = commands.add_parser(
        "district", help="the organisation and map: import, export, units, grids, workers"
    )
    actions = district.add_subparsers(dest="district_command", required=True)

    imports = actions.add_parser("import", help="preview (or --apply) a district's files")
    imports.add_argument("paths", nargs="+", type=Path, help="a directory, or the files")
    imports.add_argument("--apply", action="store_true", help="write it, in one transaction")
    imports.set_defaults(func=cmd_import)

    export = actions.add_parser("export", help="write the district's files into DIR")
    export.add_argument("dir", type=Path)
    export.set_defaults(func=cmd_export)

    for what in ("units", "grids", "workers"):
        listing = actions.add_parser(what, help=f"print the {what}")
        listing.add_argument("--json", action="store_true", help="a JSON array")
        listing.set_defaults(func=cmd_list, what=what)

    unit = actions.add_parser("unit", help="create or change a unit")
    unit.add_argument("key", metavar="CODE")
    _options(unit, UNIT_OPTIONS)
    unit.set_defaults(func=cmd_edit, what="unit")

    grid = actions.add_parser("grid", help="create or change a grid")
    grid.add_argument("key", metavar="CODE")
    _options(grid, GRID_OPTIONS)
    grid.add_argument("--boundary", default=None, help="a file holding a GeoJSON geometry")
    grid.set_defaults(func=cmd_edit, what="grid")

    worker = actions.add_parser("worker", help="change a worker (or add one with --new NAME)")
    worker.add_argument("key", metavar="WHO", help="id, WeCom userid or name; with --new: name")
    worker.add_argument("--new", action="store_true", help="add a new worker called WHO")
    _options(worker, WORKER_OPTIONS)
    worker.set_defaults(func=cmd_edit, what="worker")
