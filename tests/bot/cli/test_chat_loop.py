"""``jiesu chat`` shows the loop: a report, the worker's handling through ``jiesu work``, and the
办结 notice and the survey the service pushes, printed in the resident's terminal as they go."""

from __future__ import annotations

import asyncio
import io
import itertools
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.cli.chat import build, follow_pushed, send
from bot.cli.pushed import FeedUnavailable, PushedFeed, format_pushed
from bot.cli.work import WorkSession, parse
from bot.keys import DRAINER, INTAKE
from bot.wechat.signing import message_xml
from handlers.clock import ManualClock
from handlers.district.setup import load_demo_district
from handlers.followup.surveys import sweep_due_surveys
from models import Case, CaseStatus, OutboxMessage, OutboxStatus, Survey
from tests.bot.conftest import ClientFactory
from tests.conftest import TEST_TOKEN, make_settings

START = datetime(2026, 3, 10, 1, 30, tzinfo=UTC)  # Tuesday 09:30 in Shanghai
OPENID = "o-loop-resident"


def app_of(client: TestClient) -> web.Application:
    app = client.app
    assert isinstance(app, web.Application)
    return app


async def trial(db_url: str, aiohttp_client: Any) -> tuple[TestClient, str]:
    """The service as ``jiesu serve --demo`` runs it (sandbox, demo district, surveys at once),
    with the drainer driven by the test; and its root URL."""
    settings = make_settings(db_url, demo=True, survey_delay_hours=0)
    client: TestClient = await aiohttp_client(create_app(settings, ManualClock(START)))
    await load_demo_district()
    return client, str(client.make_url("")).rstrip("/")


async def say(client: TestClient, root: str, line: str, ids: Any, feed: PushedFeed) -> str:
    built = build(OPENID, line, ids, feed.last_menu)
    assert built is not None, line
    xml = message_xml(OPENID, *built)
    return await send(client.session, f"{root}/wechat/mp", TEST_TOKEN, xml, "", "")


async def test_the_whole_life_of_a_case_in_two_terminals(db_url: str, aiohttp_client: Any) -> None:
    client, root = await trial(db_url, aiohttp_client)
    drainer = app_of(client)[DRAINER]
    ids = itertools.count(9_100_000_000)
    feed = PushedFeed(root, TEST_TOKEN, OPENID)
    assert await feed.poll(client.session) == []  # from now on

    # Terminal 2, the resident, reports.
    answer = await say(client, root, "国权路小区5号楼楼下路灯坏了，晚上一片漆黑", ids, feed)
    found = re.search(r"\d{10}", answer)
    assert found, answer
    number = found.group(0)

    # Terminal 3, the worker (王芳, the grid's worker), handles it.
    work = WorkSession(client.session, root, TEST_TOKEN)
    assert "王芳" in await work.become("wangfang")
    steps = [
        ("/tasks", number),
        (f"/show {number}", "签收 (/sign)"),
        (f"/sign {number}", "已签收"),
        (f"/contact {number} 已电话联系居民", "先行联系"),
        (f"/progress {number} 已派人维修", "办结 (/finish)"),
        (f"/finish {number} 路灯已修复", "已办结"),
    ]
    for line, expected in steps:
        command = parse(line)
        assert command is not None, line
        shown = await work.run(command)
        assert expected in shown, f"{line}:\n{shown}"
    assert (await Case.get(number=number)).status == CaseStatus.COMPLETED

    # The service pushes the 办结 notice; the resident's terminal prints it, once.
    await drainer.drain_once()
    pushed = [format_pushed(m) for m in await feed.poll(client.session)]
    finished = [p for p in pushed if "路灯已修复" in p and number in p]
    assert finished, pushed
    assert finished[0].startswith("服务号（推送·客服消息 ")
    assert await feed.poll(client.session) == []

    # The survey round goes out at the next sweep (the trial asks at once), as a menu.
    intake = app_of(client)[INTAKE]
    assert (await sweep_due_surveys(await intake.context())).asked == 1
    await drainer.drain_once()
    (survey,) = await feed.poll(client.session)
    assert survey["menu"] and "[1] 满意" in format_pushed(survey)

    # The resident taps 满意: the answer is taken.
    thanks = await say(client, root, "/tap 1", ids, feed)
    assert "感谢您的评价" in thanks, thanks
    assert (await Survey.get()).answer is not None


async def test_the_chat_prints_each_pushed_message_once(db_url: str, aiohttp_client: Any) -> None:
    client, root = await trial(db_url, aiohttp_client)
    feed = PushedFeed(root, TEST_TOKEN, OPENID)
    await feed.poll(client.session)
    now = app_of(client)[DRAINER]._now()
    for text in ("第一条", "第二条"):
        await OutboxMessage.create(
            channel="mp_custom",
            recipient=OPENID,
            payload={"msgtype": "text", "text": {"content": text}},
            status=OutboxStatus.SENT,
            sent_at=now,
            next_attempt_at=now,
        )
    out = io.StringIO()
    stop = asyncio.Event()
    follower = asyncio.create_task(follow_pushed(feed, client.session, out, stop, 0.05))
    await asyncio.sleep(0.5)
    stop.set()
    await follower
    printed = out.getvalue()
    assert printed.count("第一条") == 1 and printed.count("第二条") == 1
    assert printed.index("第一条") < printed.index("第二条")
    assert "服务号（推送·客服消息 09:30）> 第一条" in printed


async def test_a_service_without_sandbox_is_said_once(make_client: ClientFactory) -> None:
    client = await make_client(outbound_mode="wechat")
    root = str(client.make_url("")).rstrip("/")
    feed = PushedFeed(root, TEST_TOKEN, OPENID)
    out = io.StringIO()
    await asyncio.wait_for(
        follow_pushed(feed, client.session, out, asyncio.Event(), 0.05), timeout=5
    )
    assert "no sandbox" in out.getvalue()


async def test_a_wrong_token_is_said(client: TestClient) -> None:
    root = str(client.make_url("")).rstrip("/")
    feed = PushedFeed(root, "not-the-token", OPENID)
    try:
        await feed.poll(client.session)
    except FeedUnavailable as refused:
        assert "--token" in str(refused)
    else:
        raise AssertionError("a wrong token was accepted")


def test_tap_needs_a_menu_and_an_option() -> None:
    ids = itertools.count(1)
    menu = [{"id": "survey:7:satisfied", "content": "满意"}]
    assert build(OPENID, "/tap 1", ids, None) is None
    assert build(OPENID, "/tap 2", ids, menu) is None
    assert build(OPENID, "/tap x", ids, menu) is None
    built = build(OPENID, "/tap 1", ids, menu)
    assert built is not None
    assert built[1]["Content"] == "满意" and built[1]["bizmsgmenuid"] == "survey:7:satisfied"


def test_a_message_that_was_not_sent_says_why() -> None:
    line = format_pushed(
        {
            "kind": "customer",
            "status": "skipped",
            "note": "48小时客服消息窗口已关闭",
            "at": "2026-03-10T01:30:00+00:00",
            "text": "您的诉求已办结",
        }
    )
    assert line == "服务号（未发出·客服消息 09:30：48小时客服消息窗口已关闭）> 您的诉求已办结"


def test_a_trial_asks_the_survey_at_once_unless_told(clean_env: Path) -> None:
    from bot.cli.main import trial_settings
    from config.settings import Settings

    given: dict[str, Any] = {"_env_file": None, "var_dir": clean_env / "var"}
    assert trial_settings(Settings(**given)).survey_delay_hours == 0
    told = Settings(**given, survey_delay_hours=4)
    assert trial_settings(told).survey_delay_hours == 4


def test_tappable_links_in_a_passive_reply_become_tap_options() -> None:
    from bot.cli.chat import passive_menu
    from config import replies

    link = replies.CHOOSE_LINK.format(label="作为新诉求", menu_id="case-choice:7:new")
    shown, options = passive_menu(f"回复“2”或点{link}")
    assert shown == "回复“2”或点[1] 作为新诉求 (/tap 1)"
    assert options == [{"id": "case-choice:7:new", "content": "作为新诉求"}]
