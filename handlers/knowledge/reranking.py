"""The knowledge base's second opinion from the configured LLM (issue 19): :class:`LlmReranker`.

:class:`handlers.knowledge.answering.KnowledgeBase` asks a re-ranker only when its local rule is
not confident but the best entry is near. This one lists the entries offered (numbered, each
with its question and the start of its answer) and asks the LLM behind :mod:`nlu.llm` which one
answers the resident's question, or none. The reply must be exactly one JSON object
``{"choice": n}`` with ``n`` one of the numbers offered, or 0 (or null) for none; anything else
(prose, another shape, a number not offered, a slow or failed request) counts as a failure and
the local rule decides. Built only when settings configure an LLM; never required.

The resident waits for the reply, so the request gets ``llm_rerank_timeout_seconds`` (short),
and when ``llm_max_concurrency`` requests are already out it is not made at all (``busy``).
Phone numbers are masked before the words leave; nothing a resident wrote is logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import aiohttp

from models import KnowledgeEntry
from nlu.contact import mask_phones_in_text
from nlu.llm import LlmClient, LlmFailure, message_content, strip_fences
from nlu.normalise import normalise

logger = logging.getLogger(__name__)

QUESTION_MAX = 200  # the resident's words; longer ones never reach the knowledge base anyway
ANSWER_GLIMPSE = 60  # characters of each entry's answer shown to the model

SYSTEM_PROMPT = "\n".join(
    (
        '你是城市区级"接诉即办"平台知识库的核对助手。',
        "用户消息给出一位居民的问题（电话号码已打码），以及知识库中几条编号的候选条目"
        "（条目的标准问题和答复开头）。",
        "请判断哪一条条目能直接回答居民的问题。只有条目讲的正是居民问的这件事时才选它；"
        "居民问的是同一事项的另一方面（如进度、到账、续办、注销、变更、补办、金额、投诉）"
        "而条目没有讲，或者都不相关，就选 0。",
        '只输出一个 JSON 对象，例如 {"choice": 2} 或 {"choice": 0}，不要输出任何其他文字。',
    )
)


class RerankFailure(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def request_body(client: LlmClient, text: str, entries: Sequence[KnowledgeEntry]) -> dict[str, Any]:
    """The chat-completions request: the resident's masked words and the numbered entries."""
    words = mask_phones_in_text(normalise(text))[:QUESTION_MAX]
    lines = [f"居民问题：{words}", "候选条目："]
    for number, entry in enumerate(entries, start=1):
        glimpse = normalise(entry.answer).replace("\n", " ")[:ANSWER_GLIMPSE]
        lines.append(f"{number}. {entry.question}（答复：{glimpse}）")
    return {
        "model": client.model,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": "\n".join(lines)},
        ],
        "temperature": 0,
        "response_format": {"type": "json_object"},
    }


def parse_choice(body: Any, offered: int) -> int | None:
    """The number chosen (1 to ``offered``) in a response body, None for none; anything else
    raises :class:`RerankFailure`."""
    try:
        content = message_content(body)
    except LlmFailure as failure:
        raise RerankFailure(failure.reason, failure.detail) from None
    try:
        answer = json.loads(strip_fences(content))
    except ValueError:
        raise RerankFailure("not_json", f"content of {len(content)} chars is not JSON") from None
    if not isinstance(answer, dict) or set(answer) != {"choice"}:
        raise RerankFailure("schema", 'not exactly {"choice": n}')
    choice = answer["choice"]
    if choice is None:
        return None
    if isinstance(choice, bool) or not isinstance(choice, int):
        raise RerankFailure("schema", f"choice is {type(choice).__name__}, not a number")
    if choice == 0:
        return None
    if not 1 <= choice <= offered:
        raise RerankFailure("not_offered", f"choice {choice} of {offered} offered")
    return choice


class LlmReranker:
    """A :class:`handlers.knowledge.answering.Reranker` over the configured LLM.

    ``picked`` counts the entries it chose, ``declined`` its "none", ``failures`` the replies
    not used, by reason (timeout, busy, http, transport, bad_response, not_json, schema,
    not_offered, error).
    """

    def __init__(
        self, client: LlmClient, session: aiohttp.ClientSession, timeout: float, slots: int
    ) -> None:
        self.client = client
        self.session = session
        self.timeout = timeout
        self.slots = slots
        self.in_flight = 0
        self.picked = 0
        self.declined = 0
        self.failures: Counter[str] = Counter()

    async def __call__(
        self, text: str, candidates: Sequence[tuple[KnowledgeEntry, float]]
    ) -> int | None:
        """The id of the entry the LLM says answers ``text``, or None (none, or no usable
        reply). Never raises."""
        if not candidates:
            return None
        if self.in_flight >= self.slots:
            self._failed("busy", f"{self.in_flight} re-rankings already out")
            return None
        entries = [entry for entry, _ in candidates]
        self.in_flight += 1
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout):
                body = await self.client.post(
                    self.session,
                    request_body(self.client, text, entries),
                    within=self.timeout,
                )
            choice = parse_choice(body, len(entries))
        except (RerankFailure, LlmFailure) as failure:
            self._failed(failure.reason, failure.detail)
            return None
        except TimeoutError:
            self._failed("timeout", f"no answer within {self.timeout:g} s")
            return None
        except aiohttp.ClientError as exc:
            self._failed("transport", type(exc).__name__)
            return None
        except Exception as exc:  # a second opinion must never take the answer down with it
            self._failed("error", type(exc).__name__)
            return None
        finally:
            self.in_flight -= 1
        logger.debug("knowledge re-ranking in %.2f s", time.monotonic() - started)
        if choice is None:
            self.declined += 1
            return None
        self.picked += 1
        return entries[choice - 1].id

    def _failed(self, reason: str, detail: str) -> None:
        self.failures[reason] += 1
        logger.warning(
            "knowledge re-ranking not used (%s: %s); the local rule decides", reason, detail
        )
