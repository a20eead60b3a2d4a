"""Who a notice reaches, who it skips and why, read the same way before sending and while sending.

The audience is read in key order (resident id, worker id) in chunks, so the fan-out can resume
after the last key it wrote and the preview an admin sees before sending judges every recipient
by the very rules the fan-out applies:

- a resident who unfollowed the account is skipped;
- template messages need the resident's consent to templates, subscription messages their
  acceptance of that template;
- mass sends respect WeChat's quota, ``mass_send_monthly_quota`` a calendar month (Beijing
  time) per resident: mass sends they had this month are our delivery rows to them, plus every
  send to all followers. Sends by tag and by hand on the platform's website are not known here;
- a worker without a WeCom userid is skipped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count

from config import broadcasts as texts
from config.settings import Settings
from handlers.broadcasts.rules import Audience
from handlers.clock import LOCAL_TZ, local
from handlers.notify import has_unfollowed
from models import (
    Case,
    Grid,
    HotItem,
    HotItemCase,
    NoticeDelivery,
    Resident,
    ResidentApp,
    Unit,
    Worker,
)

PREVIEW_CHUNK = 5000
SAMPLE_SIZE = 20
OPEN_DELIVERY = ("pending", "sending")


@dataclass(frozen=True)
class Candidate:
    """One member of the audience and what would happen to them."""

    key: int  # resident or worker id: the fan-out's cursor
    recipient: str  # openid, WeCom userid, or worker:<id> for a worker without one
    resident_id: int | None
    reason: str = ""  # empty: the notice goes to them
    label: str = ""  # a name for people reading the preview
    over_quota: bool = False  # skipped for WeChat's monthly mass-send quota

    @property
    def sendable(self) -> bool:
        return not self.reason


def month_bounds(at: datetime) -> tuple[datetime, datetime]:
    """The calendar month (in Beijing time) that ``at`` falls in, as UTC bounds."""
    start = local(at).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else (start.replace(month=start.month + 1))
    )
    return start.astimezone(UTC), following.replace(tzinfo=LOCAL_TZ).astimezone(UTC)


def month_label(at: datetime) -> str:
    moment = local(at)
    return f"{moment.year}年{moment.month}月"


def _this_month(start: datetime, end: datetime) -> Q:
    """Mass deliveries that spend this month's quota: sent in it, or about to be."""
    return Q(status="sent", sent_at__gte=start, sent_at__lt=end) | Q(status__in=OPEN_DELIVERY)


async def sends_to_all(at: datetime, exclude_notice: int | None = None) -> int:
    """Sends to every follower this month (each spends every follower's quota)."""
    start, end = month_bounds(at)
    query = NoticeDelivery.filter(_this_month(start, end), channel="mp_mass", recipient="all")
    if exclude_notice is not None:
        query = query.exclude(notice_id=exclude_notice)
    return await query.count()


async def mass_counts(
    resident_ids: list[int], at: datetime, exclude_notice: int | None = None
) -> dict[int, int]:
    """Mass sends each resident had (or is about to have) this month, by resident id."""
    if not resident_ids:
        return {}
    start, end = month_bounds(at)
    query = NoticeDelivery.filter(
        _this_month(start, end), channel="mp_mass", resident_id__in=resident_ids
    )
    if exclude_notice is not None:
        query = query.exclude(notice_id=exclude_notice)
    rows = await query.group_by("resident_id").annotate(n=Count("id")).values("resident_id", "n")
    to_all = await sends_to_all(at, exclude_notice)
    counts = {int(row["resident_id"]): int(row["n"]) + to_all for row in rows}
    if to_all:
        for resident_id in resident_ids:
            counts.setdefault(resident_id, to_all)
    return counts


async def _grid_ids(codes: tuple[str, ...]) -> list[int]:
    if not codes:
        return []
    return [g for (g,) in await Grid.filter(code__in=list(codes)).values_list("id")]


async def _item_resident_ids(number: str, after: int, limit: int) -> list[int]:
    """The residents of the cases a governance item covers, each once, in id order."""
    item_id = await HotItem.filter(number=number).values_list("id", flat=True)
    if not item_id:
        return []
    linked = HotItemCase.filter(item_id=item_id[0]).values("case_id")
    rows: list[Any] = (
        await Case.filter(id__in=Subquery(linked), resident_id__gt=after)
        .distinct()
        .order_by("resident_id")
        .limit(limit)
        .values_list("resident_id", flat=True)
    )
    return [int(r) for r in rows]


async def _resident_ids(audience: Audience, after: int, limit: int) -> list[int]:
    if audience.kind == "item":
        return await _item_resident_ids(audience.item, after, limit)
    places = Q()
    if audience.streets:
        places |= Q(street__in=list(audience.streets))
    if audience.compounds:
        places |= Q(compound__in=list(audience.compounds))
    grid_ids = await _grid_ids(audience.grids)
    if grid_ids:
        places |= Q(grid_id__in=grid_ids)
    if not (audience.streets or audience.compounds or grid_ids):
        return []
    rows: list[Any] = (
        await Case.filter(places, resident_id__gt=after)
        .distinct()
        .order_by("resident_id")
        .limit(limit)
        .values_list("resident_id", flat=True)
    )
    return [int(r) for r in rows]


def resident_reason(
    resident: Resident,
    channel: str,
    content: dict[str, Any],
    received: int,
    quota: int,
) -> str:
    if resident.app != ResidentApp.MP:  # its openid is the mini-program's, or ours (Open311)
        return texts.SKIP_NOT_FOLLOWER
    if has_unfollowed(resident):
        return texts.SKIP_UNFOLLOWED
    if channel == "mp_mass" and received >= quota:
        return texts.SKIP_QUOTA.format(count=received, quota=quota)
    if channel == "mp_template" and not resident.consent_template:
        return texts.SKIP_NO_TEMPLATE_CONSENT
    if channel == "mp_subscribe":
        template_id = str(content.get("template_id", ""))
        if (resident.consent_subscribe or {}).get(template_id) != "accept":
            return texts.SKIP_NO_SUBSCRIBE_CONSENT
    return ""


async def resident_chunk(
    audience: Audience,
    channel: str,
    content: dict[str, Any],
    after: int,
    limit: int,
    at: datetime,
    settings: Settings,
    *,
    notice_id: int | None = None,
) -> list[Candidate]:
    ids = await _resident_ids(audience, after, limit)
    if not ids:
        return []
    residents = {r.id: r for r in await Resident.filter(id__in=ids)}
    counts = await mass_counts(ids, at, notice_id) if channel == "mp_mass" else {}
    quota = settings.mass_send_monthly_quota
    chunk: list[Candidate] = []
    for resident_id in ids:
        resident = residents.get(resident_id)
        if resident is None:  # the resident row went away meanwhile
            chunk.append(Candidate(resident_id, f"resident:{resident_id}", None, texts.SKIP_GONE))
            continue
        received = counts.get(resident_id, 0)
        reason = resident_reason(resident, channel, content, received, quota)
        over = reason == texts.SKIP_QUOTA.format(count=received, quota=quota)
        chunk.append(
            Candidate(resident_id, resident.openid, resident_id, reason, resident.nickname, over)
        )
    return chunk


async def worker_chunk(audience: Audience, after: int, limit: int) -> list[Candidate]:
    units = (
        [u for (u,) in await Unit.filter(code__in=list(audience.units)).values_list("id")]
        if audience.units
        else []
    )
    grids = await _grid_ids(audience.grids)
    if not (units or grids):
        return []
    where = Q()
    if units:
        where |= Q(unit_id__in=units)
    if grids:
        where |= Q(grid_id__in=grids)
    workers = await Worker.filter(where, active=True, id__gt=after).order_by("id").limit(limit)
    return [
        Candidate(w.id, w.wecom_userid, None, "", w.name)
        if w.wecom_userid
        else Candidate(w.id, f"worker:{w.id}", None, texts.SKIP_NO_WECOM, w.name)
        for w in workers
    ]


async def audience_chunk(
    audience: Audience,
    channel: str,
    content: dict[str, Any],
    after: int,
    limit: int,
    at: datetime,
    settings: Settings,
    *,
    notice_id: int | None = None,
) -> list[Candidate]:
    """The next ``limit`` members of a per-recipient audience after key ``after``."""
    if audience.kind in ("residents", "item"):
        return await resident_chunk(
            audience, channel, content, after, limit, at, settings, notice_id=notice_id
        )
    if audience.kind == "workers":
        return await worker_chunk(audience, after, limit)
    return []


async def every_candidate(
    audience: Audience,
    channel: str,
    content: dict[str, Any],
    at: datetime,
    settings: Settings,
    *,
    notice_id: int | None = None,
    chunk: int = PREVIEW_CHUNK,
) -> AsyncIterator[Candidate]:
    after = 0
    while True:
        part = await audience_chunk(
            audience, channel, content, after, chunk, at, settings, notice_id=notice_id
        )
        for candidate in part:
            yield candidate
        if len(part) < chunk:
            return
        after = part[-1].key


def _mask(recipient: str) -> str:
    return recipient if len(recipient) <= 8 else recipient[:6] + "…" + recipient[-2:]


@dataclass
class AudiencePreview:
    """What a notice would do if it went now: counts, who is skipped and why, the warning."""

    kind: str
    channel: str
    month: str
    total: int | None = 0  # None: only WeChat knows (a tag)
    to_send: int | None = 0
    skipped: Counter[str] = field(default_factory=Counter)
    samples: list[dict[str, str]] = field(default_factory=list)
    over_quota: int = 0
    quota_warning: str = ""
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "audience": self.kind,
            "channel": self.channel,
            "month": self.month,
            "total": self.total,
            "to_send": self.to_send,
            "skipped": dict(self.skipped),
            "skipped_total": sum(self.skipped.values()),
            "skipped_sample": self.samples,
            "over_quota": self.over_quota,
            "quota_warning": self.quota_warning,
            "notes": self.notes,
        }


async def _known_followers_over_quota(at: datetime, quota: int) -> tuple[int, int]:
    """(known followers, how many of them have had ``quota`` mass sends this month)."""
    followers = await Resident.filter(
        Q(subscribed=True) | Q(unsubscribed_at__isnull=True), app=ResidentApp.MP
    ).count()
    to_all = await sends_to_all(at)
    if to_all >= quota:
        return followers, followers
    start, end = month_bounds(at)
    rows = (
        await NoticeDelivery.filter(
            _this_month(start, end), channel="mp_mass", resident_id__isnull=False
        )
        .group_by("resident_id")
        .annotate(n=Count("id"))
        .filter(n__gte=quota - to_all)
        .values_list("resident_id", flat=True)
    )
    return followers, len(rows)


async def preview_audience(
    audience: Audience,
    channel: str,
    content: dict[str, Any],
    at: datetime,
    settings: Settings,
    *,
    notice_id: int | None = None,
) -> AudiencePreview:
    """Judge the whole audience as the fan-out would at ``at`` (the scheduled time, or now)."""
    quota = settings.mass_send_monthly_quota
    month = month_label(at)
    preview = AudiencePreview(audience.kind, channel, month)
    if audience.kind == "tag":
        preview.total = preview.to_send = None
        preview.quota_warning = texts.QUOTA_UNKNOWN_TAG.format(quota=quota)
        preview.notes.append(texts.QUOTA_UNCOUNTED)
        return preview
    if audience.kind == "all":
        followers, over = await _known_followers_over_quota(at, quota)
        preview.total = followers
        preview.to_send = followers - over
        preview.over_quota = over
        if over:
            preview.quota_warning = texts.QUOTA_WARNING_ALL.format(
                quota=quota, count=over, month=month
            )
        preview.notes.append("全部关注者的人数以微信为准，这里只数得到写过信或关注时被记录的居民。")
        preview.notes.append(texts.QUOTA_UNCOUNTED)
        return preview
    total = to_send = 0
    async for candidate in every_candidate(
        audience, channel, content, at, settings, notice_id=notice_id
    ):
        total += 1
        if candidate.sendable:
            to_send += 1
            continue
        preview.skipped[candidate.reason] += 1
        if candidate.over_quota:
            preview.over_quota += 1
        if len(preview.samples) < SAMPLE_SIZE:
            preview.samples.append(
                {
                    "recipient": _mask(candidate.recipient),
                    "name": candidate.label,
                    "reason": candidate.reason,
                }
            )
    if channel == "mp_mass" and to_send == 1:
        preview.skipped[texts.SKIP_LONE_MASS] += 1
        to_send = 0
        preview.notes.append(texts.LONE_WARNING)
    preview.total, preview.to_send = total, to_send
    if preview.over_quota:
        preview.quota_warning = texts.QUOTA_WARNING.format(
            month=month, quota=quota, count=preview.over_quota
        )
        preview.notes.append(texts.QUOTA_UNCOUNTED)
    return preview
