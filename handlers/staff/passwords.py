"""Password hashing (argon2id) off the event loop, a few at a time.

An argon2 hash takes about 0.1 s of CPU and 64 MiB on purpose. Run inside a coroutine it stops
every other request of the process for that long, so it runs in a small thread pool of its own
(argon2-cffi releases the GIL while it works). :class:`PasswordWork` admits at most
``concurrency`` hashes at once plus ``queue`` waiting sign-ins; one more is turned away at once
(:class:`PasswordWorkBusy`) instead of piling up behind the others.

The pool's threads run at the lowest CPU priority (nice 19 on Linux; the threads libargon2
starts for its lanes inherit it): when the CPU is short, the event loop answering WeChat comes
first and sign-ins wait, not the other way round.

Without a :class:`PasswordWork` (the command line, tests), :func:`verify_password` and
:func:`new_hash` still leave the loop, through its default executor, without a cap.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Protocol, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

T = TypeVar("T")
logger = logging.getLogger(__name__)
HASH_THREAD_NICENESS = 19


class Hasher(Protocol):
    """What of argon2's ``PasswordHasher`` sign-in uses (tests wrap it to count calls)."""

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def check_needs_rehash(self, password_hash: str) -> bool: ...


DEFAULT_HASHER: Hasher = PasswordHasher()  # argon2id with the library's defaults; stateless


class PasswordWorkBusy(Exception):
    """As many sign-ins as the process takes are already hashing or waiting: try again soon."""


class PasswordWork:
    """A thread pool of ``concurrency`` threads for argon2, and a cap on who may wait for it.

    One per process (the app makes it and closes it). :meth:`slot` is taken for a whole sign-in,
    before any database work, so that a flood is refused before it costs anything.
    """

    def __init__(self, concurrency: int, queue: int) -> None:
        if concurrency < 1 or queue < 0:
            raise ValueError("concurrency must be at least 1 and queue at least 0")
        self.concurrency = concurrency
        self.capacity = concurrency + queue
        self.in_flight = 0
        self._pool = ThreadPoolExecutor(
            max_workers=concurrency, thread_name_prefix="argon2", initializer=_lower_priority
        )

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a place for one sign-in, or raise :class:`PasswordWorkBusy` at once."""
        if self.in_flight >= self.capacity:
            raise PasswordWorkBusy()
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1

    async def run(self, call: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _lower_priority() -> None:
    """Make the calling thread (and the threads it starts) yield the CPU to the event loop.

    Linux keeps a nice value per thread, and ``setpriority`` on a thread id sets only that one."""
    try:
        tid = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(19, current + HASH_THREAD_NICENESS))
    except (AttributeError, OSError) as problem:  # not Linux, or not allowed: run as we are
        logger.debug("password hashing threads keep their priority: %s", problem)


async def _off_loop(work: PasswordWork | None, call: Callable[[], T]) -> T:
    if work is not None:
        return await work.run(call)
    return await asyncio.get_running_loop().run_in_executor(None, call)


def _verify(hasher: Hasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


_dummy_hash: str = ""


async def dummy_hash(hasher: Hasher, work: PasswordWork | None = None) -> str:
    """A hash of a random password, made once per process with the same parameters as real
    ones: verifying against it costs what verifying a real account's password costs."""
    global _dummy_hash
    if not _dummy_hash:
        made = await _off_loop(work, lambda: hasher.hash(secrets.token_urlsafe(24)))
        _dummy_hash = _dummy_hash or made
    return _dummy_hash


async def verify_password(
    hasher: Hasher, password_hash: str, password: str, work: PasswordWork | None = None
) -> bool:
    """Whether ``password`` matches; an empty or unreadable hash is checked against the dummy
    hash (and fails), so that it takes as long as any other answer."""
    target = password_hash if password_hash.startswith("$argon2") else ""
    if not target:
        target = await dummy_hash(hasher, work)
        await _off_loop(work, lambda: _verify(hasher, target, password))
        return False
    return await _off_loop(work, lambda: _verify(hasher, target, password))


async def new_hash(hasher: Hasher, password: str, work: PasswordWork | None = None) -> str:
    return await _off_loop(work, lambda: hasher.hash(password))
