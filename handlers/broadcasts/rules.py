"""What a broadcast notice may be: its audience, its channel, its content, and the API bodies.

Pure rules, no database. A notice is one of three kinds (text, image-with-text ``news``, or a
``template`` message) sent over one channel:

=============  =============================================  =================================
channel        audience                                       how
=============  =============================================  =================================
mp_mass        all followers, one WeChat tag, or residents    message/mass/sendall (one call),
               of chosen streets, compounds or grids           or message/mass/send to lists of
                                                              up to 10,000 openids; each call
                                                              with its own ``clientmsgid``
mp_template    residents of chosen places                     one template message each
mp_subscribe   residents of chosen places                     one subscription message each
work_app       workers of chosen units or grids               one WeCom app message each
=============  =============================================  =================================

The residents of a governance item (``item``: every resident of a case it covers, each once)
go by the three resident channels, like residents of chosen places.

One tag per notice, not several: WeChat sends to one tag per call, and a follower in two tags
would get the notice twice.

Every string and list is bounded, so that whatever is accepted can be stored, looked up and
shown: place names as long as a case's street or compound, codes as long as a grid's or unit's
code (a longer one would fail the lookup of the audience preview), at most :data:`MAX_PLACES`
of each, a tag id WeChat could have, and template data of :data:`MAX_TEMPLATE_FIELDS` short
fields. ``bot.api.notices`` publishes the same limits in the OpenAPI document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from config import broadcasts as texts
from config.deliveries import CHANNEL_LABELS

CHANNELS = ("mp_mass", "mp_template", "mp_subscribe", "work_app")
KINDS = ("text", "news", "template")
AUDIENCE_KINDS = ("all", "tag", "residents", "workers", "item")
ITEM_NUMBER = re.compile(r"^RD\d{8}$")  # a governance item's number (handlers.hot.items)
MAX_PLACES = 200
PLACE_NAME_LIMIT = 64  # models.Case.street and .compound
CODE_LIMIT = 32  # models.Grid.code and models.Unit.code
NAME_LIMITS = {
    "streets": PLACE_NAME_LIMIT,
    "compounds": PLACE_NAME_LIMIT,
    "grids": CODE_LIMIT,
    "units": CODE_LIMIT,
}
MAX_TAG_ID = 2**31 - 1  # WeChat's tag ids are 32-bit
TAG_NAME_LIMIT = 64
MAX_TEMPLATE_FIELDS = 20
TEMPLATE_NAME_LIMIT = 32  # "thing1", "keyword2", "time3"
MEDIA_ID_LIMIT = 256
TEMPLATE_ID_LIMIT = 128
NEWS_TITLE_LIMIT = 128
NEWS_DESCRIPTION_LIMIT = 512
URL_LIMIT = 1024
PAGE_LIMIT = 256
MASS_API_KEY = "mass_api"  # in an mp_mass outbox payload: which API the drainer calls


class NoticeError(Exception):
    """A notice request that cannot be done; the message tells staff what to do instead."""

    status = 400
    code = "invalid_notice"


class InvalidNotice(NoticeError):
    pass


class NoticeForbidden(NoticeError):
    status = 403
    code = "forbidden"


class NoticeNotFound(NoticeError):
    status = 404
    code = "not_found"


class NoticeStateError(NoticeError):
    """The notice's status does not allow it, or somebody changed the notice meanwhile."""

    status = 409
    code = "illegal_state"


@dataclass(frozen=True)
class Audience:
    """Who a notice is for. ``residents``: people who wrote to us about a case in one of the
    places; ``workers``: active workers of the units or grids (codes); ``item``: the residents
    of the cases a governance item (未诉先办, 每月一题) covers, each once, by its number."""

    kind: str
    tag_id: int | None = None
    tag_name: str = ""
    streets: tuple[str, ...] = ()
    compounds: tuple[str, ...] = ()
    grids: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    item: str = ""

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        if self.kind == "tag":
            data["tag_id"] = self.tag_id
            if self.tag_name:
                data["tag_name"] = self.tag_name
        if self.kind == "item":
            data["item"] = self.item
        for name in ("streets", "compounds", "grids", "units"):
            values = getattr(self, name)
            if values:
                data[name] = list(values)
        return data

    @property
    def per_recipient(self) -> bool:
        """Whether we know each recipient (one delivery row each), or WeChat does (all, tag)."""
        return self.kind in ("residents", "workers", "item")


def _names(data: dict[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidNotice(f"受众的 {key} 应为名称列表")
    if len(value) > MAX_PLACES:
        raise InvalidNotice(f"受众的 {key} 最多{MAX_PLACES}项")
    names = tuple(dict.fromkeys(v.strip() for v in value if v.strip()))
    limit = NAME_LIMITS[key]
    for name in names:
        if len(name) > limit:
            raise InvalidNotice(f"受众的 {key} 每项最多{limit}个字：{name[:16]}…")
    return names


def _tag(data: dict[str, Any]) -> Audience:
    tag_id = data.get("tag_id")
    if isinstance(data.get("tags"), list):
        raise InvalidNotice("每条通知只能选一个微信标签：同在两个标签的关注者会收到两次")
    if not isinstance(tag_id, int) or isinstance(tag_id, bool) or not 0 <= tag_id <= MAX_TAG_ID:
        raise InvalidNotice(f"按标签群发需要 tag_id（微信标签编号，0 到 {MAX_TAG_ID}）")
    name = data.get("tag_name") or ""
    if not isinstance(name, str):
        raise InvalidNotice("标签名称 tag_name 应为文字")
    if len(name.strip()) > TAG_NAME_LIMIT:
        raise InvalidNotice(f"标签名称 tag_name 最多{TAG_NAME_LIMIT}个字")
    return Audience("tag", tag_id=tag_id, tag_name=name.strip())


def parse_audience(data: dict[str, Any]) -> Audience:
    if not isinstance(data, dict):
        raise InvalidNotice('受众应为对象，例如 {"kind": "all"}')
    kind = data.get("kind")
    if kind not in AUDIENCE_KINDS:
        raise InvalidNotice(
            "受众 kind 应为 all（全部关注者）、tag（微信标签）、residents（居民）、"
            "workers（工作人员）或 item（热点事项的居民）"
        )
    if kind == "all":
        return Audience("all")
    if kind == "tag":
        return _tag(data)
    if kind == "item":
        number = data.get("item")
        if not isinstance(number, str) or not ITEM_NUMBER.fullmatch(number.strip()):
            raise InvalidNotice("热点事项的居民需要 item：事项编号，例如 RD26030001")
        return Audience("item", item=number.strip())
    if kind == "residents":
        audience = Audience(
            "residents",
            streets=_names(data, "streets"),
            compounds=_names(data, "compounds"),
            grids=_names(data, "grids"),
        )
        if not (audience.streets or audience.compounds or audience.grids):
            raise InvalidNotice("请至少选择一个街道、小区或网格")
        return audience
    audience = Audience("workers", units=_names(data, "units"), grids=_names(data, "grids"))
    if not (audience.units or audience.grids):
        raise InvalidNotice("请至少选择一个单位或网格")
    return audience


CHANNELS_FOR = {
    "all": ("mp_mass",),
    "tag": ("mp_mass",),
    "residents": ("mp_mass", "mp_template", "mp_subscribe"),
    "workers": ("work_app",),
    "item": ("mp_mass", "mp_template", "mp_subscribe"),
}
KINDS_FOR = {
    "mp_mass": ("text", "news"),
    "work_app": ("text", "news"),
    "mp_template": ("template",),
    "mp_subscribe": ("template",),
}
KIND_LABELS = {"text": "文字", "news": "图文", "template": "模板消息"}


def check_channel(audience: Audience, channel: str, kind: str) -> None:
    if channel not in CHANNELS:
        raise InvalidNotice(f"发送渠道应为 {', '.join(CHANNELS)} 之一")
    if kind not in KINDS:
        raise InvalidNotice("通知类型应为 text（文字）、news（图文）或 template（模板消息）")
    allowed = CHANNELS_FOR[audience.kind]
    if channel not in allowed:
        names = "、".join(CHANNEL_LABELS[c] for c in allowed)
        raise InvalidNotice(f"这类受众只能用{names}发送")
    if kind not in KINDS_FOR[channel]:
        names = "、".join(KIND_LABELS[k] for k in KINDS_FOR[channel])
        raise InvalidNotice(f"{CHANNEL_LABELS[channel]}只能发{names}")


def _text(content: dict[str, Any], key: str, limit: int, *, required: bool = True) -> str:
    value = content.get(key, "")
    if not isinstance(value, str):
        raise InvalidNotice(f"内容的 {key} 应为文字")
    value = value.strip()
    if required and not value:
        raise InvalidNotice(f"内容缺少 {key}")
    if len(value) > limit:
        raise InvalidNotice(f"内容的 {key} 最多{limit}个字")
    return value


def _url(content: dict[str, Any], key: str, *, required: bool = False) -> str:
    value = _text(content, key, URL_LIMIT, required=required)
    if value and not value.startswith(("https://", "http://")):
        raise InvalidNotice(f"内容的 {key} 应为 http(s) 链接")
    return value


def check_content(kind: str, channel: str, content: dict[str, Any]) -> dict[str, Any]:
    """The content as stored: only the keys its kind and channel use, trimmed and checked."""
    if not isinstance(content, dict):
        raise InvalidNotice("内容应为对象")
    if kind == "text":
        return {"text": _text(content, "text", texts.TEXT_LIMIT)}
    if kind == "news":
        if channel == "mp_mass":
            # Mass sends carry an article from the account's drafts (草稿箱), by its media_id.
            return {"media_id": _text(content, "media_id", MEDIA_ID_LIMIT)}
        article = {
            "title": _text(content, "title", NEWS_TITLE_LIMIT),
            "description": _text(content, "description", NEWS_DESCRIPTION_LIMIT, required=False),
            "url": _url(content, "url", required=True),
            "picurl": _url(content, "picurl"),
        }
        return {k: v for k, v in article.items() if v}
    data = content.get("data")
    if not isinstance(data, dict) or not data:
        raise InvalidNotice('模板消息需要 data：各字段的内容，例如 {"thing1": "停水通知"}')
    if len(data) > MAX_TEMPLATE_FIELDS:
        raise InvalidNotice(f"模板消息 data 最多{MAX_TEMPLATE_FIELDS}个字段")
    fields: dict[str, str] = {}
    for name, value in data.items():
        if not isinstance(name, str) or not name.strip() or not isinstance(value, str):
            raise InvalidNotice("模板消息 data 的每个字段应为文字")
        if len(name.strip()) > TEMPLATE_NAME_LIMIT:
            raise InvalidNotice(f"模板字段名最多{TEMPLATE_NAME_LIMIT}个字符：{name[:16]}…")
        if len(value) > texts.TEMPLATE_FIELD_LIMIT:
            raise InvalidNotice(f"模板字段 {name} 最多{texts.TEMPLATE_FIELD_LIMIT}个字")
        fields[name.strip()] = value.strip()
    template_id = _text(content, "template_id", TEMPLATE_ID_LIMIT)
    checked: dict[str, Any] = {"template_id": template_id, "data": fields}
    link = _url(content, "url") if channel == "mp_template" else ""
    page = _text(content, "page", PAGE_LIMIT, required=False) if channel == "mp_subscribe" else ""
    if link:
        checked["url"] = link
    if page:
        checked["page"] = page
    return checked


@dataclass(frozen=True)
class NoticeSpec:
    """A notice's checked parts, ready to store."""

    title: str
    kind: str
    channel: str
    audience: Audience
    content: dict[str, Any] = field(default_factory=dict)


def check_notice(
    title: str, kind: str, channel: str, audience: dict[str, Any], content: dict[str, Any]
) -> NoticeSpec:
    if not isinstance(title, str) or not title.strip():
        raise InvalidNotice("请填写通知标题（只在后台显示）")
    if len(title.strip()) > texts.TITLE_LIMIT:
        raise InvalidNotice(f"标题最多{texts.TITLE_LIMIT}个字")
    parsed = parse_audience(audience)
    check_channel(parsed, channel, kind)
    return NoticeSpec(title.strip(), kind, channel, parsed, check_content(kind, channel, content))


# API bodies (without the recipient, which the outbound client adds)


def message_body(kind: str, channel: str, content: dict[str, Any]) -> dict[str, Any]:
    """The body every recipient of the notice gets, as the channel's API wants it."""
    if channel in ("mp_template", "mp_subscribe"):
        body: dict[str, Any] = {
            "template_id": content["template_id"],
            "data": {name: {"value": value} for name, value in content["data"].items()},
        }
        for key in ("url", "page"):
            if content.get(key):
                body[key] = content[key]
        return body
    if kind == "text":
        return {"msgtype": "text", "text": {"content": content["text"]}}
    if channel == "mp_mass":
        return {
            "msgtype": "mpnews",
            "mpnews": {"media_id": content["media_id"]},
            "send_ignore_reprint": 0,
        }
    return {"msgtype": "news", "news": {"articles": [dict(content)]}}


def delivery_body(kind: str, channel: str, content: dict[str, Any]) -> dict[str, Any]:
    """What one delivery sends. WeCom messages ask WeCom to drop an identical repeat, so that
    a resend after a crash reaches nobody twice."""
    body = message_body(kind, channel, content)
    if channel == "work_app":
        body["enable_duplicate_check"] = 1
        body["duplicate_check_interval"] = texts.WECOM_DUPLICATE_CHECK_SECONDS
    return body


def sendall_body(base: dict[str, Any], audience: Audience, clientmsgid: str) -> dict[str, Any]:
    if audience.kind == "all":
        scope: dict[str, Any] = {"is_to_all": True}
    else:
        scope = {"is_to_all": False, "tag_id": audience.tag_id}
    return {"filter": scope, **base, "clientmsgid": clientmsgid}


def mass_list_body(base: dict[str, Any], openids: list[str], clientmsgid: str) -> dict[str, Any]:
    return {MASS_API_KEY: "send", "touser": openids, **base, "clientmsgid": clientmsgid}


def preview_body(kind: str, channel: str, content: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(outbox channel, body) of the preview: mass notices through WeChat's preview API (it
    spends no quota), the others as the very message a recipient would get."""
    body = message_body(kind, channel, content)
    if channel == "mp_mass":
        return "mp_mass", {MASS_API_KEY: "preview", **body}
    return channel, body


def batch_clientmsgid(clientmsgid: str, batch: int) -> str:
    """The key of one mass-send call: the notice's, and for openid lists the batch number."""
    return f"{clientmsgid}-{batch}"
