"""``/metrics`` for Prometheus, from a registry of the app's own (never the global default one:
one process may build many apps, the test suite does).

==============================================  ==================================================
metric                                          what
==============================================  ==================================================
``jiesu_http_request_duration_seconds``         histogram by ``method``, ``route`` (the route's
                                                canonical path, ``/api/worker/cases/{number}``;
                                                ``<unmatched>`` for 404s) and ``status``
``jiesu_inbound_messages_total``                WeChat deliveries this process accepted, by
                                                ``channel`` (mp, work); WeChat's retries too
``jiesu_sweep_duration_seconds``                histogram of sweep runs by ``job`` and ``outcome``
                                                (ok, error, cancelled)
``jiesu_sweep_failures_total``                  failed sweep runs by ``job``
``jiesu_sweep_last_success_timestamp_seconds``  by ``job``, in processes that run the sweeps
``jiesu_cases``                                 cases by ``status``
``jiesu_outbox_messages``                       outbox rows waiting (pending, sending), given
                                                up (failed) or handed over without a clear
                                                answer (unknown: they may have arrived and
                                                are not sent again), by ``channel`` and
                                                ``status``
``jiesu_inbound_backlog``                       inbound messages being processed or failed, by
                                                ``status``
``jiesu_database_up``                           1 when the database gauges could be read
``jiesu_metrics_database_seconds``              what reading them took
==============================================  ==================================================

The database gauges describe the whole installation (every process reports the same numbers:
aggregate them with ``max``); they are read at scrape time and kept for
:data:`CACHE_SECONDS`, so frequent scrapes cost one set of grouped counts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from tortoise.functions import Count

from models import Case, CaseStatus, InboundMessage, InboundStatus, OutboxMessage, OutboxStatus
from scheduler.monitor import Outcome, SweepMonitor

logger = logging.getLogger(__name__)

CACHE_SECONDS = 5.0
UNMATCHED = "<unmatched>"
# POST routes that receive WeChat's messages and events, and the channel each is.
INBOUND_ROUTES = {"/wechat/mp": "mp", "/wechat/work": "work"}
OUTBOX_STATUSES = (
    OutboxStatus.PENDING,
    OutboxStatus.SENDING,
    OutboxStatus.FAILED,
    OutboxStatus.UNKNOWN,
)
BACKLOG_STATUSES = (InboundStatus.PROCESSING, InboundStatus.FAILED)
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SWEEP_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0)


@dataclass
class DatabaseSnapshot:
    """The gauges read from the database at one scrape."""

    up: bool = False
    seconds: float = 0.0
    cases: dict[str, int] = field(default_factory=dict)
    outbox: dict[tuple[str, str], int] = field(default_factory=dict)
    inbound: dict[str, int] = field(default_factory=dict)


async def read_snapshot() -> DatabaseSnapshot:
    began = time.perf_counter()
    cases = await Case.annotate(n=Count("id")).group_by("status").values("status", "n")
    outbox = (
        await OutboxMessage.filter(status__in=list(OUTBOX_STATUSES))
        .annotate(n=Count("id"))
        .group_by("channel", "status")
        .values("channel", "status", "n")
    )
    inbound = (
        await InboundMessage.filter(status__in=list(BACKLOG_STATUSES))
        .annotate(n=Count("id"))
        .group_by("status")
        .values("status", "n")
    )
    return DatabaseSnapshot(
        up=True,
        seconds=time.perf_counter() - began,
        cases={str(CaseStatus(row["status"]).value): int(row["n"]) for row in cases},
        outbox={
            (str(row["channel"]), str(OutboxStatus(row["status"]).value)): int(row["n"])
            for row in outbox
        },
        inbound={str(InboundStatus(row["status"]).value): int(row["n"]) for row in inbound},
    )


class Metrics:
    """The app's registry, its instruments, and the cached database gauges."""

    def __init__(
        self,
        monitor: SweepMonitor | None = None,
        *,
        cache_seconds: float = CACHE_SECONDS,
        read: Callable[[], Awaitable[DatabaseSnapshot]] = read_snapshot,
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.monitor = monitor
        self.cache_seconds = cache_seconds
        self.read = read
        self.snapshot = DatabaseSnapshot()
        self.read_at: float | None = None
        self.channels: set[str] = set()
        self._lock = asyncio.Lock()
        self.requests = Histogram(
            "jiesu_http_request_duration_seconds",
            "HTTP request latency by route and status",
            ["method", "route", "status"],
            buckets=REQUEST_BUCKETS,
            registry=self.registry,
        )
        self.inbound = Counter(
            "jiesu_inbound_messages",
            "WeChat messages and events accepted by this process (retries included)",
            ["channel"],
            registry=self.registry,
        )
        self.sweeps = Histogram(
            "jiesu_sweep_duration_seconds",
            "How long each sweep run took",
            ["job", "outcome"],
            buckets=SWEEP_BUCKETS,
            registry=self.registry,
        )
        self.sweep_failures = Counter(
            "jiesu_sweep_failures", "Sweep runs that failed", ["job"], registry=self.registry
        )
        self.registry.register(_StateCollector(self))
        if monitor is not None:
            monitor.listeners.append(self.observe_sweep)

    def observe_sweep(self, job_id: str, seconds: float, outcome: Outcome) -> None:
        self.sweeps.labels(job_id, outcome).observe(seconds)
        if outcome == "error":
            self.sweep_failures.labels(job_id).inc()

    async def refresh(self) -> None:
        """Read the database gauges unless the last reading is recent enough."""
        async with self._lock:
            fresh = self.read_at is not None and (
                time.monotonic() - self.read_at < self.cache_seconds
            )
            if fresh:
                return
            try:
                self.snapshot = await self.read()
            except Exception as exc:
                logger.warning("metrics: could not read the database gauges: %s", exc)
                self.snapshot = DatabaseSnapshot(up=False)
            self.read_at = time.monotonic()
            self.channels |= {channel for channel, _ in self.snapshot.outbox}

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _StateCollector(Collector):
    """Gauges collected at scrape time: the database snapshot and the sweeps' last successes."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterable[Metric]:
        return list(self._families())

    def _families(self) -> Iterator[Metric]:
        snapshot = self.metrics.snapshot
        up = GaugeMetricFamily("jiesu_database_up", "1 when the database gauges could be read")
        up.add_metric([], 1.0 if snapshot.up else 0.0)
        yield up
        cost = GaugeMetricFamily(
            "jiesu_metrics_database_seconds", "Time the last reading of the database gauges took"
        )
        cost.add_metric([], snapshot.seconds)
        yield cost
        if snapshot.up:
            cases = GaugeMetricFamily("jiesu_cases", "Cases by status", labels=["status"])
            for status in CaseStatus:
                cases.add_metric([status.value], snapshot.cases.get(status.value, 0))
            yield cases
            outbox = GaugeMetricFamily(
                "jiesu_outbox_messages",
                "Outbox rows waiting to be sent, given up, or of unknown outcome, by channel "
                "and status",
                labels=["channel", "status"],
            )
            for channel in sorted(self.metrics.channels):
                for outbox_status in OUTBOX_STATUSES:
                    value = snapshot.outbox.get((channel, outbox_status.value), 0)
                    outbox.add_metric([channel, outbox_status.value], value)
            yield outbox
            backlog = GaugeMetricFamily(
                "jiesu_inbound_backlog",
                "Inbound messages being processed or failed",
                labels=["status"],
            )
            for inbound_status in BACKLOG_STATUSES:
                value = snapshot.inbound.get(inbound_status.value, 0)
                backlog.add_metric([inbound_status.value], value)
            yield backlog
        monitor = self.metrics.monitor
        if monitor is not None and monitor.jobs:
            last = GaugeMetricFamily(
                "jiesu_sweep_last_success_timestamp_seconds",
                "When each sweep last succeeded in this process (Unix time)",
                labels=["job"],
            )
            for job_id, state in sorted(monitor.jobs.items()):
                if state.last_success_at is not None:
                    last.add_metric([job_id], state.last_success_at.timestamp())
            yield last


def route_label(request: web.Request) -> str:
    """The route's canonical path (``/api/worker/cases/{number}``), never the raw URL: one
    series per route, whatever the path holds."""
    resource = request.match_info.route.resource
    if resource is None:
        return UNMATCHED
    return resource.canonical


def metrics_middleware(metrics: Metrics) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def measure(
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        began = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        except asyncio.CancelledError:
            status = 499  # the client went away
            raise
        finally:
            route = route_label(request)
            elapsed = time.perf_counter() - began
            metrics.requests.labels(request.method, route, str(status)).observe(elapsed)
            channel = INBOUND_ROUTES.get(route)
            if channel is not None and request.method == "POST" and status == 200:
                metrics.inbound.labels(channel).inc()

    return measure


def metrics_endpoint(metrics: Metrics) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def endpoint(request: web.Request) -> web.Response:
        await metrics.refresh()
        response = web.Response(body=metrics.render())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    return endpoint


def install_metrics(app: web.Application, monitor: SweepMonitor | None) -> Metrics:
    """A registry of this app's own, the request middleware (outermost, so it times everything)
    and ``GET /metrics``. The caller keeps the answer under ``bot.keys.METRICS``."""
    metrics = Metrics(monitor)
    app.middlewares.insert(0, metrics_middleware(metrics))
    app.router.add_get("/metrics", metrics_endpoint(metrics))
    return metrics
