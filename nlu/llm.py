"""Optional second opinion from an LLM behind an OpenAI-compatible chat endpoint.

The one module of ``nlu`` that talks to the network, and only when ``JIESU_LLM_URL`` is set. It
never decides anything on its own: :meth:`LlmClient.extract` returns a validated
:class:`LlmExtraction` or ``None``, and ``None`` (timeout, HTTP error, prose instead of JSON, a
schema violation, a category we do not have) means "keep the local understanding". The caller
runs it after the resident has been answered, so a slow or broken endpoint costs nothing but
the refinement.

Residents' words leave the building here, so phone numbers are masked before sending and
nothing a resident wrote is ever logged (not even inside a validation error).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections import Counter
from typing import Any, Literal

import aiohttp
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from config.lexicon import KIND_LABELS
from config.settings import Settings
from config.taxonomy import (
    PATH_SEPARATOR,
    TAXONOMY,
    all_paths,
    first_level_names,
    is_valid_path,
)
from nlu.classify import keyword_votes, keywords_inside
from nlu.contact import mask_phones_in_text
from nlu.normalise import normalise
from nlu.tokens import cut

logger = logging.getLogger(__name__)

TITLE_MAX = 30
KEYWORDS_MAX = 8
KEYWORD_MAX_CHARS = 16
REASONS_MAX = 5
REASON_MAX_CHARS = 32
TEXT_MAX_CHARS = 2000  # a resident's message is short; a pasted essay is cut, not sent whole
# Requests allowed to queue per concurrency slot; beyond that a burst is refined locally only,
# since a refinement that arrives minutes late finds the case signed for and is wasted anyway.
WAITING_PER_SLOT = 25

_KIND_BY_LABEL = {label: code for code, label in KIND_LABELS.items()}
_URGENCY_SYNONYMS = {"紧急": "急", "特急": "急", "普通": "一般", "不急": "一般", "一般性": "一般"}
_FENCE = re.compile(r"^```[A-Za-z]*\s*(.*?)\s*```$", re.DOTALL)
_SEPARATORS = re.compile(r"\s*[/／>＞]\s*")


def _clean_strings(values: list[str], limit: int, max_chars: int) -> list[str]:
    cleaned = (value.strip()[:max_chars] for value in values)
    return list(dict.fromkeys(value for value in cleaned if value))[:limit]


def _canonical_category(value: str) -> str | None:
    """A taxonomy path, or a first-level name alone; ``None`` if it is neither."""
    parts = [part for part in _SEPARATORS.split(value.strip()) if part]
    if len(parts) >= 2 and is_valid_path(PATH_SEPARATOR.join(parts[:2])):
        return PATH_SEPARATOR.join(parts[:2])  # a third level, if any, is more than we keep
    if len(parts) == 1 and parts[0] in first_level_names():
        return parts[0]
    return None


class LlmExtraction(BaseModel):
    """What the LLM must answer. Unknown keys are ignored; a wrong type fails the whole answer.

    ``category`` is a ``"一级/二级"`` path of :mod:`config.taxonomy` once :meth:`LlmClient.extract`
    returns it (a first-level name alone is mapped to its best child for the message's words).
    """

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    kind: str
    category: str
    urgency: Literal["急", "一般"]
    urgency_reasons: list[str] = Field(default_factory=list)
    title: str = ""
    keywords: list[str] = Field(default_factory=list)
    place_text: str | None = None
    compound: str | None = None
    road: str | None = None

    @field_validator("kind", mode="before")
    @classmethod
    def _kind_code(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            value = _KIND_BY_LABEL.get(value, value.lower())
            if value not in KIND_LABELS:
                raise ValueError(f"kind must be one of {', '.join(KIND_LABELS)}")
        return value

    @field_validator("category", mode="before")
    @classmethod
    def _category_path(cls, value: Any) -> Any:
        if isinstance(value, str):
            canonical = _canonical_category(value)
            if canonical is None:
                raise ValueError("category is not in the taxonomy")
            return canonical
        return value

    @field_validator("urgency", mode="before")
    @classmethod
    def _urgency_word(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            return _URGENCY_SYNONYMS.get(value, value)
        return value

    @field_validator("title")
    @classmethod
    def _short_title(cls, value: str) -> str:
        return value.strip()[:TITLE_MAX]

    @field_validator("keywords")
    @classmethod
    def _few_keywords(cls, value: list[str]) -> list[str]:
        return _clean_strings(value, KEYWORDS_MAX, KEYWORD_MAX_CHARS)

    @field_validator("urgency_reasons")
    @classmethod
    def _few_reasons(cls, value: list[str]) -> list[str]:
        return _clean_strings(value, REASONS_MAX, REASON_MAX_CHARS)

    @field_validator("place_text", "compound", "road")
    @classmethod
    def _place_or_none(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        return value if value and value.lower() not in ("null", "none", "无", "未知") else None


def best_child(parent: str, text: str) -> str:
    """The second level of ``parent`` whose keywords the text votes for most.

    The same votes as :func:`nlu.classify.classify`, counted within one first-level class only:
    the LLM chose the class, the words choose the child. No vote: the class's 其他, else its first.
    """
    votes = keyword_votes()
    scores: dict[int, float] = {}
    for token in cut(normalise(text)):
        words = keywords_inside(token) if len(token) > 1 else ((token,) if token in votes else ())
        for word in words:
            for index, weight in votes[word]:
                if TAXONOMY[index].parent == parent:
                    scores[index] = scores.get(index, 0.0) + weight
    if scores:
        return TAXONOMY[max(scores, key=scores.__getitem__)].path
    children = [category.path for category in TAXONOMY if category.parent == parent]
    fallback = f"{parent}{PATH_SEPARATOR}其他"
    return fallback if fallback in children else children[0]


def system_prompt() -> str:
    """What the model is told: the kinds, the fields and every allowed category path."""
    kinds = "、".join(f"{code}（{label}）" for code, label in KIND_LABELS.items())
    example = {
        "kind": "complaint",
        "category": "城乡建设/物业管理",
        "urgency": "一般",
        "urgency_reasons": [],
        "title": "国权路小区3号楼楼道堆物无人清理",
        "keywords": ["楼道", "堆物", "物业"],
        "place_text": "国权路小区3号楼",
        "compound": "国权路小区",
        "road": None,
    }
    lines = [
        '你是城市区级"接诉即办"平台的工单分拣助手。',
        "用户消息是一位居民通过微信公众号发来的诉求原文（电话号码已打码）。",
        "请判断诉求的类型、分类和紧急程度，并写出标题和关键词。",
        "只输出一个 JSON 对象，不要输出任何其他文字或解释。",
        "",
        "JSON 字段：",
        f'- "kind"：诉求类型，只能取以下代码之一：{kinds}',
        '- "category"：诉求分类，必须与下方"分类列表"中的某一行完全一致（"一级/二级"）；'
        "确实无法判断二级时，只写一级名称",
        '- "urgency"："急" 或 "一般"。危及人身或财产安全、需要当天处置的为"急"'
        "（如燃气泄漏、火灾、触电、电梯困人、井盖缺失、房屋倒塌、停水停电、老人或儿童遇险），"
        '其余为"一般"',
        '- "urgency_reasons"：判断为"急"所依据的原文词语，字符串数组，"一般"时为 []',
        f'- "title"：工单标题，不超过 {TITLE_MAX} 个字，写明地点和问题',
        f'- "keywords"：3 到 {KEYWORDS_MAX} 个关键词，字符串数组',
        '- "place_text"：居民所说的问题发生地点原文，没有则为 null',
        '- "compound"：小区或村名，没有则为 null',
        '- "road"：道路名和门牌号，没有则为 null',
        "",
        "示例输出：",
        json.dumps(example, ensure_ascii=False),
        "",
        "分类列表：",
        *all_paths(),
    ]
    return "\n".join(lines)


def strip_fences(content: str) -> str:
    """The JSON inside a Markdown code fence, which some models add despite being asked not to."""
    content = content.strip()
    match = _FENCE.match(content)
    return match.group(1) if match else content


class LlmFailure(Exception):
    """Why an answer was not used; ``reason`` is the counter it is counted under."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def message_content(body: Any) -> str:
    """``choices[0].message.content`` of a chat-completions response, or :class:`LlmFailure`."""
    try:
        content = body["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise LlmFailure("bad_response", "no choices[0].message.content") from None
    if not isinstance(content, str):
        raise LlmFailure("bad_response", "message content is not a string")
    return content


def parse_answer(body: Any, text: str) -> LlmExtraction:
    """The extraction in a chat-completions response body, or :class:`LlmFailure`."""
    content = message_content(body)
    raw = strip_fences(content)
    try:
        json.loads(raw)
    except ValueError:
        raise LlmFailure("not_json", f"content of {len(content)} chars is not JSON") from None
    try:
        extraction = LlmExtraction.model_validate_json(raw)
    except ValidationError as exc:
        # Locations and error types only: the input values may be the resident's own words.
        problems = sorted(
            {f"{'.'.join(map(str, e['loc'])) or '<root>'}:{e['type']}" for e in exc.errors()}
        )
        unknown = [
            e for e in exc.errors() if e["loc"] == ("category",) and e["type"] == "value_error"
        ]
        reason = "category" if unknown else "schema"
        raise LlmFailure(reason, ", ".join(problems)) from None
    if extraction.category in first_level_names():
        extraction = extraction.model_copy(
            update={"category": best_child(extraction.category, text)}
        )
    return extraction


class LlmClient:
    """One per process: the endpoint's settings, a limit on requests in flight, failure counts.

    ``failures`` counts answers not used, by reason (timeout, http, transport, bad_response,
    not_json, schema, category, busy, error); ``successes`` those that were. Metrics read both.
    """

    def __init__(self, settings: Settings) -> None:
        self.url = settings.llm_url.rstrip("/") + "/chat/completions"
        self.model = settings.llm_model
        self._key = settings.llm_key.get_secret_value()
        self.timeout = settings.llm_timeout_seconds
        self._slots = asyncio.Semaphore(settings.llm_max_concurrency)
        self._max_waiting = settings.llm_max_concurrency * WAITING_PER_SLOT
        self._waiting = 0
        self._prompt = system_prompt()
        self.failures: Counter[str] = Counter()
        self.successes = 0

    def request_body(self, text: str) -> dict[str, Any]:
        words = mask_phones_in_text(normalise(text))[:TEXT_MAX_CHARS]
        return {
            "model": self.model,
            "messages": [
                {"role": "system", "content": self._prompt},
                {"role": "user", "content": words},
            ],
            "temperature": 0,
            "response_format": {"type": "json_object"},
        }

    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        return headers

    async def extract(self, session: aiohttp.ClientSession, text: str) -> LlmExtraction | None:
        """The LLM's reading of ``text``, or ``None`` to keep the local one. Never raises."""
        if self._waiting >= self._max_waiting:
            return self._failed("busy", f"{self._waiting} requests already waiting")
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout):
                extraction = await self._ask(session, text)
        except LlmFailure as failure:
            return self._failed(failure.reason, failure.detail)
        except TimeoutError:
            return self._failed("timeout", f"no answer within {self.timeout:g} s")
        except aiohttp.ClientError as exc:
            return self._failed("transport", type(exc).__name__)
        except Exception as exc:  # a refinement must never take the caller down with it
            return self._failed("error", type(exc).__name__)
        finally:
            self._slots.release()
        self.successes += 1
        logger.debug("LLM extraction in %.2f s", time.monotonic() - started)
        return extraction

    async def _ask(self, session: aiohttp.ClientSession, text: str) -> LlmExtraction:
        request = self.request_body(text)
        return parse_answer(await self.post(session, request, within=self.timeout), text)

    async def post(
        self, session: aiohttp.ClientSession, body: dict[str, Any], *, within: float
    ) -> Any:
        """The endpoint's response body to a chat-completions request ``body``, read as JSON;
        ``within`` seconds at most for the HTTP exchange.

        Raises :class:`LlmFailure` (HTTP error, a body that is not JSON), ``aiohttp.ClientError``
        or ``TimeoutError``: callers other than :meth:`extract` (the knowledge base's re-ranker)
        count and log them their own way, under their own deadline.
        """
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        async with session.post(
            self.url,
            data=payload,
            headers=self.headers(),
            timeout=aiohttp.ClientTimeout(total=within),
        ) as response:
            if response.status != 200:
                raise LlmFailure("http", f"HTTP {response.status}")
            try:
                return await response.json(content_type=None)
            except ValueError:
                raise LlmFailure("bad_response", "response body is not JSON") from None

    def _failed(self, reason: str, detail: str) -> LlmExtraction | None:
        self.failures[reason] += 1
        logger.warning(
            "LLM extraction not used (%s: %s); the case keeps the local understanding",
            reason,
            detail,
        )
        return None
