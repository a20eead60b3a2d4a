"""The content check: what each msgSecCheck answer does, and what a failed check does."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.intake.content_check import NOT_CHECKED, CheckUnavailable, check_words, words_of
from tests.conftest import make_settings

SETTINGS_ON = make_settings("sqlite://:memory:", content_check=True)
SETTINGS_OFF = make_settings("sqlite://:memory:", content_check=False)


class Checker:
    """Answers like msgSecCheck v2, or fails like the client does."""

    def __init__(self, suggest: str = "pass", fail: bool = False) -> None:
        self.suggest = suggest
        self.fail = fail
        self.calls: list[tuple[str, str, int]] = []

    async def check_text(self, openid: str, content: str, scene: int = 1) -> dict[str, Any]:
        self.calls.append((openid, content, scene))
        if self.fail:
            raise CheckUnavailable("WeChat API /wxa/msg_sec_check unavailable: timeout")
        return {
            "errcode": 0,
            "result": {"suggest": self.suggest, "label": 20006},
            "detail": [{"strategy": "content_model", "suggest": self.suggest}],
            "trace_id": "t-1",
        }


async def test_off_means_no_call() -> None:
    checker = Checker("risky")
    assert await check_words(checker, SETTINGS_OFF, "o-1", "违禁词") == NOT_CHECKED
    assert checker.calls == []


async def test_pass_goes_on() -> None:
    checker = Checker("pass")
    outcome = await check_words(checker, SETTINGS_ON, "o-1", "路灯坏了")
    assert not outcome.hold and outcome.checked and outcome.suggest == "pass"
    assert checker.calls == [("o-1", "路灯坏了", 1)]


@pytest.mark.parametrize("suggest", ["risky", "review"])
async def test_risky_and_review_are_held(suggest: str) -> None:
    outcome = await check_words(Checker(suggest), SETTINGS_ON, "o-1", "某些话")
    assert outcome.hold and outcome.checked
    assert outcome.result["suggest"] == suggest and outcome.result["trace_id"] == "t-1"


async def test_a_failed_check_lets_the_words_through_and_says_so() -> None:
    outcome = await check_words(Checker(fail=True), SETTINGS_ON, "o-1", "路灯坏了")
    assert not outcome.hold and not outcome.checked
    assert "unavailable" in outcome.result["unchecked"]


async def test_no_client_or_an_unknown_answer_lets_through() -> None:
    outcome = await check_words(None, SETTINGS_ON, "o-1", "路灯坏了")
    assert not outcome.hold and not outcome.checked and outcome.result["unchecked"]
    odd = await check_words(Checker("maybe"), SETTINGS_ON, "o-1", "路灯坏了")
    assert not odd.hold and not odd.checked


async def test_empty_words_are_not_sent() -> None:
    checker = Checker("risky")
    assert await check_words(checker, SETTINGS_ON, "o-1", "  ") == NOT_CHECKED
    assert checker.calls == []


def test_words_of_joins_what_was_typed() -> None:
    assert words_of("路灯坏了", None, " 政通路 ", "") == "路灯坏了\n政通路"
    assert len(words_of("字" * 3000)) == 2500
