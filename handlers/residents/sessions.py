"""Mini-program sign-in: WeChat's login code becomes a session of ours.

``wx.login`` gives the mini-program a code; jscode2session turns it into the resident's openid
(and unionid) and a ``session_key``. We hand the mini-program a random token of our own and keep
only its SHA-256, with the session_key beside it: the key decrypts the resident's phone number
(:func:`decrypt_user_data`) and is never sent anywhere. A session lasts
``JIESU_RESIDENT_SESSION_DAYS`` after its last use and ends at sign-out.

Without a mini-program, ``jiesu serve --demo`` signs in anyone whose code is ``demo-<name>``
(:func:`demo_login`): the openid is made from the code, so the same name is the same resident.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from tortoise.exceptions import IntegrityError
from wechatpy.crypto import WeChatWxaCrypto
from wechatpy.exceptions import InvalidAppIdException

from config.resident_api import DEMO_CODE_PREFIX
from config.settings import Settings
from handlers.residents.records import remember_phone
from models import Resident, ResidentApp, ResidentSession

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "jsr_"
TOUCH_INTERVAL = timedelta(minutes=1)  # last_seen_at is written at most this often
DEMO_CODE = re.compile(r"^demo-([A-Za-z0-9_-]{1,32})$")


class Login(Protocol):
    """What jscode2session told us (``bot.wechat.client.MiniSession`` has this shape)."""

    @property
    def openid(self) -> str: ...

    @property
    def session_key(self) -> str: ...

    @property
    def unionid(self) -> str | None: ...


@dataclass(frozen=True)
class DemoLogin:
    openid: str
    session_key: str
    unionid: str | None = None


@dataclass(frozen=True)
class NewSession:
    token: str  # shown once, to the mini-program; only its hash is stored
    session: ResidentSession
    resident: Resident


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def demo_login(code: str) -> DemoLogin | None:
    """A demo resident for ``demo-<name>``; None for any other code."""
    match = DEMO_CODE.match(code)
    if match is None:
        return None
    return DemoLogin(
        openid=f"{DEMO_CODE_PREFIX}{match.group(1)}",
        session_key=base64.b64encode(secrets.token_bytes(16)).decode(),
    )


async def resident_of_login(login: Login) -> Resident:
    """The mini-program resident with this openid, made on first sign-in; unionid kept current."""
    resident = await Resident.get_or_none(openid=login.openid)
    if resident is None:
        try:
            return await Resident.create(
                openid=login.openid, app=ResidentApp.MINIPROGRAM, unionid=login.unionid
            )
        except IntegrityError:  # signed in twice at once
            resident = await Resident.get(openid=login.openid)
    if login.unionid and resident.unionid != login.unionid:
        resident.unionid = login.unionid
        await Resident.filter(id=resident.id).update(unionid=login.unionid)
    return resident


async def sign_in(login: Login, now: datetime, settings: Settings) -> NewSession:
    resident = await resident_of_login(login)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session = await ResidentSession.create(
        token_hash=hash_token(token),
        resident_id=resident.id,
        session_key=login.session_key,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(days=settings.resident_session_days),
    )
    logger.info("resident %s signed in to the mini-program", resident.id)
    return NewSession(token, session, resident)


async def session_for(
    token: str, now: datetime, settings: Settings
) -> tuple[ResidentSession, Resident] | None:
    """The live session of ``token`` and its resident, or None (unknown, expired, signed out).

    Each use moves the expiry on: the session ends after ``resident_session_days`` of disuse.
    """
    if not token:
        return None
    session = await ResidentSession.get_or_none(token_hash=hash_token(token), revoked_at=None)
    if session is None or session.expires_at <= now:
        return None
    resident = await Resident.get_or_none(id=session.resident_id)
    if resident is None:
        return None
    if now - session.last_seen_at >= TOUCH_INTERVAL:
        expires = now + timedelta(days=settings.resident_session_days)
        await ResidentSession.filter(id=session.id).update(last_seen_at=now, expires_at=expires)
        session.last_seen_at, session.expires_at = now, expires
    return session, resident


async def sign_out(session: ResidentSession, now: datetime) -> None:
    await ResidentSession.filter(id=session.id, revoked_at=None).update(revoked_at=now)


class UserDataError(ValueError):
    """WeChat's encrypted user data did not decrypt with this session, or is not for our app."""


def decrypt_user_data(session_key: str, encrypted_data: str, iv: str, appid: str) -> dict[str, Any]:
    """Open ``wx.getPhoneNumber``'s (or getUserInfo's) ``encryptedData``: AES-128-CBC with the
    session_key, PKCS#7, JSON inside whose ``watermark.appid`` must be our mini-program's."""
    try:
        data = WeChatWxaCrypto(session_key, iv, appid).decrypt_message(encrypted_data)
    except InvalidAppIdException:
        raise UserDataError("the data is watermarked for another appid") from None
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError, IndexError):
        # Wrong key or iv (a stale session), not base64, not JSON, no watermark.
        raise UserDataError("the data does not decrypt with this session") from None
    if not isinstance(data, dict):
        raise UserDataError("the data is not a JSON object")
    return data


def phone_of(data: dict[str, Any]) -> str:
    """The number from decrypted getPhoneNumber data (with its country code outside China)."""
    pure = str(data.get("purePhoneNumber") or "").strip()
    country = str(data.get("countryCode") or "86").strip()
    full = str(data.get("phoneNumber") or "").strip()
    if pure and country == "86":
        return pure
    number = full or pure
    if not re.fullmatch(r"\+?[0-9][0-9 -]{4,30}", number):
        raise UserDataError("the data holds no phone number")
    return number


async def verify_phone(
    session: ResidentSession, resident: Resident, encrypted_data: str, iv: str, appid: str
) -> str:
    """Decrypt the resident's phone with their session, store it and return it."""
    data = decrypt_user_data(session.session_key, encrypted_data, iv, appid)
    phone = phone_of(data)
    await remember_phone(resident, phone)
    logger.info("resident %s verified a phone number", resident.id)
    return phone
