"""The knowledge base as a spreadsheet: import (preview, then apply) and export, CSV or XLSX.

Columns (the first row names them, in any order; only ``question`` and ``answer`` are needed):
``code, question, variants, answer, links, mini_page, unit, policy, valid_from, valid_until,
category, scope, street, compound, status``. Lists (``variants``) are separated by ``|``, links
are ``title|url`` one a line, dates ``YYYY-MM-DD``, ``unit`` is a unit's code, ``status`` is
draft, published or retired (empty: keep it, new entries are drafts).

A row is the entry with its ``code``; without one, the entry with exactly its question; else a
new entry. :func:`plan_import` says what each row would do (add, change with the fields before
and after, same) and checks every row first: one problem refuses the whole file. Applying the
same file again changes nothing, so an export imported back is a no-op.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from handlers.knowledge.editing import create_entry, edit_entry, unit_codes
from handlers.knowledge.records import (
    CONTENT_FIELDS,
    EntryIn,
    KnowledgeProblem,
    content_given,
    content_of,
    differences,
    join_links,
    problems_of,
    split_links,
    split_list,
)
from handlers.staff.audit import StaffActor, audit
from handlers.staff.permissions import can
from models import EntryStatus, KnowledgeEntry, StaffUser, Unit

COLUMNS = ("code", *CONTENT_FIELDS, "status")  # the file's columns, in this order
REQUIRED = ("question", "answer")
MAX_ROWS = 20_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Control characters a worksheet cannot hold (openpyxl refuses them); a CSV keeps them.
_NOT_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def digest(name: str, data: bytes) -> str:
    return hashlib.sha256(name.lower().encode() + b"\x00" + data).hexdigest()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _raw_rows(name: str, data: bytes) -> list[list[Any]]:
    if name.lower().endswith(".xlsx"):
        from openpyxl import load_workbook  # only when a spreadsheet is given

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a file that is not a workbook
            raise KnowledgeProblem([f"{name}：不是有效的 XLSX 文件"]) from None
        try:
            rows = []
            for row in book.worksheets[0].iter_rows(values_only=True):
                rows.append(list(row)[:40])
                if len(rows) > MAX_ROWS + 1:
                    raise KnowledgeProblem([f"{name}：超过 {MAX_ROWS} 行"])
            return rows
        finally:
            book.close()
    if not name.lower().endswith(".csv"):
        raise KnowledgeProblem([f"{name}：只接受 .csv 或 .xlsx 文件"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise KnowledgeProblem([f"{name}：不是 UTF-8 编码的 CSV"]) from None
    try:
        return [list(row) for row in csv.reader(io.StringIO(text))]
    except csv.Error:
        raise KnowledgeProblem([f"{name}：CSV 格式不正确"]) from None


def _date(value: str, where: str, problems: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        problems.append(f"{where}：日期须为 YYYY-MM-DD（{value}）")
        return None


def read_entries(name: str, data: bytes) -> list[EntryIn]:
    """The rows of a CSV or XLSX file as entries. Raises :class:`KnowledgeProblem`."""
    raw = [row for row in _raw_rows(name, data) if any(_cell(c) for c in row)]
    if len(raw) > MAX_ROWS + 1:
        raise KnowledgeProblem([f"{name}：超过 {MAX_ROWS} 行"])
    if not raw:
        raise KnowledgeProblem([f"{name}：文件是空的"])
    header = [_cell(c).lower() for c in raw[0]]
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise KnowledgeProblem([f"{name}：缺少列 {', '.join(missing)}（第一行须为列名）"])
    entries: list[EntryIn] = []
    problems: list[str] = []
    for number, row in enumerate(raw[1:], start=2):
        where = f"{name} 第 {number} 行"
        values = {column: _cell(row[i]) if i < len(row) else "" for i, column in enumerate(header)}
        entries.append(
            EntryIn(
                code=values.get("code", ""),
                question=values.get("question", ""),
                variants=split_list(values.get("variants", "")),
                answer=values.get("answer", ""),
                links=split_links(values.get("links", "")),
                mini_page=values.get("mini_page", ""),
                unit=values.get("unit", ""),
                policy=values.get("policy", ""),
                valid_from=_date(values.get("valid_from", ""), where, problems),
                valid_until=_date(values.get("valid_until", ""), where, problems),
                category=values.get("category", ""),
                scope=values.get("scope", "") or "district",
                street=values.get("street", ""),
                compound=values.get("compound", ""),
                status=values.get("status", "").lower(),
                where=where,
            )
        )
    if problems:
        raise KnowledgeProblem(problems)
    return entries


@dataclass(frozen=True)
class RowPlan:
    given: EntryIn
    entry_id: int | None  # None: a new entry
    action: str  # add | change | same
    fields: dict[str, list[Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportPlan:
    rows: list[RowPlan]

    def counts(self) -> dict[str, int]:
        found = {"add": 0, "change": 0, "same": 0}
        for row in self.rows:
            found[row.action] += 1
        return found


async def plan_import(given: list[EntryIn], user: StaffUser | None) -> ImportPlan:
    """What the rows would change; every row checked. Raises :class:`KnowledgeProblem`."""
    problems: list[str] = []
    units = {unit.code: unit.id for unit in await Unit.all()}
    codes = await unit_codes()
    by_code = {entry.code: entry for entry in await KnowledgeEntry.all()}
    by_question = {entry.question: entry for entry in by_code.values()}
    seen: set[str] = set()
    rows: list[RowPlan] = []
    reviewer = user is None or can(user, "knowledge.publish")
    for row in given:
        found = problems_of(row)
        if row.unit and row.unit not in units:
            found.append(f"{row.where}：没有编号为 {row.unit} 的单位")
        key = row.code or row.question.strip()
        if key in seen:
            found.append(f"{row.where}：与前面的行是同一条目（{key}）")
        seen.add(key)
        if row.status and row.status != EntryStatus.DRAFT and not reviewer:
            found.append(f"{row.where}：发布或下线须由审核人员操作")
        problems.extend(found)
        if found:
            continue
        entry = by_code.get(row.code) if row.code else by_question.get(row.question.strip())
        if entry is None:
            rows.append(RowPlan(row, None, "add"))
            continue
        after = content_given(row)
        changed = differences(content_of(entry, codes.get(entry.unit_id or 0, "")), after)
        status = EntryStatus(entry.status).value
        if row.status and row.status != status:
            changed["status"] = [status, row.status]
        rows.append(RowPlan(row, entry.id, "change" if changed else "same", changed))
    if problems:
        raise KnowledgeProblem(problems)
    return ImportPlan(rows)


async def apply_import(
    plan: ImportPlan, user: StaffUser | None, actor: StaffActor | None, now: datetime
) -> dict[str, int]:
    """Write the plan's adds and changes (each its own version, named ``import``)."""
    for row in plan.rows:
        if row.action == "add":
            entry = await create_entry(row.given, user, actor, now)
            if row.given.status and row.given.status != EntryStatus.DRAFT:
                await edit_entry(entry.id, row.given, user, actor, now, action="import")
        elif row.action == "change" and row.entry_id is not None:
            await edit_entry(row.entry_id, row.given, user, actor, now, action="import")
    counts = plan.counts()
    if actor is not None:
        await audit(actor, "knowledge.import", now, target_type="knowledge", detail=counts)
    return counts


async def export_rows() -> list[dict[str, str]]:
    codes = await unit_codes()
    rows = []
    for entry in await KnowledgeEntry.all().order_by("code"):
        content = content_of(entry, codes.get(entry.unit_id or 0, ""))
        rows.append(
            {
                **{k: str(v or "") for k, v in content.items()},
                "code": entry.code,
                "variants": "|".join(entry.variants),
                "links": join_links(entry.links),
                "status": EntryStatus(entry.status).value,
            }
        )
    return rows


async def export_file(kind: str) -> bytes:
    """Every entry as ``csv`` or ``xlsx``, in the columns :func:`read_entries` reads."""
    rows = await export_rows()
    if kind == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("knowledge")
        sheet.append(list(COLUMNS))
        for row in rows:
            sheet.append([_NOT_IN_XLSX.sub("", row.get(column, "")) for column in COLUMNS])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.get(column, "") for column in COLUMNS])
    return text.getvalue().encode("utf-8")


def demo_file(path: Path) -> bytes | None:
    """The demo district's ``knowledge.csv``, if it is there."""
    return path.read_bytes() if path.is_file() else None


async def load_demo_knowledge(data: bytes | None, now: datetime) -> int:
    """The demo district's entries (``knowledge.csv`` beside its district files): those whose
    code is not there yet are added; an entry changed since on the dashboard is left alone."""
    if data is None:
        return 0
    plan = await plan_import(read_entries("knowledge.csv", data), None)
    new = ImportPlan([row for row in plan.rows if row.action == "add"])
    await apply_import(new, None, None, now)
    return len(new.rows)
