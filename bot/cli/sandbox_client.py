"""Calling the sandbox endpoints (``bot.api.sandbox``) from ``jiesu chat`` and ``jiesu work``.

Both know the service by the URL the chat posts to and prove themselves with the same token the
chat signs its messages with (``bot.api.sandbox_proof``), so a trial needs nothing else typed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.api.sandbox_proof import signed_params

TIMEOUT = aiohttp.ClientTimeout(total=10)


class SandboxRefused(Exception):
    """The service will not answer: no sandbox there (it talks to WeChat), or a wrong token."""


def service_root(url: str) -> str:
    """``http://host:port`` of any URL of the service (the chat's is ``…/wechat/mp``)."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"not a URL of the service: {url!r} (e.g. http://127.0.0.1:8080)")
    return f"{parts.scheme}://{parts.netloc}"


async def call_sandbox(
    session: aiohttp.ClientSession,
    root: str,
    token: str,
    method: str,
    path: str,
    action: str,
    params: dict[str, str],
) -> Any:
    """The JSON answer of one signed call. Raises :class:`SandboxRefused` for 401, 403 and a
    404 without our JSON (the path does not exist); other errors come back as their JSON."""
    query = signed_params(token, action, params)
    async with session.request(method, root + path, params=query, timeout=TIMEOUT) as response:
        is_json = response.content_type == "application/json"
        body = await response.json() if is_json else None
        if response.status == 404 and not is_json:
            raise SandboxRefused(
                "the service has no sandbox: pushed messages and demo workers exist only under "
                "`jiesu serve --demo` (JIESU_OUTBOUND_MODE=sandbox)"
            )
        if response.status in (401, 403):
            message = body["error"]["message"] if isinstance(body, dict) else response.reason
            raise SandboxRefused(
                f"the service refused the token ({message}); pass the one `jiesu serve --demo` "
                "printed with --token"
            )
        return body
