"""Staff accounts: passwords (argon2id), dashboard sessions with CSRF tokens, API tokens.

Only hashes are stored: argon2id for passwords, SHA-256 for session and API tokens (they are
long random strings, so a fast hash is enough and lookups stay indexed). Password hashing runs off
the event loop (``handlers.staff.passwords``). Five failed sign-ins lock the account for 15
minutes; each failure is counted by one atomic update, so parallel guesses are all counted. The
answer never says whether the name exists, nor does its timing: an unknown name, an inactive or
locked account are refused only after a password hash has been checked, as a wrong password is.
An account keeps at most ``max_sessions`` live sessions; a new one ends the oldest beyond.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.staff.passwords import (
    DEFAULT_HASHER,
    Hasher,
    PasswordWork,
    new_hash,
    verify_password,
)
from models import ApiToken, StaffRole, StaffSession, StaffUser

logger = logging.getLogger(__name__)

SESSION_LIFETIME = timedelta(hours=12)
SESSION_TOUCH_INTERVAL = timedelta(minutes=5)
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MAX_LIVE_SESSIONS = 10
MIN_PASSWORD_LENGTH = 10
USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")

_hasher: Hasher = DEFAULT_HASHER  # looked up at each call (tests wrap it)


class AccountError(ValueError):
    """A request about accounts that cannot be done as asked; the message says why."""


class LoginFailed(Exception):
    """Wrong name or password, an inactive or locked account: deliberately one message."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"密码至少需要{MIN_PASSWORD_LENGTH}个字符")
    return password


def clean_username(username: str) -> str:
    name = username.strip().lower()
    if not 2 <= len(name) <= 64 or not set(name) <= USERNAME_CHARS:
        raise AccountError("用户名须为2-64位小写字母、数字或 . _ -")
    return name


async def create_user(
    username: str,
    role: StaffRole | str,
    password: str,
    now: datetime,
    *,
    display_name: str = "",
    unit_id: int | None = None,
    worker_id: int | None = None,
) -> StaffUser:
    name = clean_username(username)
    role = StaffRole(role)
    if role in (StaffRole.UNIT,) and unit_id is None:
        raise AccountError("承办单位账号需要指定单位")
    if role == StaffRole.WORKER and worker_id is None:
        raise AccountError("工作人员账号需要关联一名工作人员")
    if await StaffUser.exists(username=name):
        raise AccountError(f"用户名 {name} 已存在")
    return await StaffUser.create(
        username=name,
        display_name=display_name or name,
        role=role,
        password_hash=await new_hash(_hasher, checked_password(password)),
        unit_id=unit_id,
        worker_id=worker_id,
        created_at=now,
    )


async def set_password(user: StaffUser, password: str) -> None:
    user.password_hash = await new_hash(_hasher, checked_password(password))
    await StaffUser.filter(id=user.id).update(
        password_hash=user.password_hash, failed_logins=0, locked_until=None
    )


async def authenticate(
    username: str, password: str, now: datetime, work: PasswordWork | None = None
) -> StaffUser:
    """The active account with this name and password, or LoginFailed.

    Every path checks one password hash (the account's, or a dummy one for a name no account
    has) before answering, so all refusals take the same time."""
    user: StaffUser | None = None
    try:
        user = await StaffUser.get_or_none(username=clean_username(username))
    except AccountError:
        pass
    if user is None:
        await verify_password(_hasher, "", password, work)  # the dummy hash: the same work
        raise LoginFailed()
    matches = await verify_password(_hasher, user.password_hash, password, work)
    locked = user.locked_until is not None and user.locked_until > now
    if not user.active or locked:
        raise LoginFailed()
    if not matches:
        await _count_failure(user, now)
        raise LoginFailed()
    updates: dict[str, object] = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
    if _hasher.check_needs_rehash(user.password_hash):
        updates["password_hash"] = await new_hash(_hasher, password, work)
    await StaffUser.filter(id=user.id).update(**updates)
    user.last_login_at = now
    return user


async def _count_failure(user: StaffUser, now: datetime) -> None:
    """Count one failed sign-in atomically; the one that reaches the limit locks the account.

    A lock that has run out is cleared by the first failure after it (compare-and-set on the
    lock's time), which then starts a new count."""
    if user.locked_until is not None:
        await StaffUser.filter(id=user.id, locked_until=user.locked_until).update(
            failed_logins=0, locked_until=None
        )
    conn = StaffUser._meta.db
    placeholder = "$1" if conn.capabilities.dialect == "postgres" else "?"
    rows = await conn.execute_query_dict(
        "UPDATE staff_users SET failed_logins = failed_logins + 1 "
        f"WHERE id = {placeholder} RETURNING failed_logins",
        [user.id],
    )
    failed = int(rows[0]["failed_logins"]) if rows else 0
    if failed >= MAX_FAILED_LOGINS:
        await StaffUser.filter(id=user.id).update(locked_until=now + LOCKOUT)
        if failed == MAX_FAILED_LOGINS:
            logger.warning(
                "staff account %s locked after %d failed sign-ins", user.username, failed
            )


@dataclass(frozen=True)
class NewSession:
    token: str  # for the cookie; only its hash is stored
    csrf_token: str
    session: StaffSession


async def start_session(
    user: StaffUser,
    now: datetime,
    *,
    ip: str = "",
    user_agent: str = "",
    max_sessions: int = MAX_LIVE_SESSIONS,
) -> NewSession:
    """A new session for ``user``; the account's live sessions beyond the newest
    ``max_sessions`` (this one counted) are ended."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    session = await StaffSession.create(
        user_id=user.id,
        token_hash=hash_token(token),
        csrf_token=csrf,
        created_at=now,
        expires_at=now + SESSION_LIFETIME,
        last_seen_at=now,
        ip=ip[:64],
        user_agent=user_agent[:255],
    )
    older = await (
        StaffSession.filter(user_id=user.id, revoked_at=None, expires_at__gt=now)
        .order_by("-created_at", "-id")
        .offset(max(1, max_sessions))
        .values_list("id", flat=True)
    )
    if older:
        await StaffSession.filter(id__in=list(older)).update(revoked_at=now)
        logger.info("ended %d older sessions of staff account %s", len(older), user.username)
    return NewSession(token, csrf, session)


async def session_for(token: str, now: datetime) -> tuple[StaffUser, StaffSession] | None:
    """The live session and its active user for a cookie's token, or None."""
    if not token:
        return None
    session = await StaffSession.get_or_none(token_hash=hash_token(token), revoked_at=None)
    if session is None or session.expires_at <= now:
        return None
    user = await StaffUser.get_or_none(id=session.user_id, active=True)
    if user is None:
        return None
    if now - session.last_seen_at >= SESSION_TOUCH_INTERVAL:
        await StaffSession.filter(id=session.id).update(last_seen_at=now)
    return user, session


async def end_session(session: StaffSession, now: datetime) -> None:
    await StaffSession.filter(id=session.id).update(revoked_at=now)


async def issue_api_token(user: StaffUser, now: datetime, label: str = "") -> str:
    """A new bearer token acting as ``user``. Shown once: only its hash is kept."""
    token = "jsa_" + secrets.token_urlsafe(32)
    await ApiToken.create(
        user_id=user.id, token_hash=hash_token(token), label=label[:64], created_at=now
    )
    logger.info("issued an API token for staff account %s (%s)", user.username, label or "-")
    return token


async def user_for_api_token(token: str, now: datetime) -> StaffUser | None:
    if not token.startswith("jsa_"):
        return None
    row = await ApiToken.get_or_none(token_hash=hash_token(token), revoked_at=None)
    if row is None:
        return None
    user = await StaffUser.get_or_none(id=row.user_id, active=True)
    if user is None:
        return None
    if row.last_used_at is None or now - row.last_used_at >= SESSION_TOUCH_INTERVAL:
        await ApiToken.filter(id=row.id).update(last_used_at=now)
    return user


async def revoke_api_tokens(user: StaffUser, now: datetime) -> int:
    return await ApiToken.filter(user_id=user.id, revoked_at=None).update(revoked_at=now)
