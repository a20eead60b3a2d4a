"""Pages anyone may read without signing in: the published suggestions (人民建议征集 · 采纳建议
公开) under ``/public/``, server-rendered (jinja2), one small stylesheet, no script.

They show only what the office published with the proposer's consent
(``handlers.suggestions.public``); every text is escaped (autoescape), and the answers may be
cached for a minute.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.keys import PUBLIC_JINJA
from bot.public import suggestions

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"


def add_public_routes(app: web.Application) -> None:
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        app_key=PUBLIC_JINJA,
        autoescape=jinja2.select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        default_helpers=False,
    )
    app.router.add_static("/public/static/", STATIC_DIR, name="public-static")
    suggestions.add_routes(app)
