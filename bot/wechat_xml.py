"""Turning the bytes WeChat posts into a message, refusing anything hostile on the way.

WeChat never sends a DOCTYPE, entity declarations or processing instructions beyond the XML
declaration, so any of them is refused before a parser sees it: that closes XXE and
entity-expansion ("billion laughs") attacks whatever the parser's defaults are.
"""

from __future__ import annotations

import re
from typing import Any

import xmltodict
from wechatpy import parse_message
from wechatpy.messages import BaseMessage

from handlers.incoming import IncomingMessage

_MARKUP_DECLARATION = re.compile(r"<!(?!\[CDATA\[)")
_PROCESSING_INSTRUCTION = re.compile(r"<\?(?!xml[\s?])", re.IGNORECASE)
MAX_FIELD_CHARS = 20_000


class BadMessage(ValueError):
    """The request body is not a message we accept; the text says why (shown to the caller)."""


def decode_body(body: bytes) -> str:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadMessage(f"body is not valid UTF-8 (byte {exc.start})") from None
    if not text.strip():
        raise BadMessage("empty body: expected a WeChat XML message")
    if _MARKUP_DECLARATION.search(text):
        raise BadMessage("DOCTYPE and entity declarations are not accepted")
    if _PROCESSING_INSTRUCTION.search(text):
        raise BadMessage("processing instructions are not accepted")
    return text


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


def _float(fields: dict[str, Any], name: str) -> float | None:
    value = _text(fields, name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise BadMessage(f"{name} must be a number") from None


def parse_wechat_message(text: str) -> tuple[IncomingMessage, BaseMessage]:
    """Parse decrypted XML into our plain message (and wechatpy's, for reply rendering)."""
    fields = parse_xml_fields(text)
    for required in ("ToUserName", "FromUserName", "MsgType"):
        if not _text(fields, required):
            raise BadMessage(f"missing <{required}>")
    create_time = _text(fields, "CreateTime") or "0"
    if not create_time.isdigit():
        raise BadMessage("CreateTime must be a Unix timestamp")
    try:
        wechat_message = parse_message(text)
    except Exception as exc:
        raise BadMessage(f"unreadable message: {exc}") from None
    msg_type = (_text(fields, "MsgType") or "").lower()
    event = _text(fields, "Event")
    lng = _float(fields, "Location_Y") if msg_type == "location" else _float(fields, "Longitude")
    lat = _float(fields, "Location_X") if msg_type == "location" else _float(fields, "Latitude")
    content = _text(fields, "Content") or ""
    if msg_type == "link":
        content = "\n".join(
            part for part in (_text(fields, "Title"), _text(fields, "Description")) if part
        )
    recognition = _text(fields, "Recognition")
    extra: list[tuple[str, str]] = []
    popup = fields.get("SubscribeMsgPopupEvent")
    if isinstance(popup, dict):
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


def dedup_key(message: IncomingMessage) -> str:
    """WeChat's own rule: messages by MsgId, events by FromUserName + CreateTime (+ event).

    Job reports (MASSSENDJOBFINISH, TEMPLATESENDJOBFINISH) also carry the job's MsgID: two
    batches of a broadcast may finish within the same second, from the same sender.
    """
    if message.msg_id and not message.is_event:
        return f"msg:{message.msg_id}"
    key = f"evt:{message.openid}:{message.create_time}:{message.event or message.msg_type}"
    return f"{key}:{message.msg_id}" if message.msg_id else key
