"""The mini-program's questions to the knowledge base (issue 19), as the mini-program asks them:
answered at once with the entry, its source and date; 解决了 ends it; 没解决 makes the case carrying
the entries offered, once, even when asked twice at the same moment; a question no entry answers
goes on to the case the app submits, linked to it; urgent words are never answered; another
resident's question is not there; bad payloads store nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from config.demo_district import FILES
from handlers.knowledge.files import demo_file, load_demo_knowledge
from models import AskOutcome, Case, CaseEvent, HeldMessage, InboundMessage, KnowledgeAsk
from tests.bot.api.test_resident import LAMP, MakeMini, MiniApp
from tests.bot.api.test_resident import fake_mini as fake_mini  # fixtures
from tests.bot.api.test_resident import make_mini as make_mini

QUESTIONS = "/api/resident/questions"
ALLOWANCE = "请问高龄津贴怎么申请？"
LIFT = "加装电梯需要哪些材料"
BOATS = "请问公园里的游船几点开始营业？"


async def kb_app(make_mini: MakeMini, **overrides: Any) -> MiniApp:
    app = await make_mini(**overrides)
    await load_demo_knowledge(demo_file(Path(FILES) / "knowledge.csv"), app.clock.now())
    return app


async def ask(app: MiniApp, headers: dict[str, str], text: str) -> dict[str, Any]:
    status, body, _ = await app.call("POST", QUESTIONS, headers, json={"text": text})
    assert status == 200, body
    return dict(body)


async def feedback(
    app: MiniApp, headers: dict[str, str], ask_id: int | str, solved: bool
) -> tuple[int, Any]:
    path = f"{QUESTIONS}/{ask_id}/feedback"
    status, body, _ = await app.call("POST", path, headers, json={"solved": solved})
    return status, body


async def offered_events(case: Case) -> list[CaseEvent]:
    events = await CaseEvent.filter(case_id=case.id)
    return [e for e in events if e.data.get("kind") == "knowledge_offered"]


async def test_a_question_is_answered_and_solved(make_mini: MakeMini) -> None:
    app = await kb_app(make_mini)
    headers = await app.sign_in("o-q-1")
    answer = await ask(app, headers, ALLOWANCE)
    assert answer["answered"] is True
    entry = answer["answer"]
    assert entry["code"] == "DEMO-001" and entry["question"] == "高龄津贴怎么申请"
    assert "80周岁" in entry["answer"] and entry["source"] and entry["as_of"] == "2026-03-10"
    assert entry["links"][0]["url"].startswith("https://") and entry["mini_page"]
    assert answer["offered"][0]["code"] == "DEMO-001"
    ask_row = await KnowledgeAsk.get(id=answer["ask"])
    assert ask_row.channel == "mini" and ask_row.outcome == AskOutcome.ANSWERED
    status, body = await feedback(app, headers, answer["ask"], solved=True)
    assert status == 200 and body["outcome"] == "solved"
    settled = await KnowledgeAsk.get(id=answer["ask"])
    assert settled.outcome == AskOutcome.SOLVED and settled.answered_at is not None
    # Said again, either way: 409, and nothing changes.
    for solved in (True, False):
        status, body = await feedback(app, headers, answer["ask"], solved=solved)
        assert status == 409 and body["error"]["code"] == "already_settled"
        assert "已反馈" in body["error"]["message"]
    assert await Case.all().count() == 0
    assert (await KnowledgeAsk.get(id=answer["ask"])).answered_at == settled.answered_at


async def test_not_answered_then_the_case_takes_up_the_question(make_mini: MakeMini) -> None:
    app = await kb_app(make_mini)
    headers = await app.sign_in("o-q-2")
    other = await app.sign_in("o-q-2b")
    answer = await ask(app, headers, BOATS)
    assert answer == {"answered": False, "ask": answer["ask"]} and answer["ask"]
    theirs = (await ask(app, other, "请问公园里的游船码头在哪里？"))["ask"]
    assert theirs
    # Naming another resident's question links nothing.
    status, body, _ = await app.submit(headers, BOATS, ask=theirs)
    assert status == 201
    assert (await KnowledgeAsk.get(id=theirs)).case_id is None
    status, body, _ = await app.submit(headers, BOATS, ask=answer["ask"])
    assert status == 201
    case = await Case.get(number=body["case"]["number"])
    mine = await KnowledgeAsk.get(id=answer["ask"])
    assert mine.outcome == AskOutcome.UNANSWERED and mine.case_id == case.id
    # A later case naming it again does not take it over.
    status, _, _ = await app.submit(headers, LAMP, ask=answer["ask"])
    assert status == 201 and (await KnowledgeAsk.get(id=answer["ask"])).case_id == case.id
    # There was no answer to say anything about.
    status, body = await feedback(app, headers, answer["ask"], solved=False)
    assert status == 409 and body["error"]["code"] == "not_answered"


async def test_not_solved_makes_the_case_carrying_the_entries(make_mini: MakeMini) -> None:
    app = await kb_app(make_mini)
    headers = await app.sign_in("o-q-3")
    answer = await ask(app, headers, LIFT)
    assert answer["answered"] is True and await Case.all().count() == 0
    status, body = await feedback(app, headers, answer["ask"], solved=False)
    assert status == 201 and body["outcome"] == "unsolved" and body["held"] is False
    (case,) = await Case.all()
    assert body["case"]["number"] == case.number and case.number in body["reply"]
    assert case.text == LIFT and case.channel == "miniprogram"
    (offered,) = await offered_events(case)
    assert "加装电梯" in offered.note
    assert offered.data["offered"][0]["code"] == answer["answer"]["code"]
    settled = await KnowledgeAsk.get(id=answer["ask"])
    assert settled.outcome == AskOutcome.UNSOLVED and settled.case_id == case.id
    # Twice: 409 naming the case, nothing made.
    status, body = await feedback(app, headers, answer["ask"], solved=False)
    assert status == 409 and body["error"]["code"] == "already_settled"
    assert case.number in body["error"]["message"]
    assert await Case.all().count() == 1 and len(await offered_events(case)) == 1
    # The resident reads the case as any other.
    status, detail, _ = await app.call("GET", f"/api/resident/cases/{case.number}", headers)
    assert status == 200 and detail["text"] == LIFT


async def test_not_solved_twice_at_once_makes_one_case(make_mini: MakeMini) -> None:
    app = await kb_app(make_mini)
    headers = await app.sign_in("o-q-4")
    answer = await ask(app, headers, LIFT)
    results = await asyncio.gather(
        feedback(app, headers, answer["ask"], solved=False),
        feedback(app, headers, answer["ask"], solved=False),
    )
    assert sorted(status for status, _ in results) == [201, 409]
    (case,) = await Case.all()
    assert len(await offered_events(case)) == 1
    assert (await KnowledgeAsk.get(id=answer["ask"])).case_id == case.id


async def test_another_residents_question_is_not_there(make_mini: MakeMini) -> None:
    app = await kb_app(make_mini)
    asker = await app.sign_in("o-q-5")
    stranger = await app.sign_in("o-q-6")
    answer = await ask(app, asker, LIFT)
    made_up = answer["ask"] + 1000
    for solved in (True, False):
        theirs = await app.call(
            "POST", f"{QUESTIONS}/{answer['ask']}/feedback", stranger, json={"solved": solved}
        )
        none = await app.call(
            "POST", f"{QUESTIONS}/{made_up}/feedback", stranger, json={"solved": solved}
        )
        assert theirs[0] == none[0] == 404 and theirs[1] == none[1]
    for path in (f"{QUESTIONS}/abc/feedback", f"{QUESTIONS}/{'9' * 19}/feedback"):
        status, _, _ = await app.call("POST", path, asker, json={"solved": True})
        assert status == 404, path
    assert await Case.all().count() == 0
    assert (await KnowledgeAsk.get(id=answer["ask"])).outcome == AskOutcome.ANSWERED


async def test_urgent_words_and_complaints_are_never_answered(make_mini: MakeMini) -> None:
    app = await kb_app(make_mini)
    headers = await app.sign_in("o-q-7")
    urgent = await ask(app, headers, "楼道里煤气味很重怎么办？老人一个人在家")
    assert urgent == {"answered": False, "ask": None}
    complaint = await ask(app, headers, "国权路小区5号楼电梯坏了三天了怎么还没人修？")
    assert complaint["answered"] is False and "answer" not in complaint
    assert await KnowledgeAsk.filter(outcome=AskOutcome.ANSWERED).count() == 0


async def test_bad_payloads_store_nothing(make_mini: MakeMini) -> None:
    app = await kb_app(make_mini)
    headers = await app.sign_in("o-q-8")
    for body in ({}, {"text": ""}, {"text": "   "}, {"text": 1}, {"text": "a\x00b"},
                 {"text": ALLOWANCE, "extra": 1}):  # fmt: skip
        status, answer, _ = await app.call("POST", QUESTIONS, headers, json=body)
        assert status == 400 and answer["error"]["code"] == "invalid_payload", body
    status, answer, _ = await app.call("POST", QUESTIONS, headers, data=b"{not json")
    assert status == 400 and answer["error"]["code"] == "invalid_json"
    asked = await ask(app, headers, LIFT)
    path = f"{QUESTIONS}/{asked['ask']}/feedback"
    for body in ({}, {"solved": "yes"}, {"solved": 1}, {"solved": True, "why": "x"}):
        status, answer, _ = await app.call("POST", path, headers, json=body)
        assert status == 400 and answer["error"]["code"] == "invalid_payload", body
    for ask_field in ("1", 0, -3, 10**19):
        status, answer, _ = await app.submit(headers, LAMP, ask=ask_field)
        assert status == 400 and answer["error"]["code"] == "invalid_payload", ask_field
    assert await KnowledgeAsk.all().count() == 1  # the one good question
    assert (await KnowledgeAsk.get()).outcome == AskOutcome.ANSWERED
    assert await Case.all().count() == 0 and await InboundMessage.all().count() == 0


async def test_oversized_questions_are_refused(make_mini: MakeMini) -> None:
    app = await kb_app(make_mini, message_max_chars=500)
    headers = await app.sign_in("o-q-9")
    for size in (501, 2001):
        text = "请问" + "高龄津贴" * (size // 4)
        status, answer, _ = await app.call("POST", QUESTIONS, headers, json={"text": text})
        assert status == 400 and "每次最多500字" in answer["error"]["message"], size
    assert await KnowledgeAsk.all().count() == 0


async def test_the_case_made_by_feedback_counts_like_a_submission(make_mini: MakeMini) -> None:
    app = await kb_app(make_mini, resident_cases_per_hour=1)
    headers = await app.sign_in("o-q-10")
    answer = await ask(app, headers, LIFT)
    assert (await app.submit(headers, LAMP))[0] == 201
    status, body = await feedback(app, headers, answer["ask"], solved=False)
    assert status == 429 and body["error"]["code"] == "rate_limited"
    assert (await KnowledgeAsk.get(id=answer["ask"])).outcome == AskOutcome.ANSWERED
    app.clock.advance(timedelta(hours=1))
    status, body = await feedback(app, headers, answer["ask"], solved=False)
    assert status == 201 and await Case.all().count() == 2
    # And it counts in turn: the next submission is over the limit.
    assert (await app.submit(headers, "控江路1500号门口垃圾没人清"))[0] == 429


async def test_held_words_are_not_answered(make_mini: MakeMini) -> None:
    app = await kb_app(make_mini, content_check=True)
    headers = await app.sign_in("o-q-11")
    assert await ask(app, headers, f"{ALLOWANCE}违禁词") == {"answered": False, "ask": None}
    assert await KnowledgeAsk.all().count() == 0
    # Clean words are answered; the case of a 没解决 goes through the check again.
    answer = await ask(app, headers, LIFT)
    assert answer["answered"] is True
    app.fake.review_words = {"电梯"}
    status, body = await feedback(app, headers, answer["ask"], solved=False)
    assert status == 202 and body["held"] is True and body["case"] is None
    (held,) = await HeldMessage.all()
    assert held.text == LIFT and held.payload["ask"] == answer["ask"]
    assert (await KnowledgeAsk.get(id=answer["ask"])).outcome == AskOutcome.UNSOLVED
    assert await Case.all().count() == 0
