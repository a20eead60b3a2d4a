"""What every JSON API of ours shares: strict payloads, one error shape, one way to read a body.

An error is ``{"error": {"code": ..., "message": ..., ...}}``; a 401 also carries
``WWW-Authenticate``. Payload models forbid unknown fields and coerce nothing, so a body that is
not exactly what the endpoint documents is a 400 ``invalid_payload`` listing each problem.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from handlers.digits import whole_number


class ApiError(Exception):
    """A refusal that becomes :func:`error_response`."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> web.Response:
    body: dict[str, Any] = {"code": code, "message": message, **extra}
    all_headers = dict(headers or {})
    if status == 401:
        all_headers.setdefault("WWW-Authenticate", 'Bearer realm="jiesu"')
    return web.json_response({"error": body}, status=status, headers=all_headers or None)


# A string field's pattern: no NUL character (PostgreSQL text cannot hold one). Bodies read by
# read_payload are refused with a NUL anywhere; the pattern tells the OpenAPI document's readers.
NO_NUL = r"^[^\x00]*$"


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)


P = TypeVar("P", bound=BaseModel)


def problems_of(error: ValidationError) -> list[dict[str, str]]:
    return [
        {"field": ".".join(str(part) for part in item["loc"]), "problem": item["msg"]}
        for item in error.errors(include_input=False, include_url=False)
    ]


def nul_field(data: Any, path: str = "") -> str | None:
    """Where a NUL character hides in decoded JSON (PostgreSQL text cannot hold one), or None."""
    if isinstance(data, str):
        return path or "(body)" if "\x00" in data else None
    if isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return where
            found = nul_field(value, where)
            if found is not None:
                return found
    if isinstance(data, list):
        for index, value in enumerate(data):
            found = nul_field(value, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


async def read_payload(request: web.Request, model: type[P]) -> P:
    """The JSON body as ``model``; an empty body is ``{}``. Raises :class:`ApiError` (400)."""
    raw = await request.read()
    data: Any = {}
    if raw.strip():
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise ApiError(400, "invalid_json", "请求体不是有效的 JSON") from None
    where = nul_field(data)
    if where is not None:
        problem = {"field": where, "problem": "contains a NUL character"}
        raise ApiError(400, "invalid_payload", "请求内容不正确", problems=[problem])
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ApiError(
            400, "invalid_payload", "请求内容不正确", problems=problems_of(error)
        ) from None


def page_of(request: web.Request, max_page: int) -> int:
    """The ``page`` query parameter (default 1), 1 to ``max_page``; else :class:`ApiError` 400."""
    page = whole_number(request.query.get("page", "1").strip() or "1", 6)
    if page is None or not 1 <= page <= max_page:
        raise ApiError(400, "invalid_request", f"page 须为 1 到 {max_page} 的整数")
    return page
