"""Mini-program sessions: sign-in by openid, tokens kept as hashes, expiry by disuse, sign-out,
and WeChat's encrypted user data (the official test vector, and phones we encrypt ourselves)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from handlers.residents.sessions import (
    DemoLogin,
    UserDataError,
    decrypt_user_data,
    demo_login,
    phone_of,
    session_for,
    sign_in,
    sign_out,
    verify_phone,
)
from models import Resident, ResidentApp, ResidentSession
from tests.conftest import make_settings

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)

# WeChat's own demo for 开放数据校验与解密 (the same four values in every official sample).
VECTOR_APPID = "wx4f4bc4dec97d474b"
VECTOR_SESSION_KEY = "tiihtNczf5v6AKRyjwEUhQ=="
VECTOR_IV = "r7BXXKkLb8qrSNn05n0qiA=="
VECTOR_DATA = (
    "CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC"
    "+oNPdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poO"
    "FtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8"
    "xz+W//FRAUid1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB"
    "6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJd"
    "NiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOy"
    "uxINew=="
)


def encrypt_user_data(session_key: str, data: dict[str, Any]) -> tuple[str, str]:
    """Encrypt ``data`` as WeChat does for the mini-program: (encryptedData, iv), base64."""
    iv = secrets.token_bytes(16)
    raw = json.dumps(data).encode()
    pad = 16 - len(raw) % 16
    encryptor = Cipher(algorithms.AES(base64.b64decode(session_key)), modes.CBC(iv)).encryptor()
    sealed = encryptor.update(raw + bytes([pad]) * pad) + encryptor.finalize()
    return base64.b64encode(sealed).decode(), base64.b64encode(iv).decode()


def phone_data(appid: str, phone: str = "13812345678") -> dict[str, Any]:
    return {
        "phoneNumber": phone,
        "purePhoneNumber": phone,
        "countryCode": "86",
        "watermark": {"timestamp": 1773108000, "appid": appid},
    }


def test_the_official_test_vector_decrypts() -> None:
    data = decrypt_user_data(VECTOR_SESSION_KEY, VECTOR_DATA, VECTOR_IV, VECTOR_APPID)
    assert data["openId"] == "oGZUI0egBJY1zhBYw2KhdUfwVJJE"
    assert data["nickName"] == "Band" and data["unionId"] == "ocMvos6NjeKLIBqg5Mr9QjxrP1FA"
    assert data["watermark"] == {"timestamp": 1477314187, "appid": VECTOR_APPID}


@pytest.mark.parametrize(
    ("key", "payload", "iv", "appid"),
    [
        (VECTOR_SESSION_KEY, VECTOR_DATA, VECTOR_IV, "wxsomeoneelse00000"),  # another app
        (base64.b64encode(b"0" * 16).decode(), VECTOR_DATA, VECTOR_IV, VECTOR_APPID),  # stale key
        (VECTOR_SESSION_KEY, VECTOR_DATA, base64.b64encode(b"1" * 16).decode(), VECTOR_APPID),
        (VECTOR_SESSION_KEY, "bm90IGFlcw==", VECTOR_IV, VECTOR_APPID),  # not a whole block
        (VECTOR_SESSION_KEY, "%%%", VECTOR_IV, VECTOR_APPID),  # not base64
        ("", VECTOR_DATA, VECTOR_IV, VECTOR_APPID),
    ],
)
def test_data_that_does_not_open_is_refused(key: str, payload: str, iv: str, appid: str) -> None:
    with pytest.raises(UserDataError):
        decrypt_user_data(key, payload, iv, appid)


def test_our_own_encryption_round_trips() -> None:
    key = base64.b64encode(secrets.token_bytes(16)).decode()
    sealed, iv = encrypt_user_data(key, phone_data("wxminifake"))
    assert decrypt_user_data(key, sealed, iv, "wxminifake")["purePhoneNumber"] == "13812345678"


def test_phone_of() -> None:
    assert phone_of(phone_data("x")) == "13812345678"
    abroad = {"phoneNumber": "+85291234567", "purePhoneNumber": "91234567", "countryCode": "852"}
    assert phone_of(abroad) == "+85291234567"
    with pytest.raises(UserDataError):
        phone_of({"nickName": "Band"})


def test_demo_codes() -> None:
    login = demo_login("demo-alice")
    assert login is not None and login.openid == "demo-alice" and login.unionid is None
    assert base64.b64decode(login.session_key) and demo_login("demo-alice") != login
    for code in ("alice", "demo-", "demo-a b", "demo-" + "x" * 33, "DEMO-alice"):
        assert demo_login(code) is None


async def test_sign_in_keeps_only_the_hash(db: str) -> None:
    settings = make_settings(db, resident_session_days=30)
    login = DemoLogin(openid="o-mini-1", session_key="c2Vzc2lvbmtleTEyMzQ1Ng==", unionid="u-1")
    new = await sign_in(login, NOW, settings)
    assert new.token.startswith("jsr_") and len(new.token) > 40
    row = await ResidentSession.get(id=new.session.id)
    assert row.token_hash == hashlib.sha256(new.token.encode()).hexdigest()
    assert row.session_key == login.session_key and row.expires_at == NOW + timedelta(days=30)
    resident = await Resident.get(openid="o-mini-1")
    assert resident.app == ResidentApp.MINIPROGRAM and resident.unionid == "u-1"
    # The same openid again is the same resident, with a second session.
    again = await sign_in(DemoLogin("o-mini-1", login.session_key, "u-2"), NOW, settings)
    assert again.resident.id == resident.id and again.token != new.token
    assert (await Resident.get(id=resident.id)).unionid == "u-2"
    assert await Resident.all().count() == 1 and await ResidentSession.all().count() == 2


async def test_a_session_ends_after_disuse_or_sign_out(db: str) -> None:
    settings = make_settings(db, resident_session_days=30)
    new = await sign_in(DemoLogin("o-mini-2", "a2V5"), NOW, settings)
    assert await session_for(new.token, NOW, settings) is not None
    # Used on day 29, it lasts until day 59.
    later = NOW + timedelta(days=29)
    found = await session_for(new.token, later, settings)
    assert found is not None and found[0].expires_at == later + timedelta(days=30)
    assert await session_for(new.token, later + timedelta(days=29), settings) is not None
    assert await session_for(new.token, later + timedelta(days=29 + 31), settings) is None
    assert await session_for("jsr_unknown", NOW, settings) is None
    assert await session_for("", NOW, settings) is None
    other = await sign_in(DemoLogin("o-mini-2", "a2V5"), NOW, settings)
    await sign_out(other.session, NOW)
    assert await session_for(other.token, NOW, settings) is None


async def test_verify_phone_stores_the_number(db: str) -> None:
    settings = make_settings(db)
    key = base64.b64encode(secrets.token_bytes(16)).decode()
    new = await sign_in(DemoLogin("o-mini-3", key), NOW, settings)
    sealed, iv = encrypt_user_data(key, phone_data("wxminifake", "13900001111"))
    assert await verify_phone(new.session, new.resident, sealed, iv, "wxminifake") == "13900001111"
    assert (await Resident.get(id=new.resident.id)).phone == "13900001111"
    with pytest.raises(UserDataError):
        await verify_phone(new.session, new.resident, sealed, iv, "wxanotherapp")
