"""Urgency (急), life-safety hazards and difficulty (难), with the words that triggered them.

Dispatchers see the reasons, so a trigger must be a real mention: "没有漏水" or "已无煤气味"
is negated, "火灾隐患" names a risk rather than a fire, and "没有电梯" is not "没有电".

A life-safety hazard must be happening now: the resident is told to leave, call 119 or 120
before anything else, so a wish ("希望加装烟感"), a supposition ("万一着火怎么办"), a past event
("上周着火的事") or a topic ("防火知识讲座") must not raise one. Those checks apply to every
urgency trigger, so a look-alike is neither a hazard nor urgent.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from config import lexicon
from nlu.cues import find_cues

URGENT = "急"
# Life-safety hazards, each answered with what to do now and the numbers to call
# (``config.replies``/settings): gas leak, fire or smoke, someone hurt or fallen or unwell,
# live electricity, water flooding inside a home, violence or a crime in progress.
HAZARDS: tuple[str, ...] = ("gas", "fire", "medical", "electric", "flood", "violence")
NORMAL = "一般"
_NEGATION_WINDOW = 6
_CLAUSE_BREAKS = "，,。！？!?；;\n"
_SENTENCE_BREAKS = "。！？!?；;\n"
_CLAUSE_BREAK = re.compile(f"[{_CLAUSE_BREAKS}]")
_SENTENCE_BREAK = re.compile(f"[{_SENTENCE_BREAKS}]+")
# A pair's reason is its words as written when short ("有烟从门缝里冒出来"), else both ends.
_PAIR_REASON_MAX = 12
_PAST_DATE = re.compile(r"[0-9]{1,4}年|[0-9]{1,2}月[0-9]{1,2}[日号]")


@cache
def _negation_pattern() -> re.Pattern[str]:
    negations = "|".join(sorted(map(re.escape, lexicon.NEGATION_WORDS), key=len, reverse=True))
    fillers = "|".join(sorted(map(re.escape, lexicon.NEGATION_FILLERS), key=len, reverse=True))
    return re.compile(rf"(?:{negations})(?:{fillers})?$")


@cache
def _ordered(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(dict.fromkeys(words), key=len, reverse=True))


@cache
def _hazards_of() -> dict[str, tuple[str, ...]]:
    """Each hazard word and the hazards it reports (触电 is electricity and someone hurt)."""
    table: dict[str, tuple[str, ...]] = {}
    for hazard in HAZARDS:
        for word in lexicon.HAZARD_WORDS.get(hazard, ()):
            table[word] = (*table.get(word, ()), hazard)
    return table


@cache
def _urgency_cues() -> tuple[str, ...]:
    return _ordered((*lexicon.URGENCY_TRIGGERS, *_hazards_of()))


@cache
def _cues_by_opening() -> dict[str, tuple[str, ...]]:
    """The urgency cues under their first character, in their matching order."""
    table: dict[str, list[str]] = {}
    for cue in _urgency_cues():
        table.setdefault(cue[0], []).append(cue)
    return {opening: tuple(cues) for opening, cues in table.items()}


def _cues_in(text: str) -> tuple[str, ...]:
    """The urgency cues that occur in ``text``, in matching order: a few hundred cues are
    narrowed by their first character to the handful :func:`find_cues` must place."""
    table = _cues_by_opening()
    present = [cue for opening in set(text) & table.keys() for cue in table[opening] if cue in text]
    return tuple(sorted(present, key=_cue_rank().__getitem__))


@cache
def _cue_rank() -> dict[str, int]:
    return {cue: index for index, cue in enumerate(_urgency_cues())}


def is_negated(text: str, start: int) -> bool:
    """True if the words just before ``start`` (within its clause) negate what follows."""
    before = text[max(0, start - _NEGATION_WINDOW) : start]
    clause = _CLAUSE_BREAK.split(before)[-1]
    return bool(clause) and _negation_pattern().search(clause) is not None


def _is_real_mention(text: str, start: int, word: str) -> bool:
    end = start + len(word)
    blocked = lexicon.URGENCY_BLOCKED_NEXT.get(word[-1], "")
    if end < len(text) and text[end] in blocked:
        return False
    if start and text[start - 1] in lexicon.URGENCY_BLOCKED_BEFORE.get(word[0], ""):
        return False
    if text.startswith(lexicon.URGENCY_DEFUSERS, end):
        return False
    return not is_negated(text, start)


def _bounds(text: str, position: int, breaks: str) -> tuple[int, int]:
    """The start and end of the clause or sentence (by ``breaks``) around ``position``."""
    start = max(text.rfind(char, 0, position) for char in breaks) + 1
    ends = [found for char in breaks if (found := text.find(char, position)) != -1]
    return start, min(ends, default=len(text))


def _happening(text: str, start: int, word: str) -> bool:
    """A real mention of something going on now: not a risk, a wish, a topic or the past."""
    if not _is_real_mention(text, start, word):
        return False
    clause_start, clause_end = _bounds(text, start, _CLAUSE_BREAKS)
    if any(word in text[clause_start:start] for word in lexicon.HYPOTHETICAL_WORDS):
        return False
    clause = text[clause_start:clause_end]
    if any(topic in clause for topic in lexicon.HAZARD_TOPIC_WORDS):
        return False
    sentence_start, sentence_end = _bounds(text, start, _SENTENCE_BREAKS)
    sentence = text[sentence_start:sentence_end]
    if any(done in sentence for done in (*lexicon.RESOLVED_WORDS, *lexicon.RISK_WORDS)):
        return False
    before = text[sentence_start:start]
    past = any(when in before for when in lexicon.PAST_WORDS) or bool(_PAST_DATE.search(before))
    return not past or any(still in sentence for still in lexicon.ONGOING_WORDS)


def _hazards_here(text: str, start: int, word: str, hazards: tuple[str, ...]) -> tuple[str, ...]:
    """Smoke or a burning smell after a switchboard, a wire or a socket in the same sentence is
    the electricity's hazard: the resident must not touch it, and the advice differs."""
    if "fire" not in hazards:
        return hazards
    before = text[_bounds(text, start, _SENTENCE_BREAKS)[0] : start]
    if any(thing in before for thing in lexicon.ELECTRIC_OBJECTS):
        return tuple(dict.fromkeys("electric" if code == "fire" else code for code in hazards))
    return hazards


def _smoke_nuisance(text: str, start: int, word: str) -> bool:
    if "烟" not in word:
        return False
    sentence_start, sentence_end = _bounds(text, start, _SENTENCE_BREAKS)
    sentence = text[sentence_start:sentence_end]
    return any(source in sentence for source in lexicon.SMOKE_NUISANCES)


def _pair_mentions(text: str, taken: bytearray) -> list[tuple[int, str, tuple[str, ...]]]:
    """Hazards reported by two words in one sentence ("有烟从门缝里冒出来").

    A pair that touches a word already counted (``taken``) adds nothing: 煤气味很重 is the
    煤气味 already reported.
    """
    found: list[tuple[int, str, tuple[str, ...]]] = []
    for hazard, pairs in lexicon.HAZARD_PAIRS.items():
        for first, second in pairs:
            start = text.find(first)
            while start != -1:
                after = start + len(first)
                limit = min(
                    start + lexicon.HAZARD_PAIR_SPAN, _bounds(text, start, _SENTENCE_BREAKS)[1]
                )
                end = text.find(second, after, limit)
                if (
                    end != -1
                    and not any(taken[start : end + len(second)])
                    and _happening(text, start, first)
                    and _happening(text, end, second)
                    and not _smoke_nuisance(text, start, first)
                ):
                    words = text[start : end + len(second)]
                    short = len(words) <= _PAIR_REASON_MAX and not _CLAUSE_BREAK.search(words)
                    reason = words if short else f"{first}…{second}"
                    found.append((start, reason, _hazards_here(text, end, second, (hazard,))))
                    break
                start = text.find(first, after)
    return found


@lru_cache(maxsize=64)
def _readings(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Every urgency reason of ``text`` with the hazards it reports, in order of appearance.

    Cached for the few most recent texts: ``understand()`` asks for the reasons and for the
    hazards of the same message.
    """
    hazards_of = _hazards_of()
    lead = lexicon.HAZARD_LEAD_CHARS
    # Hazard words are looked for in the lead only; the triggers everywhere, as before.
    cues = find_cues(text[:lead], _cues_in(text[:lead]))
    if len(text) > lead:
        cues += [
            (start, word)
            for start, word in find_cues(
                text, [cue for cue in _ordered(lexicon.URGENCY_TRIGGERS) if cue in text]
            )
            if start >= lead
        ]
    found: list[tuple[int, str, tuple[str, ...]]] = []
    for start, word in cues:
        if not _happening(text, start, word) or _smoke_nuisance(text, start, word):
            continue
        hazards = hazards_of.get(word, ()) if start < lead else ()
        found.append((start, word, _hazards_here(text, start, word, hazards)))
    taken = bytearray(min(len(text), lead))
    for start, word, _ in found:
        taken[start : start + len(word)] = b"\x01" * len(word)
    found.extend(_pair_mentions(text[:lead], taken))
    for sentence in _SENTENCE_BREAK.split(text):
        child = next((word for word in lexicon.CHILD_WORDS if word in sentence), None)
        if child is None:
            continue
        for start, danger in find_cues(sentence, _ordered(lexicon.CHILD_DANGER_WORDS)):
            if _happening(sentence, start, danger):
                found.append((len(text), f"{child}{danger}", ()))
                break
    found.extend(_vulnerable(text, bool(found)))
    found.sort(key=lambda item: item[0])
    return tuple((reason, hazards) for _, reason, hazards in found)


def _vulnerable(text: str, urgent: bool) -> list[tuple[int, str, tuple[str, ...]]]:
    """独居老人 and the like, named where the message is urgent or shows a need."""
    mentions = find_cues(text, _ordered(lexicon.VULNERABLE_WORDS))
    reasons: list[tuple[int, str, tuple[str, ...]]] = []
    for start, word in mentions:
        sentence_start, sentence_end = _bounds(text, start, _SENTENCE_BREAKS)
        sentence = text[sentence_start:sentence_end]
        needy = any(
            need in sentence and _happening(text, sentence.find(need) + sentence_start, need)
            for need in lexicon.VULNERABLE_NEEDS
        )
        if (urgent or needy) and not is_negated(text, start):
            reasons.append((start, word, ()))
    return reasons


def urgency_reasons(text: str) -> tuple[str, ...]:
    """Trigger words that make the case urgent, in order of appearance, each once."""
    return tuple(dict.fromkeys(reason for reason, _ in _readings(text)))


def life_safety(text: str) -> tuple[str, ...]:
    """The :data:`HAZARDS` a message reports as happening now, in the order of HAZARDS.

    - ``gas``: a smell of gas or a leak (煤气味, 燃气泄漏, 天然气味道很重, 漏气);
    - ``fire``: fire, flames or smoke (着火, 冒烟, 有烟从…冒出来, 火苗), not a barbecue's smoke;
    - ``medical``: someone fallen, unconscious, bleeding, not breathing well, or an elderly
      person unseen for days who does not answer the door;
    - ``electric``: live electricity (电线冒火花, 漏电, 电线掉下来, 配电箱冒烟);
    - ``flood``: water flooding inside a home or building (家里进水, 水管爆了 水漫到客厅);
    - ``violence``: a fight, a weapon, domestic violence or a crime in progress (正在撬门).
    """
    found = {code for _, hazards in _readings(text) for code in hazards}
    return tuple(code for code in HAZARDS if code in found)


def difficulty_reasons(text: str) -> tuple[str, ...]:
    """Why the case needs several units or lasting work (难); empty if it does not."""
    reasons = [
        word
        for start, word in find_cues(text, _ordered(lexicon.DIFFICULTY_TRIGGERS))
        if not is_negated(text, start)
    ]
    units = {word for _, word in find_cues(text, _ordered(lexicon.UNIT_WORDS))}
    if len(units) >= lexicon.MULTI_UNIT_COUNT:
        reasons.append(lexicon.MULTI_UNIT_REASON)
    return tuple(dict.fromkeys(reasons))


def urgency_level(reasons: tuple[str, ...]) -> str:
    return URGENT if reasons else NORMAL
