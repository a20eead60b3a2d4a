"""The proof a caller of the sandbox endpoints (``bot.api.sandbox``) gives: it knows the token.

The sandbox endpoints show what the service pushed to a resident and hand out demo worker
tokens. They answer only a caller who knows the official account's callback token
(``JIESU_MP_TOKEN``; under ``jiesu serve --demo`` the development token that ``jiesu chat``
already signs its messages with), so they give nobody anything that the token does not already
give: whoever holds it can write as any resident and read the replies.

The token itself never travels. The caller sends ``timestamp``, ``nonce`` and ``signature`` =
HMAC-SHA256(token, the request: its action, its timestamp, nonce and every other query
parameter). Unlike WeChat's own signature, which covers only token, timestamp and nonce, this one
binds the parameters, so a captured request cannot be replayed for another resident's openid;
and the timestamp must be recent, so it cannot be replayed for long either. Pure standard
library, shared by the service and the command line.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping

TIMESTAMP = "timestamp"
NONCE = "nonce"
SIGNATURE = "signature"
PROOF_PARAMS = (TIMESTAMP, NONCE, SIGNATURE)
MAX_NONCE = 64
SIGNATURE_LENGTH = 64  # hex SHA-256
# What each endpoint's signature is over, besides its parameters (a proof for one endpoint is no
# proof for another).
MESSAGES_ACTION = "sandbox-messages"
WORKER_TOKEN_ACTION = "sandbox-worker-token"
MESSAGES_PATH = "/api/sandbox/messages"
WORKER_TOKEN_PATH = "/api/sandbox/worker-token"


def canonical(action: str, params: Mapping[str, str]) -> bytes:
    """What is signed: the action and the sorted parameters (the signature aside), as JSON so
    that no value can pass for another by holding a separator."""
    items = sorted((k, v) for k, v in params.items() if k != SIGNATURE)
    return json.dumps([action, items], ensure_ascii=False, separators=(",", ":")).encode()


def sign(token: str, action: str, params: Mapping[str, str]) -> str:
    return hmac.new(token.encode(), canonical(action, params), hashlib.sha256).hexdigest()


def signed_params(
    token: str,
    action: str,
    params: Mapping[str, str],
    *,
    now: float | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """``params`` with the proof added: what a client puts in the query."""
    signed = dict(params)
    signed[TIMESTAMP] = str(int(now if now is not None else time.time()))
    signed[NONCE] = nonce or secrets.token_hex(8)
    signed[SIGNATURE] = sign(token, action, signed)
    return signed


def has_proof(params: Mapping[str, str]) -> bool:
    return all(params.get(name) for name in PROOF_PARAMS)


def proof_problem(
    token: str, action: str, params: Mapping[str, str], now: float, tolerance: int
) -> str | None:
    """Why the proof in ``params`` is refused, or None if it holds.

    ``tolerance``: seconds the timestamp may differ from ``now`` (0: not checked, as
    ``JIESU_MP_TIMESTAMP_TOLERANCE`` does for the callbacks). The signature is compared in
    constant time, so its bytes cannot be guessed one at a time from how long a refusal takes.
    """
    if not token:
        return "the service has no token to check against"
    raw = params.get(TIMESTAMP, "")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12):
        return "timestamp must be Unix seconds"
    if tolerance and abs(now - int(raw)) > tolerance:
        return f"timestamp is more than {tolerance} s from the service's clock"
    expected = sign(token, action, params)
    given = params.get(SIGNATURE, "")
    if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
        return "signature does not match"
    return None
