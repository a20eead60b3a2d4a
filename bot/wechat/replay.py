"""Each signed callback URL carries one message: the replay cache of plaintext deliveries.

In plaintext mode the ``signature`` covers the token, ``timestamp`` and ``nonce``, never the
body, so within the timestamp tolerance a URL someone captured (from a log, a proxy) could carry
any message as any resident. Each URL a message is accepted on is remembered in
``replay_nonces`` (in the database, so every process sees it) with a digest of that body:

- a URL not seen before is taken, the URL and its body's digest in one statement;
- the same URL with the same bytes again is a retry of that delivery, and is let through: the
  inbound log (by MsgId, or sender and CreateTime) answers it as it answered the first, so
  WeChat's retries are answered whether or not they are freshly signed;
- the same URL with another body is refused, and so is a plaintext delivery on a URL an
  encrypted one used (only where compatible mode lets plaintext in beside a key).

Two rows per URL: ``(channel, timestamp, nonce)``, which the unique constraint makes the one
claim on the URL however many processes race for it, and ``(channel, timestamp, "body:" +
sha256(mode, nonce, body))``, which says what was delivered on it and how. Rows are kept as
long as the URL's timestamp could still pass the tolerance (twice the tolerance after they
were written; a day when the timestamp check is off) and deleted as new rows come in, at most
once a minute per process.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tortoise import connections
from tortoise.exceptions import IntegrityError

from config.settings import Settings
from models.security import ReplayNonce

logger = logging.getLogger(__name__)

MAX_NONCE_CHARS = 64  # replay_nonces.nonce
BODY_PREFIX = "body:"
KEEP_WITHOUT_TOLERANCE = timedelta(days=1)
PURGE_EVERY_SECONDS = 60.0


def body_nonce(nonce: str, body: bytes, *, sealed: bool = False) -> str:
    """The row that records what was delivered on a URL, and how (``sealed``: encrypted, so a
    plaintext copy of an encrypted delivery is never taken for its retry): 64 characters."""
    mode = b"aes" if sealed else b"raw"
    digest = hashlib.sha256(mode + b"\n" + nonce.encode("utf-8") + b"\n" + body).hexdigest()
    return BODY_PREFIX + digest[: MAX_NONCE_CHARS - len(BODY_PREFIX)]


@dataclass
class ReplayCache:
    """The URLs one callback (``mp`` or ``mini``) has accepted a message on."""

    channel: str
    settings: Settings
    wall_clock: Callable[[], float] = time.time  # the clock the timestamp check reads
    _next_purge: float = field(default=0.0, init=False)

    def keep_for(self) -> timedelta:
        """How long a row matters: a URL first used at ``seen_at`` had a timestamp no later
        than ``seen_at`` + tolerance, so it fails the check after ``seen_at`` + 2 x tolerance."""
        tolerance = self.settings.mp_timestamp_tolerance
        return timedelta(seconds=2 * tolerance) if tolerance else KEEP_WITHOUT_TOLERANCE

    async def purge(self, now: datetime) -> int:
        """Delete the rows no URL can need any more; returns how many."""
        deleted: int = await ReplayNonce.filter(seen_at__lt=now - self.keep_for()).delete()
        if deleted:
            logger.info("replay cache: %d old nonces deleted", deleted)
        return deleted

    async def use(self, timestamp: int, nonce: str, body: bytes, *, sealed: bool = False) -> bool:
        """Take the URL for ``body``: True the first time, and again for the same bytes
        delivered the same way (a retry); False when the URL was already used otherwise."""
        wall = self.wall_clock()
        now = datetime.fromtimestamp(wall, UTC)
        if wall >= self._next_purge:
            self._next_purge = wall + PURGE_EVERY_SECONDS
            await self.purge(now)
        delivered = body_nonce(nonce, body, sealed=sealed)
        conn = connections.get("default")
        mark = "$" if conn.capabilities.dialect == "postgres" else "?"
        try:
            # Both rows in one statement, which is atomic by itself: one round trip, no
            # transaction to open and commit around it.
            await conn.execute_query(
                'INSERT INTO "replay_nonces" ("channel", "timestamp", "nonce", "seen_at") '
                f"VALUES ({mark}1, {mark}2, {mark}3, {mark}5), "
                f"({mark}1, {mark}2, {mark}4, {mark}5)",
                [self.channel, timestamp, nonce, delivered, now],
            )
        except IntegrityError:
            # Taken: by this body (a retry, perhaps still running) or by another one.
            return await ReplayNonce.exists(
                channel=self.channel, timestamp=timestamp, nonce=delivered
            )
        return True
