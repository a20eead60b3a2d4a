"""A suggestion written in the chat becomes a suggestion for the office, not a case (issue 18)."""

from __future__ import annotations

from models import Case, Suggestion, SuggestionEvent, SuggestionStatus
from tests.bot.conftest import ClientFactory, Resident


async def test_a_suggestion_is_registered_for_the_office(make_client: ClientFactory) -> None:
    client = await make_client()
    resident = Resident(client, "o-sg-1")
    reply = await resident.say("建议在控江路增设一个公交站，附近居民出行太不方便了")
    (suggestion,) = await Suggestion.all()
    assert suggestion.number.startswith("JY") and suggestion.number in reply
    assert "人民建议征集办公室" in reply and "个工作日" in reply
    assert suggestion.status == SuggestionStatus.RECEIVED and suggestion.channel
    assert suggestion.screen_due_at is not None and suggestion.screen_due_at > suggestion.created_at
    assert "控江路" in suggestion.text
    assert await Case.all().count() == 0  # no unit's deadline runs on a suggestion
    (event,) = await SuggestionEvent.filter(suggestion_id=suggestion.id)
    assert event.action == "receive" and event.actor_id == "o-sg-1"


async def test_a_complaint_is_still_a_case(make_client: ClientFactory) -> None:
    client = await make_client()
    resident = Resident(client, "o-sg-2")
    reply = await resident.say("政通路240号门口路灯坏了")
    assert await Case.all().count() == 1 and await Suggestion.all().count() == 0
    assert "JY" not in reply


async def test_suggestions_off_makes_cases_as_before(make_client: ClientFactory) -> None:
    client = await make_client(suggestions=False)
    resident = Resident(client, "o-sg-3")
    await resident.say("建议在控江路增设一个公交站，附近居民出行太不方便了")
    assert await Case.all().count() == 1 and await Suggestion.all().count() == 0
