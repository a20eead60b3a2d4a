"""A district in the files it already has: ``grids.geojson``, ``units.csv|xlsx``,
``workers.csv|xlsx``, ``places.csv|xlsx`` and ``stations.csv|xlsx`` (the suggestion stations,
人民建议征集联系点; columns in README, "Setting up a district").

:func:`read_files` turns their bytes into a :class:`DistrictData` (any subset of them; a
problem names the file and row, or the feature index and code); :func:`export_files` writes the
database back in the same form, so an export imported again changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from handlers.district.geometry import boundary_to_geojson
from handlers.district.planning import current_grids, current_places, current_units, current_workers
from handlers.district.records import (
    DistrictData,
    DistrictProblem,
    GridIn,
    PlaceIn,
    StationIn,
    UnitIn,
    WorkerIn,
    names,
)
from handlers.district.stations import current_stations

UNIT_COLUMNS = (
    "code",
    "name",
    "kind",
    "parent",
    "head",
    "supervisors",
    "phone",
    "street",
    "active",
)
WORKER_COLUMNS = ("name", "role", "unit", "grids", "phone", "wecom_userid", "openid", "active")
PLACE_COLUMNS = ("name", "kind", "street", "grid", "aliases", "active")
GRID_PROPERTIES = ("code", "name", "street", "unit", "compounds", "aliases", "active")
STATION_COLUMNS = ("code", "name", "kind", "street", "unit", "contact", "active")
TABLES = {
    "units": UNIT_COLUMNS,
    "workers": WORKER_COLUMNS,
    "places": PLACE_COLUMNS,
    "stations": STATION_COLUMNS,
}
REQUIRED = {
    "units": ("code", "name"),
    "workers": ("name",),
    "places": ("name", "kind"),
    "stations": ("code", "name"),
}
KNOWN_FILES = ("grids.geojson", *(f"{t}.{e}" for t in TABLES for e in ("csv", "xlsx")))
NO = {"0", "false", "no", "n", "否", "停用", "inactive"}
MAX_ROWS = 100_000  # per file: far beyond a district, short of a spreadsheet bomb


def digest(files: Mapping[str, bytes]) -> str:
    """One hash of every file's name and content: the preview's, checked again on confirm."""
    hashed = hashlib.sha256()
    for name in sorted(files):
        hashed.update(name.encode() + b"\x00" + hashlib.sha256(files[name]).digest())
    return hashed.hexdigest()


def files_in(paths: Iterable[Path]) -> dict[str, bytes]:
    """The district files at ``paths`` (files, or directories holding them), by file name."""
    found: dict[str, bytes] = {}
    for path in paths:
        candidates = sorted(path.iterdir()) if path.is_dir() else [path]
        for candidate in candidates:
            if candidate.name.lower() in KNOWN_FILES:
                found[candidate.name.lower()] = candidate.read_bytes()
            elif not path.is_dir():
                raise DistrictProblem(
                    [f"{candidate.name}：不认识的文件（可用：{', '.join(KNOWN_FILES)}）"]
                )
    if not found:
        raise DistrictProblem([f"没有找到区划文件（{', '.join(KNOWN_FILES)}）"])
    return found


def _active(value: Any) -> bool:
    return str(value).strip().lower() not in NO if value not in (None, "") else True


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone number Excel stored as a number
    return str(value).strip()


def _rows(name: str, data: bytes, table: str) -> list[tuple[str, dict[str, str]]]:
    if name.endswith(".xlsx"):
        raw = _xlsx_rows(name, data)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DistrictProblem([f"{name}：不是 UTF-8 编码的 CSV"]) from None
        raw = [list(row) for row in csv.reader(io.StringIO(text))]
    raw = [row for row in raw if any(_cell(c) for c in row)]
    if len(raw) > MAX_ROWS:
        raise DistrictProblem([f"{name}：超过 {MAX_ROWS} 行"])
    if not raw:
        return []
    header = [_cell(c).lower() for c in raw[0]]
    missing = [c for c in REQUIRED[table] if c not in header]
    if missing:
        raise DistrictProblem([f"{name}：缺少列 {', '.join(missing)}（第一行须为列名）"])
    rows = []
    for number, row in enumerate(raw[1:], start=2):
        values = {column: _cell(row[i]) if i < len(row) else "" for i, column in enumerate(header)}
        rows.append((f"{name} 第 {number} 行", values))
    return rows


def _xlsx_rows(name: str, data: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook  # only when a spreadsheet is given

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise DistrictProblem([f"{name}：不是有效的 XLSX 文件"]) from None
    try:
        sheet = book.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(list(row)[:50])
            if len(rows) > MAX_ROWS:
                raise DistrictProblem([f"{name}：超过 {MAX_ROWS} 行"])
        return rows
    finally:
        book.close()


def _grids(name: str, data: bytes) -> list[GridIn]:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise DistrictProblem([f"{name}：不是有效的 GeoJSON（JSON）"]) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise DistrictProblem([f"{name}：须为 GeoJSON FeatureCollection"])
    features = document.get("features")
    if not isinstance(features, list):
        raise DistrictProblem([f"{name}：features 须为列表"])
    if len(features) > MAX_ROWS:
        raise DistrictProblem([f"{name}：超过 {MAX_ROWS} 个要素"])
    grids, problems = [], []
    for index, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, dict) else None
        props = props if isinstance(props, dict) else {}
        code = _cell(props.get("code"))
        where = f"{name} 第 {index} 个要素（code {code or '缺失'}）"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append(f"{where}：须为 GeoJSON Feature")
            continue
        grids.append(
            GridIn(
                code=code,
                name=_cell(props.get("name")),
                street=_cell(props.get("street")),
                unit=_cell(props.get("unit")),
                compounds=names(props.get("compounds")),
                aliases=names(props.get("aliases")),
                boundary=feature.get("geometry"),
                active=_active(props.get("active")),
                where=where,
            )
        )
    if problems:
        raise DistrictProblem(problems)
    return grids


def read_files(files: Mapping[str, bytes]) -> DistrictData:
    """The district the files describe. Raises :class:`DistrictProblem`."""
    data = DistrictData()
    for name, content in sorted(files.items()):
        lower = name.lower()
        if lower == "grids.geojson":
            data.grids = _grids(name, content)
            continue
        table = lower.rsplit(".", 1)[0]
        if table not in TABLES or lower not in KNOWN_FILES:
            raise DistrictProblem([f"{name}：不认识的文件（可用：{', '.join(KNOWN_FILES)}）"])
        for where, row in _rows(name, content, table):
            if table == "units":
                data.units.append(
                    UnitIn(
                        code=row["code"],
                        name=row["name"],
                        kind=row.get("kind") or "department",
                        parent=row.get("parent", ""),
                        head=row.get("head", ""),
                        supervisors=names(row.get("supervisors")),
                        phone=row.get("phone", ""),
                        street=row.get("street", ""),
                        active=_active(row.get("active")),
                        where=where,
                    )
                )
            elif table == "workers":
                data.workers.append(
                    WorkerIn(
                        name=row["name"],
                        role=row.get("role") or "unit_staff",
                        unit=row.get("unit", ""),
                        grids=names(row.get("grids")),
                        phone=row.get("phone", ""),
                        wecom_userid=row.get("wecom_userid", ""),
                        openid=row.get("openid", ""),
                        active=_active(row.get("active")),
                        where=where,
                    )
                )
            elif table == "stations":
                data.stations.append(_station(row, where))
            else:
                data.places.append(
                    PlaceIn(
                        name=row["name"],
                        kind=row["kind"],
                        street=row.get("street", ""),
                        grid=row.get("grid", ""),
                        aliases=names(row.get("aliases")),
                        active=_active(row.get("active")),
                        where=where,
                    )
                )
    return data


def _station(row: dict[str, str], where: str) -> StationIn:
    return StationIn(
        code=row["code"],
        name=row["name"],
        kind=row.get("kind") or "station",
        street=row.get("street", ""),
        unit=row.get("unit") or row.get("unit_code", ""),  # unit_code: the name people expect
        contact=row.get("contact", ""),
        active=_active(row.get("active")),
        where=where,
    )


def _csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_out(row.get(column, "")) for column in columns])
    return out.getvalue().encode("utf-8")


def _out(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    return str(value)


async def export_files() -> dict[str, bytes]:
    """The database's district as its files (CSV), by file name."""
    units = await current_units()
    grids = await current_grids()
    features = [
        {
            "type": "Feature",
            "properties": {
                "code": code,
                **{k: view[k] for k in GRID_PROPERTIES if k not in ("code",)},
            },
            "geometry": boundary_to_geojson(view["boundary"]),
        }
        for code, view in sorted(grids.items())
    ]
    collection = {"type": "FeatureCollection", "features": features}
    places = await current_places()
    place_rows = [
        {"name": key.split(":", 1)[1], "kind": key.split(":", 1)[0], **view}
        for key, view in sorted(places.items())
    ]
    return {
        "units.csv": _csv(
            UNIT_COLUMNS, [{"code": code, **view} for code, view in sorted(units.items())]
        ),
        "grids.geojson": (json.dumps(collection, ensure_ascii=False, indent=1) + "\n").encode(),
        "workers.csv": _csv(WORKER_COLUMNS, await current_workers()),
        "places.csv": _csv(PLACE_COLUMNS, place_rows),
        "stations.csv": _csv(
            STATION_COLUMNS,
            [{"code": code, **view} for code, view in (await current_stations()).items()],
        ),
    }
