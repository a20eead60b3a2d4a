"""The access log of ``jiesu serve`` never carries a callback's signature parameters.

A logged ``signature`` with its ``timestamp`` and ``nonce`` is a signed URL that anyone reading
the logs could use (within the timestamp tolerance); ``echostr`` is the URL check's secret and
``openid`` names a resident. The line keeps the path and the parameter names, with the values
of ``signature``, ``msg_signature``, ``echostr``, ``nonce``, ``timestamp`` and ``openid``
masked. The first test runs the real ``jiesu serve`` and reads what it logs.
"""

from __future__ import annotations

import os
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from bot.ops.log_privacy import mask_query
from bot.wechat.signing import message_xml, signed_query
from tests.test_processes import free_port, jiesu_command, wait_for

SECRET_PARAMETERS = ("signature", "msg_signature", "echostr", "nonce", "timestamp", "openid")


def call(url: str, data: bytes | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)
    except OSError:
        return 0


def test_the_access_log_masks_signature_parameters(db_url: str, tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("JIESU_")}
    env |= {
        "PYTHONUNBUFFERED": "1",
        "JIESU_DATABASE_URL": db_url,
        "JIESU_VAR_DIR": str(tmp_path / "var"),
        "JIESU_RUN_BACKGROUND": "false",
        "JIESU_LOG_LEVEL": "INFO",
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}/wechat/mp"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(
            [*jiesu_command(), "serve", "--demo", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=tmp_path,
            start_new_session=True,
        )
    try:
        wait_for(lambda: call(f"http://127.0.0.1:{port}/healthz") == 200, 60, "jiesu serve")
        token = (tmp_path / "var" / "dev-token").read_text().strip()
        message = signed_query(token) | {"openid": "o-resident-secret"}
        xml = message_xml("o-resident-secret", "text", {"Content": "路灯坏了", "MsgId": 61})
        assert call(f"{base}?{urllib.parse.urlencode(message)}", xml.encode()) == 200
        echo = signed_query(token) | {"echostr": "5837397520665436492"}
        assert call(f"{base}?{urllib.parse.urlencode(echo)}") == 200
        sealed = signed_query(token) | {"encrypt_type": "aes", "msg_signature": "f" * 40}
        assert call(f"{base}?{urllib.parse.urlencode(sealed)}", b"<xml/>") == 400
    finally:
        popen.terminate()
        try:
            popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            popen.kill()
    text = log.read_text(encoding="utf-8", errors="replace")
    lines = [line for line in text.splitlines() if "/wechat/mp?" in line]
    assert len(lines) == 3, text
    for line, query in zip(lines, (message, echo, sealed), strict=True):
        for name in SECRET_PARAMETERS:
            value = query.get(name)
            if value:
                assert f"{name}={value}" not in line, line
                assert f"{name}=***" in line, line
        assert "o-resident-secret" not in line
    assert "encrypt_type=aes" in lines[2]


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("/wechat/mp", "/wechat/mp"),
        ("/wechat/mp?", "/wechat/mp?"),
        (
            "/wechat/mp?signature=ab&timestamp=1&nonce=2&openid=o-x&encrypt_type=aes",
            "/wechat/mp?signature=***&timestamp=***&nonce=***&openid=***&encrypt_type=aes",
        ),
        (
            "/wechat/work?msg_signature=ab&echostr=x%2By%3D",
            "/wechat/work?msg_signature=***&echostr=***",
        ),
        ("/a?SIGNATURE=1&Nonce=2", "/a?SIGNATURE=***&Nonce=***"),
        ("/a?sig%6Eature=1", "/a?sig%6Eature=***"),  # a name spelt with escapes
        ("/a?signature&page=2", "/a?signature&page=2"),  # no value, nothing to hide
        ("/a?x=1;nonce=2", "/a?x=1;nonce=***"),
        ("/a?q=signature%3D1", "/a?q=signature%3D1"),
        ("https://h/wechat/mp?openid=o-x#f", "https://h/wechat/mp?openid=***"),
    ],
)
def test_mask_query(raw: str, masked: str) -> None:
    assert mask_query(raw) == masked
