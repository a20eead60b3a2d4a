"""The per-account lockout holds against parallel guesses, and every way a sign-in can fail costs
the same password hash, so that neither the answer nor its timing says which names exist."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.staff import accounts
from handlers.staff.accounts import MAX_FAILED_LOGINS, LoginFailed, authenticate, create_user
from models import StaffUser

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


async def test_parallel_wrong_passwords_lock_the_account(db: str) -> None:
    """40 wrong passwords at once: every one is counted, so the account ends up locked."""
    await create_user("admin", "admin", PASSWORD, NOW)

    async def guess(i: int) -> None:
        with pytest.raises(LoginFailed):
            await authenticate("admin", f"guess number {i}", NOW)

    await asyncio.gather(*(guess(i) for i in range(40)))
    user = await StaffUser.get(username="admin")
    assert user.locked_until is not None and user.locked_until > NOW, user.locked_until
    assert user.failed_logins >= MAX_FAILED_LOGINS, user.failed_logins
    with pytest.raises(LoginFailed):  # locked: the right password does not help
        await authenticate("admin", PASSWORD, NOW + timedelta(minutes=1))


class CountingHasher:
    """The module's argon2 hasher, counting the hashes and verifications asked of it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls = 0

    def verify(self, password_hash: str, password: str) -> bool:
        self.calls += 1
        result: bool = self.inner.verify(password_hash, password)
        return result

    def hash(self, password: str) -> str:
        self.calls += 1
        result: str = self.inner.hash(password)
        return result

    def check_needs_rehash(self, password_hash: str) -> bool:
        result: bool = self.inner.check_needs_rehash(password_hash)
        return result


async def test_every_refusal_costs_a_password_hash(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unknown, badly written, inactive and locked names are refused only after a hash, as a
    wrong password is: the time an answer takes says nothing about the name."""
    await create_user("admin", "admin", PASSWORD, NOW)
    await create_user("gone", "admin", PASSWORD, NOW)
    await create_user("locked", "admin", PASSWORD, NOW)
    await StaffUser.filter(username="gone").update(active=False)
    await StaffUser.filter(username="locked").update(locked_until=NOW + timedelta(minutes=10))
    counting = CountingHasher(accounts._hasher)
    monkeypatch.setattr(accounts, "_hasher", counting)
    attempts = {
        "a wrong password": ("admin", "wrong wrong wrong"),
        "an unknown name": ("nobody", "wrong wrong wrong"),
        "a name no account can have": ("有空格 name", "wrong wrong wrong"),
        "an inactive account": ("gone", PASSWORD),
        "a locked account, right password": ("locked", PASSWORD),
        "a locked account, wrong password": ("locked", "wrong wrong wrong"),
    }
    hashed = {}
    for kind, (name, password) in attempts.items():
        counting.calls = 0
        with pytest.raises(LoginFailed):
            await authenticate(name, password, NOW)
        hashed[kind] = counting.calls
    assert all(calls >= 1 for calls in hashed.values()), hashed
