"""Who calls the resident API: a resident by bearer token, and the wrapper every endpoint runs in.

:func:`endpoint` authenticates the call (``Authorization: Bearer <token>``, a session of
``handlers.residents.sessions``), counts it against the resident's calls a minute
(``REQUEST_WINDOW``), runs the endpoint and turns every refusal into its JSON error: an
:class:`~bot.api.json_api.ApiError`, a photo that is not the resident's, too many cases (429 with
``Retry-After``), or a change made meanwhile. Used by ``bot.api.resident`` and
``bot.api.resident_photos``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from bot.api.json_api import ApiError, error_response
from bot.keys import CLOCK, REQUEST_WINDOW, SETTINGS
from config import resident_api as texts
from handlers.intake.rate_limits import Limited
from handlers.residents.cases import RateLimited
from handlers.residents.photos import PhotoProblem
from handlers.residents.sessions import session_for
from handlers.timeline import ConcurrentChange
from models import Resident, ResidentSession


@dataclass(frozen=True)
class Signed:
    session: ResidentSession
    resident: Resident


class Limit(ApiError):
    """A 429 with ``Retry-After``."""

    def __init__(self, limited: Limited, now: datetime, message: str) -> None:
        super().__init__(429, "rate_limited", message)
        self.retry_after = limited.retry_after(now)


def now_of(request: web.Request) -> datetime:
    return request.app[CLOCK].now()


async def authenticate(request: web.Request) -> Signed:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", texts.NO_TOKEN)
    found = await session_for(token.strip(), now_of(request), request.app[SETTINGS])
    if found is None:
        raise ApiError(401, "unauthorized", texts.BAD_TOKEN)
    return Signed(*found)


def refusal(error: ApiError) -> web.Response:
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, Limit) else None
    return error_response(error.status, error.code, error.message, headers=headers, **error.extra)


Handler = Callable[[web.Request, Signed], Awaitable[web.Response]]


def endpoint(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Authenticate, count the call, run, and turn every refusal into its JSON error."""

    async def run(request: web.Request) -> web.Response:
        try:
            signed = await authenticate(request)
            now = now_of(request)
            limited = request.app[REQUEST_WINDOW].hit(signed.resident.id, now)
            if limited is not None:
                seconds = limited.retry_after(now)
                raise Limit(limited, now, texts.TOO_MANY_REQUESTS.format(seconds=seconds))
            return await handler(request, signed)
        except ApiError as error:
            return refusal(error)
        except PhotoProblem as problem:
            return error_response(
                400, "invalid_request", texts.PHOTO_NOT_YOURS.format(key=problem.key)
            )
        except RateLimited as refused:
            limit = refused.limited
            return refusal(Limit(limit, now_of(request), limit.describe(texts.CASES_LIMITED)))
        except ConcurrentChange:
            return error_response(409, "concurrent_change", "诉求刚被更新，请刷新后重试")

    return run
