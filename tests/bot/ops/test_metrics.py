"""``/metrics``: request latency by route, inbound messages, the database gauges, sweeps."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client.parser import text_string_to_metric_families

from bot.keys import METRICS
from bot.ops.metrics import DatabaseSnapshot, Metrics
from handlers.clock import ManualClock
from models import Case, CaseStatus, OutboxMessage, OutboxStatus
from scheduler.monitor import SweepMonitor
from tests.bot.conftest import ClientFactory, Resident

NOW = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


async def test_requests_cases_outbox_and_inbound(make_client: ClientFactory) -> None:
    client = await make_client()
    await Case.create(number="m1", status=CaseStatus.ACCEPTED)
    await Case.create(number="m2", status=CaseStatus.ACCEPTED)
    await Case.create(number="m3", status=CaseStatus.COMPLETED)
    for status in (OutboxStatus.PENDING, OutboxStatus.PENDING, OutboxStatus.FAILED):
        await OutboxMessage.create(
            channel="mp_custom", recipient="o-x", payload={}, status=status, next_attempt_at=NOW
        )
    await OutboxMessage.create(
        channel="work_app", recipient="w", payload={}, status=OutboxStatus.SENT, next_attempt_at=NOW
    )
    # Two worker-API requests for different cases are one route; a path nobody serves is one too.
    for number in ("2603010001", "2603010002"):
        assert (await client.get(f"/api/worker/cases/{number}")).status == 401
    assert (await client.get("/no/such/page/12345")).status == 404
    reply = await Resident(client, "o-metrics").say("帮助")
    assert reply

    response = await client.get("/metrics")
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/plain")
    text = await response.text()
    found = samples(text)
    route = "/api/worker/cases/{number}"
    assert (
        value(
            found,
            "jiesu_http_request_duration_seconds_count",
            method="GET",
            route=route,
            status="401",
        )
        == 2
    )
    assert "2603010001" not in text and "/no/such/page" not in text
    assert (
        value(
            found,
            "jiesu_http_request_duration_seconds_count",
            method="GET",
            route="<unmatched>",
            status="404",
        )
        == 1
    )
    assert value(found, "jiesu_inbound_messages_total", channel="mp") == 1
    assert value(found, "jiesu_cases", status="accepted") == 2
    assert value(found, "jiesu_cases", status="completed") == 1
    assert value(found, "jiesu_cases", status="archived") == 0  # every status, zeros too
    assert value(found, "jiesu_outbox_messages", channel="mp_custom", status="pending") >= 2
    assert value(found, "jiesu_outbox_messages", channel="mp_custom", status="failed") == 1
    assert (
        "jiesu_outbox_messages",
        frozenset({("channel", "work_app"), ("status", "sent")}),
    ) not in found
    assert value(found, "jiesu_database_up") == 1
    assert value(found, "jiesu_inbound_backlog", status="failed") == 0


async def test_each_app_has_its_own_registry(make_client: ClientFactory) -> None:
    first = await make_client(demo=False)
    second = await make_client(demo=False)
    assert first.app[METRICS].registry is not second.app[METRICS].registry
    await first.get("/healthz")
    one = samples(await (await first.get("/metrics")).text())
    two = samples(await (await second.get("/metrics")).text())
    key = "jiesu_http_request_duration_seconds_count"
    assert value(one, key, method="GET", route="/healthz", status="200") == 1
    assert value(two, key, method="GET", route="/healthz", status="200") == 0


async def test_database_gauges_are_cached_and_survive_a_broken_database() -> None:
    reads: list[int] = []

    async def read() -> DatabaseSnapshot:
        reads.append(1)
        if len(reads) > 2:
            raise ConnectionError("database is down")
        return DatabaseSnapshot(up=True, cases={"accepted": len(reads)})

    metrics = Metrics(read=read, cache_seconds=60)
    await metrics.refresh()
    await metrics.refresh()
    assert len(reads) == 1  # the second scrape within the cache time reads nothing
    metrics.cache_seconds = 0
    await metrics.refresh()
    assert value(samples(metrics.render().decode()), "jiesu_cases", status="accepted") == 2
    await metrics.refresh()
    found = samples(metrics.render().decode())
    assert value(found, "jiesu_database_up") == 0
    assert not any(name == "jiesu_cases" for name, _ in found)


async def test_sweep_durations_and_failures() -> None:
    clock = ManualClock(NOW)
    monitor = SweepMonitor(clock)
    monitor.watch([("sweep_deadlines", 60.0)])
    metrics = Metrics(monitor, read=lambda: _snapshot())
    monitor.finished("sweep_deadlines", 0.2, "ok")
    monitor.finished("sweep_deadlines", 7.0, "error", "boom")
    found = samples(metrics.render().decode())
    count = "jiesu_sweep_duration_seconds_count"
    assert value(found, count, job="sweep_deadlines", outcome="ok") == 1
    assert value(found, count, job="sweep_deadlines", outcome="error") == 1
    assert (
        value(found, "jiesu_sweep_duration_seconds_sum", job="sweep_deadlines", outcome="error")
        == 7
    )
    assert value(found, "jiesu_sweep_failures_total", job="sweep_deadlines") == 1
    last = value(found, "jiesu_sweep_last_success_timestamp_seconds", job="sweep_deadlines")
    assert last == NOW.timestamp()


async def _snapshot() -> DatabaseSnapshot:
    return DatabaseSnapshot(up=True)
