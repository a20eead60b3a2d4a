"""The LLM re-ranker against a fake chat endpoint: asked only when the local rule hesitates; it
may pick one of the entries offered; a reply naming anything else, a garbled reply, a slow or
failed request are ignored and the local rule decides."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from handlers.knowledge.answering import KnowledgeBase, Match
from handlers.knowledge.editing import create_entry, set_status
from handlers.knowledge.reranking import LlmReranker, RerankFailure, parse_choice
from models import EntryStatus, KnowledgeEntry
from nlu.llm import LlmClient
from tests.conftest import make_settings
from tests.fake_llm import GOOD, HTTP_500, NOT_JSON, SLOW, FakeLlm
from tests.handlers.knowledge.conftest import NOW, Org, entry

VAGUE = "津贴怎么领，我电话13812345678"  # near two entries, confident about neither


async def published(org: Org, question: str, **fields: object) -> KnowledgeEntry:
    actor = org.actor(org.admin)
    made = await create_entry(entry(question, **fields), org.admin, actor, NOW)
    return (await set_status(made.id, EntryStatus.PUBLISHED, org.admin, actor, NOW)).entry


@pytest.fixture
async def two_allowances(org: Org) -> tuple[KnowledgeEntry, KnowledgeEntry]:
    old_age = await published(org, "高龄津贴怎么申请")
    heat = await published(
        org,
        "高温津贴发放标准",
        unit="HOUSING",
        answer="6至9月室外作业职工每月300元，由用人单位发放。",
        variants=("夏天高温费",),
    )
    return old_age, heat


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


async def ask(
    fake: FakeLlm, session: aiohttp.ClientSession, text: str = VAGUE, within: float = 5.0
) -> tuple[Match | None, LlmReranker]:
    async with fake.running() as url:
        settings = make_settings("sqlite://:memory:", llm_url=url, llm_model="qwen-test")
        reranker = LlmReranker(LlmClient(settings), session, timeout=within, slots=2)
        kb = KnowledgeBase(reranker=reranker, rerank_floor=0.1)
        return await kb.answer_for(text, now=NOW), reranker


def local(match: Match | None) -> bool:
    """The local rule's answer stood: not confident, not re-ranked."""
    return match is not None and not match.confident and not match.reranked


async def test_the_llm_picks_one_of_the_entries_offered(
    two_allowances: tuple[KnowledgeEntry, KnowledgeEntry], session: aiohttp.ClientSession
) -> None:
    plain = await KnowledgeBase().answer_for(VAGUE, now=NOW)
    assert local(plain)  # without the LLM nobody is answered
    assert plain is not None and len(plain.offered) == 2
    heat_number = 1 + [o.question for o in plain.offered].index("高温津贴发放标准")
    fake = FakeLlm(GOOD, answer={"choice": heat_number})
    match, reranker = await ask(fake, session)
    assert match is not None and match.confident and match.reranked
    assert match.entry.question == "高温津贴发放标准" and reranker.picked == 1
    (request,) = fake.requests
    assert request.model == "qwen-test" and request.body["temperature"] == 0
    listed = request.user_text
    assert f"{heat_number}. 高温津贴发放标准" in listed and "高龄津贴怎么申请" in listed
    assert "每月300元" in listed  # the start of the answer helps it judge
    assert "13812345678" not in listed and "138****5678" in listed
    assert '{"choice"' in request.system_prompt


async def test_it_is_not_asked_when_the_rule_is_sure(
    two_allowances: tuple[KnowledgeEntry, KnowledgeEntry], session: aiohttp.ClientSession
) -> None:
    fake = FakeLlm(GOOD, answer={"choice": 2})
    match, _ = await ask(fake, session, text="高龄津贴怎么申请")
    assert match is not None and match.confident and not match.reranked
    assert not fake.requests


async def test_none_of_them_leaves_the_local_answer(
    two_allowances: tuple[KnowledgeEntry, KnowledgeEntry], session: aiohttp.ClientSession
) -> None:
    for none in (0, None):
        match, reranker = await ask(FakeLlm(GOOD, answer={"choice": none}), session)
        assert local(match) and reranker.declined == 1 and not reranker.failures


@pytest.mark.parametrize(
    ("mode", "answer", "reason"),
    [
        (GOOD, {"choice": 3}, "not_offered"),  # two were offered
        (GOOD, {"choice": -1}, "not_offered"),
        (GOOD, {"choice": "2"}, "schema"),
        (GOOD, {"choice": True}, "schema"),
        (GOOD, {"choice": 1, "reason": "更相关"}, "schema"),
        (GOOD, {"entry": "高温津贴发放标准"}, "schema"),
        (NOT_JSON, None, "not_json"),  # prose: garbled
        (HTTP_500, None, "http"),
    ],
)
async def test_a_reply_it_cannot_use_is_ignored(
    two_allowances: tuple[KnowledgeEntry, KnowledgeEntry],
    session: aiohttp.ClientSession,
    mode: str,
    answer: dict[str, Any] | None,
    reason: str,
) -> None:
    match, reranker = await ask(FakeLlm(mode, answer=answer), session)
    assert local(match)
    assert reranker.failures == {reason: 1} and reranker.picked == 0


async def test_a_slow_llm_is_not_waited_for(
    two_allowances: tuple[KnowledgeEntry, KnowledgeEntry], session: aiohttp.ClientSession
) -> None:
    fake = FakeLlm(SLOW, answer={"choice": 1})
    match, reranker = await ask(fake, session, within=0.2)
    assert local(match) and reranker.failures == {"timeout": 1}


async def test_when_every_slot_is_taken_it_is_not_asked(
    two_allowances: tuple[KnowledgeEntry, KnowledgeEntry], session: aiohttp.ClientSession
) -> None:
    settings = make_settings("sqlite://:memory:", llm_url="http://127.0.0.1:9/v1")
    reranker = LlmReranker(LlmClient(settings), session, timeout=1.0, slots=1)
    reranker.in_flight = 1
    match = await KnowledgeBase(reranker=reranker, rerank_floor=0.1).answer_for(VAGUE, now=NOW)
    assert local(match) and reranker.failures == {"busy": 1}


def body(content: Any) -> dict[str, Any]:
    return {"choices": [{"message": {"role": "assistant", "content": content}}]}


def test_the_reply_is_read_strictly() -> None:
    assert parse_choice(body('{"choice": 2}'), 3) == 2
    assert parse_choice(body('```json\n{"choice": 1}\n```'), 3) == 1  # a fence is tolerated
    assert parse_choice(body('{"choice": 0}'), 3) is None
    for content, reason in (
        ('{"choice": 4}', "not_offered"),
        ('{"choice": 1.0}', "schema"),
        ('[{"choice": 1}]', "schema"),
        ("选第二条", "not_json"),
        (None, "bad_response"),
    ):
        with pytest.raises(RerankFailure) as failed:
            parse_choice(body(content), 3)
        assert failed.value.reason == reason, content
    with pytest.raises(RerankFailure):
        parse_choice({"choices": []}, 3)
