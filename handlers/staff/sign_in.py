"""Signing staff in under attack: per-address limits in front of the per-account lockout.

:class:`SignInGuard` (one per process) runs a sign-in in this order:

1. an address this process already knows to be over its limit is refused at once;
2. a place among the sign-ins being worked on is taken (:class:`PasswordWork`), or
   :class:`PasswordWorkBusy` at once;
3. the attempt is counted against the client address in ``sign_in_failures`` by one atomic
   upsert (``INSERT ... ON CONFLICT ... DO UPDATE SET failures = failures + 1 RETURNING``), before
   any password is checked, so parallel guesses cannot slip past the limit; past the limit
   :class:`SignInRefused` (no password checked);
4. :func:`handlers.staff.accounts.authenticate` (one hash off the event loop, whatever happens);
   a successful sign-in takes its attempt back off the count, so only failures add up.

Windows are fixed (``window_minutes``, counted from the Unix epoch). IPv6 clients are counted
per /64, the block one subscriber usually holds; IPv4 per address. How the address is found
(the peer, or X-Forwarded-For from trusted proxies) is the caller's business.
"""

from __future__ import annotations

import ipaddress
import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from handlers.staff.accounts import authenticate
from handlers.staff.passwords import PasswordWork
from models import StaffUser
from models.security import SignInFailure

logger = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_REMEMBERED = 10_000  # blocked addresses kept in memory per process
SWEEP_EVERY = timedelta(minutes=5)


class SignInRefused(Exception):
    """Too many failed sign-ins from this address in this window: no password was checked."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


def address_key(address: str) -> str:
    """What the limit counts: an IPv4 address, the /64 of an IPv6 one, else the text itself."""
    try:
        ip = ipaddress.ip_address(address.strip().split("%", 1)[0])
    except ValueError:
        return address.strip()[:64] or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def window_start(now: datetime, window: timedelta) -> datetime:
    elapsed = now.astimezone(UTC) - EPOCH
    return EPOCH + (elapsed // window) * window


async def count_attempt(address: str, window: datetime) -> int:
    """Add one attempt to the address's count in this window; the count after it."""
    conn = SignInFailure._meta.db
    a, w = ("$1", "$2") if conn.capabilities.dialect == "postgres" else ("?", "?")
    rows = await conn.execute_query_dict(
        "INSERT INTO sign_in_failures (address, window_start, failures) "
        f"VALUES ({a}, {w}, 1) ON CONFLICT (address, window_start) "
        "DO UPDATE SET failures = sign_in_failures.failures + 1 RETURNING failures",
        [address, window],
    )
    return int(rows[0]["failures"])


async def take_back_attempt(address: str, window: datetime) -> None:
    conn = SignInFailure._meta.db
    a, w = ("$1", "$2") if conn.capabilities.dialect == "postgres" else ("?", "?")
    await conn.execute_query(
        "UPDATE sign_in_failures SET failures = failures - 1 "
        f"WHERE address = {a} AND window_start = {w} AND failures > 0",
        [address, window],
    )


@dataclass
class SignInGuard:
    """What one process keeps for staff sign-in: the hashing pool and the limits."""

    work: PasswordWork
    failures_per_address: int = 20
    window: timedelta = timedelta(minutes=15)
    max_sessions: int = 10
    _blocked: dict[str, datetime] = field(default_factory=dict)  # address -> its window's end
    _swept: datetime = EPOCH

    def close(self) -> None:
        self.work.close()

    def _known_blocked(self, key: str, now: datetime) -> None:
        until = self._blocked.get(key)
        if until is None:
            return
        if until <= now:
            del self._blocked[key]
            return
        raise SignInRefused(_seconds(until - now))

    def _remember(self, key: str, until: datetime, now: datetime) -> None:
        if len(self._blocked) >= MAX_REMEMBERED:
            self._blocked = {k: u for k, u in self._blocked.items() if u > now}
            if len(self._blocked) >= MAX_REMEMBERED:
                self._blocked.clear()
        self._blocked[key] = until

    async def _sweep(self, now: datetime) -> None:
        """Delete the counts of windows that have ended, at most every few minutes."""
        if now - self._swept < SWEEP_EVERY:
            return
        self._swept = now
        await SignInFailure.filter(window_start__lt=now - self.window).delete()

    async def sign_in(self, username: str, password: str, address: str, now: datetime) -> StaffUser:
        """The account, or :class:`~handlers.staff.accounts.LoginFailed`,
        :class:`SignInRefused` or :class:`~handlers.staff.passwords.PasswordWorkBusy`."""
        key = address_key(address)
        self._known_blocked(key, now)
        with self.work.slot():
            start = window_start(now, self.window)
            count = await count_attempt(key, start)
            if count > self.failures_per_address:
                until = start + self.window
                self._remember(key, until, now)
                if count == self.failures_per_address + 1:
                    logger.warning(
                        "staff sign-in from %s refused until %s: %d failures",
                        key,
                        until.isoformat(timespec="seconds"),
                        self.failures_per_address,
                    )
                raise SignInRefused(_seconds(until - now))
            if count == 1:
                await self._sweep(now)
            user = await authenticate(username, password, now, self.work)
            await take_back_attempt(key, start)
            return user


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))
