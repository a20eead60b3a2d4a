"""``jiesu work``: be a worker in the terminal, handling cases through the worker API.

A separate command rather than ``jiesu chat --as-worker``: the worker is another person with
another way in (a bearer token on ``/api/worker/``, not signed WeChat XML), other commands and
another prompt, and the trial wants both at once, in two terminals beside ``jiesu serve --demo``:
the resident reports in one, the worker signs (签收), contacts (先行联系), records progress and
finishes (办结) in the other, and the resident's terminal shows the notices as they go out.

Against ``jiesu serve --demo`` the token comes by itself: the sandbox endpoint issues one for a
demo worker, proved with the development token the chat uses too (``bot.api.sandbox``). By
default that is 王芳 (wangfang), the grid worker of 国权路网格 (WJC-01), where the README's
walk-through (国权路小区) lands; ``/as NAME`` plays another. Against any other service pass a
token from ``jiesu workers token NAME`` with ``--worker-token``.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

import aiohttp

from bot.api.sandbox_proof import WORKER_TOKEN_ACTION, WORKER_TOKEN_PATH
from bot.cli.sandbox_client import TIMEOUT, SandboxRefused, call_sandbox, service_root
from config.lexicon import KIND_LABELS
from handlers.clock import local

PROMPT = "工作人员> "
DEFAULT_WORKER = "wangfang"
API = "/api/worker"
TIMELINE_SHOWN = 8

HELP = """Commands (NUMBER is a case number such as 2612070001):
  /tasks [all]               the cases on your desk (all: every status)
  /show NUMBER               a case: words, deadlines, timeline, what you may do now
  /sign NUMBER               签收: take the case on
  /contact NUMBER [WORDS]    先行联系 by phone (/contact NUMBER visit WORDS: by visit;
                             message WORDS: by message)
  /progress NUMBER WORDS     record 办理进展
  /finish NUMBER WORDS       办结, WORDS being the result the resident reads
  /return NUMBER REASON      退单: ask the centre to take a wrongly routed case back
  /as NAME                   play another demo worker (name or WeCom userid)
  /who                       the demo district's workers
  /help  /quit
"""

ACTION_LABELS = {
    "sign": "签收 (/sign)",
    "contact": "先行联系 (/contact)",
    "progress": "办理进展 (/progress)",
    "finish": "办结 (/finish)",
    "return": "退单 (/return)",
    "extension": "申请延期 (worker API)",
}
DEADLINE_LABELS = {"sign": "签收", "first_contact": "先行联系", "completion": "办结"}
CONTACT_METHODS = ("phone", "visit", "message")
# command -> (needs words, worker-API action)
CASE_COMMANDS = {
    "/show": (False, ""),
    "/sign": (False, "sign"),
    "/contact": (False, "contact"),
    "/progress": (True, "progress"),
    "/finish": (True, "finish"),
    "/return": (True, "return"),
}


@dataclass(frozen=True)
class Command:
    name: str
    number: str = ""
    words: str = ""


def parse(line: str) -> Command | None:
    """A typed line as a command, or None if it is not one (the help is shown)."""
    name, _, rest = line.strip().partition(" ")
    rest = rest.strip()
    if name in ("/tasks", "/who", "/help", "/quit", "/exit"):
        return Command(name, words=rest)
    if name == "/as":
        return Command(name, words=rest) if rest else None
    if name in CASE_COMMANDS:
        number, _, words = rest.partition(" ")
        needs_words, _ = CASE_COMMANDS[name]
        if not number or (needs_words and not words.strip()):
            return None
        return Command(name, number, words.strip())
    return None


def request_of(command: Command) -> tuple[str, str, dict[str, Any] | None]:
    """(method, path under /api/worker, JSON body) of a case command."""
    path = f"/cases/{command.number}"
    if command.name == "/show":
        return "GET", path, None
    action = CASE_COMMANDS[command.name][1]
    body: dict[str, Any] | None = None
    if action == "contact":
        method, _, note = command.words.partition(" ")
        if method not in CONTACT_METHODS:
            method, note = "phone", command.words
        body = {"method": method, "note": note.strip() or "已电话联系居民"}
    elif action == "progress":
        body = {"text": command.words}
    elif action == "finish":
        body = {"result": command.words}
    elif action == "return":
        body = {"reason": command.words}
    return "POST", f"{path}/{action}", body


# Showing answers


def when(value: Any) -> str:
    if not value:
        return "-"
    try:
        return local(datetime.fromisoformat(str(value))).strftime("%m-%d %H:%M")
    except ValueError:
        return str(value)


def named(value: Any) -> str:
    return str(value.get("name")) if isinstance(value, dict) and value.get("name") else "-"


def deadline(summary: dict[str, Any]) -> str:
    upcoming = summary.get("next_deadline")
    if not isinstance(upcoming, dict):
        return ""
    kind = DEADLINE_LABELS.get(str(upcoming.get("kind")), str(upcoming.get("kind")))
    late = "，已超期" if summary.get("overdue") else ""
    return f"{kind}期限 {when(upcoming.get('at'))}{late}"


def show_tasks(body: dict[str, Any]) -> str:
    tasks = body.get("tasks") or []
    if not tasks:
        return "没有待办的诉求。（/tasks all 看全部）"
    lines = [f"共 {body.get('total', len(tasks))} 件："]
    for task in tasks:
        place = task.get("place") or "地点未知"
        lines.append(
            f"  {task['number']}  {task.get('status_label', '')}  {task.get('category', '')}  "
            f"{place}  {deadline(task)}".rstrip()
        )
        lines.append(f"      {task.get('title', '')}")
    if body.get("has_more"):
        lines.append("  ……（更多请用工作台）")
    return "\n".join(lines)


def show_actions(case: dict[str, Any]) -> str:
    actions = [ACTION_LABELS.get(a, a) for a in case.get("actions") or []]
    return "现在可以：" + "、".join(actions) if actions else "您现在不能办理此诉求。"


def show_case(case: dict[str, Any]) -> str:
    phone = case.get("contact_phone") or "-"
    if case.get("contact_phone_masked"):
        phone += "（签收后可见）"
    lines = [
        f"诉求 {case['number']}  {case.get('status_label', '')}  "
        f"{KIND_LABELS.get(str(case.get('kind')), case.get('kind', ''))}  "
        f"{case.get('category', '')}  {case.get('urgency', '')}",
        f"  内容：{case.get('text', '')}",
        f"  地点：{case.get('place') or '-'}    联系电话：{phone}",
        f"  承办：{named(case.get('unit'))}  网格：{named(case.get('grid'))}  "
        f"经办人：{named(case.get('worker'))}",
        f"  期限：签收 {when(case.get('sign_due_at'))}  先行联系 "
        f"{when(case.get('first_contact_due_at'))}  办结 {when(case.get('completion_due_at'))}",
    ]
    if case.get("result"):
        lines.append(f"  办理结果：{case['result']}")
    timeline = case.get("timeline") or []
    if timeline:
        lines.append("  过程：")
        for event in timeline[-TIMELINE_SHOWN:]:
            lines.append(
                f"    {when(event.get('at'))}  {event.get('action_label', '')}  "
                f"{event.get('actor', '')}  {event.get('note', '')}".rstrip()
            )
    lines.append("  " + show_actions(case))
    return "\n".join(lines)


def show_acted(command: Command, body: dict[str, Any]) -> str:
    case = body.get("case")
    if not isinstance(case, dict):
        return f"已办理 {command.number}；此诉求已不在您的视野内。"
    label = case.get("status_label", "")
    asked = f"{body['message']}。" if body.get("message") else ""  # 退单: 已提交，待中心审核
    return f"{asked}诉求 {case['number']} 现为{label}。{show_actions(case)}"


def show_error(status: int, body: Any) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    hint = ""
    if status == 403:
        hint = "\n  （别的网格或单位的诉求？/who 列出演示人员，/as 姓名 换人）"
    return f"[{status}] {message or body}{hint}"


def show_workers(workers: list[dict[str, Any]]) -> str:
    lines = ["演示人员（/as 姓名 或账号）："]
    for person in workers:
        where = person.get("grid") or person.get("unit") or "-"
        lines.append(f"  {person['name']}（{person.get('userid')}）  {person['role']}  {where}")
    return "\n".join(lines)


# The session


@dataclass
class WorkSession:
    """One worker's way into the worker API, and how to become another demo worker."""

    session: aiohttp.ClientSession
    root: str
    mp_token: str = ""
    worker_token: str = ""
    name: str = ""
    workers: list[dict[str, Any]] = field(default_factory=list)

    async def become(self, who: str) -> str:
        """Take a demo worker's token from the sandbox; what to tell the user."""
        body = await call_sandbox(
            self.session,
            self.root,
            self.mp_token,
            "POST",
            WORKER_TOKEN_PATH,
            WORKER_TOKEN_ACTION,
            {"worker": who},
        )
        if not isinstance(body, dict) or "token" not in body:
            return show_error(404, body)
        self.worker_token = body["token"]
        worker = body["worker"]
        self.name = worker["name"]
        self.workers = body.get("workers") or []
        where = worker.get("grid") or worker.get("unit") or "-"
        return f"您现在是 {worker['name']}（{worker['role']}，{where}）。"

    async def api(self, method: str, path: str, body: dict[str, Any] | None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.worker_token}"}
        async with self.session.request(
            method, self.root + API + path, json=body, headers=headers, timeout=TIMEOUT
        ) as response:
            if response.content_type == "application/json":
                return response.status, await response.json()
            return response.status, (await response.text()).strip()

    async def run(self, command: Command) -> str:
        """What the command does, as the terminal shows it."""
        if command.name == "/who":
            return show_workers(self.workers) if self.workers else "只有演示模式能列出人员。"
        if command.name == "/as":
            return await self.become(command.words)
        if command.name == "/tasks":
            query = "?status=all" if command.words == "all" else ""
            status, body = await self.api("GET", f"/tasks{query}", None)
            return show_tasks(body) if status == 200 else show_error(status, body)
        method, path, payload = request_of(command)
        status, body = await self.api(method, path, payload)
        if status != 200:
            return show_error(status, body)
        return show_case(body) if command.name == "/show" else show_acted(command, body)


async def run_work(
    url: str, mp_token: str, who: str, *, worker_token: str = "", out: TextIO | None = None
) -> int:
    out = out or sys.stdout
    root = service_root(url)
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as session:
        work = WorkSession(session, root, mp_token, worker_token)
        try:
            greeting = "您以令牌登录。" if worker_token else await work.become(who)
        except SandboxRefused as refused:
            sys.stderr.write(f"jiesu work: {refused}; or pass --worker-token\n")
            return 2
        except aiohttp.ClientError as exc:
            sys.stderr.write(f"jiesu work: cannot reach {root}: {exc}; is `jiesu serve` up?\n")
            return 2
        out.write(f"jiesu work — a worker, talking to {root}\n{greeting}\n{HELP}\n")
        while True:
            out.write(PROMPT)
            out.flush()
            raw = await loop.run_in_executor(None, sys.stdin.readline)
            if not raw:
                return 0
            line = raw.strip()
            if not line:
                continue
            command = parse(line)
            if command is None or command.name == "/help":
                out.write(HELP)
                continue
            if command.name in ("/quit", "/exit"):
                return 0
            try:
                out.write(await work.run(command) + "\n\n")
            except (SandboxRefused, aiohttp.ClientError) as problem:
                out.write(f"[{problem}]\n\n")
