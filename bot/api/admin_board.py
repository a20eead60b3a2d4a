"""Messages of a public message board brought in with their votes (``handlers.intake.board``).

- ``POST /api/admin/board/messages`` ``{"messages": [{"ref": "360114", "user": "A0182491",
  "title": "...", "text": "...", "up": 9, "down": 0}]}`` (at most 500, and a body within
  ``JIESU_MAX_BODY_BYTES``: send a long export in batches; ``cases.import``, admins and
  dispatchers): each new message becomes a case through intake; one brought before
  only has its votes updated. Answers 200 with the case numbers ``created``, ``updated`` and
  ``unchanged``. A wrong row is 400 with every problem, and nothing is stored. Audited.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import Field

from bot.api.json_api import ApiError, Payload, error_response, read_payload
from bot.api.openapi import (
    STAFF_AUTH,
    STRING,
    Operation,
    Response,
    array,
    error,
    obj,
    too_large,
    unauthorized,
)
from bot.api.staff_auth import require_staff
from bot.keys import INTAKE
from handlers.intake.board import (
    MAX_MESSAGES,
    MAX_REF,
    MAX_TITLE,
    MAX_USER,
    MAX_VOTES,
    BoardProblem,
    import_messages,
    read_messages,
)
from handlers.staff.audit import audit

PATH = "/api/admin/board/messages"
CAPABILITY = "cases.import"
MAX_TEXT = 20_000  # the settings' message limit applies too (the smaller wins)


class MessageIn(Payload):
    ref: str = Field(min_length=1, max_length=MAX_REF, description="the board's message id")
    user: str = Field(min_length=1, max_length=MAX_USER, description="the board's user id")
    title: str = Field(default="", max_length=MAX_TITLE)
    text: str = Field(default="", max_length=MAX_TEXT)
    up: int = Field(default=0, ge=0, le=MAX_VOTES, description="点赞")
    down: int = Field(default=0, ge=0, le=MAX_VOTES, description="反对")


class MessagesIn(Payload):
    messages: list[MessageIn] = Field(min_length=1, max_length=MAX_MESSAGES)


async def post_messages(request: web.Request) -> web.Response:
    staff = await require_staff(request, CAPABILITY)
    intake = request.app[INTAKE]
    try:
        body = await read_payload(request, MessagesIn)
        rows = [message.model_dump() for message in body.messages]
        try:
            messages = read_messages(rows, intake.settings.message_max_chars)
        except BoardProblem as problem:
            problems = [{"field": "messages", "problem": p} for p in problem.problems]
            raise ApiError(400, "rejected", str(problem), problems=problems) from None
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message, **refused.extra)
    ctx = await intake.context()
    done = await import_messages(messages, ctx)
    await audit(
        staff.actor,
        "board.import",
        ctx.now,
        target_type="board",
        detail={
            "messages": len(messages),
            "created": len(done.created),
            "updated": len(done.updated),
        },
    )
    return web.json_response(done.as_dict())


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST",
        PATH,
        "Bring in a message board's messages with their votes (新留言成为诉求，已导入的更新票数)",
        "cases",
        {
            200: Response(
                "the case numbers made, whose votes changed, and brought again unchanged",
                obj(
                    {
                        "created": array(STRING),
                        "updated": array(STRING),
                        "unchanged": array(STRING),
                    }
                ),
            ),
            400: error("invalid_json, invalid_payload or rejected (problems); nothing stored"),
            401: unauthorized("nobody signed in, or an unknown or revoked token"),
            403: error("forbidden (the role may not import cases) or csrf"),
            413: too_large(),
        },
        auth=STAFF_AUTH,
        body=MessagesIn,
    ),
)


def add_board_routes(app: web.Application) -> None:
    app.router.add_post(PATH, post_messages)
