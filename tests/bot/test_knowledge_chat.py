"""Questions answered in the chat from the knowledge base (issue 19), as a resident sees it:
an answer at once with its source, 解决了 (nothing made), 没解决 (a case carrying the entries
offered), typed or tapped (a tap counts by its answer, late too, once, and only the asker's),
and what must never be answered from an entry (urgent words, complaints)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from aiohttp.test_utils import TestClient

from bot.cli.chat import passive_menu
from bot.keys import CLOCK, KNOWLEDGE
from config.demo_district import FILES
from handlers.knowledge.files import demo_file, load_demo_knowledge
from handlers.knowledge.reranking import LlmReranker
from models import AskOutcome, Case, CaseEvent, Conversation, InboundMessage, KnowledgeAsk
from tests.bot.api.test_admin_knowledge import bearer
from tests.bot.conftest import ClientFactory, Resident, reply_content
from tests.fake_llm import GOOD, ChatRequest, FakeLlm


async def demo_client(make_client: ClientFactory) -> TestClient:
    client = await make_client()
    await load_demo_knowledge(demo_file(Path(FILES) / "knowledge.csv"), client.app[CLOCK].now())
    return client


async def test_a_question_is_answered_at_once_and_solved(make_client: ClientFactory) -> None:
    client = await demo_client(make_client)
    resident = Resident(client, "o-kb-1")
    reply = await resident.say("请问高龄津贴怎么申请？")
    assert "80周岁" in reply and "来源：" in reply and "没解决" in reply
    assert await Case.all().count() == 0
    stored = await InboundMessage.get(openid="o-kb-1")
    assert stored.reply == reply  # nothing a resident sends is lost, nor what they were told
    thanks = await resident.say("解决了，谢谢")
    assert "很高兴" in thanks
    assert await Case.all().count() == 0
    # The dialogue is over: the next words are a message of their own.
    assert (await Conversation.get(resident__openid="o-kb-1")).state == "idle"
    (ask,) = await KnowledgeAsk.all()
    assert ask.outcome == AskOutcome.SOLVED and ask.channel == "chat" and ask.entry_id
    assert ask.answered_at is not None and ask.case_id is None
    await resident.say("解决了")  # said again: a pleasantry, the question stays solved once
    assert (await KnowledgeAsk.get(id=ask.id)).answered_at == ask.answered_at


async def test_not_solved_makes_a_case_carrying_the_entries(make_client: ClientFactory) -> None:
    client = await demo_client(make_client)
    resident = Resident(client, "o-kb-2")
    first = await resident.say("加装电梯需要哪些材料")
    assert "来源：" in first and await Case.all().count() == 0
    second = await resident.say("没解决，转人工")
    (case,) = await Case.all()
    assert case.number in second and case.text == "加装电梯需要哪些材料"
    events = await CaseEvent.filter(case_id=case.id)
    (offered,) = [e for e in events if e.data.get("kind") == "knowledge_offered"]
    assert "加装电梯" in offered.note and offered.data["offered"]
    (ask,) = await KnowledgeAsk.all()
    assert ask.outcome == AskOutcome.UNSOLVED and ask.case_id == case.id


async def test_a_question_no_entry_answers_is_a_gap_linked_to_its_case(
    make_client: ClientFactory,
) -> None:
    client = await demo_client(make_client)
    resident = Resident(client, "o-kb-6")
    reply = await resident.say("请问公园里的游船几点开始营业？")
    assert "来源：" not in reply
    (case,) = await Case.all()
    (ask,) = await KnowledgeAsk.all()
    assert ask.outcome == AskOutcome.UNANSWERED and ask.case_id == case.id
    assert "游船" in ask.gap_key and "请问" not in ask.gap_key


async def test_urgent_words_and_complaints_are_never_answered_from_an_entry(
    make_client: ClientFactory,
) -> None:
    client = await demo_client(make_client)
    resident = Resident(client, "o-kb-3")
    reply = await resident.say("楼道里煤气味很重怎么办？老人一个人在家")
    assert "来源：" not in reply
    assert await Case.all().count() == 1
    other = Resident(client, "o-kb-4")
    reply = await other.say("国权路小区5号楼电梯坏了三天了怎么还没人修？")
    assert "来源：" not in reply and await Case.all().count() == 2


async def test_other_words_after_an_answer_are_a_new_message(make_client: ClientFactory) -> None:
    client = await demo_client(make_client)
    resident = Resident(client, "o-kb-5")
    assert "来源：" in await resident.say("高龄津贴怎么申请")
    reply = await resident.say("国权路小区5号楼楼下路灯坏了")
    (case,) = await Case.all()
    assert case.number in reply and "路灯" in case.text


# Tapping 解决了 / 没解决，转人工 under an answer (message-menu links naming the ask)


async def tap(resident: Resident, option: dict[str, str]) -> str:
    """What WeChat sends when a menu option is tapped: its words and its id."""
    status, body = await resident.send(
        "text",
        {"Content": option["content"], "MsgId": resident.msg_id(), "bizmsgmenuid": option["id"]},
    )
    assert status == 200, body
    return reply_content(body)


def options_of(reply: str) -> dict[str, dict[str, str]]:
    """The answer's tappable options by what they do: solved, unsolved."""
    _, menu = passive_menu(reply)
    return {option["id"].rsplit(":", 1)[1]: option for option in menu}


async def test_a_tapped_solved_ends_it(make_client: ClientFactory) -> None:
    client = await demo_client(make_client)
    resident = Resident(client, "o-kb-tap-1")
    reply = await resident.say("请问高龄津贴怎么申请？")
    options = options_of(reply)
    (ask,) = await KnowledgeAsk.all()
    assert options["solved"]["id"] == f"kb:{ask.id}:solved"
    assert options["unsolved"]["content"] == "没解决，转人工"
    assert "很高兴" in await tap(resident, options["solved"])
    assert (await KnowledgeAsk.get(id=ask.id)).outcome == AskOutcome.SOLVED
    assert await Case.all().count() == 0
    assert (await Conversation.get(resident__openid="o-kb-tap-1")).state == "idle"


async def test_a_late_tap_on_an_older_answer_makes_its_case(make_client: ClientFactory) -> None:
    client = await demo_client(make_client)
    resident = Resident(client, "o-kb-tap-2")
    options = options_of(await resident.say("加装电梯需要哪些材料"))
    # The conversation moves on: another answer, then a report of another problem.
    assert "来源：" in await resident.say("高龄津贴怎么申请")
    await resident.say("国权路小区5号楼楼下路灯坏了")
    (lamp,) = await Case.all()
    reply = await tap(resident, options["unsolved"])
    case = await Case.exclude(id=lamp.id).get()
    assert case.number in reply and case.text == "加装电梯需要哪些材料"
    events = await CaseEvent.filter(case_id=case.id)
    (offered,) = [e for e in events if e.data.get("kind") == "knowledge_offered"]
    assert "加装电梯" in offered.note and offered.data["offered"][0]["question"].startswith("加装")
    lift = await KnowledgeAsk.get(text="加装电梯需要哪些材料")
    assert lift.outcome == AskOutcome.UNSOLVED and lift.case_id == case.id
    assert offered.data["entry"] == lift.entry_id
    other = await KnowledgeAsk.get(text="高龄津贴怎么申请")
    assert other.outcome == AskOutcome.ANSWERED  # the newer answer is still open


async def test_a_tap_after_the_conversation_expired(make_client: ClientFactory) -> None:
    client = await demo_client(make_client)
    resident = Resident(client, "o-kb-tap-3")
    options = options_of(await resident.say("高龄津贴怎么申请"))
    past = client.app[CLOCK].now() - timedelta(days=3)
    await Conversation.filter(resident__openid="o-kb-tap-3").update(expires_at=past)
    assert "很高兴" in await tap(resident, options["solved"])
    assert (await KnowledgeAsk.get()).outcome == AskOutcome.SOLVED and await Case.all().count() == 0


async def test_a_second_tap_makes_nothing(make_client: ClientFactory) -> None:
    client = await demo_client(make_client)
    resident = Resident(client, "o-kb-tap-4")
    options = options_of(await resident.say("加装电梯需要哪些材料"))
    await tap(resident, options["unsolved"])
    (case,) = await Case.all()
    again = await tap(resident, options["unsolved"])
    assert "已反馈" in again and case.number in again
    assert "已反馈" in await tap(resident, options["solved"])
    assert await Case.all().count() == 1
    ask = await KnowledgeAsk.get()
    assert ask.outcome == AskOutcome.UNSOLVED and ask.case_id == case.id
    offered = await CaseEvent.filter(case_id=case.id).all()
    assert len([e for e in offered if e.data.get("kind") == "knowledge_offered"]) == 1


async def test_another_residents_tap_changes_nothing(make_client: ClientFactory) -> None:
    client = await demo_client(make_client)
    asker, stranger = Resident(client, "o-kb-tap-5"), Resident(client, "o-kb-tap-6")
    options = options_of(await asker.say("加装电梯需要哪些材料"))
    for option in options.values():
        assert "不是发给您的" in await tap(stranger, option)
    assert await Case.all().count() == 0
    assert (await KnowledgeAsk.get()).outcome == AskOutcome.ANSWERED
    assert (await Conversation.get(resident__openid="o-kb-tap-5")).state == "knowledge"
    assert "很高兴" in await tap(asker, options["solved"])  # the asker's own tap still counts


async def test_questions_in_the_chat_show_in_the_figures_and_the_gaps(
    make_client: ClientFactory,
) -> None:
    client = await demo_client(make_client)
    resident = Resident(client, "o-kb-fig")
    assert "来源：" in await resident.say("请问高龄津贴怎么申请？")
    await resident.say("解决了")
    await resident.say("请问公园里的游船几点开始营业？")
    (case,) = await Case.all()
    staff = await bearer("kb-figures", "dispatcher")  # the last 30 days by default
    response = await client.get("/api/admin/knowledge/figures", headers=staff)
    body = await response.json()
    assert response.status == 200, body
    assert body["counts"] == {
        "asked": 2,
        "answered": 1,
        "solved": 1,
        "unsolved": 0,
        "no_feedback": 0,
        "unanswered": 1,
    }
    assert body["shares"]["satisfaction"]["rate"] == 1.0
    assert body["by_channel"]["chat"]["counts"]["asked"] == 2
    assert [use["entry"]["question"] for use in body["top_entries"]] == ["高龄津贴怎么申请"]
    response = await client.get("/api/admin/knowledge/gaps", headers=staff)
    (gap,) = (await response.json())["gaps"]
    assert "游船" in gap["key"] and gap["case_numbers"] == [case.number]


async def test_with_an_llm_configured_it_is_asked_about_questions_the_rule_hesitates_over(
    make_client: ClientFactory,
) -> None:
    assert (await make_client(demo=False)).app[KNOWLEDGE].reranker is None  # no LLM: none
    fake = FakeLlm(GOOD, answer={"choice": 0})  # none of the entries offered answers it
    async with fake.running() as url:
        client = await make_client(
            llm_url=url, llm_model="fake-model", llm_rerank_timeout_seconds=1.5
        )
        reranker = client.app[KNOWLEDGE].reranker
        assert isinstance(reranker, LlmReranker) and reranker.timeout == 1.5
        await load_demo_knowledge(demo_file(Path(FILES) / "knowledge.csv"), client.app[CLOCK].now())
        resident = Resident(client, "o-kb-7")
        reply = await resident.say("请问居住证积分怎么计算？")  # near 居住证怎么办理, not it
        assert "来源：" not in reply and await Case.all().count() == 1
        (asked,) = reranks(fake)  # (the case made is refined by the LLM too)
        assert "居住证怎么办理" in asked.user_text and reranker.declined == 1
        assert "来源：" in await Resident(client, "o-kb-8").say("高龄津贴怎么申请")
        assert len(reranks(fake)) == 1  # a question the rule is sure of is not sent


def reranks(fake: FakeLlm) -> list[ChatRequest]:
    return [r for r in fake.requests if "知识库的核对助手" in r.system_prompt]
