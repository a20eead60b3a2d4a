"""The slow-client limits in one process, on real sockets, with a small app of its own: what the
head and body timeouts must not cut (a slow handler, a head that arrives in pieces in time,
pipelined requests), and the body's deadline whatever the route makes of the failed read.

``tests/bot/cli/test_serve.py`` runs the same limits in ``jiesu serve`` itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.ops.headers import response_headers
from bot.ops.slow_clients import body_timeout_middleware, start_site
from tests.conftest import make_settings

HEAD = 0.6
BODY = 0.8
SLACK = 3.0  # scheduling on a loaded machine (a second has been seen), short of GIVE_UP
GIVE_UP = 8.0  # nothing else would close these connections (the keep-alive default is 75 s)


async def slow(request: web.Request) -> web.Response:
    await asyncio.sleep(HEAD * 2)  # longer than the head timeout: that is not the client's fault
    return web.Response(text="slow")


async def quick(request: web.Request) -> web.Response:
    return web.Response(text="quick")


async def forgiving(request: web.Request) -> web.Response:
    """Reads the body and makes its own answer of any failure."""
    try:
        await request.read()
    except Exception:
        return web.Response(status=400, text="could not read")
    return web.Response(text="read")


@pytest.fixture
async def port() -> AsyncIterator[int]:
    app = web.Application(middlewares=[response_headers, body_timeout_middleware(BODY)])
    app.router.add_get("/slow", slow)
    app.router.add_get("/quick", quick)
    app.router.add_post("/forgiving", forgiving)
    settings = make_settings(
        "sqlite://:memory:", header_timeout_seconds=HEAD, body_timeout_seconds=BODY
    )
    runner, _site = await start_site(app, settings, "127.0.0.1", 0)
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


async def answer(reader: asyncio.StreamReader) -> bytes:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    body = await asyncio.wait_for(reader.readexactly(length), 5)
    return head + body


async def test_a_handler_slower_than_the_head_timeout_is_answered(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
    said = await answer(reader)
    assert said.startswith(b"HTTP/1.1 200") and said.endswith(b"slow")
    writer.close()


async def test_a_head_in_pieces_within_the_timeout_is_fine(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for piece in (b"GET /qu", b"ick HTTP/1.1\r\n", b"Host: x\r\n", b"\r\n"):
        writer.write(piece)
        await asyncio.sleep(HEAD / 6)
    said = await answer(reader)
    assert said.startswith(b"HTTP/1.1 200") and said.endswith(b"quick")
    writer.close()


async def test_pipelined_requests_are_all_answered(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /quick HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await answer(reader)).endswith(b"slow")
    assert (await answer(reader)).endswith(b"quick")
    writer.close()


async def test_the_next_head_on_a_kept_alive_connection_is_timed_too(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /quick HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await answer(reader)).endswith(b"quick")
    began = time.monotonic()
    writer.write(b"GET /quick HTTP/1.1\r\nX-Slow: ")
    closed = False
    while time.monotonic() - began < GIVE_UP:
        writer.write(b"a")
        try:
            if await asyncio.wait_for(reader.read(100), 0.1) == b"":
                closed = True
                break
        except TimeoutError:
            continue
        except ConnectionError:
            closed = True
            break
    assert closed, "a trickled second head kept its connection"
    assert time.monotonic() - began <= HEAD + SLACK
    writer.close()


async def test_a_route_that_swallows_the_failed_read_still_answers_408(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /forgiving HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
    began = time.monotonic()
    said = await answer(reader)
    assert said.startswith(b"HTTP/1.1 408"), said
    assert b"Connection: close" in said and b"Cache-Control: no-store" in said
    assert BODY - 0.2 <= time.monotonic() - began <= BODY + SLACK
    assert await asyncio.wait_for(reader.read(), 5) == b""  # and the connection is closed
    writer.close()


async def test_a_whole_body_is_read_as_ever(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /forgiving HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
    said = await answer(reader)
    assert said.startswith(b"HTTP/1.1 200") and said.endswith(b"read")
    await asyncio.sleep(BODY + 0.2)  # the cancelled deadline does nothing later
    writer.write(b"GET /quick HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await answer(reader)).endswith(b"quick")
    writer.close()
