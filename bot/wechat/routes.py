"""The three signed callback URLs, each served by the endpoint object the app keeps under its key.

``/wechat/mp`` (official account), ``/wechat/mini`` (mini-program message push) and
``/wechat/work`` (WeCom app): GET verifies the URL, POST delivers messages and events.
"""

from __future__ import annotations

from aiohttp import web

from bot.keys import MINI_ENDPOINT, MP_ENDPOINT, WORK_ENDPOINT


async def mp_verify(request: web.Request) -> web.StreamResponse:
    return await request.app[MP_ENDPOINT].verify(request)


async def mp_receive(request: web.Request) -> web.StreamResponse:
    return await request.app[MP_ENDPOINT].receive(request)


async def mini_verify(request: web.Request) -> web.StreamResponse:
    return await request.app[MINI_ENDPOINT].verify(request)


async def mini_receive(request: web.Request) -> web.StreamResponse:
    return await request.app[MINI_ENDPOINT].receive(request)


async def work_verify(request: web.Request) -> web.StreamResponse:
    return await request.app[WORK_ENDPOINT].verify(request)


async def work_receive(request: web.Request) -> web.StreamResponse:
    return await request.app[WORK_ENDPOINT].receive(request)


def add_wechat_routes(app: web.Application) -> None:
    app.router.add_get("/wechat/mp", mp_verify)
    app.router.add_post("/wechat/mp", mp_receive)
    app.router.add_get("/wechat/mini", mini_verify)
    app.router.add_post("/wechat/mini", mini_receive)
    app.router.add_get("/wechat/work", work_verify)
    app.router.add_post("/wechat/work", work_receive)
