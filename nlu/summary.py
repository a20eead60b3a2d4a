"""A one-line title and keywords for lists and task cards.

Residents open with greetings and introductions ("您好，我是国权路小区的居民"); the matter comes
after. The title is the first clause that says something, shortened at a comma where possible,
with the place in front when it fits in 30 characters.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from config import lexicon
from nlu.classify import keyword_votes

TITLE_MAX = 30
KEYWORDS_MAX = 8
_ELLIPSIS = "…"
_SENTENCE_END = re.compile(r"[。！？!?；;\n\r]+")
_CLAUSE_END = re.compile(r"[，,：:]")
_SPACE = re.compile(r"\s+")
_LEADING_JUNK = re.compile(r"^[\s，,。.！!？?、：:；;~～…\-—]+")
_INTRO = re.compile(
    r"^(?:我|我们|本人)(?:是|系|为).{0,24}?(?:居民|业主|住户|租户|村民|市民|家长|员工|职工)"
)
_DIGITS = re.compile(r"^[0-9A-Za-z.\-_]+$")
_QUANTITY = re.compile(r"^[0-9一二三四五六七八九十百千万两几半多]")


def _strip_openings(text: str) -> str:
    """Drop greetings and lead-ins at the start, repeatedly ("您好！尊敬的领导：我想反映...")."""
    previous = None
    while previous != text:
        previous = text
        text = _LEADING_JUNK.sub("", text)
        for phrase in (*lexicon.GREETINGS, *lexicon.TITLE_LEAD_INS):
            if text.startswith(phrase):
                text = text[len(phrase) :]
                break
        else:
            text = _INTRO.sub("", text, count=1)
    return text


def _informative(clause: str) -> bool:
    return len(clause) >= 4 and not all(char in "的了吗呢啊呀吧" for char in clause)


def _shorten(sentence: str, limit: int) -> str:
    """Whole clauses while they fit; a clipped first clause when even it does not."""
    if len(sentence) <= limit:
        return sentence
    result = ""
    for clause in _CLAUSE_END.split(sentence):
        clause = clause.strip()
        candidate = f"{result}，{clause}" if result else clause
        if len(candidate) > limit:
            break
        result = candidate
    if len(result) >= 6:
        return result
    return sentence[: limit - 1].rstrip("，,、 ") + _ELLIPSIS


def make_title(text: str, place_text: str | None = None) -> str:
    """One line of at most 30 characters naming the matter (and the place when short)."""
    chosen = ""
    for part in _SENTENCE_END.split(text):
        sentence = _SPACE.sub(" ", _strip_openings(part.strip())).strip()
        if _informative(sentence):
            chosen = sentence
            break
        chosen = chosen or sentence
    title = _shorten(chosen, TITLE_MAX)
    if place_text and place_text not in title and title:
        prefixed = f"{place_text}：{title}"
        if len(prefixed) <= TITLE_MAX:
            title = prefixed
    return title[:TITLE_MAX]


def lead_length(text: str) -> int:
    """Length of the opening that states the matter: a title line or the first sentence."""
    first_line = text.split("\n", 1)[0]
    if "\n" in text and 0 < len(first_line.strip()) <= 60:
        return len(first_line)
    match = _SENTENCE_END.search(text)
    return min(match.start() if match else len(text), 60)


def pick_keywords(tokens: Sequence[str], lead_tokens: Sequence[str] = ()) -> tuple[str, ...]:
    """Up to eight content words: taxonomy cue words and opening words first, then frequency."""
    votes = keyword_votes()
    lead = set(lead_tokens)
    counts = Counter(
        token
        for token in tokens
        if len(token) > 1
        and token not in lexicon.STOPWORDS
        and not _DIGITS.match(token)
        and (token in votes or not _QUANTITY.match(token))
    )
    first_seen: dict[str, int] = {}
    for index, token in enumerate(tokens):
        first_seen.setdefault(token, index)

    def score(word: str) -> float:
        bonus = (2.0 if word in votes else 1.0) * (1.5 if word in lead else 1.0)
        return counts[word] * bonus

    ranked = sorted(counts, key=lambda word: (-score(word), first_seen[word]))
    return tuple(ranked[:KEYWORDS_MAX])
