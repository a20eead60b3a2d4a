"""Turning the bytes WeChat posts into a message, refusing anything hostile on the way.

WeChat never sends a DOCTYPE, entity declarations or processing instructions beyond the XML
declaration, so any of them is refused before a parser sees it: that closes XXE and
entity-expansion ("billion laughs") attacks whatever the parser's defaults are.

The mini-program's message push (/wechat/mini) may be configured for JSON instead of XML. JSON
has no entities, but a parser can be sent into deep recursion, so nesting is measured before
``json.loads`` runs, duplicate keys and non-finite numbers are refused, and the fields we read
are type-checked. Both formats become the same :class:`IncomingMessage`.

A signature proves who sent a message, not that its values fit: ids and names longer than
their columns, and coordinates that are not finite or not on the globe, are refused (a 400)
rather than cut, stored, or left to fail in the database.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator
from typing import Any, Literal

import xmltodict
from wechatpy import parse_message
from wechatpy.messages import BaseMessage

from handlers.digits import decimal_number, whole_number
from handlers.intake.incoming import IncomingMessage

_MARKUP_DECLARATION = re.compile(r"<!(?!\[CDATA\[)")
_PROCESSING_INSTRUCTION = re.compile(r"<\?(?!xml[\s?])", re.IGNORECASE)
MAX_FIELD_CHARS = 20_000
# What the columns a message is stored in can hold; longer is refused, never cut.
MAX_OPENID_CHARS = 64  # residents.openid, inbound_messages.openid
MAX_MSG_ID_CHARS = 32  # inbound_messages.msg_id
MAX_EVENT_CHARS = 64  # inbound_messages.event
MAX_MSG_TYPE_CHARS = 32  # inbound_messages.msg_type
MAX_DEDUP_KEY_CHARS = 160  # inbound_messages.dedup_key
# Coordinates: a latitude within ±90, a longitude within ±180; NaN and infinities are refused
# (they would be stored, and no JSON document can carry them back out).
COORDINATE_LIMITS = {"Location_X": 90.0, "Latitude": 90.0, "Location_Y": 180.0, "Longitude": 180.0}


class BadMessage(ValueError):
    """The request body is not a message we accept; the text says why (shown to the caller)."""


def decode_text(body: bytes, expected: str = "a WeChat XML message") -> str:
    """UTF-8 text that is not blank, whatever its format."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadMessage(f"body is not valid UTF-8 (byte {exc.start})") from None
    if not text.strip():
        raise BadMessage(f"empty body: expected {expected}")
    return text


def check_markup(text: str) -> str:
    """Refuse XML that declares anything (DOCTYPE, entities) or carries processing instructions."""
    if _MARKUP_DECLARATION.search(text):
        raise BadMessage("DOCTYPE and entity declarations are not accepted")
    if _PROCESSING_INSTRUCTION.search(text):
        raise BadMessage("processing instructions are not accepted")
    return text


def decode_body(body: bytes) -> str:
    return check_markup(decode_text(body))


def parse_xml_fields(text: str) -> dict[str, Any]:
    """Parse a flat ``<xml>...</xml>`` document into a dict, or raise BadMessage."""
    try:
        doc = xmltodict.parse(text, disable_entities=True)
    except Exception as exc:  # expat raises several types; all mean malformed input
        raise BadMessage(f"malformed XML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("xml"), dict):
        raise BadMessage("XML root element must be <xml>")
    fields: dict[str, Any] = doc["xml"]
    return fields


def _text(fields: dict[str, Any], name: str) -> str | None:
    value = fields.get(name)
    if value is None or isinstance(value, dict | list):
        return None
    return str(value)[:MAX_FIELD_CHARS]


def _bounded(fields: dict[str, Any], name: str, limit: int) -> str | None:
    value = _text(fields, name)
    if value is not None and len(value) > limit:
        raise BadMessage(f"{name} is longer than {limit} characters")
    return value


def _coordinate(fields: dict[str, Any], name: str) -> float | None:
    value = _text(fields, name)
    if value is None:
        return None
    number = decimal_number(value.strip())
    if number is None:
        raise BadMessage(f"{name} must be a plain decimal number")
    limit = COORDINATE_LIMITS[name]
    if not math.isfinite(number) or abs(number) > limit:
        raise BadMessage(f"{name} must be a finite number between -{limit:g} and {limit:g}")
    return number


def check_stored_fields(fields: dict[str, Any]) -> None:
    """Refuse values the inbound log cannot hold (over-long names and ids, coordinates that
    are not on the globe), whichever message type carries them."""
    for name, limit in (
        ("FromUserName", MAX_OPENID_CHARS),
        ("MsgId", MAX_MSG_ID_CHARS),
        ("MsgID", MAX_MSG_ID_CHARS),
        ("MsgType", MAX_MSG_TYPE_CHARS),
        ("Event", MAX_EVENT_CHARS),
    ):
        _bounded(fields, name, limit)
    for name in COORDINATE_LIMITS:
        _coordinate(fields, name)


def parse_wechat_message(text: str) -> tuple[IncomingMessage, BaseMessage]:
    """Parse decrypted XML into our plain message (and wechatpy's, for reply rendering)."""
    fields = parse_xml_fields(text)
    for required in ("ToUserName", "FromUserName", "MsgType"):
        if not _text(fields, required):
            raise BadMessage(f"missing <{required}>")
    check_stored_fields(fields)
    create_time = _text(fields, "CreateTime") or "0"
    if whole_number(create_time) is None:
        raise BadMessage("CreateTime must be a Unix timestamp")
    try:
        wechat_message = parse_message(text)
    except Exception as exc:
        raise BadMessage(f"unreadable message: {exc}") from None
    msg_type = (_text(fields, "MsgType") or "").lower()
    event = _text(fields, "Event")
    location = msg_type == "location"
    lng = _coordinate(fields, "Location_Y" if location else "Longitude")
    lat = _coordinate(fields, "Location_X" if location else "Latitude")
    content = _text(fields, "Content") or ""
    if msg_type == "link":
        content = "\n".join(
            part for part in (_text(fields, "Title"), _text(fields, "Description")) if part
        )
    recognition = _text(fields, "Recognition")
    extra: list[tuple[str, str]] = []
    # The popup's choices, or a change the resident made later in their settings.
    for wrapper in ("SubscribeMsgPopupEvent", "SubscribeMsgChangeEvent"):
        popup = fields.get(wrapper)
        if not isinstance(popup, dict):
            continue
        items = popup.get("List")
        for item in items if isinstance(items, list) else [items]:
            if isinstance(item, dict) and item.get("TemplateId"):
                extra.append((str(item["TemplateId"]), str(item.get("SubscribeStatusString", ""))))
    # bizmsgmenuid: the option a resident tapped in a customer-service menu (msgmenu); the
    # counts: what MASSSENDJOBFINISH reports about a mass send.
    for name in (
        "Status",
        "Scale",
        "ThumbMediaId",
        "Format",
        "Precision",
        "bizmsgmenuid",
        "TotalCount",
        "FilterCount",
        "SentCount",
        "ErrorCount",
    ):
        value = _text(fields, name)
        if value is not None:
            extra.append((name, value))
    incoming = IncomingMessage(
        openid=_text(fields, "FromUserName") or "",
        msg_type=msg_type,
        create_time=int(create_time),
        msg_id=_text(fields, "MsgId") or _text(fields, "MsgID"),
        content=content,
        media_id=_text(fields, "MediaId"),
        picture_url=_text(fields, "PicUrl"),
        recognition=recognition.strip() if recognition else None,
        lng=lng,
        lat=lat,
        label=_text(fields, "Label"),
        url=_text(fields, "Url"),
        event=event.lower() if event else None,
        event_key=_text(fields, "EventKey"),
        extra=tuple(extra),
    )
    return incoming, wechat_message


def _wechat_key(message: IncomingMessage) -> str:
    if message.msg_id and not message.is_event:
        return f"msg:{message.msg_id}"
    key = f"evt:{message.openid}:{message.create_time}:{message.event or message.msg_type}"
    return f"{key}:{message.msg_id}" if message.msg_id else key


def dedup_key(message: IncomingMessage) -> str:
    """WeChat's own rule: messages by MsgId, events by FromUserName + CreateTime (+ event).

    Job reports (MASSSENDJOBFINISH, TEMPLATESENDJOBFINISH) also carry the job's MsgID: two
    batches of a broadcast may finish within the same second, from the same sender. A key
    longer than the column (an event whose names are all at their limits) becomes a digest.
    """
    key = _wechat_key(message)
    if len(key) <= MAX_DEDUP_KEY_CHARS:
        return key
    return f"evt:{hashlib.sha1(key.encode('utf-8')).hexdigest()}"


# --- the mini-program's message push: JSON or XML ---------------------------------------------

BodyFormat = Literal["json", "xml"]

MINI_KEY_PREFIX = "mini:"  # its dedup keys: MsgIds of the two apps are separate sequences
MINI_PAGE = "miniprogrampage"  # a mini-program card the resident sent into the chat
MAX_JSON_DEPTH = 5  # {"List": [{...}]} is 3 deep; WeChat nests no further
MAX_SUBSCRIPTION_ITEMS = 20  # a popup asks for at most 3 templates; the settings page lists more

# A JSON string (escapes included) as one match, so brackets inside strings are not counted.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_JSON_BRACKET = re.compile(r"[\[\]{}]")
_JSON_TEXT_FIELDS = (
    "ToUserName",
    "FromUserName",
    "MsgType",
    "Event",
    "Content",
    "PicUrl",
    "MediaId",
    "Title",
    "AppId",
    "PagePath",
    "ThumbUrl",
    "ThumbMediaId",
    "SessionFrom",
    "Encrypt",
)
_JSON_NUMBER_FIELDS = ("CreateTime", "MsgId", "MsgID")  # a number, or its digits as a string
_ITEM_TEXT_FIELDS = ("TemplateId", "SubscribeStatusString", "ErrorStatus")
_ITEM_NUMBER_FIELDS = ("PopupScene", "MsgID", "ErrorCode")
# Where XML puts each subscription event's list; JSON calls all three "List".
_SUBSCRIPTION_CONTAINERS = (
    "SubscribeMsgPopupEvent",
    "SubscribeMsgChangeEvent",
    "SubscribeMsgSentEvent",
)


def body_format(text: str, content_type: str = "") -> BodyFormat:
    """JSON or XML, by the first non-blank character; the Content-Type decides only when that
    character is neither (and the parser then says what is wrong)."""
    first = text.lstrip("\ufeff \t\r\n")[:1]
    if first in ("{", "["):
        return "json"
    if first == "<":
        return "xml"
    return "json" if "json" in content_type.lower() else "xml"


def json_depth(text: str, limit: int = MAX_JSON_DEPTH) -> int:
    """How deep arrays and objects nest, counted without parsing (stops once past ``limit``)."""
    depth = deepest = 0
    for bracket in _JSON_BRACKET.finditer(_JSON_STRING.sub('""', text)):
        if bracket.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                break
        else:
            depth -= 1
    return deepest


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, value in pairs:
        if key in fields:
            raise BadMessage(f"field {key!r} appears twice")
        fields[key] = value
    return fields


def _no_constant(name: str) -> Any:
    raise BadMessage(f"{name} is not a number WeChat sends")


def _scalar(name: str, value: Any, *, number: bool) -> str:
    """A field as the XML parser would give it (a string), or BadMessage if its type is wrong."""
    if isinstance(value, str):
        return value
    if number and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    kind = "a number or a string" if number else "a string"
    raise BadMessage(f"{name} must be {kind}")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _strings(value: Any) -> Iterator[str]:
    """Every key and string in a parsed document (its depth is bounded before parsing)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _check_storable(value: str) -> None:
    """\\u escapes can spell what UTF-8 cannot hold (lone surrogates) and what no text column
    takes (NUL); XML cannot carry either, so JSON must not either."""
    if "\x00" in value:
        raise BadMessage("JSON strings must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadMessage("JSON strings must not contain lone surrogates") from None


def parse_json_fields(text: str) -> dict[str, Any]:
    """Parse a JSON push into a dict shaped like :func:`parse_xml_fields`' result.

    Refused: nesting deeper than :data:`MAX_JSON_DEPTH` (measured before parsing, so no
    recursion happens), a root that is not an object, duplicate keys, NaN and Infinity, and the
    fields we read when they have the wrong type.
    """
    if json_depth(text) > MAX_JSON_DEPTH:
        raise BadMessage(f"JSON nested deeper than {MAX_JSON_DEPTH} levels is not accepted")
    try:
        doc = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except BadMessage:
        raise
    except (ValueError, RecursionError) as exc:
        raise BadMessage(f"malformed JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise BadMessage("JSON body must be an object")
    for value in _strings(doc):
        _check_storable(value)
    for name in _JSON_TEXT_FIELDS:
        if name in doc:
            doc[name] = _scalar(name, doc[name], number=False)
    for name in _JSON_NUMBER_FIELDS:
        if name in doc:
            doc[name] = _scalar(name, doc[name], number=True)
    for item in _as_list(doc.get("List")):
        if not isinstance(item, dict):
            continue  # not a subscription event's list: kept as it came, never read
        for name in _ITEM_TEXT_FIELDS:
            if name in item:
                item[name] = _scalar(f"List.{name}", item[name], number=False)
        for name in _ITEM_NUMBER_FIELDS:
            if name in item:
                item[name] = _scalar(f"List.{name}", item[name], number=True)
    return doc


def subscription_items(fields: dict[str, Any]) -> list[dict[str, Any]]:
    """The templates of a subscription event, wherever the format puts them.

    XML: ``<SubscribeMsgPopupEvent><List>…</List><List>…</List>`` (one element per template),
    also seen as ``<List><item>…</item></List>``; JSON: ``"List"``, an object for one template
    and an array for several.
    """
    sources = [fields.get("List")]
    for name in _SUBSCRIPTION_CONTAINERS:
        container = fields.get(name)
        if isinstance(container, dict):
            sources.append(container.get("List"))
    items: list[dict[str, Any]] = []
    for source in sources:
        for item in _as_list(source):
            if not isinstance(item, dict):
                continue
            if "TemplateId" not in item and "item" in item:
                items.extend(i for i in _as_list(item["item"]) if isinstance(i, dict))
            else:
                items.append(item)
    return items[:MAX_SUBSCRIPTION_ITEMS]


def consent_status(status: str) -> str:
    """acceptWithAudio and acceptWithAlert (accepted, with a sound or an alert) are accepts."""
    return "accept" if status.startswith("accept") else status


def mini_message_from_fields(fields: dict[str, Any]) -> IncomingMessage:
    """A mini-program push (text, image, miniprogrampage, events) as our plain message.

    A mini-program card becomes text with its title (what the resident shared it for); its
    page and app are kept in ``extra``. Subscription events carry (TemplateId, status) pairs in
    ``extra``, as :func:`parse_wechat_message` builds them for the official account.
    """
    for required in ("ToUserName", "FromUserName", "MsgType"):
        if not _text(fields, required):
            raise BadMessage(f"missing {required}")
    check_stored_fields(fields)
    openid = _bounded(fields, "FromUserName", MAX_OPENID_CHARS) or ""
    create_time = _text(fields, "CreateTime") or "0"
    if whole_number(create_time) is None:
        raise BadMessage("CreateTime must be a Unix timestamp")
    msg_id = _bounded(fields, "MsgId", MAX_MSG_ID_CHARS) or _bounded(
        fields, "MsgID", MAX_MSG_ID_CHARS
    )
    msg_type = (_bounded(fields, "MsgType", MAX_MSG_TYPE_CHARS) or "").lower()
    event = _bounded(fields, "Event", MAX_EVENT_CHARS)
    content = _text(fields, "Content") or ""
    extra: list[tuple[str, str]] = []
    if msg_type == MINI_PAGE:
        content = _text(fields, "Title") or ""
        extra.append(("MsgType", MINI_PAGE))
        for name in ("AppId", "PagePath", "ThumbUrl", "ThumbMediaId"):
            value = _text(fields, name)
            if value is not None:
                extra.append((name, value))
        msg_type = "text"
    for item in subscription_items(fields):
        template_id = _text(item, "TemplateId")
        if template_id:
            extra.append((template_id, consent_status(_text(item, "SubscribeStatusString") or "")))
    session_from = _text(fields, "SessionFrom")
    if session_from is not None:
        extra.append(("SessionFrom", session_from))
    return IncomingMessage(
        openid=openid,
        msg_type=msg_type,
        create_time=int(create_time),
        msg_id=msg_id,
        content=content,
        media_id=_text(fields, "MediaId"),
        picture_url=_text(fields, "PicUrl"),
        event=event.lower() if event else None,
        extra=tuple(extra),
    )


def parse_mini_fields(text: str, content_type: str = "") -> dict[str, Any]:
    """The fields of a mini-program body (a message, or a safe-mode envelope), JSON or XML."""
    if body_format(text, content_type) == "json":
        return parse_json_fields(text)
    return parse_xml_fields(check_markup(text))


def parse_mini_message(text: str, content_type: str = "") -> IncomingMessage:
    """The decrypted body of a /wechat/mini push as our plain message, or BadMessage.

    Also what the recovery sweep uses on a stored body: the format is told by the body itself.
    """
    return mini_message_from_fields(parse_mini_fields(text, content_type))


def mini_dedup_key(message: IncomingMessage) -> str:
    """WeChat's rule (:func:`dedup_key`) under the mini-program's own prefix."""
    key = MINI_KEY_PREFIX + _wechat_key(message)
    if len(key) <= MAX_DEDUP_KEY_CHARS:
        return key
    return f"{MINI_KEY_PREFIX}evt:{hashlib.sha1(key.encode('utf-8')).hexdigest()}"
