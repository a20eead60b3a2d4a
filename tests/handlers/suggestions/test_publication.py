"""Publishing adopted suggestions: consent and adoption checked, anonymised by default, the
office's wording kept, the proposer thanked once, taken down again; what the public reads;
the certificate and the year's credited proposers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.suggestions.anonymise import anonymised
from handlers.suggestions.credit import NotAdoptedYet, certificate, credits_of_year
from handlers.suggestions.public import published_one, published_page
from handlers.suggestions.publication import (
    NoConsent,
    NotAdopted,
    NotPublished,
    Wording,
    draft_wording,
    publish,
    unpublish,
)
from handlers.timeline import Actor
from models import (
    AdoptionStatus,
    OutboxMessage,
    Resident,
    Station,
    Suggestion,
    SuggestionAdoption,
    SuggestionEvent,
    SuggestionStatus,
    Unit,
)

NOW = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
OFFICE = Actor("staff", "office")
TEXT = (
    "建议在控江路凤城路口增设公交站。我家住控江路1000弄5号302室，我叫张伟，"
    "电话13812345678，王阿姨也这么说。"
)


async def adopted_suggestion(
    number: str = "JY2605010001", *, consent: bool = True, credit: str = "", **fields: Any
) -> Suggestion:
    resident = await Resident.create(
        openid=f"o-{number}", nickname="小伟", last_message_at=NOW - timedelta(hours=1)
    )
    unit, _ = await Unit.get_or_create(code="TRAFFIC", defaults={"name": "区交通委员会"})
    values: dict[str, Any] = {
        "number": number,
        "resident_id": resident.id,
        "channel": "wechat",
        "title": "控江路增设公交站（张伟）",
        "text": TEXT,
        "category": "交通运输/公共交通",
        "street": "控江路街道",
        "status": SuggestionStatus.ADOPTED,
        "screen_due_at": NOW - timedelta(days=20),
        "screened_at": NOW - timedelta(days=21),
        "adopted_at": NOW - timedelta(days=21),
        "consent_publish": consent,
        "credit_name": credit,
        "contact_phone": "13812345678",
        "created_at": NOW - timedelta(days=25),
        "updated_at": NOW - timedelta(days=21),
    }
    suggestion = await Suggestion.create(**(values | fields))
    await SuggestionAdoption.create(
        suggestion_id=suggestion.id,
        unit_id=unit.id,
        status=AdoptionStatus.ANSWERED,
        assigned_at=NOW - timedelta(days=21),
        answer_kind="project",
        answer="已列入2026年公交站点优化项目，联系张先生13900000000核实。",
        answered_at=NOW - timedelta(days=5),
    )
    return suggestion


def test_the_default_wording_keeps_the_subject_and_drops_the_person() -> None:
    masked = anonymised(TEXT, also=("小伟",))
    assert "控江路凤城路口增设公交站" in masked
    for gone in ("1000弄", "302室", "张伟", "13812345678", "王阿姨"):
        assert gone not in masked, masked
    assert anonymised("地铁8号线3月5号起延长运营") == "地铁8号线3月5号起延长运营"


async def test_publish_thank_once_edit_and_take_down(db: str) -> None:
    suggestion = await adopted_suggestion(credit="张伟")
    draft = await draft_wording(suggestion)
    assert "张伟" not in draft.title and "13812345678" not in draft.text

    await publish(suggestion, OFFICE, NOW)
    assert (await Suggestion.get(id=suggestion.id)).published_at == NOW
    told = await OutboxMessage.filter(purpose="suggestion")
    assert len(told) == 1 and "署名：张伟" in str(told[0].payload), told[0].payload
    page, total = await published_page(1, 20)
    assert total == 1 and page[0].number == suggestion.number
    shown = page[0]
    assert (
        shown.credit == "张伟"
        and shown.text == draft.text
        and shown.departments == ("区交通委员会",)
    )
    assert (
        shown.answers[0].kind_label == "列入项目" and "13900000000" not in shown.answers[0].answer
    )
    assert "张先生" not in shown.answers[0].answer
    assert shown.received_on.isoformat() == "2026-04-25"

    # The office edits the wording: the public reads the edit, the proposer is not told again.
    edited = Wording("控江路凤城路口增设公交站", "建议在控江路凤城路口增设公交站，方便居民出行。")
    later = NOW + timedelta(hours=2)
    await publish(suggestion, OFFICE, later, wording=edited)
    one = await published_one(suggestion.number)
    assert one is not None and one.title == edited.title and one.text == edited.text
    assert one.published_at == NOW  # first publication stays the date shown
    assert await OutboxMessage.filter(purpose="suggestion").count() == 1
    events = await SuggestionEvent.filter(suggestion_id=suggestion.id).order_by("id")
    assert [e.action for e in events] == ["publish", "publish"]
    assert events[0].told and not events[1].told and events[1].data["title"] == edited.title

    # Consent withdrawn: hidden at once, without unpublishing.
    await Suggestion.filter(id=suggestion.id).update(consent_publish=False)
    assert await published_one(suggestion.number) is None
    await Suggestion.filter(id=suggestion.id).update(consent_publish=True)

    await unpublish(suggestion, OFFICE, later, reason="建议人要求撤下")
    assert await published_one(suggestion.number) is None
    with pytest.raises(NotPublished):
        await unpublish(suggestion, OFFICE, later)
    assert (await SuggestionEvent.filter(action="unpublish").get()).note == "建议人要求撤下"


async def test_no_consent_or_not_adopted_is_refused(db: str) -> None:
    refused = await adopted_suggestion("JY2605010002", consent=False)
    with pytest.raises(NoConsent) as why:
        await publish(refused, OFFICE, NOW)
    assert "没有同意公开" in str(why.value)
    waiting = await adopted_suggestion(
        "JY2605010003", status=SuggestionStatus.RECEIVED, adopted_at=None, screened_at=None
    )
    with pytest.raises(NotAdopted):
        await publish(waiting, OFFICE, NOW)
    declined = await adopted_suggestion(
        "JY2605010004", status=SuggestionStatus.DECLINED, adopted_at=None
    )
    with pytest.raises(NotAdopted):
        await publish(declined, OFFICE, NOW)
    assert not await SuggestionEvent.exists() and not await OutboxMessage.exists()
    with pytest.raises(NotAdoptedYet):
        await certificate(waiting, NOW)


async def test_the_certificate_and_the_years_credits(db: str) -> None:
    station = await Station.create(code="JYZ-TEST", name="控江路街道联系点", created_at=NOW)
    named = await adopted_suggestion("JY2605010005", credit="张伟", station_id=station.id)
    anonymous = await adopted_suggestion("JY2605010006")
    no_consent = await adopted_suggestion("JY2605010007", consent=False, credit="李强")
    last_year = await adopted_suggestion(
        "JY2505010008", credit="王芳", adopted_at=datetime(2025, 12, 31, 16, 30, tzinfo=UTC)
    )  # 2026-01-01 in Shanghai
    paper = await certificate(named, NOW)
    text = "\n".join(paper.lines())
    assert paper.greeting == "张伟：" and "JY2605010005" in text and "区交通委员会" in text
    assert "2026年4月29日" in text and "感谢信" in text  # adopted 21 days before 20 May
    assert (await certificate(anonymous, NOW)).greeting == "尊敬的市民朋友："

    credits = await credits_of_year(2026)
    assert [c.number for c in credits] == [last_year.number, named.number]
    assert all(c.name not in c.title for c in credits)
    assert no_consent.number not in [c.number for c in credits]
    assert await credits_of_year(2026, public_only=True) == []
    await publish(named, OFFICE, NOW)
    public = await credits_of_year(2026, public_only=True)
    assert [c.number for c in public] == [named.number] and public[0].published
    one = await published_one(named.number)
    assert one is not None and one.station == "控江路街道联系点"
