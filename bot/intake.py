"""From a verified, parsed message to the reply text, exactly once per message.

1. The message is stored (unique dedup key) before any work. A duplicate delivery finds the row
   and is answered from it, waiting briefly if the first delivery is still being worked on.
2. The work runs in one transaction: the router's handler, then ``handlers.intake.inbound.finish``.
3. If the work outlives the reply budget, the resident is told we are on it, and the real answer
   goes out through the outbox when the work commits.
4. With an LLM configured, a message that created a case starts a refinement once its
   transaction has committed: a background task that asks the LLM and applies its answer in a
   transaction of its own (``handlers.intake.refine``). Scheduling it never awaits, so the passive
   reply does not wait for the LLM; if the process dies first, the case stands as the local
   understanding made it.
5. A message that created a case is then matched against the open governance items (未诉先办,
   每月一题) in the background (``handlers.hot.linking``), from the items kept in memory: with
   none open nothing is read, and the reply never waits for it.
6. Under a burst (``bot.burst``), a message the full work could not answer in time is
   acknowledged instead: stored with a reserved case number ("已收到，编号 N"), its work queued;
   the case takes that number and the answer goes through the outbox. A retry is answered with
   the same acknowledgement.

Two channels feed this intake. The official account (``mp``) answers passively as above. The
mini-program's customer service (``mini``, :meth:`IntakeService.receive_pushed`) cannot reply
passively with content: WeChat is answered "success", and every reply goes out through the
outbox as a customer-service message, in the transaction of the work it answers (so exactly
once, whatever WeChat retries). Each channel's stored bodies are re-read by its own parser when
the recovery sweep re-runs them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import aiohttp
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.burst import Burst
from bot.conversation_router import Outcome, chat_channel, is_lookup, route
from bot.wechat.parsing import BadMessage, parse_mini_message, parse_wechat_message
from config import replies
from config.settings import Settings
from handlers.case_numbers import next_case_number
from handlers.clock import Clock
from handlers.context import HandlerContext
from handlers.hot.item_cache import OpenItems
from handlers.hot.linking import link_new_case
from handlers.intake import held_messages, inbound, reserved_numbers
from handlers.intake.content_check import NOT_CHECKED, CheckOutcome, TextChecker, check_words
from handlers.intake.incoming import IncomingMessage
from handlers.intake.refine import REFINABLE, Refinement, refine_case
from handlers.knowledge.answering import KnowledgeBase
from handlers.notify import notify_resident
from handlers.refreshing import RefreshingCache
from handlers.residents import cases as resident_cases
from handlers.residents.records import note_message
from handlers.suggestions.call_keywords import KeywordCalls
from handlers.workflow.routing import RoutingTable, load_routing_table
from handlers.workflow.sla_table import SlaTable, load_sla_table
from models import (
    Case,
    CaseStatus,
    HeldReason,
    InboundMessage,
    InboundStatus,
    Resident,
    ResidentApp,
)
from nlu import Gazetteer, TrainedModel
from nlu.llm import LlmClient

logger = logging.getLogger(__name__)

DUPLICATE_WAIT_STEP = 0.05
REFINE_DRAIN_GRACE = 1.0  # seconds beyond the LLM timeout that shutdown waits for refinements

MP_CHANNEL = "mp"
MINI_CHANNEL = "mini"
ENTER_SESSION = "user_enter_tempsession"  # the resident opened the mini-program's chat
# Entering the chat lets us send 2 customer-service messages within 1 minute; later, none.
ENTER_SESSION_QUOTA_SECONDS = 60


def _parse_mp(body: str) -> IncomingMessage:
    message, _ = parse_wechat_message(body)
    return message


# How the recovery sweep reads a stored body again, per channel.
CHANNEL_PARSERS: dict[str, Callable[[str], IncomingMessage]] = {
    MP_CHANNEL: _parse_mp,
    MINI_CHANNEL: parse_mini_message,
}


async def mini_resident(openid: str) -> Resident:
    """The resident a mini-program message comes from; made a mini-program resident if new."""
    resident, created = await Resident.get_or_create(
        openid=openid, defaults={"app": ResidentApp.MINIPROGRAM}
    )
    if not created and resident.app != ResidentApp.MINIPROGRAM:
        logger.warning(
            "resident %s wrote through the mini-program but is a %s resident; answers follow "
            "their app",
            resident.id,
            resident.app,
        )
    return resident


async def hold_for_review(
    message: IncomingMessage, check: CheckOutcome, ctx: HandlerContext
) -> Outcome:
    """A mini-program chat text the content check flagged: kept for a dispatcher, not routed."""
    resident = await mini_resident(message.openid)
    await note_message(resident, ctx.now)  # they did write: the reply may go out
    await held_messages.hold_chat_message(
        resident,
        message,
        chat_channel(resident),
        ctx,
        reason=HeldReason.CONTENT_CHECK,
        check=check.result,
    )
    return Outcome(replies.HELD_RECEIVED)


async def route_mini(message: IncomingMessage, ctx: HandlerContext) -> Outcome:
    """The router for the mini-program: its residents are made as such, and entering the chat
    (which the official account has no counterpart of) may be greeted; the rest is ``route``."""
    resident = await mini_resident(message.openid)
    if message.event != ENTER_SESSION:
        return await route(message, ctx)
    if message.create_time and ctx.now.timestamp() - message.create_time > (
        ENTER_SESSION_QUOTA_SECONDS
    ):
        return Outcome(None)
    since = ctx.now - ctx.conversation_ttl
    if resident.last_message_at is not None and resident.last_message_at > since:
        return Outcome(None)  # in a dialogue already: a greeting would interrupt it
    greeted = (
        await InboundMessage.filter(
            channel=MINI_CHANNEL,
            openid=message.openid,
            event=ENTER_SESSION,
            status=InboundStatus.ANSWERED,
            processed_at__gt=since,
        )
        .exclude(reply="")
        .exists()
    )
    return Outcome(None if greeted else replies.MINI_GREETING)


class PassiveReply:
    """Who delivers the answer: the waiting HTTP response, or the outbox once it gave up.

    Both sides decide without awaiting (one event loop), so exactly one of them wins, even
    when the database serialises writers (SQLite) and a status update could not be made in time.
    """

    def __init__(self) -> None:
        self.state = "waiting"

    def take_for_commit(self) -> bool:
        if self.state == "waiting":
            self.state = "committing"
            return True
        return False

    def give_up(self) -> bool:
        if self.state == "waiting":
            self.state = "released"
            return True
        return False


@dataclass
class IntakeService:
    """Everything the intake needs; one per app, shared by all requests."""

    settings: Settings
    clock: Clock
    gazetteer: RefreshingCache[Gazetteer]
    routing: RefreshingCache[RoutingTable] = field(
        default_factory=lambda: RefreshingCache(load_routing_table)
    )
    # The deployment's SLA rows; invalidated where an admin edits them, else reloaded each minute.
    sla: RefreshingCache[SlaTable] = field(default_factory=lambda: RefreshingCache(load_sla_table))
    background: set[asyncio.Task[str | None]] = field(default_factory=set)
    model: TrainedModel | None = None  # from settings.nlu_model, loaded at start
    # msgSecCheck for the mini-program chat (JIESU_CONTENT_CHECK), set when it is configured.
    checker: TextChecker | None = None
    llm: LlmClient | None = None  # None: no LLM configured, cases keep the local understanding
    knowledge: KnowledgeBase | None = None  # questions answered at intake from published entries
    llm_session: aiohttp.ClientSession | None = None
    refinements: set[asyncio.Task[Refinement | None]] = field(default_factory=set)
    burst: Burst | None = None  # admission and the queue of acknowledged messages (bot.burst)
    keyword_calls: KeywordCalls = field(default_factory=KeywordCalls)  # themed calls' keywords
    open_items: OpenItems = field(default_factory=OpenItems)  # governance items new cases join
    linkings: set[asyncio.Task[list[str]]] = field(default_factory=set)

    async def context(self) -> HandlerContext:
        return HandlerContext(
            now=self.clock.now(),
            settings=self.settings,
            gazetteer=await self.gazetteer.get(),
            routing=await self.routing.get(),
            model=self.model,
            sla=await self.sla.get(),
            knowledge=self.knowledge,
            keyword_calls=self.keyword_calls,
        )

    async def store(
        self,
        message: IncomingMessage,
        key: str,
        body: str,
        channel: str = "mp",
        reserved_number: str | None = None,
    ) -> tuple[InboundMessage, bool]:
        """Store the message; returns (row, created). A retry returns the first delivery's row.

        With ``reserved_number`` the message is acknowledged: stored DEFERRED (its answer goes
        through the outbox), keeping the number its case will take."""
        now = self.clock.now()
        try:
            row = await InboundMessage.create(
                dedup_key=key,
                channel=channel,
                openid=message.openid,
                msg_type=message.msg_type,
                event=message.event,
                msg_id=message.msg_id,
                create_time=message.create_time,
                body=body,
                status=InboundStatus.DEFERRED if reserved_number else InboundStatus.PROCESSING,
                reserved_number=reserved_number,
                received_at=now,
                claimed_at=now,
            )
            return row, True
        except IntegrityError:
            existing = await InboundMessage.get(dedup_key=key)
            return existing, False

    async def process(
        self, row: InboundMessage, message: IncomingMessage, waiting: PassiveReply | None = None
    ) -> str | None:
        """Do the work for a stored message. Raises if it failed (the row is then FAILED).

        ``waiting`` is the HTTP request still able to carry the reply; without it, or once it
        has given up, the reply is pushed through the outbox in the same transaction.
        """
        pushed_only = row.channel == MINI_CHANNEL  # the mini-program has no passive reply
        try:
            # The context (cached tables) is read before the transaction: see RefreshingCache.
            ctx = await self.context()
            # The check calls WeChat: before the transaction, which it must not hold open.
            check = await self.check_mini_words(message) if pushed_only else NOT_CHECKED
            async with in_transaction():
                with reserved_numbers.using(row.reserved_number):
                    if check.hold:
                        outcome = await hold_for_review(message, check, ctx)
                    else:
                        outcome = await (route_mini if pushed_only else route)(message, ctx)
                reply = reserved_numbers.explain_unused(outcome.reply, row.reserved_number)
                push = pushed_only or waiting is None or not waiting.take_for_commit()
                await inbound.finish(
                    row,
                    reply,
                    ctx.now,
                    outcome.case_id,
                    push=push,
                    session_open=pushed_only,
                )
        except inbound.AlreadyAnswered:
            logger.info(
                "inbound %s was answered by another worker; this attempt rolled back", row.dedup_key
            )
            fresh = await InboundMessage.get(id=row.id)
            return fresh.reply or None
        except Exception as exc:
            logger.exception("processing inbound %s failed", row.dedup_key)
            await inbound.fail(row, f"{type(exc).__name__}: {exc}")
            raise
        if outcome.created_case and outcome.case_id is not None:
            self.start_refinement(outcome.case_id)  # committed; the reply does not wait for it
            self.start_linking(outcome.case_id)
        return reply

    async def check_mini_words(self, message: IncomingMessage) -> CheckOutcome:
        """msgSecCheck on a mini-program chat text (not on lookups like 我的诉求)."""
        if message.msg_type != "text" or is_lookup(message.content):
            return NOT_CHECKED
        return await check_words(self.checker, self.settings, message.openid, message.content)

    async def answer(self, message: IncomingMessage, key: str, body: str) -> str | None:
        """The text of the passive reply for this delivery (None: reply "success")."""
        burst = self.burst
        if burst is not None and burst.acknowledge_now(message):
            return await self.acknowledge(burst, message, key, body)
        row, created = await self.store(message, key, body)
        if not created:
            return await self.answer_duplicate(row)
        waiting = PassiveReply()
        work = self.process(row, message, waiting)
        task = asyncio.create_task(burst.admission.track(work) if burst else work)
        try:
            return await asyncio.wait_for(asyncio.shield(task), self.settings.reply_budget_seconds)
        except TimeoutError:
            if waiting.give_up():
                logger.warning("inbound %s exceeded the reply budget; answering via outbox", key)
                self._keep_running(task)
                return replies.DEFERRED
            return await task  # the work is committing right now: its reply is moments away
        except Exception:
            return replies.FAILED

    async def acknowledge(
        self, burst: Burst, message: IncomingMessage, key: str, body: str
    ) -> str | None:
        """Store the message with a reserved case number and say so; the work is queued."""
        with burst.acknowledging():
            number = await next_case_number(self.clock.now())  # a retry's is a gap
            row, created = await self.store(message, key, body, reserved_number=number)
        if not created:
            return await self.answer_duplicate(row)
        burst.queue.put(row, message)  # if full, the recovery sweep takes it up
        return replies.ACKNOWLEDGED.format(number=number)

    async def receive_pushed(self, message: IncomingMessage, key: str, body: str) -> None:
        """A mini-program message: stored, worked on, its reply queued in the outbox.

        Returns once the work has committed, or at the reply budget (the work then goes on in
        the background), so WeChat hears "success" within its 5 s either way; waiting that long
        keeps a resident's quick messages in order and holds back a burst. A retry, or the same
        message delivered twice at once, finds the stored row and does nothing more: its reply
        is queued by the one delivery that does the work, or by the recovery sweep.
        """
        row, created = await self.store(message, key, body, channel=MINI_CHANNEL)
        if not created:
            logger.info("inbound %s delivered again; already taken care of", key)
            return
        task = asyncio.create_task(self.process(row, message))
        try:
            await asyncio.wait_for(asyncio.shield(task), self.settings.reply_budget_seconds)
        except TimeoutError:
            logger.warning("inbound %s exceeded the reply budget; its reply follows later", key)
            self._keep_running(task)
        except asyncio.CancelledError:
            self._keep_running(task)  # the request went away; the work (shielded) goes on
            raise
        except Exception:
            await self._tell_failed(row)

    async def _tell_failed(self, row: InboundMessage) -> None:
        """What the official account says passively when work fails, pushed: the message is
        kept and the recovery sweep re-runs it. Best effort: the database may be what failed."""
        try:
            resident = await mini_resident(row.openid)
            await notify_resident(
                resident,
                replies.FAILED,
                self.clock.now(),
                purpose="reply",
                dedup_key=f"failed:{row.dedup_key}",
                session_open=True,
            )
        except Exception:
            logger.exception("inbound %s: could not queue the failure notice", row.dedup_key)

    async def answer_duplicate(self, row: InboundMessage) -> str | None:
        """WeChat retried (or delivered twice at once): answer the same, never work twice."""
        waited = 0.0
        budget = self.settings.reply_budget_seconds
        while True:
            if row.reserved_number:  # acknowledged: the same words, whatever became of it
                return replies.ACKNOWLEDGED.format(number=row.reserved_number)
            if row.status == InboundStatus.ANSWERED:
                return row.reply or None
            if row.status in (InboundStatus.DEFERRED, InboundStatus.FAILED):
                return replies.DEFERRED if row.status == InboundStatus.DEFERRED else replies.FAILED
            if waited >= budget:
                return replies.DEFERRED
            await asyncio.sleep(DUPLICATE_WAIT_STEP)
            waited += DUPLICATE_WAIT_STEP
            row = await InboundMessage.get(id=row.id)

    def _keep_running(self, task: asyncio.Task[str | None]) -> None:
        """Hold a reference so a deferred task is not garbage-collected before it finishes."""
        self.background.add(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[str | None]) -> None:
        self.background.discard(task)
        if not task.cancelled():
            task.exception()  # already logged by process(); retrieved so asyncio stays quiet

    async def recover(self, limit: int = 50) -> int:
        """Re-run messages whose processing died or failed; their answers go via the outbox.

        Each channel's rows are read back by its own parser (``limit`` per channel).
        """
        claimed = 0
        for channel, parse in CHANNEL_PARSERS.items():
            stuck = await inbound.claim_stuck(
                self.clock.now(),
                timedelta(seconds=self.settings.inbound_recovery_seconds),
                max_attempts=5,
                limit=limit,
                channel=channel,
            )
            claimed += len(stuck)
            for row in stuck:
                try:
                    message = parse(row.body)
                except BadMessage:
                    logger.error(
                        "stored inbound %s no longer parses; leaving it failed", row.dedup_key
                    )
                    await inbound.fail(row, "stored body does not parse")
                    continue
                try:
                    await self.process(row, message)
                except Exception:
                    continue  # logged and marked failed by process(); retried on a later sweep
        # The mini-program's submissions through the resident API: stored alike, run by their own.
        ctx = await self.context()
        older_than = timedelta(seconds=self.settings.inbound_recovery_seconds)
        claimed += await resident_cases.recover_submissions(ctx, older_than, limit)
        return claimed

    def start_linking(self, case_id: int) -> None:
        """Link a committed new case to the open items it matches, in the background. Never
        awaits; a failure is logged and left to the linking sweep (``scheduler.jobs``)."""
        task = asyncio.create_task(self.link(case_id), name=f"link-case-{case_id}")
        self.linkings.add(task)
        task.add_done_callback(self.linkings.discard)

    async def link(self, case_id: int) -> list[str]:
        try:
            return await link_new_case(case_id, self.clock.now(), self.open_items)
        except Exception as exc:
            logger.error("linking case id %s to hot items failed (%s)", case_id, type(exc).__name__)
            return []

    def start_refinement(self, case_id: int) -> None:
        """Refine a committed new case in the background, if an LLM is configured. Never awaits."""
        if self.llm is None or self.llm_session is None:
            return
        task = asyncio.create_task(self.refine(case_id), name=f"refine-case-{case_id}")
        self.refinements.add(task)
        task.add_done_callback(self.refinements.discard)

    async def refine(self, case_id: int) -> Refinement | None:
        """Ask the LLM about a case and apply its answer; ``None`` if nothing was asked or used.

        Never raises: a failure of any kind leaves the case on the local understanding.
        """
        if self.llm is None or self.llm_session is None:
            return None
        try:
            case = await Case.get_or_none(id=case_id)
            if case is None or CaseStatus(case.status) not in REFINABLE or not case.text.strip():
                return None  # merged at once, or a voice message without recognition
            expected_version = case.version
            extraction = await self.llm.extract(self.llm_session, case.text)
            if extraction is None:
                return None  # counted and logged by the client
            ctx = await self.context()  # before the transaction: see RefreshingCache
            async with in_transaction():
                return await refine_case(
                    case_id,
                    extraction,
                    ctx,
                    expected_version=expected_version,
                    model=self.llm.model,
                )
        except Exception as exc:
            self.llm.failures["apply"] += 1
            # The type only: the message of a database error may quote the case's words.
            logger.error(
                "refining case id %s failed (%s); it keeps the local understanding",
                case_id,
                type(exc).__name__,
            )
            logger.debug("refinement failure of case id %s", case_id, exc_info=True)
            return None

    async def drain_background(self) -> None:
        """Wait for deferred work and refinements still running (at shutdown, and in tests).

        Deferred work is a resident's answer and is always waited for. Refinements are optional:
        those under way get about as long as one LLM call may take, and the rest, queued behind
        the concurrency limit, are cancelled; their cases stand on the local understanding.
        """
        if self.background:
            await asyncio.gather(*self.background, return_exceptions=True)
        if self.linkings:
            await asyncio.gather(*self.linkings, return_exceptions=True)
        if not self.refinements:
            return
        grace = self.settings.llm_timeout_seconds + REFINE_DRAIN_GRACE
        _, pending = await asyncio.wait(set(self.refinements), timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
            logger.info("%d LLM refinements dropped at shutdown", len(pending))
