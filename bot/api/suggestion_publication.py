"""The office's API for publishing suggestions and crediting proposers (``suggestions.publish``).

- ``GET /api/admin/suggestions/{number}/publication``: whether it may be published (and if not,
  why), the default wording (the proposer's, anonymised), what is published.
- ``POST /api/admin/suggestions/{number}/publish`` ``{"title"?, "text"?}``: publish it in that
  wording (left out: the default); again replaces the wording. 409 ``no_consent`` when the
  proposer did not agree, ``not_adopted`` when it was not adopted. The first time thanks them.
- ``POST /api/admin/suggestions/{number}/unpublish`` ``{"reason"?}``: take it down (409
  ``not_published`` when it is not up).
- ``GET /api/admin/suggestions/{number}/certificate?format=html|text``: the 感谢信 of an
  adopted suggestion (409 ``not_adopted`` otherwise), every text in it escaped.
- ``GET /api/admin/suggestions/credits?year=YYYY``: the year's credited proposers.

Publishing and unpublishing are audited (``suggestion.publish``, ``suggestion.unpublish``).
The contract is ``bot.api.suggestion_contract``.
"""

from __future__ import annotations

import html
from datetime import datetime

from aiohttp import web

from bot.api.json_api import ApiError, error_response, read_payload
from bot.api.staff_auth import StaffContext, require_staff
from bot.api.suggestion_contract import (
    FIRST_YEAR,
    LAST_YEAR,
    CreditsOut,
    PublicationAnswer,
    PublishBody,
    UnpublishBody,
)
from bot.keys import CLOCK, SETTINGS
from config import suggestion_publication as texts
from handlers.clock import local
from handlers.digits import whole_number
from handlers.suggestions.credit import Certificate, NotAdoptedYet, certificate, credits_of_year
from handlers.suggestions.publication import (
    NoConsent,
    NotAdopted,
    NotPublished,
    PublicationRefused,
    Wording,
    check_publishable,
    credit_of,
    draft_wording,
    publish,
    published_wording,
    unpublish,
)
from handlers.timeline import Actor
from models import Suggestion, SuggestionStatus

PUBLISH = "suggestions.publish"
NOT_FOUND = "没有这个编号的建议"


async def _suggestion(request: web.Request) -> Suggestion:
    number = request.match_info["number"].strip()
    found = None
    if 0 < len(number) <= 32 and "\x00" not in number:
        found = await Suggestion.get_or_none(number=number)
    if found is None:
        raise ApiError(404, "not_found", NOT_FOUND)
    return found


async def publication_body(suggestion: Suggestion) -> PublicationAnswer:
    refusal = None
    try:
        check_publishable(suggestion)
    except PublicationRefused as refused:
        refusal = str(refused)
    draft = await draft_wording(suggestion)
    published = (await published_wording([suggestion.id])).get(suggestion.id)
    status = SuggestionStatus(suggestion.status)
    return PublicationAnswer.model_validate(
        {
            "publication": {
                "number": suggestion.number,
                "status": status.value,
                "status_label": status.label,
                "consent_publish": suggestion.consent_publish,
                "credit": credit_of(suggestion),
                "publishable": refusal is None,
                "refusal": refusal,
                "published": suggestion.published_at is not None,
                "published_at": suggestion.published_at,
                "draft": {"title": draft.title, "text": draft.text},
                "wording": {"title": published.title, "text": published.text}
                if published and suggestion.published_at is not None
                else None,
            }
        }
    )


def _answer(body: PublicationAnswer) -> web.Response:
    return web.json_response(body.model_dump(mode="json"))


def _staff_actor(staff: StaffContext) -> Actor:
    return Actor("staff", staff.actor.label)


def _refused(error: PublicationRefused) -> ApiError:
    code = {NoConsent: "no_consent", NotAdopted: "not_adopted", NotPublished: "not_published"}
    return ApiError(409, code.get(type(error), "conflict"), str(error))


async def get_publication(request: web.Request) -> web.Response:
    await require_staff(request, PUBLISH)
    try:
        suggestion = await _suggestion(request)
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message)
    return _answer(await publication_body(suggestion))


async def post_publish(request: web.Request) -> web.Response:
    staff = await require_staff(request, PUBLISH)
    try:
        suggestion = await _suggestion(request)
        body = await read_payload(request, PublishBody)
        wording = None
        if body.title is not None or body.text is not None:
            draft = await draft_wording(suggestion)
            wording = Wording(body.title or draft.title, body.text or draft.text)
        try:
            await publish(
                suggestion,
                _staff_actor(staff),
                request.app[CLOCK].now(),
                wording=wording,
                settings=request.app[SETTINGS],
                staff=staff.actor,
            )
        except PublicationRefused as refused:
            raise _refused(refused) from None
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message, **refused.extra)
    return _answer(await publication_body(suggestion))


async def post_unpublish(request: web.Request) -> web.Response:
    staff = await require_staff(request, PUBLISH)
    try:
        suggestion = await _suggestion(request)
        body = await read_payload(request, UnpublishBody)
        try:
            await unpublish(
                suggestion,
                _staff_actor(staff),
                request.app[CLOCK].now(),
                reason=body.reason,
                staff=staff.actor,
            )
        except PublicationRefused as refused:
            raise _refused(refused) from None
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message, **refused.extra)
    return _answer(await publication_body(suggestion))


CERTIFICATE_STYLE = (
    "<style>body{font-family:serif;max-width:40em;margin:3em auto;line-height:2;padding:0 1em}"
    "h1{text-align:center;letter-spacing:.5em}.signature{text-align:right;margin-top:3em}</style>\n"
)


def certificate_html(paper: Certificate) -> str:
    """A page to print: every text escaped, no script, no outside resource."""
    lines = paper.lines()
    title = html.escape(lines[0])
    paragraphs = "\n".join(
        f"<p>{html.escape(line.strip())}</p>" for line in (paper.body, texts.CERTIFICATE_THANKS)
    )
    return (
        '<!doctype html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title} {html.escape(paper.number)}</title>\n{CERTIFICATE_STYLE}</head>\n<body>\n"
        f'<main class="certificate">\n<h1>{title}</h1>\n'
        f"<p>{html.escape(paper.greeting)}</p>\n{paragraphs}\n"
        f'<p class="signature">{html.escape(texts.OFFICE)}<br>{html.escape(lines[-1])}</p>\n'
        "</main>\n</body>\n</html>\n"
    )


async def get_certificate(request: web.Request) -> web.Response:
    await require_staff(request, PUBLISH)
    kind = request.query.get("format", "html").strip() or "html"
    try:
        if kind not in ("html", "text"):
            raise ApiError(400, "invalid_parameter", "参数 format 只能是 html 或 text")
        suggestion = await _suggestion(request)
        try:
            paper = await certificate(suggestion, request.app[CLOCK].now())
        except NotAdoptedYet as refused:
            raise ApiError(409, "not_adopted", str(refused)) from None
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message)
    name = f"certificate-{suggestion.number}.{'html' if kind == 'html' else 'txt'}"
    headers = {
        "Content-Disposition": f'inline; filename="{name}"',
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    }
    if kind == "text":
        text = "\n".join(paper.lines()) + "\n"
        return web.Response(text=text, content_type="text/plain", headers=headers)
    return web.Response(text=certificate_html(paper), content_type="text/html", headers=headers)


def year_of(value: str, now: datetime) -> int:
    """A year as people type it (default: this year in Shanghai); else :class:`ApiError`."""
    if not value.strip():
        return local(now).year
    year = whole_number(value.strip(), 4)
    if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
        raise ApiError(400, "invalid_parameter", f"年份须为 {FIRST_YEAR} 到 {LAST_YEAR} 之间的整数")
    return year


async def get_credits(request: web.Request) -> web.Response:
    await require_staff(request, PUBLISH)
    try:
        year = year_of(request.query.get("year", ""), request.app[CLOCK].now())
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message)
    credits = await credits_of_year(year)
    body = CreditsOut.model_validate(
        {
            "year": year,
            "credits": [
                {
                    "name": credit.name,
                    "number": credit.number,
                    "title": credit.title,
                    "adopted_on": credit.adopted_on,
                    "departments": list(credit.departments),
                    "published": credit.published,
                }
                for credit in credits
            ],
        }
    )
    return web.json_response(body.model_dump(mode="json"))


def add_suggestion_publication_routes(app: web.Application) -> None:
    """Registered before any ``/api/admin/suggestions/{number}`` route, so that ``credits`` is
    not read as a number."""
    router = app.router
    router.add_get("/api/admin/suggestions/credits", get_credits)
    router.add_get("/api/admin/suggestions/{number}/publication", get_publication)
    router.add_post("/api/admin/suggestions/{number}/publish", post_publish)
    router.add_post("/api/admin/suggestions/{number}/unpublish", post_unpublish)
    router.add_get("/api/admin/suggestions/{number}/certificate", get_certificate)
