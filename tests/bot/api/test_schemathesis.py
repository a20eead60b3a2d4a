"""Schemathesis runs the OpenAPI document against a real ``jiesu serve``.

One ``jiesu serve --demo`` process on a throwaway SQLite database, with a credential for each
security scheme, made the way operators make them (``jiesu users add`` / ``token`` for the staff
admin, ``jiesu workers token`` for 王芳, a grid worker) or, where no command makes one, written
straight into the database: :func:`add_resident_session` (the hook for the resident API) and
:func:`add_open311_client`. A few cases, extension requests and a notice are made through the
public interfaces first, and their numbers and ids are given to schemathesis as dictionaries, so
that generated requests reach real resources as well as made-up ones (and the ids of two
questions the demo knowledge base answered, for their feedback).

``schemathesis run`` (the CLI, in a process of its own) then generates requests for every
operation the document lists - operations other modules declare join by themselves - and checks
four things of every answer: no 5xx (a 503 an operation documents as deliberate, "not configured
here" or "WeChat unavailable", is allowed for that operation), the status code is documented, the
content type is documented, the body conforms to the documented schema. Deterministic
(``--generation-deterministic``: derandomized, no example database), at most
:data:`MAX_EXAMPLES` examples per operation in the fuzzing phase (the coverage phase adds its
boundary cases), one worker: about a minute on two cores. Nothing is excluded: signing out with
an API token ends nothing, and the destructive actions only change the throwaway data.

The payload limits the endpoints enforce are declared in the document (``maxLength``,
``maxItems``, ``minimum``/``maximum``, ...), so that generated values reach the limits and go
past them: :func:`test_request_bodies_declare_their_limits` keeps every body of the resident
API, the notices API and Open311's POST requests bounded.

Then :data:`WEIRD`: inputs that once answered 500 (or were taken when they should not have been),
each pinned to its documented 4xx.

Reproduce a failure by hand: the report prints ``curl`` commands for each failure; start
``jiesu serve --demo`` and run ``schemathesis --config-file schemathesis.toml run
URL/api/openapi.json`` with the options of :func:`schemathesis_command` and a config made by
:func:`config_toml`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.api.openapi import openapi_document
from bot.wechat.signing import message_xml, signed_query
from models import Open311Client, Resident, ResidentApp, ResidentSession
from models.database import orm
from tests.test_processes import (
    Service,
    free_port,
    jiesu_command,
    processes,
    wait_healthy,
)

MAX_EXAMPLES = 10
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
RUN_TIMEOUT = 600.0
MP_TOKEN = "schemathesistoken"
STAFF_PASSWORD = "schemathesis horse battery"
RESIDENT_TOKEN = "jsr_schemathesis-resident-token"
OPEN311_KEY = "schemathesis-open311-key"
GRID_WORKER = "wangfang"  # 王芳, grid worker of WJC-01 in the demo district (ST-WJC)

# What residents write to make the cases: two in 王芳's grid, one in another street's.
REPORTS = (
    ("o-schemathesis-1", "国权路小区楼道堆物占用消防通道，一直没人管"),
    ("o-schemathesis-2", "国权路小区5号楼门口垃圾没人清运"),
    ("o-schemathesis-3", "开鲁新村门口垃圾没人清运"),
)


# Credentials that no command issues yet


async def add_resident_session(openid: str, token: str, now: datetime) -> ResidentSession:
    """A mini-program resident signed in with ``token`` (the ORM must be initialised).

    What POST /api/resident/session does after jscode2session, minus WeChat: the resident (a
    mini-program openid) and a session holding the token's SHA-256.
    """
    resident, _ = await Resident.get_or_create(
        openid=openid, defaults={"app": ResidentApp.MINIPROGRAM}
    )
    return await ResidentSession.create(
        token_hash=hashlib.sha256(token.encode("utf-8")).hexdigest(),
        resident=resident,
        session_key="c2NoZW1hdGhlc2lzLXNlc3Npb24ta2V5",
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(days=30),
    )


async def add_open311_client(name: str, key: str, now: datetime) -> Open311Client:
    """An Open311 client whose api_key is ``key`` (its SHA-256 is stored, as for tokens)."""
    return await Open311Client.create(
        name=name, key_hash=hashlib.sha256(key.encode("utf-8")).hexdigest(), created_at=now
    )


async def _add_direct_credentials(database_url: str) -> None:
    now = datetime.now(UTC)
    async with orm(database_url):
        await add_resident_session("o-schemathesis-mini", RESIDENT_TOKEN, now)
        await add_open311_client("schemathesis", OPEN311_KEY, now)


# The service


@dataclass
class Target:
    """The running service, the credentials per security scheme, and what exists in it."""

    service: Service
    folder: Path
    env: dict[str, str]
    staff_token: str
    worker_token: str
    case_numbers: list[str] = field(default_factory=list)
    extension_ids: list[int] = field(default_factory=list)
    notice_ids: list[int] = field(default_factory=list)
    ask_ids: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.service.url


def run_jiesu(env: dict[str, str], cwd: Path, *args: str, stdin: str = "") -> str:
    result = subprocess.run(
        [*jiesu_command(), *args],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"jiesu {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


def call(
    url: str,
    method: str = "GET",
    body: Any = None,
    *,
    token: str = "",
    data: bytes | None = None,
) -> tuple[int, str, str]:
    """(status, content type, text) of one request; HTTP errors are answers too."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return (
                response.status,
                response.headers.get("Content-Type", ""),
                response.read().decode(),
            )
    except urllib.error.HTTPError as refused:
        text = refused.read().decode("utf-8", errors="replace")
        return refused.code, refused.headers.get("Content-Type", ""), text


def seed(target: Target) -> None:
    """Cases from residents' messages, two signed with an extension asked, a notice draft."""
    for index, (openid, text) in enumerate(REPORTS):
        query = urllib.parse.urlencode(signed_query(MP_TOKEN))
        xml = message_xml(openid, "text", {"Content": text, "MsgId": 8_100_000_000 + index})
        status, _, reply = call(f"{target.url}/wechat/mp?{query}", "POST", data=xml.encode())
        found = re.search(r"\d{10}", reply)
        assert status == 200 and found, reply
        target.case_numbers.append(found.group(0))
    worker, staff = target.worker_token, target.staff_token
    _, _, me = call(f"{target.url}/api/worker/me", token=worker)
    # The two cases in 王芳's grid go to her street office and to her, whatever the routing
    # made of them (409 "unchanged" when it did just that), and she asks for more time on each.
    for number in target.case_numbers[:2]:
        status, _, text = call(
            f"{target.url}/api/admin/cases/{number}/reassign",
            "POST",
            {"unit": "ST-WJC", "worker_id": json.loads(me)["id"], "reason": "网格员处理"},
            token=staff,
        )
        assert status in (200, 409), text
        status, _, text = call(f"{target.url}/api/worker/cases/{number}/sign", "POST", token=worker)
        assert status == 200, text
        status, _, text = call(
            f"{target.url}/api/worker/cases/{number}/extension",
            "POST",
            {"hours": 24, "reason": "等待物业配合"},
            token=worker,
        )
        assert status == 201, text
        target.extension_ids.append(json.loads(text)["extension"]["id"])
    status, _, text = call(
        f"{target.url}/api/admin/notices",
        "POST",
        {
            "title": "停水通知",
            "kind": "text",
            "channel": "mp_mass",
            "audience": {"kind": "all"},
            "content": {"text": "明日9时至12时停水，请提前储水。"},
        },
        token=staff,
    )
    assert status == 201, text
    target.notice_ids.append(json.loads(text)["notice"]["id"])
    # Questions the demo knowledge base answers, for POST questions/{ask}/feedback to reach.
    for question in ("高龄津贴怎么申请", "加装电梯需要哪些材料"):
        status, _, text = call(
            f"{target.url}/api/resident/questions", "POST", {"text": question}, token=RESIDENT_TOKEN
        )
        assert status == 200 and json.loads(text)["answered"], text
        target.ask_ids.append(json.loads(text)["ask"])


def service_env(folder: Path) -> dict[str, str]:
    """A clean environment: none of the caller's JIESU_ settings, a database of its own."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("JIESU_")}
    env.update(
        {
            "PYTHONUNBUFFERED": "1",
            "JIESU_DATABASE_URL": f"sqlite://{folder / 'jiesu.sqlite3'}",
            "JIESU_VAR_DIR": str(folder / "var"),
            "JIESU_MP_TOKEN": MP_TOKEN,
            "JIESU_MP_APPID": "wxschemathesis0001",
            "JIESU_MP_SECRET": "schemathesis-secret",
            "JIESU_OUTBOUND_MODE": "sandbox",
            "JIESU_RUN_BACKGROUND": "false",
            "JIESU_LOG_LEVEL": "WARNING",
            # Limits high enough that generated calls reach the handlers instead of all being
            # 429 (the limits themselves are tested in tests/handlers/intake/test_rate_limits.py).
            "JIESU_RESIDENT_REQUESTS_PER_MINUTE": "1000000",
            "JIESU_RESIDENT_CASES_PER_HOUR": "1000000",
            "JIESU_RESIDENT_CASES_PER_DAY": "1000000",
            "JIESU_UPLOAD_DIR": str(folder / "uploads"),
        }
    )
    return env


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    folder = tmp_path_factory.mktemp("schemathesis")
    env = service_env(folder)
    with processes(folder) as started:
        # It migrates and loads the demo district before it answers /healthz.
        port = free_port()
        serve = [*jiesu_command(), "serve", "--demo", "--port", str(port)]
        service = Service(started.start("serve", serve, env, folder), f"http://127.0.0.1:{port}")
        wait_healthy(service)
        add_admin = ("users", "add", "st-admin", "--role", "admin", "--password-stdin")
        run_jiesu(env, folder, *add_admin, stdin=STAFF_PASSWORD + "\n")
        staff_token = run_jiesu(env, folder, "users", "token", "st-admin").strip()
        worker_token = run_jiesu(env, folder, "workers", "token", GRID_WORKER).strip()
        asyncio.run(_add_direct_credentials(env["JIESU_DATABASE_URL"]))
        found = Target(service, folder, env, staff_token, worker_token)
        seed(found)
        yield found
        assert service.process.running(), "the service died:\n" + started.report()


# Schemathesis


# A 5xx fails, unless the operation documents that very status as a deliberate answer: 503 for
# "not configured here" or "WeChat is unavailable, try again" (status_code_conformance still
# holds it to the document). A 500 always fails.
DELIBERATE_5XX = {"503"}


def config_toml(target: Target) -> str:
    """Credentials per security scheme, the resources that exist, and per-operation settings,
    for ``--config-file``."""

    def values(items: list[Any]) -> str:
        return "[" + ", ".join(json.dumps(v) for v in items) + "]"

    lines = [
        "[auth.openapi.workerToken]",
        f"bearer = {json.dumps(target.worker_token)}",
        "[auth.openapi.staffToken]",
        f"bearer = {json.dumps(target.staff_token)}",
        "[auth.openapi.residentToken]",
        f"bearer = {json.dumps(RESIDENT_TOKEN)}",
        "[auth.openapi.open311Key]",
        f"api_key = {json.dumps(OPEN311_KEY)}",
        "[dictionaries.case_numbers]",
        f"values = {values(target.case_numbers)}",
        "[dictionaries.extension_ids]",
        f"values = {values(target.extension_ids)}",
        "[dictionaries.notice_ids]",
        f"values = {values(target.notice_ids)}",
        "[dictionaries.ask_ids]",
        f"values = {values([str(i) for i in target.ask_ids])}",
        "[parameters]",
        '"path.number" = { dictionary = "case_numbers", probability = 0.5 }',
        '"path.request_id" = { dictionary = "extension_ids", probability = 0.5 }',
        '"path.ask" = { dictionary = "ask_ids", probability = 0.5 }',
    ]
    for path, methods in openapi_document()["paths"].items():
        for method, operation in methods.items():
            settings = []
            # {id} is an extension request's on the worker API and a notice's on the admin API.
            ids = {"/api/worker/extensions/": "extension_ids", "/api/admin/notices/": "notice_ids"}
            for prefix, dictionary in ids.items():
                if path.startswith(prefix + "{id}"):
                    binding = f'{{ dictionary = "{dictionary}", probability = 0.5 }}'
                    settings.append(f'parameters = {{ "path.id" = {binding} }}')
            deliberate = sorted(DELIBERATE_5XX & set(operation["responses"]))
            if deliberate:
                statuses = values(["2xx", "3xx", "4xx", *deliberate])
                settings.append(f"checks.not_a_server_error.expected-statuses = {statuses}")
            if settings:
                lines += [
                    "[[operations]]",
                    f"include-name = {json.dumps(f'{method.upper()} {path}')}",
                    *settings,
                ]
    return "\n".join([*lines, ""])


def schemathesis_command(url: str, config: Path, junit: Path) -> list[str]:
    script = Path(sys.executable).parent / "schemathesis"
    return [
        str(script) if script.exists() else "schemathesis",
        "--config-file",
        str(config),
        "run",
        f"{url}/api/openapi.json",
        "--url",
        url,
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--generation-deterministic",  # and so no example database
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--report",
        "junit",
        "--report-junit-path",
        str(junit),
        "--no-color",
    ]


def junit_results(path: Path) -> dict[str, list[str]]:
    """Operation -> the failure messages of its test case in the JUnit report."""
    results: dict[str, list[str]] = {}
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        problems = [
            (item.get("message") or item.text or "").strip()
            for item in case
            if item.tag in ("failure", "error")
        ]
        results[case.get("name", "")] = problems
    return results


def test_schemathesis_finds_nothing(target: Target) -> None:
    config = target.folder / "schemathesis.toml"
    config.write_text(config_toml(target), encoding="utf-8")
    junit = target.folder / "schemathesis-junit.xml"
    began = time.monotonic()
    result = subprocess.run(
        schemathesis_command(target.url, config, junit),
        cwd=target.folder,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    took = time.monotonic() - began
    output = result.stdout + result.stderr
    (target.folder / "schemathesis-output.txt").write_text(output, encoding="utf-8")
    assert junit.exists(), f"schemathesis wrote no report (exit {result.returncode}):\n{output}"
    results = junit_results(junit)
    documented = {
        f"{method.upper()} {path}"
        for path, methods in openapi_document()["paths"].items()
        for method in methods
    }
    # Schemathesis does not test the operation that serves the schema it was loaded from.
    documented.discard("GET /api/openapi.json")
    assert documented <= set(results), f"not tested: {sorted(documented - set(results))}"
    failed = {name: problems for name, problems in results.items() if problems}
    assert result.returncode == 0 and not failed, (
        f"schemathesis exit code {result.returncode}, {len(failed)} operations failed "
        f"({took:.0f} s):\n{output}"
    )


# Inputs fuzzing found answering 500 once: each must stay a documented 4xx with a JSON error.

SUPERSCRIPT_TWO = "%C2%B2"  # "²": a digit to str.isdigit(), not to int()
FULL_WIDTH_ONE = "%EF%BC%91"  # "１": a digit to int(), not to us
TOO_BIG = "9" * 20  # no BIGINT holds it
NUL = "%00"  # no PostgreSQL text holds it
APPROVE = {"approve": True}
# Codes longer than any grid's or unit's: once stored, the notice's audience answered 500.
LONG_GRID_NOTICE = {
    "title": "停水通知",
    "kind": "text",
    "channel": "mp_mass",
    "audience": {"kind": "residents", "grids": ["G" * 5000]},
    "content": {"text": "明日停水"},
}
LONG_UNIT_AUDIENCE = {
    "kind": "text",
    "channel": "work_app",
    "audience": {"kind": "workers", "units": ["U" * 33]},
}
CASE = "/api/admin/cases/{number}"
WEIRD = [
    ("worker", "GET", f"/api/worker/tasks?page={SUPERSCRIPT_TWO}", None, 400),
    ("worker", "POST", f"/api/worker/extensions/{SUPERSCRIPT_TWO}/decide", APPROVE, 403),
    ("worker", "POST", f"/api/worker/extensions/{TOO_BIG}/decide", APPROVE, 403),
    ("worker", "GET", f"/api/worker/cases/{NUL}", None, 403),
    ("staff", "GET", f"/api/admin/cases?page={SUPERSCRIPT_TWO}", None, 400),
    ("staff", "GET", f"/api/admin/cases/{NUL}", None, 404),
    ("staff", "POST", f"{CASE}/extensions/{SUPERSCRIPT_TWO}/decide", APPROVE, 404),
    ("staff", "POST", f"{CASE}/extensions/{TOO_BIG}/decide", APPROVE, 404),
    ("staff", "POST", f"{CASE}/reassign", {"unit": "ST-WJC", "worker_id": int(TOO_BIG)}, 400),
    ("staff", "GET", "/api/admin/figures?from=9999-12-31", None, 400),
    ("staff", "GET", "/api/admin/figures?to=0001-01-01", None, 400),
    ("staff", "GET", f"/api/admin/figures.csv?unit={NUL}", None, 400),
    ("staff", "GET", "/api/admin/hot?from=0001-01-01&to=0001-01-10", None, 400),
    ("staff", "GET", f"/api/admin/notices?page={TOO_BIG}", None, 400),
    ("staff", "GET", f"/api/admin/notices/{TOO_BIG}", None, 404),
    ("staff", "GET", "/api/admin/notices/-1", None, 404),
    ("staff", "POST", f"/api/admin/notices/{SUPERSCRIPT_TWO}/cancel", {}, 404),
    ("staff", "GET", f"/api/admin/notices?page={FULL_WIDTH_ONE}", None, 400),
    ("staff", "GET", "/api/admin/notices?page=1_0", None, 400),
    ("staff", "GET", f"/api/admin/hot?limit={FULL_WIDTH_ONE}", None, 400),
    ("staff", "POST", "/api/admin/notices", LONG_GRID_NOTICE, 400),
    ("staff", "POST", "/api/admin/notices/audience", LONG_UNIT_AUDIENCE, 400),
    ("staff", "POST", "/api/admin/session", {"username": "a", "password": 5}, 400),
]


@pytest.mark.parametrize(("who", "method", "path", "body", "status"), WEIRD)
def test_weird_inputs_are_refused_not_crashed_on(
    target: Target, who: str, method: str, path: str, body: Any, status: int
) -> None:
    token = {"worker": target.worker_token, "staff": target.staff_token}[who]
    url = target.url + path.format(number=target.case_numbers[0])
    got, content_type, text = call(url, method, body, token=token)
    assert (got, content_type.split(";")[0]) == (status, "application/json"), text
    assert json.loads(text)["error"]["code"]


def test_a_superscript_timestamp_is_refused_by_the_official_account_callback(
    target: Target,
) -> None:
    for path in ("/wechat/mp", "/wechat/mini", "/wechat/work"):
        got, _, text = call(f"{target.url}{path}?timestamp=%C2%B2&nonce=x&echostr=y")
        assert got in (400, 403, 404), (path, got, text)


# The limits in the document


BOUNDED_BODIES = ("/api/resident/", "/api/admin/notices", "/open311/v2/requests.")


def unbounded(schema: Any, schemas: dict[str, Any], where: str, seen: set[str]) -> Iterator[str]:
    """Where a request body lets a value grow without a declared limit."""
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            yield from unbounded(schemas[name], schemas, name, seen)
        return
    if {"enum", "const", "pattern", "format"} & set(schema):
        return  # a value from a list, or of a shape
    kinds = schema.get("type", [])
    kinds = kinds if isinstance(kinds, list) else [kinds]
    limits = set(schema)
    if "string" in kinds and "maxLength" not in limits:
        yield f"{where}: a string without maxLength"
    if {"number", "integer"} & set(kinds) and not {"minimum", "maximum"} <= limits:
        yield f"{where}: a number without minimum and maximum"
    if "array" in kinds and "maxItems" not in limits:
        yield f"{where}: an array without maxItems"
    if "object" in kinds and "properties" not in limits and "maxProperties" not in limits:
        yield f"{where}: an object without maxProperties"
    for name, value in schema.get("properties", {}).items():
        yield from unbounded(value, schemas, f"{where}.{name}", seen)
    for key in ("items", "additionalProperties"):
        yield from unbounded(schema.get(key), schemas, f"{where}[]", seen)
    for value in schema.get("patternProperties", {}).values():
        yield from unbounded(value, schemas, f"{where}[]", seen)
    for value in schema.get("anyOf", []) + schema.get("oneOf", []):
        yield from unbounded(value, schemas, where, seen)


def test_request_bodies_declare_their_limits() -> None:
    """Schemathesis generates values at a declared limit and past it; a limit the handler
    enforces but the document keeps quiet about is never tried."""
    document = openapi_document()
    schemas = document["components"]["schemas"]
    problems = []
    for path, methods in document["paths"].items():
        if not path.startswith(BOUNDED_BODIES):
            continue
        for method, operation in methods.items():
            for content in operation.get("requestBody", {}).get("content", {}).values():
                where = f"{method.upper()} {path}"
                problems += unbounded(content["schema"], schemas, where, set())
    assert not problems, "\n".join(problems)
