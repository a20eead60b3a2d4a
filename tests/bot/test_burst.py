"""A burst is absorbed: beyond the full-work slots a message is acknowledged at once with the
number its case will have, the case follows from the inbound table, its answer through the
outbox, exactly once, whatever WeChat retries or the process does."""

from __future__ import annotations

import asyncio
import re

from aiohttp.test_utils import TestClient

from bot.burst import Admission
from bot.keys import INTAKE
from bot.wechat.signing import message_xml, signed_query
from config import replies
from models import Case, CaseStatus, InboundMessage, InboundStatus, OutboxMessage
from tests.bot.conftest import ClientFactory, Resident, reply_content
from tests.conftest import TEST_TOKEN

ACK = re.compile(r"^已收到，编号 (\d{10,})。正在登记")


async def overloaded(make_client: ClientFactory, **overrides: object) -> TestClient:
    """A service whose every message is acknowledged (no full-work slot)."""
    return await make_client(intake_admission=True, intake_full_slots=0, **overrides)


async def post(client: TestClient, xml: str) -> str:
    response = await client.post("/wechat/mp", params=signed_query(TEST_TOKEN), data=xml.encode())
    assert response.status == 200
    return reply_content(await response.text())


def number_of(answer: str) -> str:
    match = ACK.match(answer)
    assert match, answer
    return match.group(1)


async def drained(client: TestClient) -> None:
    burst = client.app[INTAKE].burst
    assert burst is not None
    await burst.queue.drained()


def outbox_texts(rows: list[OutboxMessage]) -> list[str]:
    return [str(row.payload["text"]["content"]) for row in rows]


async def test_overload_acknowledges_with_the_number_its_case_then_takes(
    make_client: ClientFactory,
) -> None:
    client = await overloaded(make_client)
    xml = message_xml("o-burst", "text", {"Content": "国权路小区5号楼电梯坏了", "MsgId": 880001})
    first = await post(client, xml)
    match = ACK.match(first)
    assert match, first
    number = match.group(1)
    # WeChat's retry while the work is queued or running: the same words, no second anything.
    assert await post(client, xml) == first
    await drained(client)
    case = await Case.get()
    assert case.number == number
    row = await InboundMessage.get()
    assert row.status == InboundStatus.ANSWERED and row.case_id == case.id
    assert row.reserved_number == number
    outbox = await OutboxMessage.filter(recipient="o-burst", purpose="reply")
    assert len(outbox) == 1 and number in outbox_texts(outbox)[0]
    assert replies.ACKNOWLEDGED_UNUSED.format(number=number) not in outbox_texts(outbox)[0]
    # And a retry after the work: still the acknowledgement, still one case and one answer.
    assert await post(client, xml) == first
    assert await Case.all().count() == 1
    assert await InboundMessage.all().count() == 1
    assert await OutboxMessage.filter(recipient="o-burst", purpose="reply").count() == 1


async def test_concurrent_residents_each_get_their_own_number_and_one_answer(
    make_client: ClientFactory,
) -> None:
    client = await overloaded(make_client, intake_queue_workers=3)
    texts = [f"开鲁新村{n}号楼下水道堵了，污水漫到路上" for n in range(1, 7)]
    xmls = [
        message_xml(f"o-burst-{n}", "text", {"Content": text, "MsgId": 881000 + n})
        for n, text in enumerate(texts)
    ]
    answers = await asyncio.gather(*(post(client, xml) for xml in xmls))
    numbers = {f"o-burst-{n}": number_of(answer) for n, answer in enumerate(answers)}
    assert len(set(numbers.values())) == len(xmls)
    await drained(client)
    for openid, number in numbers.items():
        row = await InboundMessage.get(openid=openid)
        assert row.status == InboundStatus.ANSWERED and row.case_id is not None
        case = await Case.get(id=row.case_id)
        assert case.number == number or case.status == CaseStatus.MERGED
        outbox = await OutboxMessage.filter(recipient=openid, purpose="reply")
        assert len(outbox) == 1, openid
    assert await Case.all().count() == len(xmls)  # a merged report is a case row too


async def test_a_message_that_makes_no_case_says_its_number_went_unused(
    make_client: ClientFactory,
) -> None:
    client = await overloaded(make_client)
    xml = message_xml("o-help", "text", {"Content": "帮助", "MsgId": 882001})
    number = number_of(await post(client, xml))
    await drained(client)
    assert await Case.all().count() == 0
    [answer] = outbox_texts(await OutboxMessage.filter(recipient="o-help", purpose="reply"))
    assert answer.startswith(replies.ACKNOWLEDGED_UNUSED.format(number=number))


async def test_events_are_never_acknowledged(make_client: ClientFactory) -> None:
    client = await overloaded(make_client)
    resident = Resident(client, "o-subscriber")
    status, body = await resident.send("event", {"Event": "subscribe"})
    assert status == 200 and not ACK.match(reply_content(body))


async def test_a_crash_between_acknowledgement_and_work_is_recovered_by_the_sweep(
    make_client: ClientFactory,
) -> None:
    client = await overloaded(make_client, inbound_recovery_seconds=0.01)
    intake = client.app[INTAKE]
    assert intake.burst is not None
    await intake.burst.queue.stop()  # the process "died" with the message queued
    xml = message_xml("o-lost", "text", {"Content": "长白二村9号楼前的树倒了", "MsgId": 883001})
    first = await post(client, xml)
    number = number_of(first)
    row = await InboundMessage.get()
    assert row.status == InboundStatus.DEFERRED and await Case.all().count() == 0
    await asyncio.sleep(0.02)
    assert await intake.recover() == 1
    case = await Case.get()
    assert case.number == number
    outbox = await OutboxMessage.filter(recipient="o-lost", purpose="reply")
    assert len(outbox) == 1 and number in outbox_texts(outbox)[0]
    await asyncio.sleep(0.02)
    assert await intake.recover() == 0  # nothing redone
    assert await post(client, xml) == first
    assert await Case.all().count() == 1


async def test_the_queue_skips_a_row_the_sweep_took_meanwhile(make_client: ClientFactory) -> None:
    client = await overloaded(make_client, inbound_recovery_seconds=0.01)
    intake = client.app[INTAKE]
    assert intake.burst is not None
    queue = intake.burst.queue
    await queue.stop()
    xml = message_xml("o-race", "text", {"Content": "市光一村门口共享单车乱停", "MsgId": 884001})
    await post(client, xml)
    row = await InboundMessage.get()  # as the queue holds it
    await asyncio.sleep(0.02)
    assert await intake.recover() == 1
    assert not await queue.claim(row)  # the sweep's claim moved the row on: the queue lets go
    assert await Case.all().count() == 1


def test_admission_counts_slots_backlog_and_the_estimate() -> None:
    admission = Admission(slots=2, budget_seconds=1.0, cost_seconds=0.1)
    assert admission.admit(backlog=0)
    assert not admission.admit(backlog=1)  # earlier messages wait: no overtaking them
    admission.in_requests = 2
    assert not admission.admit(backlog=0)  # every slot taken
    admission.in_requests, admission.in_queue = 1, 9
    assert admission.estimate() > admission.budget_seconds
    assert not admission.admit(backlog=0)
    admission.in_queue = 0
    admission.measured(seconds=4.0, sharing=2)  # a slow spell raises the cost
    assert admission.cost_seconds > 0.1


async def test_admission_off_works_every_message_in_its_request(
    make_client: ClientFactory,
) -> None:
    client = await make_client(intake_admission=False, intake_full_slots=0)
    answer = await Resident(client, "o-baseline").say("凤城新村3号楼下水道堵了")
    case = await Case.get()
    assert case.number in answer and not ACK.match(answer)
