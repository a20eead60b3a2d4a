"""How callers of the HTTP APIs prove who they are: the contract's security schemes.

:class:`bot.api.openapi.Operation` names these in its ``auth``; the document lists them under
``components.securitySchemes``.
"""

from __future__ import annotations

from typing import Any

# How callers prove who they are (names used in Operation.auth).
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "residentToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "a resident's session token from POST /api/resident/session",
    },
    "workerToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "a worker's token from `jiesu workers token NAME`",
    },
    "staffToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "a staff API token (jsa_...) from `jiesu users token NAME`",
    },
    "staffSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": "jiesu_session",
        "description": "a dashboard session; unsafe requests also send X-CSRF-Token",
    },
    "open311Key": {
        "type": "apiKey",
        "in": "query",
        "name": "api_key",
        "description": "an Open311 client's key from `jiesu open311 add NAME` (POST: a form field)",
    },
    "sandboxProof": {
        "type": "apiKey",
        "in": "query",
        "name": "signature",
        "description": "sandbox mode only: HMAC-SHA256 of the action and sorted query, keyed "
        "with the official account's token, with timestamp and nonce (bot/api/sandbox_proof.py)",
    },
}
