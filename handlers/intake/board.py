"""Messages of a public message board (领导留言板) brought in with their votes.

A district whose residents also write on a message board brings those messages in (the admin
API ``POST /api/admin/board/messages``, or ``jiesu board import FILE.csv``): each becomes a case
through intake, with channel ``board``, from a resident of app ``board`` whose openid is
``board:<the board's user id>`` (the same writer is one resident). The board's message id is kept
(``Case.source_ref`` = ``board:<id>``), so bringing a message again makes no second case: it
updates the case's votes (点赞 / 反对), which the hot issues' heat counts (``config/hot.py``).
Two imports of one message at once make one case (the unique ``source_ref``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from handlers.context import HandlerContext
from handlers.intake.report import report_case
from models import Case, Resident, ResidentApp

CHANNEL = "board"
REF_PREFIX = "board:"
MAX_REF = 40  # Case.source_ref holds 64 with the prefix
MAX_USER = 40  # Resident.openid holds 64 with the prefix
MAX_TITLE = 200
MAX_VOTES = 10**9
MAX_MESSAGES = 500  # one request or file
_ID = re.compile(r"^[0-9A-Za-z_.\-]+$")
# The board's columns, as its export names them (Chinese) or as our API does (English).
COLUMNS = {
    "ref": ("ref", "留言编号"),
    "user": ("user", "留言用户"),
    "title": ("title", "留言主题"),
    "text": ("text", "留言详情"),
    "up": ("up", "点赞数"),
    "down": ("down", "反对数"),
}


class BoardProblem(ValueError):
    """Messages that cannot be brought in; ``problems`` says which and why. Nothing is stored."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("；".join(problems[:5]))
        self.problems = problems


@dataclass(frozen=True)
class BoardMessage:
    ref: str
    user: str
    title: str
    text: str
    up: int = 0
    down: int = 0

    @property
    def words(self) -> str:
        return f"{self.title}\n{self.text}" if self.title else self.text


@dataclass
class BoardImport:
    created: list[str] = field(default_factory=list)  # case numbers made
    updated: list[str] = field(default_factory=list)  # case numbers whose votes changed
    unchanged: list[str] = field(default_factory=list)  # case numbers brought again as they were

    def as_dict(self) -> dict[str, list[str]]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def _votes(value: object, where: str, problems: list[str]) -> int:
    text = str(value if value is not None else "").strip() or "0"
    if not text.isdigit() or int(text) > MAX_VOTES:
        problems.append(f"{where}：票数须为 0 到 {MAX_VOTES} 的整数")
        return 0
    return int(text)


def _column(row: Mapping[str, object], name: str) -> object:
    return next((row[key] for key in COLUMNS[name] if key in row), None)


def read_messages(rows: Iterable[Mapping[str, object]], max_chars: int) -> list[BoardMessage]:
    """Rows of the board's export (or the API's objects) checked; :class:`BoardProblem` names
    every row that is wrong, and then none is taken."""
    problems: list[str] = []
    messages: list[BoardMessage] = []
    seen: set[str] = set()
    for n, row in enumerate(rows, start=1):
        if n > MAX_MESSAGES:
            raise BoardProblem([f"一次最多导入 {MAX_MESSAGES} 条留言"])
        where = f"第 {n} 条"
        ref, user = (str(_column(row, k) or "").strip() for k in ("ref", "user"))
        title = str(_column(row, "title") or "").strip()
        text = str(_column(row, "text") or "").strip()
        for label, value, limit in (("留言编号", ref, MAX_REF), ("留言用户", user, MAX_USER)):
            if not value or len(value) > limit or not _ID.match(value):
                problems.append(f"{where}：{label}须为 1 到 {limit} 个字母、数字或 _-.")
        if ref in seen:
            problems.append(f"{where}：留言编号 {ref} 在本次导入中重复")
        seen.add(ref)
        if not text and not title:
            problems.append(f"{where}：留言内容为空")
        if len(title) > MAX_TITLE or len(text) > max_chars or "\x00" in title + text:
            problems.append(f"{where}：主题不超过 {MAX_TITLE} 字、详情不超过 {max_chars} 字")
        up = _votes(_column(row, "up"), where, problems)
        down = _votes(_column(row, "down"), where, problems)
        messages.append(BoardMessage(ref, user, title, text, up, down))
    if problems:
        raise BoardProblem(problems)
    return messages


async def _again(message: BoardMessage, case: Case, done: BoardImport) -> None:
    if (case.votes_up, case.votes_down) == (message.up, message.down):
        done.unchanged.append(case.number)
        return
    await Case.filter(id=case.id).update(votes_up=message.up, votes_down=message.down)
    done.updated.append(case.number)


async def _bring(message: BoardMessage, ctx: HandlerContext, done: BoardImport) -> None:
    source = f"{REF_PREFIX}{message.ref}"
    existing = await Case.get_or_none(source_ref=source)
    if existing is not None:
        await _again(message, existing, done)
        return
    try:
        async with in_transaction():
            resident, _ = await Resident.get_or_create(
                openid=f"{REF_PREFIX}{message.user}", defaults={"app": ResidentApp.BOARD}
            )
            report = await report_case(resident, message.words, ctx, channel=CHANNEL)
            await Case.filter(id=report.case.id).update(
                source_ref=source, votes_up=message.up, votes_down=message.down
            )
        done.created.append(report.case.number)
    except IntegrityError:  # the same message brought in at the same moment elsewhere
        existing = await Case.get_or_none(source_ref=source)
        if existing is None:
            raise
        await _again(message, existing, done)


async def import_messages(messages: Iterable[BoardMessage], ctx: HandlerContext) -> BoardImport:
    """Bring the messages in, each once (see the module)."""
    done = BoardImport()
    for message in messages:
        await _bring(message, ctx, done)
    return done
