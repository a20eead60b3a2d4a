"""Understanding of resident messages: kind, category, urgency, place, contact, title.

Importing this package is cheap; the word segmenter loads on first use. Call :func:`warm_up`
at service start so that the first resident does not wait for it.
"""

from __future__ import annotations

from config.lexicon import KIND_CODES, KIND_LABELS
from nlu.contact import find_phones, mask_phone, mask_phones_in_text
from nlu.gazetteer import Gazetteer, GazetteerEntry, point_in_polygon
from nlu.model import ModelError, TrainedModel, load_model
from nlu.tokens import function_words
from nlu.understanding import Place, Understanding, understand


def warm_up() -> None:
    """Build the segmenter and word tables now rather than on the first message."""
    understand("您好，杨浦区五角场街道国权路小区3号楼楼道漏水，电话13800000000")
    function_words()


__all__ = [
    "KIND_CODES",
    "KIND_LABELS",
    "Gazetteer",
    "GazetteerEntry",
    "ModelError",
    "Place",
    "TrainedModel",
    "Understanding",
    "find_phones",
    "load_model",
    "mask_phone",
    "mask_phones_in_text",
    "point_in_polygon",
    "understand",
    "warm_up",
]
