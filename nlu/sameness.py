"""Whether a resident's next message is about the same matter as the case it would join.

While a conversation is open, text that follows a report is normally detail for it (when, how
bad, a phone number, the place). :func:`compare` tells detail from a new problem, so that one
problem makes one case: ``same`` joins the case, ``different`` starts a new one, ``unclear``
makes the bot ask the resident.

Both wrong answers cost: splitting one report into two cases sends a worker twice, merging two
problems sends one of them to the wrong unit unseen, which is worse. So the verdict is
``different`` only on clear evidence (another place, another thing named, words that announce
another matter, a confident other category with nothing in common) and ``same`` only when the
message adds nothing of its own or speaks of what the report spoke of; the rest is asked.

The evidence, in order (the first that applies decides):

1. nothing of its own: once places, phones, filler and detail words (when, how bad, still not
   fixed; :data:`config.duplicates.DETAIL_WORDS`) are out, no problem word is left -> ``same``;
2. another place: both name a precise place and they differ -> ``different``;
3. another thing: both name things (:data:`config.duplicates.OBJECT_WORDS`) with none in common,
   or spots with none in common -> ``different``;
4. words announcing another matter (另外, 顺便, 还有一件事) -> ``different`` unless the problem
   words are alike (then ``unclear``);
5. problem words alike (:func:`nlu.similarity.similarity`) -> ``same``;
6. the same thing named again -> ``same`` (``unclear`` when "还有/也" make it an addition);
7. a thing or spot the report did not name, or a confident other category with little in
   common -> ``different`` with "还有/也" or when both hold, else ``unclear``;
8. no confident category of its own and little content -> ``same`` (detail the lists miss);
   the report's category read surely -> ``same``; otherwise ``unclear``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from config import duplicates as tuning
from nlu.gazetteer import Gazetteer
from nlu.model import TrainedModel
from nlu.normalise import normalise
from nlu.similarity import conflicting, objects, problem_words, similarity, spots
from nlu.understanding import Place, Understanding, understand

Verdict = Literal["same", "different", "unclear"]

_NEW_MATTER = re.compile("|".join(map(re.escape, tuning.NEW_MATTER_CUES)))
_ADDITION = re.compile("|".join(map(re.escape, tuning.ADDITION_CUES)))


@dataclass(frozen=True)
class Sameness:
    verdict: Verdict
    score: float  # 0..1, how alike the two matters read
    reason: str  # for logs and the timeline, in English


def _names(place: Place) -> tuple[str, ...]:
    fields = (place.text, place.street, place.compound, place.road, place.building, place.poi)
    return tuple(name for name in fields if name)


def _other_place(earlier: Place, later: Place) -> bool:
    """Both name a precise place and the two cannot be one: another compound, road, landmark
    or building. A place named on one side only is the other's detail, not another place."""
    pairs = (
        (earlier.compound, later.compound),
        (earlier.road, later.road),
        (earlier.poi, later.poi),
    )
    for a, b in pairs:
        if a and b and a not in b and b not in a:
            return True
    return bool(earlier.building and later.building and earlier.building != later.building)


def _category_apart(earlier: Understanding, later: Understanding) -> bool:
    """The later message reads confidently as another category than the report."""
    if later.category_confidence < tuning.SAMENESS_CATEGORY_CONFIDENCE:
        return False
    if earlier.category_confidence < tuning.SAMENESS_CATEGORY_CONFIDENCE:
        return False
    return later.category != earlier.category


def compare(
    earlier: str,
    later: str,
    *,
    gazetteer: Gazetteer | None = None,
    model: TrainedModel | None = None,
    earlier_reading: Understanding | None = None,
    later_reading: Understanding | None = None,
) -> Sameness:
    """Is ``later`` (a follow-up in the conversation) about the matter of ``earlier``?

    ``earlier_reading`` and ``later_reading`` are the :func:`nlu.understand` readings of the two
    texts when the caller has them already; they are made here otherwise.
    """
    first = earlier_reading or understand(earlier, gazetteer=gazetteer, model=model)
    then = later_reading or understand(later, gazetteer=gazetteer, model=model)
    earlier, later = normalise(earlier or ""), normalise(later or "")
    own = problem_words(later, _names(then.place), drop_detail=True)
    later_things = objects(later, _names(then.place))
    earlier_things = objects(earlier, _names(first.place))
    later_spots = spots(later) - spots(earlier)
    if _plain_detail(own) and not later_things and not later_spots:
        return Sameness("same", 1.0, "detail only: no problem words of its own")
    score = similarity(own, problem_words(earlier, _names(first.place)))
    if _other_place(first.place, then.place):
        return Sameness("different", score, "another place")
    if conflicting(later_things, earlier_things):
        return Sameness("different", score, f"another thing: {'/'.join(sorted(later_things))}")
    if conflicting(spots(later), spots(earlier)):
        return Sameness("different", score, "another spot")
    alike = score >= tuning.SAMENESS_ALIKE
    if _NEW_MATTER.search(later):
        if alike:
            return Sameness("unclear", score, "announces another matter, but reads alike")
        return Sameness("different", score, "announces another matter")
    if alike:
        return Sameness("same", score, "problem words alike")
    addition = bool(_ADDITION.search(later))
    if later_things and earlier_things:  # not conflicting, so the same thing again
        if addition:
            return Sameness("unclear", score, "the same thing, but an addition")
        return Sameness("same", score, "the same thing")
    apart = _category_apart(first, then) and score < tuning.SAMENESS_APART
    if later_things or later_spots or apart:
        what = "another category" if apart else "a thing the report did not name"
        if addition or (apart and (later_things or later_spots)):
            return Sameness("different", score, what)
        return Sameness("unclear", score, what)
    sure = then.category_confidence >= tuning.SAMENESS_CATEGORY_CONFIDENCE
    if not sure and sum(own.values()) <= tuning.SAMENESS_SMALL_CONTENT:
        return Sameness("same", score, "no problem of its own")
    if sure and then.category == first.category:
        return Sameness("same", score, "the same category")
    return Sameness("unclear", score, "cannot tell")


def _plain_detail(own: dict[str, float]) -> bool:
    """No problem word left: no character pair, or one lone character."""
    return not any(len(gram) == 2 for gram in own) and len(own) <= 1
