"""The contract of the suggestions' publication, credit and figures (人民建议征集, issue 18):
the pydantic models of what the routes read and answer, and their ``OPERATIONS``.

The handlers (``bot.api.suggestion_publication``, ``bot.api.public_suggestions``,
``bot.api.suggestion_figures``) build every answer through these models, so the document and the
answers cannot drift apart: a key added to one and not the other fails validation.

The public routes (``/api/public/suggestions``) need no credentials: they show only published
suggestions, as anyone may read them.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from bot.api.json_api import NO_NUL, Payload
from bot.api.openapi import (
    STAFF_AUTH,
    STRING,
    Operation,
    Param,
    Response,
    error,
    too_large,
    unauthorized,
)
from handlers.suggestions.figures import GROUPS
from handlers.suggestions.public import MAX_PAGE, MAX_PER_PAGE
from handlers.suggestions.publication import MAX_TEXT, MAX_TITLE

FIRST_YEAR, LAST_YEAR = 1970, 2998


class Out(BaseModel):
    """An answer: exactly these keys."""

    model_config = ConfigDict(extra="forbid")


# Bodies


class PublishBody(Payload):
    """The wording the office approved; left out: the default (anonymised) wording."""

    title: str | None = Field(default=None, min_length=1, max_length=MAX_TITLE, pattern=NO_NUL)
    text: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT, pattern=NO_NUL)


class UnpublishBody(Payload):
    reason: str = Field(default="", max_length=500, pattern=NO_NUL)


# What the public reads


class PublicAnswerOut(Out):
    unit: str
    kind: str
    kind_label: str
    answer: str
    answered_on: date | None
    effective_on: date | None


class PublicSuggestionOut(Out):
    number: str
    title: str
    text: str
    category: str
    street: str
    credit: str = Field(description="the name the proposer gave for credit, else 匿名")
    status: str
    status_label: str
    received_on: date
    adopted_on: date | None
    departments: list[str]
    answers: list[PublicAnswerOut]
    forwarded: bool
    instructed: bool
    implemented_on: date | None
    result: str
    station: str | None
    call: str | None
    published_at: datetime


class PublicSuggestionPage(Out):
    suggestions: list[PublicSuggestionOut]
    page: int
    per_page: int
    total: int


class PublicSuggestionOne(Out):
    suggestion: PublicSuggestionOut


class MiniSuggestionOut(PublicSuggestionOut):
    mine: bool = Field(description="the signed-in resident proposed it")


class MiniSuggestionPage(Out):
    suggestions: list[MiniSuggestionOut]
    page: int
    per_page: int
    total: int


class MiniSuggestionOne(Out):
    suggestion: MiniSuggestionOut


# What the office reads


class WordingOut(Out):
    title: str
    text: str


class PublicationOut(Out):
    number: str
    status: str
    status_label: str
    consent_publish: bool
    credit: str
    publishable: bool
    refusal: str | None = Field(description="why it may not be published now, or null")
    published: bool
    published_at: datetime | None
    draft: WordingOut = Field(description="the default wording: the proposer's, anonymised")
    wording: WordingOut | None = Field(description="the wording published last, or null")


class PublicationAnswer(Out):
    publication: PublicationOut


class CreditOut(Out):
    name: str
    number: str
    title: str
    adopted_on: date
    departments: list[str]
    published: bool


class CreditsOut(Out):
    year: int
    credits: list[CreditOut]


class SuggestionRate(Out):
    numerator: int
    denominator: int
    rate: float | None


class SuggestionRates(Out):
    screened_in_time_rate: SuggestionRate
    adoption_rate: SuggestionRate


class SuggestionFigureRow(Out):
    key: str | None = Field(description="the street, station code or call code; 合计: null")
    label: str
    received: int
    screened: int
    screened_in_time: int
    adopted_of_screened: int
    adopted: int
    forwarded: int
    instructed: int
    implemented: int
    open: int
    overdue: int
    rates: SuggestionRates


class SuggestionPeriod(Out):
    from_: date = Field(alias="from")
    to: date
    timezone: str

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SuggestionFiguresOut(Out):
    period: SuggestionPeriod
    as_of: datetime = Field(description="the moment the state figures (open, overdue) look at")
    by: str | None
    total: SuggestionFigureRow
    rows: list[SuggestionFigureRow]
    labels: dict[str, str]
    definitions: dict[str, str] = Field(description="each figure's definition")


class YearMonth(Out):
    month: str
    received: int
    adopted: int
    forwarded: int
    instructed: int
    implemented: int


class YearTableOut(Out):
    year: int
    received: int
    adopted: int
    forwarded: int
    instructed: int
    implemented: int
    screened: int
    adoption_rate: SuggestionRate
    line: str = Field(description="收到 420 / 采纳 25 / 报送市级 11 / 获批示 4 / 落地 2")
    months: list[YearMonth]
    labels: dict[str, str]


# Operations

_TAG = "suggestions"
_PUBLIC_TAG = "public"
_401 = unauthorized("nobody signed in, or an unknown or revoked token")
_403 = error("forbidden (the role lacks the capability) or csrf (a session without X-CSRF-Token)")
_404 = error("not_found: no suggestion has that number")
_NUMBER = Param("number", "path", {"type": "string", "minLength": 1}, description="JY…")
_PAGES = (
    Param("page", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
    Param(
        "per_page",
        "query",
        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        description=f"default 20, at most {MAX_PER_PAGE}",
    ),
)
_PAGE_400 = error("invalid_request: page or per_page out of range")
_PUBLIC_404 = error("not_found: no published suggestion has that number")
_CACHED = {"Cache-Control": STRING}
_PERIOD = (
    Param("from", "query", {"type": "string", "format": "date"}, description="default: 1 Jan"),
    Param("to", "query", {"type": "string", "format": "date"}, description="exclusive"),
)
_FIGURE_400 = error("invalid_date or invalid_parameter; the message says which")
_YEAR = Param("year", "path", {"type": "string", "pattern": "^[0-9]{4}$"})

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/public/suggestions",
        "Published suggestions (公开的采纳建议), newest first: no sign-in",
        _PUBLIC_TAG,
        {
            200: Response("a page", PublicSuggestionPage, headers=_CACHED),
            400: _PAGE_400,
        },
        params=_PAGES,
        description="Public: no credentials. Only suggestions the office published with the "
        "proposer's consent, in the wording it approved. Cached for a minute.",
    ),
    Operation(
        "GET",
        "/api/public/suggestions/{number}",
        "One published suggestion: no sign-in",
        _PUBLIC_TAG,
        {200: Response("the suggestion", PublicSuggestionOne, headers=_CACHED), 404: _PUBLIC_404},
        params=(_NUMBER,),
        description="Public: no credentials. A number not published answers as one that "
        "does not exist.",
    ),
    Operation(
        "GET",
        "/api/resident/public-suggestions",
        "Published suggestions for the mini-program, the resident's own marked",
        "resident",
        {200: Response("a page", MiniSuggestionPage), 400: _PAGE_400, 401: _401},
        auth=("residentToken",),
        params=_PAGES,
    ),
    Operation(
        "GET",
        "/api/resident/public-suggestions/{number}",
        "One published suggestion for the mini-program",
        "resident",
        {200: Response("the suggestion", MiniSuggestionOne), 401: _401, 404: _PUBLIC_404},
        auth=("residentToken",),
        params=(_NUMBER,),
    ),
    Operation(
        "GET",
        "/api/admin/suggestions/{number}/publication",
        "Whether a suggestion may be published, its default wording and what is published",
        _TAG,
        {200: Response("the publication", PublicationAnswer), 401: _401, 403: _403, 404: _404},
        auth=STAFF_AUTH,
        params=(_NUMBER,),
    ),
    Operation(
        "POST",
        "/api/admin/suggestions/{number}/publish",
        "Publish an adopted suggestion (with the proposer's consent) in the approved wording",
        _TAG,
        {
            200: Response("published (again: the wording replaced)", PublicationAnswer),
            400: error("invalid_json or invalid_payload"),
            401: _401,
            403: _403,
            404: _404,
            409: error("no_consent (the proposer did not agree) or not_adopted"),
            413: too_large(),
        },
        auth=STAFF_AUTH,
        params=(_NUMBER,),
        body=PublishBody,
        body_required=False,
        description="The first publication thanks the proposer. Audited (suggestion.publish).",
    ),
    Operation(
        "POST",
        "/api/admin/suggestions/{number}/unpublish",
        "Take a suggestion down from the public page",
        _TAG,
        {
            200: Response("taken down", PublicationAnswer),
            400: error("invalid_json or invalid_payload"),
            401: _401,
            403: _403,
            404: _404,
            409: error("not_published: it is not on the public page"),
            413: too_large(),
        },
        auth=STAFF_AUTH,
        params=(_NUMBER,),
        body=UnpublishBody,
        body_required=False,
        description="Audited (suggestion.unpublish).",
    ),
    Operation(
        "GET",
        "/api/admin/suggestions/{number}/certificate",
        "The certificate (感谢信) of an adopted suggestion, as HTML or text",
        _TAG,
        {
            200: Response(
                "the certificate", STRING, "text/html", other_content_types=("text/plain",)
            ),
            400: error("invalid_parameter: format is html or text"),
            401: _401,
            403: _403,
            404: _404,
            409: error("not_adopted: only an adopted suggestion has a certificate"),
        },
        auth=STAFF_AUTH,
        params=(_NUMBER, Param("format", "query", {"type": "string", "enum": ["html", "text"]})),
    ),
    Operation(
        "GET",
        "/api/admin/suggestions/credits",
        "The year's credited proposers: consented, named, adopted in the year",
        _TAG,
        {
            200: Response("the credits", CreditsOut),
            400: error("invalid_parameter: year"),
            401: _401,
            403: _403,
        },
        auth=STAFF_AUTH,
        params=(Param("year", "query", {"type": "integer", "minimum": FIRST_YEAR}),),
    ),
    Operation(
        "GET",
        "/api/admin/suggestions/figures",
        "The suggestion figures of a period, in total and by street, station or themed call",
        _TAG,
        {
            200: Response("the figures and their definitions", SuggestionFiguresOut),
            400: _FIGURE_400,
            401: _401,
            403: _403,
        },
        auth=STAFF_AUTH,
        params=(*_PERIOD, Param("by", "query", {"type": "string", "enum": list(GROUPS)})),
    ),
    Operation(
        "GET",
        "/api/admin/suggestions/figures.csv",
        "The suggestion figures as CSV: a row per group and a 合计 row",
        _TAG,
        {
            200: Response(
                "UTF-8 CSV with a byte-order mark",
                STRING,
                "text/csv",
                headers={"Content-Disposition": STRING},
            ),
            400: _FIGURE_400,
            401: _401,
            403: _403,
        },
        auth=STAFF_AUTH,
        params=(*_PERIOD, Param("by", "query", {"type": "string", "enum": list(GROUPS)})),
        description="Each export is an audit event (suggestions.figures_export).",
    ),
    Operation(
        "GET",
        "/api/admin/suggestions/year/{year}",
        "The year's table: 收到 / 采纳 / 报送市级 / 获批示 / 落地, and each month's",
        _TAG,
        {
            200: Response("the year", YearTableOut),
            400: error("invalid_parameter: year"),
            401: _401,
            403: _403,
        },
        auth=STAFF_AUTH,
        params=(_YEAR,),
    ),
)
