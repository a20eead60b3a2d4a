"""Sends what the outbox holds, in every process at once, never sending a row twice blindly.

A drainer claims due rows with a conditional UPDATE (on PostgreSQL after picking them with
``FOR UPDATE SKIP LOCKED`` so drainers do not fight over the same rows), sends them, and records
the result only if the row is still claimed by this very claim. A drainer that dies mid-send
leaves rows SENDING until ``claimed_until``; after that any drainer takes them up again, and
one that finds the dead drainer's hand-over mark on a row treats its send as unclear (below).

Failures that surely did not reach the API (no connection: refused, unknown host, TLS; the
access token could not be had; an HTTP 4xx; an errcode the API calls transient: busy, quota)
put the row back with exponential backoff and jitter until ``outbox_max_attempts``; a permanent
errcode (unfollowed, wrong openid or userid, no consent) fails the row at once with the API's
words and a hint. A send whose outcome is unclear (the request left, then a timeout, a reset
connection or an HTTP 5xx; or the drainer died after handing it over, which the mark written
just before each send reveals: :mod:`bot.wechat.outbox_handover`) may have arrived: it is
repeated only where the API recognises a repeat, else recorded ``unknown``, and a survey or a
worker's task template gets one more copy after a wait (:mod:`handlers.outbox_unclear`).
Sends to each account (the official account, the mini-program, the WeCom app) pass a token
bucket of ``outbound_rate_per_second`` per process, so a burst after a broadcast stays under
the API's frequency limits instead of collecting 45009s.

The mini-program's rows (``mini_custom``, ``mini_subscribe``) go through its own client, with its
own token; without one (not configured) they fail at once saying what to set.

Rows of a broadcast notice (purpose ``notice``) are checked with
:mod:`handlers.broadcasts.sending` just before their send (a cancelled notice sends nothing
more; an attempt that may have reached WeChat is resent only where WeChat or WeCom recognise a
repeat) and their result is recorded on the notice's delivery rows in the same transaction as
on the outbox row.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from bot.wechat.client import MiniProgramClient, WeChatApiError, WeChatClient, WeChatUnavailable
from bot.wechat.outbox_handover import SendHistory
from bot.wechat.outbox_pacing import MINI_CHANNELS, TokenBucket, account_of, retry_delay
from bot.wechat.wecom_client import WeComClient
from config.settings import Settings
from handlers import outbox_unclear as unclear
from handlers.broadcasts import sending as notices
from handlers.broadcasts.rules import MASS_API_KEY
from handlers.clock import Clock
from handlers.outbox_unclear import Unclear
from handlers.workflow.tasks import UPDATE_CARD
from models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

SEND_CONCURRENCY = 16
CLAIM_TRIES = 3
# Below this, answers WeChat is merely slow to give are taken for unclear outcomes.
SENSIBLE_HTTP_TIMEOUT_SECONDS = 5.0

KNOWN_CHANNELS = frozenset(
    {"mp_custom", "mp_template", "mp_subscribe", "mp_mass", "work_app", *MINI_CHANNELS}
)
WORK_APP_NOT_CONFIGURED = (
    "WeCom is not configured: set JIESU_WORK_CORP_ID, JIESU_WORK_AGENT_ID and JIESU_WORK_SECRET"
)
MP_NOT_CONFIGURED = "the official account client is missing: set JIESU_MP_APPID and JIESU_MP_SECRET"
MINI_NOT_CONFIGURED = (
    "the mini-program client is missing: set JIESU_MINI_APPID and JIESU_MINI_SECRET "
    "(it is made only with JIESU_OUTBOUND_MODE=wechat)"
)


class PermanentSendError(Exception):
    """The row can never be sent as it is; retrying would only repeat the failure."""


def short_text(payload: dict[str, Any], limit: int = 60) -> str:
    """A one-line glimpse of a payload for the sandbox log."""
    text = payload.get("text")
    if isinstance(text, dict) and text.get("content"):
        summary = str(text["content"])
    elif payload.get("template_id"):
        summary = f"template {payload['template_id']}"
    else:
        summary = str(payload.get("msgtype") or sorted(payload))
    summary = " ".join(summary.split())
    return summary if len(summary) <= limit else summary[: limit - 1] + "…"


class OutboxDrainer:
    """Drains the outbox. ``client`` None (or sandbox mode) records messages instead of sending."""

    def __init__(
        self,
        client: WeChatClient | None,
        settings: Settings,
        clock: Clock,
        owner_id: str,
        claim_seconds: float = 60.0,
        *,
        wecom: WeComClient | None = None,
        mini: MiniProgramClient | None = None,
    ) -> None:
        # Worst case for one row: token fetch and send, then a forced token fetch and a resend.
        self._send_budget = timedelta(seconds=4 * settings.http_timeout_seconds)
        claim = timedelta(seconds=claim_seconds)
        if claim <= self._send_budget:
            # A send that outlives its claim lets another drainer send the row again.
            claim = self._send_budget + timedelta(seconds=30)
            logger.warning(
                "outbox claim of %s s is too short for JIESU_HTTP_TIMEOUT_SECONDS=%s; using %s s",
                claim_seconds,
                settings.http_timeout_seconds,
                claim.total_seconds(),
            )
        if settings.http_timeout_seconds < SENSIBLE_HTTP_TIMEOUT_SECONDS:
            logger.warning(
                "JIESU_HTTP_TIMEOUT_SECONDS=%s is short: WeChat usually answers within a second, "
                "but a send that gets no answer in time is recorded as unknown and not repeated; "
                "allow 10-15 s",
                settings.http_timeout_seconds,
            )
        self._client = client
        self._wecom = wecom
        self._mini = mini
        self._settings = settings
        self._clock = clock
        self._owner_id = owner_id
        self._claim = claim
        self._sandbox = settings.outbound_mode == "sandbox" or (
            client is None and wecom is None and mini is None
        )
        self._buckets: dict[str, TokenBucket] = {}

    def bucket(self, account: str) -> TokenBucket:
        bucket = self._buckets.get(account)
        if bucket is None:
            bucket = TokenBucket(self._settings.outbound_rate_per_second)
            self._buckets[account] = bucket
        return bucket

    def _now(self) -> datetime:
        return self._clock.now().astimezone(UTC)

    def _new_claim_id(self) -> str:
        """Unique per drain, so two drains under one owner id cannot mistake each other's rows."""
        suffix = secrets.token_hex(4)
        return f"{self._owner_id[: 64 - len(suffix) - 1]}#{suffix}"

    async def drain_once(self, limit: int | None = None) -> int:
        """Claim due rows, send them, record each result. Returns how many rows were handled."""
        batch = limit or self._settings.outbox_batch_size
        claim_id = self._new_claim_id()
        rows = await self._claim_due(batch, claim_id)
        if not rows:
            return 0
        gate = asyncio.Semaphore(SEND_CONCURRENCY)
        # One person's messages go one after the other, in the order they were written (a
        # resident reads "收到照片" before the case it became); different people's at once.
        queues: dict[tuple[str, str], list[OutboxMessage]] = {}
        for row in rows:
            queues.setdefault((row.channel, row.recipient), []).append(row)

        async def deliver_in_order(queue: list[OutboxMessage]) -> None:
            for row in queue:
                try:
                    async with gate:
                        await self._deliver(row, claim_id)
                except Exception as exc:
                    logger.error("outbox %s: recording the result failed: %r", row.id, exc)

        await asyncio.gather(*(deliver_in_order(queue) for queue in queues.values()))
        return len(rows)

    async def run(self, stop: asyncio.Event) -> None:
        """Drain until ``stop`` is set. A full batch means more is waiting, so go again at once."""
        poll = self._settings.outbox_poll_seconds
        while not stop.is_set():
            try:
                handled = await self.drain_once()
            except Exception:
                logger.exception("outbox drain failed; trying again in %s s", poll)
                handled = 0
            if handled >= self._settings.outbox_batch_size:
                await asyncio.sleep(0)
                continue
            try:
                await asyncio.wait_for(stop.wait(), timeout=poll)
            except TimeoutError:
                pass

    # Claiming

    def _due(self, now: datetime) -> Q:
        pending = Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
        abandoned = Q(status=OutboxStatus.SENDING) & (
            Q(claimed_until__lt=now) | Q(claimed_until__isnull=True)
        )
        return pending | abandoned

    async def _claim_due(self, batch: int, claim_id: str) -> list[OutboxMessage]:
        for _ in range(CLAIM_TRIES):
            now = self._now()
            candidates, won = await self._claim_candidates(now, batch, claim_id)
            if not candidates:
                return []
            if won:
                return list(
                    await OutboxMessage.filter(
                        id__in=candidates, claimed_by=claim_id, status=OutboxStatus.SENDING
                    ).order_by("id")
                )
            logger.debug(
                "outbox: other drainers claimed all %d candidates; looking again", len(candidates)
            )
        return []

    async def _claim_candidates(
        self, now: datetime, batch: int, claim_id: str
    ) -> tuple[list[int], int]:
        """Pick due ids and claim them; returns the ids picked and how many this claim won.

        The UPDATE repeats the "due" condition, so a row another drainer claimed between our
        SELECT and our UPDATE no longer matches and stays theirs.
        """
        due = self._due(now)
        claim = {
            "status": OutboxStatus.SENDING,
            "claimed_by": claim_id,
            "claimed_until": now + self._claim,
        }
        query = OutboxMessage.filter(due).order_by("next_attempt_at", "id").limit(batch)
        if not OutboxMessage._meta.db.capabilities.support_for_update:
            ids = [row_id for (row_id,) in await query.values_list("id")]
            won = await OutboxMessage.filter(due, id__in=ids).update(**claim) if ids else 0
            return ids, won
        # PostgreSQL: locked rows are skipped, so concurrent drainers take different rows.
        async with in_transaction() as conn:
            locked = query.select_for_update(skip_locked=True).using_db(conn)
            ids = [row_id for (row_id,) in await locked.values_list("id")]
            won = (
                await OutboxMessage.filter(due, id__in=ids).using_db(conn).update(**claim)
                if ids
                else 0
            )
            return ids, won

    # Sending

    async def _deliver(self, row: OutboxMessage, claim_id: str) -> None:
        if not self._sandbox and row.channel in KNOWN_CHANNELS:
            # Wait for the account's turn before checking the claim, so that a long wait ends
            # in a renewed claim (or in leaving the row to others), never in a send on a claim
            # that ran out meanwhile.
            await self.bucket(account_of(row.channel)).acquire()
        if not await self._keep_claim(row, claim_id):
            logger.warning("outbox %s: claim ran out before sending; left to others", row.id)
            return
        history = SendHistory.of(row)
        notice = row.purpose == notices.NOTICE_PURPOSE
        if notice:
            plan, reason = await notices.before_send(row, self._now())
            if plan is notices.SendPlan.SKIP:
                await self._record_skipped(row, claim_id, reason)
                return
            if plan is notices.SendPlan.UNKNOWN:
                await self._record_failure(row, claim_id, reason, False, unknown=True)
                return
        elif not self._sandbox and not await self._settle_unclear(row, claim_id, history):
            return
        if not self._sandbox and not await self._hand_over(row, claim_id, history):
            logger.warning("outbox %s: claim lost before sending; left to others", row.id)
            return
        try:
            response = await self._send(row)
        except PermanentSendError as exc:
            await self._record_failure(row, claim_id, str(exc), False, history=history)
        except WeChatApiError as exc:
            maybe = isinstance(exc, WeChatUnavailable) and exc.maybe_delivered
            if maybe and not notice:
                await self._record_unclear(row, claim_id, str(exc), history)
                return
            await self._record_failure(
                row, claim_id, str(exc), exc.retryable, maybe_delivered=maybe, history=history
            )
        except Exception as exc:
            logger.exception("outbox %s: unexpected error while sending", row.id)
            error = f"{type(exc).__name__}: {exc}"
            if not notice and not self._sandbox:
                await self._record_unclear(row, claim_id, error, history)
                return
            await self._record_failure(row, claim_id, error, True, maybe_delivered=True)
        else:
            await self._record_sent(row, claim_id, response)

    async def _settle_unclear(
        self, row: OutboxMessage, claim_id: str, history: SendHistory
    ) -> bool:
        """Before a send: may this row go? Not if an earlier attempt may have arrived and a
        repeat is not harmless (recorded unknown), nor if it is the extra copy of an unclear
        send that is no longer wanted (recorded skipped)."""
        now = self._now()
        error = ""
        if history.handed_over_at is not None:
            error = history.died_in_flight()  # its drainer died after handing it over
            history.unclear(history.handed_over_at)
        if history.unclear_attempts:
            first = history.first_unclear_at or now
            decision = unclear.after_unclear(row, first, now, self._send_budget)
            if decision is not Unclear.RESEND:
                if not error:
                    error = (
                        f"an attempt since {first.isoformat()} may have arrived and a repeat "
                        "now would fall outside WeCom's duplicate check"
                    )
                await self._record_unknown(row, claim_id, error, history, decision)
                return False
            if error:
                logger.warning(
                    "outbox %s: %s; sent again: %s", row.id, error, unclear.why_harmless(row)
                )
        if unclear.is_resend(row):
            reason = await unclear.still_wanted(row, now)
            if reason:
                await self._record_skipped(row, claim_id, reason)
                return False
        return True

    async def _hand_over(self, row: OutboxMessage, claim_id: str, history: SendHistory) -> bool:
        """Mark the row as on its way (a drainer that finds the mark after this one died knows
        the request may have left) and renew the claim, if this claim still holds it."""
        now = self._now()
        until = now + self._claim
        won = (
            await self._mine(row, claim_id)
            .filter(claimed_until__gt=now)
            .update(claimed_until=until, response=history.marked(now, claim_id))
        )
        row.claimed_until = until
        history.handed_over_at = now
        return bool(won)

    async def _keep_claim(self, row: OutboxMessage, claim_id: str) -> bool:
        """Renew the claim of a row that waited for its turn until too little time was left.

        Without this a row queued behind slow sends could be reclaimed and sent by another
        drainer while this one is still about to send it.
        """
        now = self._now()
        if row.claimed_until is not None and row.claimed_until - now > self._send_budget:
            return True
        until = now + self._claim
        renewed = (
            await self._mine(row, claim_id)
            .filter(claimed_until__gt=now)
            .update(claimed_until=until)
        )
        row.claimed_until = until
        return bool(renewed)

    async def _send(self, row: OutboxMessage) -> dict[str, Any]:
        channel = row.channel
        if channel not in KNOWN_CHANNELS:
            raise PermanentSendError(
                f"unknown outbox channel {channel!r}; expected one of {sorted(KNOWN_CHANNELS)} "
                "- fix the code that queued it"
            )
        payload: dict[str, Any] = dict(row.payload or {})
        if self._sandbox:
            logger.info(
                "sandbox: not sending %s #%s to %s: %s",
                channel,
                row.id,
                row.recipient,
                short_text(payload),
            )
            return {"sandbox": True}
        if channel == "work_app":
            if unclear.duplicate_checked(row):
                payload = unclear.with_duplicate_check(payload)
            return await self._send_work(row.recipient, payload)
        if channel in MINI_CHANNELS:
            return await self._send_mini(channel, row.recipient, payload)
        client = self._client
        if client is None:
            raise PermanentSendError(MP_NOT_CONFIGURED)
        if channel == "mp_custom":
            return await client.send_custom_message(row.recipient, payload)
        if channel == "mp_template":
            return await client.send_template_message(row.recipient, payload)
        if channel == "mp_subscribe":
            return await client.send_subscribe_message(row.recipient, payload)
        return await self._send_mass(client, row.recipient, payload)

    @staticmethod
    async def _send_mass(
        client: WeChatClient, recipient: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        """mp_mass rows name their API: sendall (a ``filter``: all followers or a tag, the
        default), send (a ``touser`` list) or preview (to ``recipient``, one follower)."""
        api = payload.pop(MASS_API_KEY, "sendall")
        if api == "send":
            return await client.mass_send_to(payload)
        if api == "preview":
            return await client.mass_preview(recipient, payload)
        if api != "sendall":
            raise PermanentSendError(f"unknown mass-send API {api!r} in the outbox payload")
        return await client.mass_send(payload)

    async def _send_mini(
        self, channel: str, openid: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        mini = self._mini
        if mini is None:
            raise PermanentSendError(MINI_NOT_CONFIGURED)
        if channel == "mini_custom":
            return await mini.send_custom_message(openid, payload)
        return await mini.send_subscribe_message(openid, payload)

    async def _send_work(self, userid: str, payload: dict[str, Any]) -> dict[str, Any]:
        wecom = self._wecom
        if wecom is None:
            raise PermanentSendError(WORK_APP_NOT_CONFIGURED)
        if payload.pop("kind", None) == UPDATE_CARD:
            return await wecom.update_template_card(userid, payload)
        return await wecom.send_message(userid, payload)

    async def _record_sent(
        self, row: OutboxMessage, claim_id: str, response: dict[str, Any]
    ) -> None:
        now = self._now()
        async with self._atomic(row):
            updated = await self._mine(row, claim_id).update(
                status=OutboxStatus.SENT,
                attempts=row.attempts + 1,
                sent_at=now,
                response=response,
                claimed_until=None,
                last_error="",
            )
            if updated:
                await notices.after_send(row, response, now)
        if not updated:
            logger.warning(
                "outbox %s was sent but its claim had passed to another drainer; "
                "raise claim_seconds if sends are this slow",
                row.id,
            )

    async def _record_skipped(self, row: OutboxMessage, claim_id: str, reason: str) -> None:
        """Nothing to send after all (its notice was cancelled meanwhile)."""
        updated = await self._mine(row, claim_id).update(
            status=OutboxStatus.SKIPPED, last_error=reason, claimed_until=None
        )
        if updated:
            logger.info("outbox %s (%s) not sent: %s", row.id, row.channel, reason)

    async def _record_failure(
        self,
        row: OutboxMessage,
        claim_id: str,
        error: str,
        retryable: bool,
        *,
        maybe_delivered: bool = False,
        unknown: bool = False,
        history: SendHistory | None = None,
    ) -> None:
        """A failed send; ``unknown``: the row ends unknown rather than failed. ``history``: the
        row's unclear attempts so far (a row that may have arrived before never ends failed)."""
        attempts = row.attempts + 1
        now = self._now()
        final = not (retryable and attempts < self._settings.outbox_max_attempts)
        stored = history.stored() if history is not None else None
        if not final:
            delay = retry_delay(attempts)
            logger.warning(
                "outbox %s (%s to %s) failed, attempt %d of %d, retry in %.0f s: %s",
                row.id,
                row.channel,
                row.recipient,
                attempts,
                self._settings.outbox_max_attempts,
                delay.total_seconds(),
                error,
            )
            changes: dict[str, Any] = {
                "status": OutboxStatus.PENDING,
                "next_attempt_at": now + delay,
            }
        else:
            if retryable:
                error = f"gave up after {attempts} attempts: {error}"
            if retryable and stored is not None:
                unknown = True
                error = f"outcome unknown: an earlier attempt may have arrived; {error}"
            logger.error(
                "outbox %s (%s to %s) failed for good: %s",
                row.id,
                row.channel,
                row.recipient,
                error,
            )
            changes = {"status": OutboxStatus.UNKNOWN if unknown else OutboxStatus.FAILED}
        async with self._atomic(row):
            updated = await self._mine(row, claim_id).update(
                attempts=attempts, last_error=error, claimed_until=None, response=stored, **changes
            )
            if updated:
                await notices.after_failure(
                    row, error, final=final, maybe_delivered=maybe_delivered
                )
        if not updated:
            logger.warning(
                "outbox %s: its claim passed to another drainer; result not recorded", row.id
            )

    async def _record_unclear(
        self, row: OutboxMessage, claim_id: str, error: str, history: SendHistory
    ) -> None:
        """The request left and no clear answer came: repeat it only if that is harmless."""
        now = self._now()
        first = history.unclear(history.handed_over_at or now)
        decision = unclear.after_unclear(row, first, now, self._send_budget)
        if decision is Unclear.RESEND:
            error = f"{error}; sent again: {unclear.why_harmless(row)}"
            await self._record_failure(row, claim_id, error, True, history=history)
            return
        await self._record_unknown(row, claim_id, error, history, decision)

    async def _record_unknown(
        self,
        row: OutboxMessage,
        claim_id: str,
        error: str,
        history: SendHistory,
        decision: Unclear,
    ) -> None:
        """Unknown for good, or (surveys, a worker's task template) until one more copy goes."""
        now = self._now()
        resend = None
        if decision is Unclear.ONCE_LATER:
            resend = unclear.resend_at(row, now, self._settings)
        text = f"outcome unknown: {error}; {unclear.unknown_note(decision, resend)}"
        async with in_transaction():
            updated = await self._mine(row, claim_id).update(
                status=OutboxStatus.UNKNOWN,
                attempts=row.attempts + 1,
                last_error=text,
                claimed_until=None,
                response=history.stored(),
            )
            again = await unclear.queue_once_more(row, resend) if updated and resend else None
        if not updated:
            logger.warning(
                "outbox %s: its claim passed to another drainer; result not recorded", row.id
            )
            return
        logger.warning(
            "outbox %s (%s %s to %s): %s%s",
            row.id,
            row.purpose or "message",
            row.channel,
            row.recipient,
            text,
            f" (outbox {again.id})" if again is not None else "",
        )

    @staticmethod
    def _atomic(row: OutboxMessage) -> AbstractAsyncContextManager[Any]:
        """A notice's row and its delivery rows change together; other rows need no transaction."""
        if row.purpose == notices.NOTICE_PURPOSE:
            return in_transaction()
        return nullcontext()

    @staticmethod
    def _mine(row: OutboxMessage, claim_id: str) -> Any:
        """Writes after a send touch the row only while this claim still holds it."""
        return OutboxMessage.filter(id=row.id, claimed_by=claim_id, status=OutboxStatus.SENDING)
