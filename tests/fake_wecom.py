"""A stand-in for qyapi.weixin.qq.com (WeCom), so tests exercise our real HTTP client.

It keeps WeCom's observable rules for the calls we make: ``gettoken`` hands back the same token
while it is valid; a missing, unknown or expired token gets 41001, 40014 or 42001; a message to
a userid the corp does not have is refused with 81013 (and ``invaliduser`` names it); a card
update needs a response code that WeCom issued and nobody has used yet. Every accepted message
and card update is recorded, in order. Failures are injected as in tests/fake_wechat.py.

Run it alone with ``python -m tests.fake_wecom --port 9998``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import time
from contextlib import suppress
from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web
from wechatpy.work.crypto import WeChatCrypto

from bot.wechat.parsing import parse_xml_fields
from bot.wechat.signing import signature
from tests.fake_wechat import FakeApiServer, SentMessage, _error, _ok

GETTOKEN = "/cgi-bin/gettoken"
MESSAGE_SEND = "/cgi-bin/message/send"
UPDATE_TEMPLATE_CARD = "/cgi-bin/message/update_template_card"
MEDIA_GET = "/cgi-bin/media/get"
DEPARTMENT_LIST = "/cgi-bin/department/simplelist"
USER_LIST = "/cgi-bin/user/list"

# The fake's answer to a response code that was never issued or is used up (errcode of WeCom's
# "invalid parameter"); real WeCom's exact code for this case is not documented.
BAD_RESPONSE_CODE = 40058


class FakeWeCom(FakeApiServer):
    """One corp with one self-built app: credentials, members, live tokens, what was sent."""

    def __init__(
        self,
        corp_id: str = "wwfakecorp",
        secret: str = "fakeworksecret",
        agent_id: int = 1000002,
        users: set[str] | None = None,
        token_ttl: int = 7200,
    ) -> None:
        super().__init__(token_ttl)
        self.corp_id = corp_id
        self.secret = secret
        self.agent_id = agent_id
        self.users = users  # None: every userid exists
        self._response_codes: dict[str, bool] = {}  # issued code -> still unused
        self._next_msgid = 5000
        # enable_duplicate_check: the same request body again within the interval is answered
        # like the first and delivered to nobody (WeCom's rule for app messages).
        self.duplicates_dropped = 0
        # Seconds to hold the answer to a message already accepted and recorded (as FakeWeChat).
        self.answer_delay = 0.0
        self._recent_bodies: dict[str, tuple[float, str]] = {}  # body -> (accepted at, msgid)
        self.app.router.add_get(GETTOKEN, self._gettoken)
        self.app.router.add_post(MESSAGE_SEND, self._send)
        self.app.router.add_post(UPDATE_TEMPLATE_CARD, self._update_card)
        # Temporary media (what a member sent the app): media_id -> (bytes, content type).
        self.media: dict[str, tuple[bytes, str]] = {}
        self.media_requests = 0
        self.app.router.add_get(MEDIA_GET, self._media_get)
        # The address book: department id -> its members ({"userid", "name", "mobile"?}).
        self.departments: dict[int, list[dict[str, Any]]] = {}
        self.app.router.add_get(DEPARTMENT_LIST, self._department_list)
        self.app.router.add_get(USER_LIST, self._user_list)

    # Controls and views for tests

    def new_response_code(self) -> str:
        """A code as WeCom puts in a card event when a worker presses a button."""
        code = f"rc-{secrets.token_hex(6)}"
        self._response_codes[code] = True
        return code

    def add_media(self, data: bytes, content_type: str = "image/jpeg") -> str:
        """Keep a file as WeCom does when a member sends the app a photo; its media_id."""
        media_id = f"wm-{secrets.token_hex(8)}"
        self.media[media_id] = (data, content_type)
        return media_id

    def messages_to(self, userid: str) -> list[dict[str, Any]]:
        return [m.body for m in self.sent if m.path == MESSAGE_SEND and m.body["touser"] == userid]

    def cards_to(self, userid: str) -> list[dict[str, Any]]:
        return [
            body["template_card"]
            for body in self.messages_to(userid)
            if body.get("msgtype") == "template_card"
        ]

    def card_updates(self) -> list[dict[str, Any]]:
        return [m.body for m in self.sent if m.path == UPDATE_TEMPLATE_CARD]

    # API

    async def _gettoken(self, request: web.Request) -> web.Response:
        injected = await self._injected(request)
        if injected is not None:
            return injected
        if request.query.get("corpid") != self.corp_id:
            return _error(40013, "invalid corpid")
        if request.query.get("corpsecret") != self.secret:
            return _error(40001, "invalid secret")
        token, expires_in = self._issue(force=False)
        self.token_requests += 1
        return _ok(access_token=token, expires_in=expires_in)

    def _check_token(self, request: web.Request) -> tuple[str, web.Response | None]:
        token = request.query.get("access_token", "")
        if not token:
            return token, _error(41001, "access_token missing")
        state = self._token_state(token)
        if state == "expired":
            return token, _error(42001, "access_token expired")
        if state != "valid":
            return token, _error(40014, "invalid access_token")
        return token, None

    async def _checked_body(
        self, request: web.Request
    ) -> tuple[str, dict[str, Any] | None, web.Response | None]:
        injected = await self._injected(request)
        if injected is not None:
            return "", None, injected
        token, refused = self._check_token(request)
        if refused is not None:
            return token, None, refused
        body = await self._json_body(request)
        if body is None:
            return token, None, _error(47001, "data format error")
        if body.get("agentid") != self.agent_id:
            return token, None, _error(40056, "invalid agentid")
        return token, body, None

    async def _department_list(self, request: web.Request) -> web.Response:
        injected = await self._injected(request)
        if injected is not None:
            return injected
        _, refused = self._check_token(request)
        if refused is not None:
            return refused
        ids = [{"id": i, "parentid": 0 if i == 1 else 1, "order": i} for i in self.departments]
        return _ok(department_id=ids)

    async def _user_list(self, request: web.Request) -> web.Response:
        injected = await self._injected(request)
        if injected is not None:
            return injected
        _, refused = self._check_token(request)
        if refused is not None:
            return refused
        raw = request.query.get("department_id", "")
        if not raw.isdigit() or int(raw) not in self.departments:
            return _error(60123, "invalid party id")
        department = int(raw)
        members = [{**m, "department": [department]} for m in self.departments[department]]
        return _ok(userlist=members)

    async def _send(self, request: web.Request) -> web.Response:
        token, body, refused = await self._checked_body(request)
        if refused is not None or body is None:
            return refused or _error(47001, "data format error")
        userid = str(body.get("touser") or "")
        if not userid or (self.users is not None and userid not in self.users):
            return _error(81013, "user & party & tag all invalid", invaliduser=userid)
        msgtype = body.get("msgtype")
        if msgtype not in body:
            return _error(40008, "invalid message type")
        duplicate_key = ""
        if body.get("enable_duplicate_check"):
            interval = min(float(body.get("duplicate_check_interval") or 1800), 4 * 3600.0)
            duplicate_key = json.dumps(body, sort_keys=True, ensure_ascii=False)
            earlier = self._recent_bodies.get(duplicate_key)
            if earlier is not None and time.monotonic() - earlier[0] < interval:
                self.duplicates_dropped += 1
                return _ok(invaliduser="", msgid=earlier[1])
        extra: dict[str, Any] = {}
        if msgtype == "template_card":
            card = body["template_card"]
            if card.get("card_type") == "button_interaction" and not card.get("task_id"):
                return _error(40058, "task_id missing")
            code = self.new_response_code()
            extra["response_code"] = code
        self.sent.append(SentMessage(request.path, body, token))
        self.received[userid] += 1
        self._next_msgid += 1
        msgid = f"msg-{self._next_msgid}"
        if duplicate_key:
            self._recent_bodies[duplicate_key] = (time.monotonic(), msgid)
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)
        return _ok(invaliduser="", msgid=msgid, **extra)

    async def _update_card(self, request: web.Request) -> web.Response:
        token, body, refused = await self._checked_body(request)
        if refused is not None or body is None:
            return refused or _error(47001, "data format error")
        code = str(body.get("response_code") or "")
        if not self._response_codes.get(code):
            return _error(BAD_RESPONSE_CODE, "invalid response_code (unknown or already used)")
        self._response_codes[code] = False
        self.sent.append(SentMessage(request.path, body, token))
        return _ok(invaliduser=[])

    async def _media_get(self, request: web.Request) -> web.Response:
        """The file itself, or JSON with 40007 for a media_id WeCom does not have (any more)."""
        injected = await self._injected(request)
        if injected is not None:
            return injected
        _, refused = self._check_token(request)
        if refused is not None:
            return refused
        self.media_requests += 1
        found = self.media.get(request.query.get("media_id", ""))
        if found is None:
            return _error(40007, "invalid media_id")
        data, content_type = found
        return web.Response(
            body=data,
            content_type=content_type,
            headers={"Content-Disposition": 'attachment; filename="photo.jpg"'},
        )


# What WeCom posts to the app's callback URL


def card_event_xml(
    userid: str,
    event_key: str,
    *,
    corp_id: str = "wwfakecorp",
    task_id: str = "",
    response_code: str = "",
    selected: dict[str, list[str]] | None = None,
    create_time: int | None = None,
    agent_id: int = 1000002,
) -> str:
    """A ``template_card_event`` as WeCom sends it when a worker presses a card's button."""
    items = "".join(
        f"<SelectedItem><QuestionKey><![CDATA[{question}]]></QuestionKey><OptionIds>"
        + "".join(f"<OptionId><![CDATA[{option}]]></OptionId>" for option in options)
        + "</OptionIds></SelectedItem>"
        for question, options in (selected or {}).items()
    )
    return (
        f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName>"
        f"<FromUserName><![CDATA[{userid}]]></FromUserName>"
        f"<CreateTime>{create_time if create_time is not None else int(time.time())}</CreateTime>"
        "<MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[template_card_event]]></Event>"
        f"<EventKey><![CDATA[{event_key}]]></EventKey>"
        f"<TaskId><![CDATA[{task_id}]]></TaskId>"
        "<CardType><![CDATA[button_interaction]]></CardType>"
        f"<ResponseCode><![CDATA[{response_code}]]></ResponseCode>"
        f"<AgentID>{agent_id}</AgentID>"
        + (f"<SelectedItems>{items}</SelectedItems>" if items else "")
        + "</xml>"
    )


def image_message_xml(
    userid: str,
    media_id: str,
    msg_id: str,
    *,
    corp_id: str = "wwfakecorp",
    agent_id: int = 1000002,
    create_time: int | None = None,
) -> str:
    """An image message a member sends the app (WeCom keeps the photo as temporary media)."""
    return (
        f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName>"
        f"<FromUserName><![CDATA[{userid}]]></FromUserName>"
        f"<CreateTime>{create_time if create_time is not None else int(time.time())}</CreateTime>"
        "<MsgType><![CDATA[image]]></MsgType>"
        f"<PicUrl><![CDATA[https://wework.qpic.cn/fake/{media_id}]]></PicUrl>"
        f"<MediaId><![CDATA[{media_id}]]></MediaId>"
        f"<MsgId>{msg_id}</MsgId>"
        f"<AgentID>{agent_id}</AgentID></xml>"
    )


def callback_request(
    token: str, aes_key: str, corp_id: str, xml: str, *, agent_id: int = 1000002
) -> tuple[dict[str, str], str]:
    """Encrypt and sign ``xml`` as WeCom does: the query and the body of the POST."""
    crypto = WeChatCrypto(token, aes_key, corp_id)
    nonce = secrets.token_hex(5)
    timestamp = str(int(time.time()))
    encrypt = parse_xml_fields(crypto.encrypt_message(xml, nonce, timestamp))["Encrypt"]
    query = {
        "msg_signature": signature(token, timestamp, nonce, encrypt),
        "timestamp": timestamp,
        "nonce": nonce,
    }
    body = (
        f"<xml><ToUserName><![CDATA[{escape(corp_id)}]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypt}]]></Encrypt><AgentID><![CDATA[{agent_id}]]></AgentID></xml>"
    )
    return query, body


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeWeCom(corp_id=args.corp_id, secret=args.secret, agent_id=args.agent_id)
    fake.delay = args.delay
    async with fake.running(args.host, args.port) as url:
        print(url, flush=True)
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake WeCom API server for tests")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9998)
    parser.add_argument("--corp-id", default="wwfakecorp")
    parser.add_argument("--secret", default="fakeworksecret")
    parser.add_argument("--agent-id", type=int, default=1000002)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait per request")
    args = parser.parse_args()
    with suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
