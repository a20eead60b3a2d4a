"""The themed calls a chat keyword may name are kept in memory per app: read once while fresh,
read again at once when this process opens, edits or closes a call."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from handlers.suggestions import call_keywords
from handlers.suggestions.call_keywords import KeywordCalls
from handlers.suggestions.call_replies import keyword_call
from handlers.suggestions.calls import close_call, create_call, open_call
from models import SuggestionCall
from tests.handlers.suggestions.test_calls import NOW, given, office


async def test_calls_are_read_once_while_fresh_and_again_after_a_change(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[object] = []
    load = call_keywords.load_recent

    async def counted(now: datetime) -> list[SuggestionCall]:
        reads.append(now)
        return await load(now)

    monkeypatch.setattr(call_keywords, "load_recent", counted)
    cache = KeywordCalls(max_age=60)
    assert await keyword_call("#金点子 多装路灯", NOW, cache) is None
    assert await keyword_call("#金点子 多装长椅", NOW, cache) is None
    assert len(reads) == 1  # the second message read nothing
    actor = await office()
    call = await create_call(given(), actor, NOW)
    await open_call(call.code, actor, NOW)
    found = await keyword_call("#金点子 多装路灯", NOW, cache)
    assert found is not None and found[0].code == call.code and found[1] == "多装路灯"
    assert len(reads) == 2
    await close_call(call.code, actor, NOW + timedelta(hours=1))
    later = await keyword_call("#金点子 多装路灯", NOW + timedelta(hours=2), cache)
    assert later is not None and later[0].status == "closed"  # told it is closed, not lost
    assert len(reads) == 3
    # A message that cannot start with a keyword reads nothing at all.
    await keyword_call("政通路240号门口的路灯坏了好几天了晚上一片漆黑", NOW, cache)
    assert len(reads) == 3
