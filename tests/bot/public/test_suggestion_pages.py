"""The public pages of published suggestions, without signing in: the list, one suggestion, the
year's credits; every text escaped, nothing unpublished or personal shown, bad input refused."""

from __future__ import annotations

from datetime import UTC, datetime

from handlers.suggestions.publication import Wording, publish
from handlers.timeline import Actor
from tests.bot.conftest import ClientFactory
from tests.handlers.suggestions.test_publication import adopted_suggestion

HOSTILE = Wording(
    "<script>alert(1)</script>凤城路口公交站", "建议增设公交站。<img src=x onerror=alert(1)>"
)


async def test_anyone_reads_the_published_suggestions(make_client: ClientFactory) -> None:
    client = await make_client()
    now = datetime.now(UTC)
    shown = await adopted_suggestion("JY2605010031", credit="张伟")
    hidden = await adopted_suggestion("JY2605010032")  # adopted, consented, not published
    await publish(shown, Actor("staff", "office"), now, wording=HOSTILE)

    response = await client.get("/public/suggestions")
    page = await response.text()
    assert response.status == 200 and response.content_type == "text/html"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert '<html lang="zh-CN">' in page and 'href="#main"' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;凤城路口公交站" in page
    assert "<script>" not in page and "<img src=x" not in page
    assert shown.number in page and hidden.number not in page and "共 1 条" in page
    assert "13812345678" not in page and "建议人：张伟" in page

    response = await client.get(f"/public/suggestions/{shown.number}")
    page = await response.text()
    assert response.status == 200 and "区交通委员会" in page and "列入项目" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "13900000000" not in page
    response = await client.get(f"/public/suggestions/{hidden.number}")
    assert response.status == 404 and response.headers["Cache-Control"] == "no-store"
    assert "没有这条公开的建议" in await response.text()

    response = await client.get("/public/suggestions/credits?year=2026")
    page = await response.text()
    assert response.status == 200 and "张伟" in page and shown.number in page

    for bad in (
        "/public/suggestions?page=abc",
        "/public/suggestions?page=0",
        "/public/suggestions/credits?year=x%3Cb%3E",
    ):
        response = await client.get(bad)
        assert response.status == 400, bad
        assert "<b>" not in await response.text()
    response = await client.get("/public/static/public.css")
    assert response.status == 200 and response.content_type == "text/css"
