"""Slow clients are cut off: a request head must arrive within ``header_timeout_seconds``, its
body within ``body_timeout_seconds``; ``jiesu serve`` runs the app with both.

aiohttp 3.14 has no header-read timeout. Its ``keepalive_timeout`` is armed when a connection
opens and after each answer, and closes a connection still waiting for a request when it fires,
but bytes trickling in do not delay it - so it would serve as a head timeout only if idle
kept-alive connections were cut just as soon, which makes a reverse proxy that reuses its
upstream connections longer than that send requests into closing sockets. So:

- the head: :class:`HeadTimeoutHandler`, aiohttp's ``RequestHandler`` with one timer more. It is
  armed when the connection opens and when the first byte of a next request arrives on a
  kept-alive connection (aiohttp's own test for an idle connection, the one its keep-alive timer
  uses: ``_waiter`` pending), cancelled when a whole head has been parsed, and closes the
  connection if none has when it fires. Idle kept-alive connections are closed by
  ``keepalive_timeout_seconds`` (aiohttp's keep-alive timer) as before. :class:`GuardedAppRunner`
  makes the server use this handler.
- the body: :func:`body_timeout_middleware`. A timer is armed when the handler starts, if the
  body has not all arrived yet; when it fires before the last byte, the body stream fails with
  :class:`BodyTimeout` - whichever code is reading it (JSON, forms, multipart, raw reads), now or
  later - and the answer is 408 with ``Connection: close``. A body nobody reads ends the same
  way: the timer outlives the handler, and aiohttp's lingering read after the answer stops at the
  failed stream and closes the connection.

The head's timer reads a few of aiohttp's private attributes (``RequestHandler._waiter``,
``_messages``, ``_request_in_progress``, ``_force_close``; ``Server._loop``, ``_kwargs``), as of
aiohttp 3.14. After an aiohttp upgrade, ``tests/bot/ops/test_slow_clients.py`` and
``tests/bot/cli/test_serve.py`` say whether they still mean the same.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from config.settings import Settings

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class HeadTimeoutHandler(RequestHandler):
    """One connection: aiohttp's handler, closing it when a request head is too slow."""

    __slots__ = ("_head_timeout", "_head_timer")

    def __init__(self, manager: web.Server, *, head_timeout: float, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._head_timeout = head_timeout
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._arm()  # the first request: counted from the moment the connection opens

    def data_received(self, data: bytes) -> None:
        if self._head_timer is None and self._idle():
            self._arm()  # the first bytes of a next request on a kept-alive connection
        super().data_received(data)
        if self._head_timer is not None and self._head_complete():
            self._disarm()

    def connection_lost(self, exc: BaseException | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _idle(self) -> bool:
        """Waiting for the next request: aiohttp's own test (its keep-alive timer's)."""
        waiter = self._waiter
        return waiter is not None and not waiter.done()

    def _head_complete(self) -> bool:
        """A whole head has been parsed: queued, being answered, or the wait for it is over."""
        waiter = self._waiter
        return (
            bool(self._messages)
            or self._request_in_progress
            or (waiter is not None and waiter.done())
        )

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self._loop.call_later(self._head_timeout, self._expire)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _expire(self) -> None:
        self._head_timer = None
        if not self._head_complete() and not self._force_close:
            logger.debug("closing a connection whose request head was not complete in time")
            self.force_close()


class GuardedServer(web.Server):
    """aiohttp's server, making :class:`HeadTimeoutHandler` connections."""

    def __init__(self, plain: web.Server, head_timeout: float) -> None:
        super().__init__(
            plain.request_handler,
            request_factory=plain.request_factory,
            handler_cancellation=plain.handler_cancellation,
            loop=plain._loop,
            **plain._kwargs,
        )
        self.head_timeout = head_timeout

    def __call__(self) -> RequestHandler:
        return HeadTimeoutHandler(
            self, loop=self._loop, head_timeout=self.head_timeout, **self._kwargs
        )


class GuardedAppRunner(web.AppRunner):
    """``web.AppRunner`` whose connections time out their request heads."""

    def __init__(self, app: web.Application, *, head_timeout: float, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.head_timeout = head_timeout

    async def _make_server(self) -> web.Server:
        return GuardedServer(await super()._make_server(), self.head_timeout)


class BodyTimeout(TimeoutError):
    """The request's body did not arrive in time. A ``TimeoutError``, so that aiohttp's lingering
    read after an answer takes it for the end of the wait it is."""


def timed_out() -> web.Response:
    response = web.json_response(
        {"error": {"code": "request_timeout", "message": "请求发送太慢，已超时，请重试"}},
        status=408,
    )
    response.force_close()
    return response


def body_timeout_middleware(seconds: float) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def body_deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
        content = request.content
        if content.is_eof():  # no body, or all of it here already
            return await handler(request)
        expired = False

        def expire() -> None:
            nonlocal expired
            if not content.is_eof():
                expired = True
                content.set_exception(BodyTimeout(f"body not complete after {seconds:g} s"))

        timer = asyncio.get_running_loop().call_later(seconds, expire)
        try:
            response = await handler(request)
        except Exception:
            if expired:  # whatever the reader made of the failed stream
                return timed_out()
            raise
        finally:
            if content.is_eof():
                timer.cancel()
        if expired and not response.prepared:
            return timed_out()
        return response

    return body_deadline


def install_slow_client_limits(app: web.Application, settings: Settings) -> None:
    """The body's deadline, for every route (the head's is the runner's: :func:`serve`)."""
    app.middlewares.append(body_timeout_middleware(settings.body_timeout_seconds))


async def start_site(
    app: web.Application,
    settings: Settings,
    host: str,
    port: int,
    *,
    reuse_port: bool = False,
    **runner_kwargs: Any,
) -> tuple[GuardedAppRunner, web.TCPSite]:
    """Start ``app`` on ``host:port`` with the settings' head and keep-alive timeouts; the other
    keyword arguments go to ``web.AppRunner`` (``access_log_class``, ``access_log_format``...).
    ``reuse_port``: share the port with the other processes of ``jiesu serve --processes``
    (SO_REUSEPORT: the kernel spreads new connections over them)."""
    runner = GuardedAppRunner(
        app,
        head_timeout=settings.header_timeout_seconds,
        keepalive_timeout=settings.keepalive_timeout_seconds,
        handle_signals=False,
        **runner_kwargs,
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, reuse_port=reuse_port or None)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner, site


async def serve(
    app: web.Application,
    settings: Settings,
    host: str,
    port: int,
    *,
    reuse_port: bool = False,
    **runner_kwargs: Any,
) -> None:
    """What ``web.run_app`` did for ``jiesu serve``, with the slow-client limits: serve until
    SIGTERM or SIGINT, then stop gracefully (cleanup_ctx in reverse)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runner, site = await start_site(
        app, settings, host, port, reuse_port=reuse_port, **runner_kwargs
    )
    try:
        logger.info(
            "======== Running on %s (request head %g s, body %g s, idle keep-alive %g s) ========",
            site.name,
            settings.header_timeout_seconds,
            settings.body_timeout_seconds,
            settings.keepalive_timeout_seconds,
        )
        await stop.wait()
        logger.info("stopping")
    finally:
        await runner.cleanup()
