"""The mini-program's questions to the knowledge base (issue 19), under ``/api/resident/``.

``POST questions {"text"}``: the same words a submission takes (its size limit and content
check); the knowledge base answers as in the chat (``handlers.residents.questions``): 200
``{"answered": true, "ask", "answer": {code, question, answer, links, mini_page, source, as_of},
"offered"}``, or ``{"answered": false, "ask"}``, and the app submits a case as before
(``POST cases`` with ``"ask"``: the case takes up that question).

``POST questions/{ask}/feedback {"solved"}``: true, 200 ``{"outcome": "solved"}``; false, the
case of the question made as a submission is (201, or 202 when held, the submission's body with
``"outcome": "unsolved"``), its timeline listing the entries offered. Another resident's ask is
404 as one that does not exist; an answer already answered, or a question no entry answered,
409 (``already_settled``, ``not_answered``); past the case limits 429.
"""

from __future__ import annotations

from aiohttp import web

from bot.api.json_api import ApiError, read_payload
from bot.api.resident import PREFIX, FeedbackIn, QuestionIn, checker_of, read_words
from bot.api.resident_auth import Signed, endpoint
from bot.keys import INTAKE
from config import knowledge as knowledge_texts
from config import replies
from config import resident_api as texts
from handlers.digits import whole_number
from handlers.residents import questions


async def ask_question(request: web.Request, signed: Signed) -> web.Response:
    body = await read_words(request, QuestionIn)
    ctx = await request.app[INTAKE].context()
    answer = await questions.put_question(signed.resident, body.text, ctx, checker_of(request))
    return web.json_response(answer)


async def feedback(request: web.Request, signed: Signed) -> web.Response:
    body = await read_payload(request, FeedbackIn)
    ask_id = whole_number(request.match_info["ask"], 18)
    if ask_id is None:
        raise ApiError(404, "not_found", texts.ASK_NOT_FOUND)
    intake = request.app[INTAKE]
    ctx = await intake.context()
    try:
        if body.solved:
            await questions.solved(signed.resident, ask_id, ctx)
            return web.json_response({"outcome": "solved", "reply": knowledge_texts.SOLVED_REPLY})
        answer = await questions.not_solved(
            signed.resident, ask_id, ctx, checker_of(request), held_reply=replies.HELD_RECEIVED
        )
    except questions.AskNotFound:
        raise ApiError(404, "not_found", texts.ASK_NOT_FOUND) from None
    except questions.NotAnswered:
        raise ApiError(409, "not_answered", texts.ASK_NOT_ANSWERED) from None
    except questions.AlreadySettled as settled:
        raise ApiError(409, "already_settled", str(settled)) from None
    if answer.created_case and answer.case_id is not None:
        intake.start_refinement(answer.case_id)  # committed; the answer does not wait for it
    return web.json_response({**answer.body, "outcome": "unsolved"}, status=answer.status)


def add_question_routes(app: web.Application) -> None:
    app.router.add_post(f"{PREFIX}/questions", endpoint(ask_question))
    app.router.add_post(f"{PREFIX}/questions/{{ask}}/feedback", endpoint(feedback))
