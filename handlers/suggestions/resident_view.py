"""A suggestion as its proposer may read it in the mini-program: what, where it stands, the call
it answered, and the steps they were told of (``SuggestionEvent.told``) - never the office's
own remarks, the screening deadline's staff side or anyone's name but their own credit."""

from __future__ import annotations

from typing import Any

from handlers.clock import iso
from models import Suggestion, SuggestionCall, SuggestionEvent, SuggestionStatus
from nlu import mask_phones_in_text

MAX_EVENTS = 100
# What a step is called when the proposer reads it; another step reads as its new status.
ACTION_LABELS = {
    "receive": "已收到建议",
    "ask": "请您补充",
    "more_info": "请您补充",
    "decline": "不予采纳",
    "merge": "已与相似建议合并",
    "adopt": "已采纳",
    "forward": "已报送市级",
    "answer": "部门已答复",
    "instruct": "领导已批示",
    "implement": "已落地",
    "convert": "已转为诉求",
    "publish": "已公开",
    "consent": "您同意公开",
    "consent_withdrawn": "您撤回了公开同意",
}


def _status(value: str | None) -> SuggestionStatus | None:
    try:
        return SuggestionStatus(value) if value else None
    except ValueError:
        return None


def event_json(event: SuggestionEvent) -> dict[str, Any]:
    status = _status(event.to_status)
    label = ACTION_LABELS.get(event.action) or (status.label if status else "进展")
    return {
        "at": iso(event.at),
        "action": event.action,
        "action_label": label,
        "status": status.value if status else None,
        "status_label": status.label if status else None,
        "note": mask_phones_in_text(event.note or "")[:500],
    }


def _call_json(call: SuggestionCall | None) -> dict[str, str] | None:
    return {"code": call.code, "title": call.title} if call is not None else None


def summary_json(suggestion: Suggestion, call: SuggestionCall | None) -> dict[str, Any]:
    status = SuggestionStatus(suggestion.status)
    return {
        "number": suggestion.number,
        "title": suggestion.title,
        "status": status.value,
        "status_label": status.label,
        "category": suggestion.category,
        "call": _call_json(call),
        "created_at": iso(suggestion.created_at),
        "updated_at": iso(suggestion.updated_at),
    }


async def _calls(suggestions: list[Suggestion]) -> dict[int, SuggestionCall]:
    ids = {s.call_id for s in suggestions if s.call_id is not None}
    return {c.id: c for c in await SuggestionCall.filter(id__in=ids)} if ids else {}


async def suggestion_summary(suggestion: Suggestion) -> dict[str, Any]:
    calls = await _calls([suggestion])
    return summary_json(suggestion, calls.get(suggestion.call_id or 0))


async def suggestion_summaries(suggestions: list[Suggestion]) -> list[dict[str, Any]]:
    calls = await _calls(suggestions)
    return [summary_json(s, calls.get(s.call_id or 0)) for s in suggestions]


async def suggestion_detail(suggestion: Suggestion) -> dict[str, Any]:
    """In full: the words, photos, publication wishes and the steps they were told of."""
    told = (
        await SuggestionEvent.filter(suggestion_id=suggestion.id, told=True)
        .order_by("-at", "-id")
        .limit(MAX_EVENTS)
    )
    photos = [
        {"media_key": str(item["media_key"]), "url": str(item.get("url", ""))}
        for item in suggestion.attachments or []
        if isinstance(item, dict) and item.get("media_key")
    ]
    return {
        **await suggestion_summary(suggestion),
        "text": suggestion.text,
        "photos": photos,
        "consent_publish": suggestion.consent_publish,
        "credit_name": suggestion.credit_name,
        "result": suggestion.result if suggestion.published_at or suggestion.implemented_at else "",
        "timeline": [event_json(e) for e in told],
    }
