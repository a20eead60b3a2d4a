"""The LLM client: what it sends, what it accepts, and that every failure means "keep ours"."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from config.taxonomy import all_paths
from nlu import llm
from nlu.llm import LlmClient, LlmExtraction, LlmFailure, parse_answer, strip_fences
from tests.conftest import make_settings
from tests.fake_llm import (
    DEFAULT_ANSWER,
    FENCED,
    GOOD,
    HTTP_500,
    NOT_JSON,
    SLOW,
    UNKNOWN_CATEGORY,
    WRONG_SCHEMA,
    FakeLlm,
)

TEXT = "国权路小区楼下商铺每天夜里12点还在放音乐，吵得睡不着，我电话13812345678"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


async def extract_with(
    fake: FakeLlm, session: aiohttp.ClientSession, text: str = TEXT, **settings: Any
) -> tuple[LlmClient, LlmExtraction | None]:
    async with fake.running() as url:
        values = {"llm_url": url, "llm_model": "qwen-test", "llm_key": "sk-test", **settings}
        client = LlmClient(make_settings("sqlite://:memory:", **values))
        return client, await client.extract(session, text)


async def test_a_good_answer_is_validated_and_returned(session: aiohttp.ClientSession) -> None:
    fake = FakeLlm(GOOD)
    client, extraction = await extract_with(fake, session)
    assert extraction is not None
    assert extraction.kind == "complaint"
    assert extraction.category == "环境保护/噪声污染"
    assert extraction.urgency == "一般" and extraction.urgency_reasons == []
    assert extraction.title == DEFAULT_ANSWER["title"]
    assert extraction.keywords == ["噪音", "商铺", "夜间"]
    assert extraction.compound == "国权路小区" and extraction.road is None
    assert client.successes == 1 and not client.failures


async def test_the_request_is_openai_compatible(session: aiohttp.ClientSession) -> None:
    fake = FakeLlm(GOOD)
    await extract_with(fake, session)
    [request] = fake.requests
    assert request.model == "qwen-test"
    assert request.authorization == "Bearer sk-test"
    assert request.body["temperature"] == 0
    assert request.body["response_format"] == {"type": "json_object"}
    # The resident's words reach the model, their phone number does not.
    assert "夜里12点还在放音乐" in request.user_text
    assert "13812345678" not in request.user_text and "138****5678" in request.user_text
    prompt = request.system_prompt
    assert "complaint（投诉）" in prompt and "praise（表扬）" in prompt
    assert all(path in prompt for path in all_paths())


async def test_no_key_no_authorization_header(session: aiohttp.ClientSession) -> None:
    fake = FakeLlm(GOOD)
    _, extraction = await extract_with(fake, session, llm_key="")
    assert extraction is not None and fake.requests[0].authorization is None


async def test_an_answer_in_a_code_fence_is_accepted(session: aiohttp.ClientSession) -> None:
    _, extraction = await extract_with(FakeLlm(FENCED), session)
    assert extraction is not None and extraction.category == "环境保护/噪声污染"


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        (NOT_JSON, "not_json"),
        (WRONG_SCHEMA, "schema"),
        (UNKNOWN_CATEGORY, "category"),
        (HTTP_500, "http"),
    ],
)
async def test_a_bad_answer_falls_back(
    session: aiohttp.ClientSession, mode: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="nlu.llm"):
        client, extraction = await extract_with(FakeLlm(mode), session)
    assert extraction is None
    assert client.failures == {reason: 1} and client.successes == 0
    assert "keeps the local understanding" in caplog.text
    # Nothing the resident wrote (nor the model's rendering of it) is logged.
    assert "13812345678" not in caplog.text and "音乐" not in caplog.text
    assert "噪音" not in caplog.text and "环境保护" not in caplog.text


async def test_a_slow_endpoint_times_out(session: aiohttp.ClientSession) -> None:
    client, extraction = await extract_with(FakeLlm(SLOW), session, llm_timeout_seconds=0.2)
    assert extraction is None and client.failures == {"timeout": 1}


async def test_an_unreachable_endpoint_falls_back(session: aiohttp.ClientSession) -> None:
    settings = make_settings("sqlite://:memory:", llm_url="http://127.0.0.1:9/v1")
    client = LlmClient(settings)
    assert await client.extract(session, TEXT) is None
    assert client.failures == {"transport": 1}


async def test_requests_in_flight_are_limited(session: aiohttp.ClientSession) -> None:
    fake = FakeLlm(GOOD)
    release = fake.hold_requests()
    async with fake.running() as url:
        client = LlmClient(make_settings("sqlite://:memory:", llm_url=url, llm_max_concurrency=2))
        tasks = [asyncio.create_task(client.extract(session, TEXT)) for _ in range(5)]
        await fake.wait_for_requests(2)
        await asyncio.sleep(0.05)  # room for a third request, if the limit let one through
        assert len(fake.requests) == 2 and fake.in_flight == 2
        release.set()
        results = await asyncio.gather(*tasks)
    assert all(result is not None for result in results) and len(fake.requests) == 5


async def test_a_burst_beyond_the_queue_is_left_to_the_local_model(
    session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(llm, "WAITING_PER_SLOT", 1)
    fake = FakeLlm(GOOD)
    release = fake.hold_requests()
    async with fake.running() as url:
        client = LlmClient(make_settings("sqlite://:memory:", llm_url=url, llm_max_concurrency=1))
        first = asyncio.create_task(client.extract(session, TEXT))
        await fake.wait_for_requests(1)
        second = asyncio.create_task(client.extract(session, TEXT))
        await asyncio.sleep(0)  # the second is now waiting for the one slot
        assert await client.extract(session, TEXT) is None
        assert client.failures == {"busy": 1}
        release.set()
        assert await first is not None and await second is not None


# --- parsing, without a server ----------------------------------------------------------------


def chat(content: Any) -> dict[str, Any]:
    return {"choices": [{"message": {"role": "assistant", "content": content}}]}


def answer(**changes: Any) -> str:
    return json.dumps({**DEFAULT_ANSWER, **changes}, ensure_ascii=False)


def test_fences_are_stripped() -> None:
    assert strip_fences('```json\n{"a": 1}\n```') == '{"a": 1}'
    assert strip_fences('```\n{"a": 1}```') == '{"a": 1}'
    assert strip_fences(' {"a": 1} ') == '{"a": 1}'


def test_chinese_kind_labels_and_urgency_words_are_accepted() -> None:
    extraction = parse_answer(chat(answer(kind="举报", urgency="紧急")), TEXT)
    assert extraction.kind == "report" and extraction.urgency == "急"


def test_extra_keys_are_ignored_and_long_values_trimmed() -> None:
    extraction = parse_answer(
        chat(
            answer(confidence=0.9, title="很" * 50, keywords=[" 噪音 ", "", "噪音", *"abcdefghij"])
        ),
        TEXT,
    )
    assert len(extraction.title) == 30
    assert extraction.keywords[0] == "噪音" and len(extraction.keywords) == 8


def test_category_spellings() -> None:
    assert parse_answer(chat(answer(category="环境保护 / 噪声污染")), TEXT).category == (
        "环境保护/噪声污染"
    )
    assert parse_answer(chat(answer(category="环境保护/噪声污染/夜间施工")), TEXT).category == (
        "环境保护/噪声污染"
    )


def test_a_first_level_name_is_mapped_to_its_best_child() -> None:
    text = "国权路小区楼道里堆满杂物，物业一直不管"
    assert parse_answer(chat(answer(category="城乡建设")), text).category == "城乡建设/物业管理"
    # No cue words of the class at all: its 其他, if it has one.
    assert parse_answer(chat(answer(category="城乡建设")), "你好").category == "城乡建设/其他"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (answer(kind="抱怨"), "schema"),
        (answer(urgency="很急很急"), "schema"),
        (answer(title=123), "schema"),
        (answer(keywords="噪音,商铺"), "schema"),
        (answer(urgency_reasons=[1, 2]), "schema"),
        ("[1, 2, 3]", "schema"),
        (answer(category="环境保护/不存在"), "category"),
        (answer(category=["环境保护", "噪声污染"]), "schema"),
        ("好的，这是一条投诉。", "not_json"),
    ],
)
def test_invalid_answers_are_refused(content: str, reason: str) -> None:
    with pytest.raises(LlmFailure) as failure:
        parse_answer(chat(content), TEXT)
    assert failure.value.reason == reason


@pytest.mark.parametrize("body", [{}, {"choices": []}, chat(None), "nope", chat({"a": 1})])
def test_malformed_responses_are_refused(body: Any) -> None:
    with pytest.raises(LlmFailure) as failure:
        parse_answer(body, TEXT)
    assert failure.value.reason == "bad_response"
