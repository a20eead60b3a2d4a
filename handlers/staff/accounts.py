"""Staff accounts: passwords (argon2id), dashboard sessions with CSRF tokens, API tokens.

Only hashes are stored: argon2id for passwords, SHA-256 for session and API tokens (they are
long random strings, so a fast hash is enough and lookups stay indexed). Five failed sign-ins in
a row lock the account for 15 minutes; the message never says whether the name exists.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from models import ApiToken, StaffRole, StaffSession, StaffUser

logger = logging.getLogger(__name__)

SESSION_LIFETIME = timedelta(hours=12)
SESSION_TOUCH_INTERVAL = timedelta(minutes=5)
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")

_hasher = PasswordHasher()  # argon2id with the library's current defaults; stateless


class AccountError(ValueError):
    """A request about accounts that cannot be done as asked; the message says why."""


class LoginFailed(Exception):
    """Wrong name or password, an inactive or locked account: deliberately one message."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"密码至少需要{MIN_PASSWORD_LENGTH}个字符")
    return _hasher.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


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
        password_hash=hash_password(password),
        unit_id=unit_id,
        worker_id=worker_id,
        created_at=now,
    )


async def set_password(user: StaffUser, password: str) -> None:
    user.password_hash = hash_password(password)
    await StaffUser.filter(id=user.id).update(
        password_hash=user.password_hash, failed_logins=0, locked_until=None
    )


async def authenticate(username: str, password: str, now: datetime) -> StaffUser:
    """The active account with this name and password, or LoginFailed."""
    try:
        name = clean_username(username)
    except AccountError:
        raise LoginFailed() from None
    user = await StaffUser.get_or_none(username=name)
    if user is None:
        _hasher.hash(password or "x")  # the same work whether or not the name exists
        raise LoginFailed()
    if not user.active or (user.locked_until is not None and user.locked_until > now):
        raise LoginFailed()
    if not check_password(user.password_hash, password):
        failed = user.failed_logins + 1
        locked = now + LOCKOUT if failed >= MAX_FAILED_LOGINS else None
        await StaffUser.filter(id=user.id).update(
            failed_logins=0 if locked else failed, locked_until=locked
        )
        if locked:
            logger.warning("staff account %s locked after %d failed sign-ins", name, failed)
        raise LoginFailed()
    updates: dict[str, object] = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
    if _hasher.check_needs_rehash(user.password_hash):
        updates["password_hash"] = _hasher.hash(password)
    await StaffUser.filter(id=user.id).update(**updates)
    user.last_login_at = now
    return user


@dataclass(frozen=True)
class NewSession:
    token: str  # for the cookie; only its hash is stored
    csrf_token: str
    session: StaffSession


async def start_session(
    user: StaffUser, now: datetime, *, ip: str = "", user_agent: str = ""
) -> NewSession:
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
