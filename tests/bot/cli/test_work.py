"""``jiesu work``: commands typed as a worker, the worker API's answers shown readably."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.cli.main import build_parser
from bot.cli.sandbox_client import SandboxRefused
from bot.cli.work import Command, WorkSession, parse, request_of, run_work, show_tasks
from handlers.clock import ManualClock
from handlers.district.setup import load_demo_district
from tests.bot.conftest import Resident
from tests.conftest import TEST_TOKEN, make_settings

START = datetime(2026, 3, 10, 1, 30, tzinfo=UTC)  # Tuesday 09:30 in Shanghai


def test_commands_are_parsed() -> None:
    assert parse("/sign 2603100001") == Command("/sign", "2603100001")
    assert parse("/finish 2603100001 路灯已修复 换了灯泡") == Command(
        "/finish", "2603100001", "路灯已修复 换了灯泡"
    )
    assert parse("/finish 2603100001") is None  # a result is needed
    assert parse("/progress") is None
    assert parse("/as") is None
    assert parse("/tasks all") == Command("/tasks", words="all")
    assert parse("签收") is None


def test_requests_are_what_the_worker_api_takes() -> None:
    assert request_of(Command("/show", "1")) == ("GET", "/cases/1", None)
    assert request_of(Command("/sign", "1")) == ("POST", "/cases/1/sign", None)
    assert request_of(Command("/contact", "1", "已电话联系居民")) == (
        "POST",
        "/cases/1/contact",
        {"method": "phone", "note": "已电话联系居民"},
    )
    assert request_of(Command("/contact", "1", "visit 上门查看")) == (
        "POST",
        "/cases/1/contact",
        {"method": "visit", "note": "上门查看"},
    )
    assert request_of(Command("/contact", "1"))[2] == {"method": "phone", "note": "已电话联系居民"}
    assert request_of(Command("/finish", "1", "已修复"))[2] == {"result": "已修复"}
    assert request_of(Command("/return", "1", "不属本单位"))[2] == {"reason": "不属本单位"}


def test_an_empty_desk_says_so() -> None:
    assert "没有待办" in show_tasks({"tasks": [], "total": 0})


def test_the_command_is_registered() -> None:
    args = build_parser().parse_args(["work", "--as", "zhangmin"])
    assert args.who == "zhangmin" and args.url == "http://127.0.0.1:8080"


async def demo(db_url: str, aiohttp_client: Any, demo: bool = True) -> tuple[TestClient, str]:
    settings = make_settings(db_url, demo=demo)
    client: TestClient = await aiohttp_client(create_app(settings, ManualClock(START)))
    await load_demo_district()
    return client, str(client.make_url("")).rstrip("/")


async def test_another_grids_case_is_refused_with_a_hint(db_url: str, aiohttp_client: Any) -> None:
    client, root = await demo(db_url, aiohttp_client)
    reply = await Resident(client, "o-work-1").say("开鲁新村门口垃圾没人清运，臭气熏天")
    found = re.search(r"\d{10}", reply)
    assert found, reply
    number = found.group(0)
    work = WorkSession(client.session, root, TEST_TOKEN)
    await work.become("wangfang")  # 国权路网格: not 开鲁新村
    refused = await work.run(Command("/sign", number))
    assert refused.startswith("[403]") and "/as" in refused
    listing = await work.run(Command("/who"))
    assert "张敏（zhangmin）" in listing
    assert "张敏" in await work.run(Command("/as", words="zhangmin"))
    assert number in await work.run(Command("/tasks"))
    assert "已签收" in await work.run(Command("/sign", number))


async def test_an_unknown_worker_is_told_with_the_choice(db_url: str, aiohttp_client: Any) -> None:
    client, root = await demo(db_url, aiohttp_client)
    work = WorkSession(client.session, root, TEST_TOKEN)
    told = await work.become("nobody")
    assert "没有这位工作人员" in told and "王芳（wangfang）" in told


async def test_no_demo_no_worker_token(db_url: str, aiohttp_client: Any) -> None:
    client, root = await demo(db_url, aiohttp_client, demo=False)
    work = WorkSession(client.session, root, TEST_TOKEN)
    told = await work.become("wangfang")
    assert "[404]" in told and "jiesu serve --demo" in told
    work = WorkSession(client.session, root, "not-the-token")
    with pytest.raises(SandboxRefused):
        await work.become("wangfang")


async def test_the_terminal_session(
    db_url: str, aiohttp_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, root = await demo(db_url, aiohttp_client)
    await Resident(client, "o-work-2").say("国权路小区5号楼楼下路灯坏了")
    monkeypatch.setattr("sys.stdin", io.StringIO("/tasks\n\n/nonsense\n/quit\n"))
    out = io.StringIO()
    assert await run_work(root, TEST_TOKEN, "wangfang", out=out) == 0
    printed = out.getvalue()
    assert "您现在是 王芳" in printed
    assert "共 1 件" in printed and "国权路小区" in printed
    assert printed.count("Commands (NUMBER") == 2  # at the start, and for /nonsense
