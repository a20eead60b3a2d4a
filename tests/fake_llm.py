"""A stand-in for an OpenAI-compatible chat endpoint, so tests exercise our real LLM client.

It answers ``POST /v1/chat/completions`` the way such servers do, in one of several modes (a
good answer, the same in a Markdown fence, prose, JSON of the wrong shape, an unknown category,
too slow, HTTP 500), and records every request so tests can check what we sent. ``hold`` keeps
requests waiting until the test releases them: that is how the tests show the passive reply
does not wait for the LLM, without measuring time.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web

CHAT_PATH = "/v1/chat/completions"

GOOD = "good"
FENCED = "fenced"
NOT_JSON = "not_json"
WRONG_SCHEMA = "wrong_schema"
UNKNOWN_CATEGORY = "unknown_category"
SLOW = "slow"
HTTP_500 = "http_500"
MODES = (GOOD, FENCED, NOT_JSON, WRONG_SCHEMA, UNKNOWN_CATEGORY, SLOW, HTTP_500)

# A different reading from the local one for a noise complaint filed as 物业 by its words.
DEFAULT_ANSWER: dict[str, Any] = {
    "kind": "complaint",
    "category": "环境保护/噪声污染",
    "urgency": "一般",
    "urgency_reasons": [],
    "title": "国权路小区楼下商铺夜间噪音扰民",
    "keywords": ["噪音", "商铺", "夜间"],
    "place_text": "国权路小区",
    "compound": "国权路小区",
    "road": None,
}


@dataclass
class ChatRequest:
    """One request as received: what tests assert on."""

    body: dict[str, Any]
    authorization: str | None

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))

    @property
    def system_prompt(self) -> str:
        return next(
            (m["content"] for m in self.body.get("messages", []) if m.get("role") == "system"),
            "",
        )

    @property
    def user_text(self) -> str:
        return next(
            (m["content"] for m in self.body.get("messages", []) if m.get("role") == "user"), ""
        )


class FakeLlm:
    """One model endpoint: its mode, its answer, and the requests it was sent."""

    def __init__(self, mode: str = GOOD, answer: dict[str, Any] | None = None) -> None:
        self.mode = mode
        self.answer: dict[str, Any] = dict(answer or DEFAULT_ANSWER)
        self.slow_seconds = 30.0  # SLOW mode: longer than any timeout a test sets
        self.hold: asyncio.Event | None = None  # when set up, requests wait until it is set
        self.requests: list[ChatRequest] = []
        self.answered = 0
        self.in_flight = 0
        self.app = web.Application()
        self.app.router.add_post(CHAT_PATH, self._chat)

    def hold_requests(self) -> asyncio.Event:
        """Requests wait until the returned event is set."""
        self.hold = asyncio.Event()
        return self.hold

    async def wait_for_requests(self, count: int, limit: float = 10.0) -> None:
        """Until ``count`` requests have arrived; ``limit`` only guards against a hung test."""
        deadline = time.monotonic() + limit
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} LLM requests, got {len(self.requests)}")
            await asyncio.sleep(0.01)

    @asynccontextmanager
    async def running(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """Serve on a real socket and yield the base URL to put in ``llm_url`` (ends in /v1)."""
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=0.1)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
            yield f"http://{host}:{runner.addresses[0][1]}/v1"
        finally:
            if self.hold is not None:
                self.hold.set()  # let held handlers finish so the server can stop
            await runner.cleanup()

    async def _chat(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(ChatRequest(body, request.headers.get("Authorization")))
        self.in_flight += 1
        try:
            if self.hold is not None:
                await self.hold.wait()
            response = await self._respond(body)
            self.answered += 1
            return response
        finally:
            self.in_flight -= 1

    async def _respond(self, body: dict[str, Any]) -> web.Response:
        if self.mode == HTTP_500:
            return web.Response(status=500, text="fake LLM: injected HTTP 500")
        if self.mode == SLOW:
            await asyncio.sleep(self.slow_seconds)
        answer = json.dumps(self.answer, ensure_ascii=False)
        if self.mode == FENCED:
            content = f"```json\n{answer}\n```"
        elif self.mode == NOT_JSON:
            content = "这条诉求属于环境保护类，建议尽快处理。"
        elif self.mode == WRONG_SCHEMA:
            content = json.dumps({**self.answer, "urgency": 2, "keywords": "噪音"})
        elif self.mode == UNKNOWN_CATEGORY:
            content = json.dumps({**self.answer, "category": "城市管理/噪音"}, ensure_ascii=False)
        else:
            content = answer
        return web.json_response(
            {
                "id": f"chatcmpl-fake-{len(self.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", ""),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            },
            dumps=lambda value: json.dumps(value, ensure_ascii=False),
        )
