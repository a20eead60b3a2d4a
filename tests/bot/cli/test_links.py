"""``jiesu workers link``, ``jiesu users link`` and ``jiesu workers match-wecom`` against a real
database file; the fakes of WeChat and WeCom run in a thread of their own (the command runs its
own event loop)."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main
from handlers.district.setup import load_demo_district
from handlers.staff.accounts import create_user
from models import AccountLink, AuditEvent, Worker
from models.database import orm
from tests.fake_wechat import FakeApiServer, FakeWeChat
from tests.fake_wecom import FakeWeCom

NOW = datetime.now(UTC)


@pytest.fixture
def database(sqlite_template: Path, monkeypatch: pytest.MonkeyPatch, clean_env: Path) -> str:
    url = f"sqlite://{clean_env / 'cli.sqlite3'}"
    shutil.copyfile(sqlite_template, clean_env / "cli.sqlite3")  # migrated once a run
    monkeypatch.setenv("JIESU_DATABASE_URL", url)

    async def prepare() -> None:
        async with orm(url):
            await load_demo_district()
            await create_user("boss", "admin", "correct horse battery", NOW)

    asyncio.run(prepare())
    return url


def in_db(url: str, work: Any) -> Any:
    async def run() -> Any:
        async with orm(url):
            return await work()

    return asyncio.run(run())


def serve_in_thread(fake: FakeApiServer) -> Iterator[str]:
    loop = asyncio.new_event_loop()
    ready: list[str] = []
    started, stop = threading.Event(), asyncio.Event()

    async def run() -> None:
        async with fake.running() as url:
            ready.append(url)
            started.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(run(),), daemon=True)
    thread.start()
    started.wait(10)
    yield ready[0]
    loop.call_soon_threadsafe(stop.set)
    thread.join(10)


@pytest.fixture
def wechat(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWeChat]:
    fake = FakeWeChat(appid="wxfake", secret="fakesecret")
    for url in serve_in_thread(fake):
        for name, value in {
            "JIESU_OUTBOUND_MODE": "wechat",
            "JIESU_WECHAT_API_BASE": url,
            "JIESU_MP_APPID": "wxfake",
            "JIESU_MP_SECRET": "fakesecret",
        }.items():
            monkeypatch.setenv(name, value)
        yield fake


def test_a_worker_link_is_printed_once_with_its_qr_code(
    database: str, wechat: FakeWeChat, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["workers", "link", "王芳", "--json"]) == 0
    link = json.loads(capsys.readouterr().out)
    assert link["name"] == "王芳" and link["qr_image_url"].endswith(wechat.qrcodes[0]["ticket"])
    assert link["chat_text"] == f"绑定 {link['code']}"
    event = in_db(database, lambda: AuditEvent.get(action="account.link_create"))
    assert event.via == "cli" and event.username.startswith("cli:")
    assert main(["users", "link", "boss"]) == 0
    out = capsys.readouterr().out
    assert "chat code: 绑定 " in out and "QR code:   http" in out
    assert main(["users", "link", "nobody"]) == 2
    assert main(["workers", "link", "没有这个人"]) == 2
    assert in_db(database, lambda: AccountLink.all().count()) == 2


def test_in_sandbox_mode_a_link_has_its_chat_code_only(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JIESU_OUTBOUND_MODE", "sandbox")
    assert main(["users", "link", "boss"]) == 0
    out = capsys.readouterr().out
    assert "QR code:   -" in out and "沙盒" in out


def test_match_wecom_prints_then_applies_what_a_person_chose(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["workers", "match-wecom"]) == 2  # no WeCom app
    assert "JIESU_WORK" in capsys.readouterr().err
    wecom = FakeWeCom()
    wecom.departments = {
        1: [
            {"userid": "wf", "name": "王芳", "mobile": "13800000101"},
            {"userid": "zm1", "name": "张敏"},
            {"userid": "zm2", "name": "张敏"},
        ]
    }
    in_db(database, lambda: Worker.filter(name__in=["王芳", "张敏"]).update(wecom_userid=None))
    zhang = in_db(database, lambda: Worker.get(name="张敏"))
    for url in serve_in_thread(wecom):
        for name, value in {
            "JIESU_OUTBOUND_MODE": "wechat",
            "JIESU_WORK_API_BASE": url,
            "JIESU_WORK_CORP_ID": wecom.corp_id,
            "JIESU_WORK_AGENT_ID": str(wecom.agent_id),
            "JIESU_WORK_SECRET": wecom.secret,
            "JIESU_WORK_TOKEN": "worktoken",
            "JIESU_WORK_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        }.items():
            monkeypatch.setenv(name, value)
        assert main(["workers", "match-wecom"]) == 0
        out = capsys.readouterr().out
        assert "proposed" in out and "-> wf (phone+name)" in out
        assert "ambiguous" in out and "多个企业微信成员同名" in out and "nothing applied" in out
        assert in_db(database, lambda: Worker.filter(wecom_userid="wf").count()) == 0

        assert main(["workers", "match-wecom", "--apply", "--pick", f"{zhang.id}=zm2"]) == 0
        assert "applied 2" in capsys.readouterr().out
    assert in_db(database, lambda: Worker.get(id=zhang.id)).wecom_userid == "zm2"
    assert in_db(database, lambda: Worker.get(name="王芳")).wecom_userid == "wf"
    events = in_db(database, lambda: AuditEvent.filter(action="worker.wecom_link").count())
    assert events == 2


def test_the_demo_brings_linked_staff_who_sign_in_with_the_development_token(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path
) -> None:
    from bot.cli.main import development_token
    from config.settings import Settings
    from handlers.staff.accounts import authenticate
    from models import StaffUser

    url = f"sqlite://{clean_env / 'demo.sqlite3'}"
    monkeypatch.setenv("JIESU_DATABASE_URL", url)
    assert main(["migrate", "--demo"]) == 0
    assert main(["migrate", "--demo"]) == 0  # again: nothing changes
    token = development_token(Settings(_env_file=None))  # type: ignore[call-arg]
    users = in_db(url, lambda: StaffUser.filter(username__startswith="demo-").order_by("id"))
    assert [u.openid for u in users] == ["o-demo-admin", "o-demo-approver", "o-demo-dispatcher"]
    assert sum(u.role == "admin" for u in users) == 2
    signed_in = in_db(url, lambda: authenticate("demo-approver", token, NOW))
    assert signed_in.username == "demo-approver"
