"""Staff accounts: argon2 passwords, lockout, sessions, API tokens, and who may do what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from handlers.staff.accounts import (
    MAX_FAILED_LOGINS,
    SESSION_LIFETIME,
    AccountError,
    LoginFailed,
    authenticate,
    create_user,
    end_session,
    issue_api_token,
    revoke_api_tokens,
    session_for,
    start_session,
    user_for_api_token,
)
from handlers.staff.permissions import can, may_see_case
from models import ApiToken, Case, StaffRole, StaffSession, StaffUser, Unit

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


async def test_passwords_are_argon2_and_checked(db: str) -> None:
    user = await create_user("Li.Ming", "dispatcher", PASSWORD, NOW)
    assert user.username == "li.ming" and user.password_hash.startswith("$argon2id$")
    assert (await authenticate("li.ming", PASSWORD, NOW)).id == user.id
    with pytest.raises(LoginFailed):
        await authenticate("li.ming", "wrong password", NOW)
    with pytest.raises(LoginFailed):
        await authenticate("nobody", PASSWORD, NOW)


async def test_bad_accounts_are_refused(db: str) -> None:
    with pytest.raises(AccountError, match="至少"):
        await create_user("a1", "admin", "short", NOW)
    with pytest.raises(AccountError, match="用户名"):
        await create_user("有空格 name", "admin", PASSWORD, NOW)
    with pytest.raises(AccountError, match="单位"):
        await create_user("unit1", "unit", PASSWORD, NOW)
    await create_user("admin", "admin", PASSWORD, NOW)
    with pytest.raises(AccountError, match="已存在"):
        await create_user("ADMIN", "admin", PASSWORD, NOW)


async def test_repeated_failures_lock_the_account_for_a_while(db: str) -> None:
    await create_user("admin", "admin", PASSWORD, NOW)
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(LoginFailed):
            await authenticate("admin", "guess", NOW)
    with pytest.raises(LoginFailed):  # the right password does not help while locked
        await authenticate("admin", PASSWORD, NOW + timedelta(minutes=1))
    assert await authenticate("admin", PASSWORD, NOW + timedelta(minutes=16))


async def test_sessions_expire_and_end(db: str) -> None:
    user = await create_user("admin", "admin", PASSWORD, NOW)
    new = await start_session(user, NOW, ip="10.0.0.1", user_agent="pytest")
    assert len(new.token) > 30 and len(new.csrf_token) > 20
    stored = await StaffSession.get(id=new.session.id)
    assert stored.token_hash != new.token  # only the hash is kept
    found = await session_for(new.token, NOW + timedelta(hours=1))
    assert found is not None and found[0].id == user.id
    assert await session_for(new.token, NOW + SESSION_LIFETIME) is None
    await end_session(new.session, NOW)
    assert await session_for(new.token, NOW) is None
    assert await session_for("", NOW) is None


async def test_api_tokens(db: str) -> None:
    user = await create_user("robot", "dispatcher", PASSWORD, NOW)
    token = await issue_api_token(user, NOW, "export")
    assert token.startswith("jsa_") and not await ApiToken.exists(token_hash=token)
    assert (await user_for_api_token(token, NOW)).id == user.id  # type: ignore[union-attr]
    assert await user_for_api_token("jsa_unknown", NOW) is None
    await StaffUser.filter(id=user.id).update(active=False)
    assert await user_for_api_token(token, NOW) is None
    await StaffUser.filter(id=user.id).update(active=True)
    assert await revoke_api_tokens(user, NOW) == 1
    assert await user_for_api_token(token, NOW) is None


async def test_roles_and_cases(db: str) -> None:
    unit = await Unit.create(code="U1", name="甲街道")
    other = await Unit.create(code="U2", name="乙街道")
    admin = await create_user("admin", StaffRole.ADMIN, PASSWORD, NOW)
    dispatcher = await create_user("disp", StaffRole.DISPATCHER, PASSWORD, NOW)
    unit_user = await create_user("unit", StaffRole.UNIT, PASSWORD, NOW, unit_id=unit.id)
    mine = Case(number="1", unit_id=unit.id)
    theirs = Case(number="2", unit_id=other.id)
    assert can(admin, "notices.approve") and not can(dispatcher, "notices.approve")
    assert can(dispatcher, "cases.recategorise") and not can(unit_user, "cases.recategorise")
    assert not can(admin, "no.such.capability")
    assert may_see_case(dispatcher, theirs)
    assert may_see_case(unit_user, mine) and not may_see_case(unit_user, theirs)
