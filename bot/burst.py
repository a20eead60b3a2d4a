"""Any burst is absorbed: what the full work cannot answer within WeChat's budget is acknowledged
at once and worked on from the inbound table.

WeChat retries a reply later than 5 s and shows the resident an error. The full work of a message
(understanding, duplicates, routing, events, outbox) takes milliseconds of CPU, so a broadcast or
a blackout that brings thousands of residents in a minute would queue requests past that. Here:

- :class:`Admission` decides per message: worked on in full inside its request only while fewer
  than ``intake_full_slots`` are, nothing is waiting in the queue, and the estimated time of the
  work in flight (each message's recent cost times how many are in flight, this one included)
  stays under ``intake_admission_seconds``. Otherwise the message is *acknowledged*: stored with
  a case number reserved (:mod:`handlers.intake.reserved_numbers`) and answered
  "已收到，编号 N" from that row at once.
- :class:`WorkQueue` then does its full work in this process, ``intake_queue_workers`` at a time,
  each resident's messages in the order they came (one lane per resident). Each message is
  claimed on its row first (a conditional update, as the recovery sweep claims), so a row the
  sweep took meanwhile is skipped. The answer goes through the outbox in the work's
  transaction, exactly once.
- Nothing is lost if the process dies: the acknowledged row stays DEFERRED until its work
  commits, and the recovery sweep (``IntakeService.recover``) takes up rows left DEFERRED for
  ``inbound_recovery_seconds``, in whichever process runs the sweeps (or ``jiesu worker``). A
  full queue leaves its overflow to the same sweep.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from config.settings import Settings
from handlers.clock import Clock
from handlers.intake.incoming import IncomingMessage
from models import InboundMessage, InboundStatus

logger = logging.getLogger(__name__)

T = TypeVar("T")

INITIAL_COST_SECONDS = 0.05  # one message's share of the work before any was measured
COST_WEIGHT = 0.1  # of the newest measurement in the moving average

OVERFLOW_LOG_EVERY = 1000

Work = Callable[[InboundMessage, IncomingMessage], Awaitable[object]]


@dataclass
class Admission:
    """How much full work is in flight, and whether one more fits in the reply budget."""

    slots: int
    budget_seconds: float
    in_requests: int = 0  # full work inside requests
    in_queue: int = 0  # full work of acknowledged messages, by the queue's workers
    cost_seconds: float = INITIAL_COST_SECONDS  # moving average of one message's share
    acknowledged: int = 0
    acknowledging: int = 0  # acknowledgements being stored and answered right now
    quiet: asyncio.Event = field(default_factory=asyncio.Event)  # set: acknowledging == 0

    def __post_init__(self) -> None:
        self.quiet.set()

    @classmethod
    def of(cls, settings: Settings) -> Admission:
        return cls(settings.intake_full_slots, settings.intake_admission_seconds)

    def estimate(self) -> float:
        """Seconds until one more message's work would be done, if admitted now."""
        return (self.in_requests + self.in_queue + 1) * self.cost_seconds

    def admit(self, backlog: int) -> bool:
        """Work on the next message in its request? Not while earlier ones wait in the queue or
        acknowledgements are being answered (a burst is on: no overtaking, and the event loop's
        time goes to the answers), nor beyond the slots or the budget."""
        if backlog > 0 or self.acknowledging or self.in_requests >= self.slots:
            return False
        return self.estimate() <= self.budget_seconds

    def measured(self, seconds: float, sharing: int) -> None:
        """One message's work took ``seconds`` while ``sharing`` works were in flight."""
        share = seconds / max(sharing, 1)
        self.cost_seconds += COST_WEIGHT * (share - self.cost_seconds)

    async def track(self, work: Awaitable[T], *, queued: bool = False) -> T:
        """Await ``work``, counting it in flight and measuring its cost."""
        if queued:
            self.in_queue += 1
        else:
            self.in_requests += 1
        sharing = self.in_requests + self.in_queue
        began = time.perf_counter()
        try:
            return await work
        finally:
            sharing = max(sharing, self.in_requests + self.in_queue)
            if queued:
                self.in_queue -= 1
            else:
                self.in_requests -= 1
            self.measured(time.perf_counter() - began, sharing)


@dataclass
class WorkQueue:
    """Acknowledged messages worked on in this process, a bounded number at once, in order per
    resident (each resident's messages go to one lane, by a hash of the openid)."""

    settings: Settings
    clock: Clock
    admission: Admission
    work: Work | None = None
    lanes: list[asyncio.Queue[tuple[InboundMessage, IncomingMessage]]] = field(default_factory=list)
    workers: list[asyncio.Task[None]] = field(default_factory=list)
    busy: int = 0
    overflow: int = 0  # acknowledged messages the queue had no room for
    working: set[asyncio.Task[None]] = field(default_factory=set)
    stopping: bool = False

    def start(self, work: Work) -> None:
        self.work = work
        count = self.settings.intake_queue_workers
        size = max(self.settings.intake_queue_size // count, 1)
        self.lanes = [asyncio.Queue(maxsize=size) for _ in range(count)]
        self.workers = [
            asyncio.create_task(self._run(lane, first=n == 0), name=f"intake-queue-{n}")
            for n, lane in enumerate(self.lanes)
        ]

    def backlog(self) -> int:
        return sum(lane.qsize() for lane in self.lanes) + self.busy

    def put(self, row: InboundMessage, message: IncomingMessage) -> bool:
        """Queue an acknowledged message; False if the queue is full or stopped (the recovery
        sweep takes it up then)."""
        if not self.lanes:
            return False
        lane = self.lanes[zlib.crc32(row.openid.encode()) % len(self.lanes)]
        try:
            lane.put_nowait((row, message))
        except asyncio.QueueFull:
            self.overflow += 1
            if self.overflow % OVERFLOW_LOG_EVERY == 1:
                logger.warning(
                    "intake queue full: %d acknowledged messages so far left to the recovery "
                    "sweep (latest %s)",
                    self.overflow,
                    row.dedup_key,
                )
            return False
        return True

    async def drained(self) -> None:
        """Wait until every queued message has been worked on (tests, benchmarks)."""
        await asyncio.gather(*(lane.join() for lane in self.lanes))

    async def claim(self, row: InboundMessage) -> bool:
        """Take the row for this worker, unless the recovery sweep took it meanwhile."""
        won = await InboundMessage.filter(
            id=row.id, attempts=row.attempts, status=InboundStatus.DEFERRED
        ).update(attempts=row.attempts + 1, claimed_at=self.clock.now())
        if won:
            row.attempts += 1
        return bool(won)

    async def _run(
        self, lane: asyncio.Queue[tuple[InboundMessage, IncomingMessage]], *, first: bool
    ) -> None:
        """One worker. While acknowledgements are being answered only the first worker works:
        the event loop's time goes to the cheap answers residents are waiting for first."""
        assert self.work is not None
        me = asyncio.current_task()
        while not self.stopping:
            row, message = await lane.get()
            if not first:
                await self.admission.quiet.wait()
            self.busy += 1
            if me is not None:
                self.working.add(me)
            try:
                if await self.claim(row):
                    await self.admission.track(self.work(row, message), queued=True)
                else:
                    logger.info("inbound %s was taken up by the recovery sweep", row.dedup_key)
            except Exception:
                # Logged and marked FAILED by the work; the recovery sweep retries it.
                logger.debug("queued inbound %s failed", row.dedup_key, exc_info=True)
            finally:
                self.busy -= 1
                if me is not None:
                    self.working.discard(me)
                lane.task_done()

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Finish the messages being worked on; leave the queued ones to the recovery sweep."""
        self.stopping = True
        left = 0
        for lane in self.lanes:
            while not lane.empty():
                lane.get_nowait()
                lane.task_done()
                left += 1
        self.lanes = []
        if left:
            logger.info("%d acknowledged messages left to the recovery sweep", left)
        for task in self.workers:
            if task not in self.working:
                task.cancel()  # idle, waiting for a message
        if self.working:
            await asyncio.wait(set(self.working), timeout=grace_seconds)
        for task in self.workers:
            task.cancel()  # cut off after the grace: rolled back, the sweep redoes it
        await asyncio.gather(*self.workers, return_exceptions=True)
        self.workers = []


@dataclass
class Burst:
    """Admission and the queue of one intake service."""

    settings: Settings
    admission: Admission
    queue: WorkQueue

    @classmethod
    def of(cls, settings: Settings, clock: Clock) -> Burst:
        admission = Admission.of(settings)
        return cls(settings, admission, WorkQueue(settings, clock, admission))

    @contextmanager
    def acknowledging(self) -> Iterator[None]:
        """Around storing and answering an acknowledgement (holds back the queue's workers)."""
        admission = self.admission
        admission.acknowledging += 1
        admission.quiet.clear()
        try:
            yield
        finally:
            admission.acknowledging -= 1
            if not admission.acknowledging:
                admission.quiet.set()

    def acknowledge_now(self, message: IncomingMessage) -> bool:
        """Acknowledge this message instead of working on it in its request? Events (subscribe,
        menu clicks) are always answered in full: they make no case to number."""
        if not self.settings.intake_admission or message.msg_type == "event":
            return False
        if self.admission.admit(self.queue.backlog()):
            return False
        self.admission.acknowledged += 1
        return True
