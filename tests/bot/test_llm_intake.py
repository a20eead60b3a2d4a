"""The LLM through the whole app: the resident is answered first, the case is refined after.

No test here measures time. The fake endpoint holds its answer until the test lets it go, so
"the reply did not wait for the LLM" is shown by order: the resident has the reply, with the
case number, while the LLM request is still unanswered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient

import bot.intake
from bot.intake import IntakeService
from bot.keys import INTAKE
from models import Case, CaseEvent, CaseStatus, Unit
from tests.bot.conftest import ClientFactory, Resident
from tests.fake_llm import (
    GOOD,
    HTTP_500,
    NOT_JSON,
    SLOW,
    UNKNOWN_CATEGORY,
    WRONG_SCHEMA,
    FakeLlm,
)

# Locally 城乡建设/物业管理 (the words say 物业), dispatched to the street office of grid WJC-01;
# the fake LLM reads it as noise (环境保护/噪声污染), which routes to the environment bureau.
NOISE = "国权路小区3号楼楼下的饭店每天半夜还在营业，物业不管，电话13812345678"


@pytest.fixture
async def fake_llm() -> AsyncIterator[tuple[FakeLlm, str]]:
    fake = FakeLlm(GOOD)
    async with fake.running() as url:
        yield fake, url


async def llm_client(make_client: ClientFactory, url: str, **settings: object) -> TestClient:
    return await make_client(llm_url=url, llm_model="fake-model", llm_key="sk-fake", **settings)


def intake_of(client: TestClient) -> IntakeService:
    return client.app[INTAKE]


async def actions(case: Case) -> list[str]:
    return [event.action for event in await CaseEvent.filter(case_id=case.id).order_by("id")]


async def test_the_reply_does_not_wait_for_the_llm(
    make_client: ClientFactory, fake_llm: tuple[FakeLlm, str]
) -> None:
    fake, url = fake_llm
    release = fake.hold_requests()
    client = await llm_client(make_client, url)
    intake = intake_of(client)

    answer = await Resident(client, "o-noise").say(NOISE)

    # The resident has the answer, made from the local understanding...
    case = await Case.get()
    assert case.number in answer and "五角场街道办事处" in answer
    assert case.category == "城乡建设/物业管理" and case.status == CaseStatus.DISPATCHED
    # ...while the LLM has the request and has not answered it.
    await fake.wait_for_requests(1)
    assert fake.answered == 0 and len(intake.refinements) == 1
    assert await actions(case) == ["accept", "dispatch"]
    [request] = fake.requests
    assert request.model == "fake-model" and request.authorization == "Bearer sk-fake"
    assert "饭店每天半夜还在营业" in request.user_text
    assert "13812345678" not in request.user_text

    release.set()
    await intake.drain_background()
    assert fake.answered == 1 and not intake.refinements
    await case.refresh_from_db()
    assert case.category == "环境保护/噪声污染"
    assert (await Unit.get(id=case.unit_id)).code == "ECO"
    assert await actions(case) == ["accept", "dispatch", "annotate", "reassign"]
    refine = await CaseEvent.get(case_id=case.id, action="annotate")
    assert (refine.actor_type, refine.actor_id) == ("system", "llm")
    assert refine.data["before"]["category"] == "城乡建设/物业管理"
    assert refine.data["after"]["category"] == "环境保护/噪声污染"
    assert intake.llm is not None and intake.llm.successes == 1


async def test_only_new_cases_are_sent_to_the_llm(
    make_client: ClientFactory, fake_llm: tuple[FakeLlm, str]
) -> None:
    fake, url = fake_llm
    client = await llm_client(make_client, url)
    resident = Resident(client, "o-detail")
    await resident.say(NOISE)
    await intake_of(client).drain_background()
    await resident.say("饭店每天营业到凌晨两点")  # detail for the same case
    await resident.say("我的诉求")  # a command
    await intake_of(client).drain_background()
    assert len(fake.requests) == 1 and await Case.all().count() == 1


async def test_a_slow_llm_times_out_and_the_case_stands(
    make_client: ClientFactory, fake_llm: tuple[FakeLlm, str]
) -> None:
    fake, url = fake_llm
    fake.mode = SLOW
    client = await llm_client(make_client, url, llm_timeout_seconds=0.3)
    answer = await Resident(client, "o-slow-llm").say(NOISE)
    case = await Case.get()
    assert case.number in answer
    await intake_of(client).drain_background()
    await case.refresh_from_db()
    assert case.category == "城乡建设/物业管理"
    assert await actions(case) == ["accept", "dispatch"]
    llm = intake_of(client).llm
    assert llm is not None and llm.failures == {"timeout": 1}


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        (NOT_JSON, "not_json"),
        (WRONG_SCHEMA, "schema"),
        (UNKNOWN_CATEGORY, "category"),
        (HTTP_500, "http"),
    ],
)
async def test_garbage_from_the_llm_leaves_the_local_understanding(
    make_client: ClientFactory, fake_llm: tuple[FakeLlm, str], mode: str, reason: str
) -> None:
    fake, url = fake_llm
    fake.mode = mode
    client = await llm_client(make_client, url)
    await Resident(client, "o-garbage").say(NOISE)
    case = await Case.get()
    before = (case.kind, case.category, case.urgency, case.title, case.keywords, case.unit_id)
    await intake_of(client).drain_background()
    await case.refresh_from_db()
    assert len(fake.requests) == 1
    assert (case.kind, case.category, case.urgency, case.title, case.keywords, case.unit_id) == (
        before
    )
    assert await actions(case) == ["accept", "dispatch"]
    llm = intake_of(client).llm
    assert llm is not None and llm.failures == {reason: 1}


async def test_without_an_llm_nothing_is_called(
    make_client: ClientFactory, fake_llm: tuple[FakeLlm, str]
) -> None:
    fake, _ = fake_llm
    client = await make_client()  # llm_url left empty
    intake = intake_of(client)
    assert intake.llm is None and intake.llm_session is None
    answer = await Resident(client, "o-plain").say(NOISE)
    case = await Case.get()
    assert case.number in answer
    assert not intake.refinements
    await intake.drain_background()
    assert fake.requests == []
    assert await actions(case) == ["accept", "dispatch"]


async def test_a_report_merged_into_an_open_case_is_not_sent(
    make_client: ClientFactory, fake_llm: tuple[FakeLlm, str]
) -> None:
    fake, url = fake_llm
    client = await llm_client(make_client, url)
    await Resident(client, "o-first").say(NOISE)
    await intake_of(client).drain_background()
    await Resident(client, "o-neighbour").say(NOISE)
    await intake_of(client).drain_background()
    merged = await Case.filter(status=CaseStatus.MERGED)
    assert len(merged) == 1
    assert len(fake.requests) == 1
    assert "annotate" not in await actions(merged[0])


async def test_shutdown_waits_briefly_then_drops_queued_refinements(
    make_client: ClientFactory, fake_llm: tuple[FakeLlm, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, url = fake_llm
    fake.hold_requests()  # never released: every LLM call runs into its timeout
    monkeypatch.setattr(bot.intake, "REFINE_DRAIN_GRACE", 0.0)
    client = await llm_client(make_client, url, llm_timeout_seconds=0.3, llm_max_concurrency=1)
    texts = [
        "开鲁新村12号楼门口的路灯坏了",
        "长白二村5号楼前的树倒了挡住了路",
        "市光一村门口共享单车乱停",
        "凤城新村8号楼楼顶漏水",
        "控江二村门口的垃圾箱满了没人清",
        "国权路小区5号楼电梯坏了",
    ]
    for number, text in enumerate(texts):
        assert await Resident(client, f"o-queue-{number}").say(text)
    intake = intake_of(client)
    await intake.drain_background()
    assert not intake.refinements
    # One at a time, each 0.3 s: the queued ones were cancelled, not run after shutdown began.
    assert intake.llm is not None and intake.llm.failures["timeout"] < len(texts)
    assert not await CaseEvent.filter(action="annotate").exists()
