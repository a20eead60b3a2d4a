"""Headers on every answer: not sniffed, and not stored where people's data may be in it.

``X-Content-Type-Options: nosniff`` on everything. ``Cache-Control: no-store`` on every answer
that does not set its own, errors included: the resident, worker, admin, notice and figure APIs
carry people's names, phones and cases, and a refusal says who was refused. What may be cached:

- ``GET /api/openapi.json`` (the contract, the same for everyone): ``public, max-age=300``;
- Open311's public GET answers, when they succeed (GeoReport v2's discovery, services and
  requests: public by design, without residents' personal data - ``handlers.open311.public``):
  ``public, max-age=60``, so that a status changes within a minute. A token's lookup
  (``/open311/v2/tokens/...``) and every Open311 error are not cached.

Answers that set their own ``Cache-Control`` keep it: photos by their random key
(``/media/{key}``), the dashboard's pages (``no-store`` already), the published suggestions
(``/public/suggestions``, ``/api/public/suggestions``: ``public, max-age=60``) and static files
(served with ETags by aiohttp). The middleware sees what a handler returns or raises;
aiohttp's own answer to an unhandled exception (a fixed "500 Internal Server Error" text) is
not JSON and holds no data.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

NO_STORE = "no-store"
OPENAPI_CACHE = "public, max-age=300"
OPEN311_CACHE = "public, max-age=60"
OPEN311_PUBLIC = ("/open311/v2/discovery.", "/open311/v2/services", "/open311/v2/requests")
OWN_CACHING = ("/dashboard/static/", "/public/static/")


def cache_control(request: web.Request, status: int) -> str | None:
    """The ``Cache-Control`` an answer gets when its handler set none (None: leave it unset)."""
    path = request.path
    if path.startswith(OWN_CACHING):
        return None
    if request.method in ("GET", "HEAD") and status == 200:
        if path == "/api/openapi.json":
            return OPENAPI_CACHE
        if path.startswith(OPEN311_PUBLIC):
            return OPEN311_CACHE
    return NO_STORE


def protect(request: web.Request, response: web.StreamResponse) -> None:
    if response.prepared:  # already on its way: a handler that streams sets its own
        return
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if "Cache-Control" not in response.headers:
        value = cache_control(request, response.status)
        if value is not None:
            response.headers["Cache-Control"] = value


@web.middleware
async def response_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as refused:  # 404, 405, 413 and the like, raised by aiohttp too
        protect(request, refused)
        raise
    protect(request, response)
    return response
