"""Taking the personal fields and photos out of a case while the case itself stays for figures.

Shared by an erasure on request (``handlers.residents.personal_data``) and the retention sweep
(``handlers.residents.retention``). What goes: the contact phone, the place as the resident wrote
it (``place_text``), the road-and-number address and the coordinates; in the words (the case's
text and title, and the notes the resident added on the timeline) every phone number and the
extracted place and address are masked; every photo of the case is removed from the media store
and from the case. What stays: kind, category, urgency, street, compound, grid, unit, status,
every time and the result, so every figure still counts the case. ``anonymised_at`` marks it
done: doing it again changes nothing.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from handlers.residents.media_store import MediaStore
from models import Case, CaseEvent, MediaFile
from nlu import mask_phones_in_text

logger = logging.getLogger(__name__)

MASK = "＊＊＊"
# Any run of 7 or more digits (with spaces or dashes inside) left after phone masking.
_LONG_DIGITS = re.compile(r"\d[\d\s-]{5,}\d")


def masked_words(text: str, places: list[str]) -> str:
    """``text`` with phones, long digit runs and the given extracted places masked."""
    if not text:
        return text
    text = _LONG_DIGITS.sub(MASK, mask_phones_in_text(text))
    text = _LONG_DIGITS.sub(MASK, text.replace("*", ""))
    for place in sorted({p for p in places if p and len(p) >= 2}, key=len, reverse=True):
        text = text.replace(place, MASK)
    return text


def extracted_places(case: Case) -> list[str]:
    return [p for p in (case.place_text, case.address) if p]


async def remove_case_media(case: Case, store: MediaStore | None) -> int:
    """Every stored photo of ``case``: the bytes, then the rows. Missing bytes are no error."""
    files = await MediaFile.filter(case_id=case.id)
    for media in files:
        if store is not None:
            try:
                await store.delete(media.path)
            except (OSError, ValueError):
                logger.warning("media %s of case %s: delete failed", media.id, case.number)
    if files:
        await MediaFile.filter(id__in=[m.id for m in files]).delete()
    return len(files)


async def anonymise_case(case: Case, store: MediaStore | None, now: datetime) -> int:
    """Remove the personal fields and photos of ``case`` (see the module); the photos removed.

    Idempotent: a case already anonymised is left alone (0).
    """
    if case.anonymised_at is not None:
        return 0
    places = extracted_places(case)
    removed = await remove_case_media(case, store)
    for event in await CaseEvent.filter(case_id=case.id, actor_type="resident"):
        note = masked_words(event.note, places)
        if note != event.note:
            await CaseEvent.filter(id=event.id).update(note=note)
    values: dict[str, Any] = {
        "text": masked_words(case.text, places),
        "title": masked_words(case.title, places)[:64],
        "contact_phone": None,
        "place_text": None,
        "address": None,
        "lng": None,
        "lat": None,
        "attachments": [],
        "result_attachments": [],
        "anonymised_at": now,
    }
    updated = await Case.filter(id=case.id, anonymised_at__isnull=True).update(**values)
    if not updated:
        return 0
    for name, value in values.items():
        setattr(case, name, value)
    return removed
