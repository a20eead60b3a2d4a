"""What a message's problem is about, as a few canonical words (its topic), for hot issues.

A first version (issue 20): the understanding's keywords with generic words dropped and
equivalent words spelt one way. ``signatures`` are the pairs of the most telling words, the keys
under which the grouping looks for messages about the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations

MAX_WORDS = 6
SIGNATURE_WORDS = 4

_GENERIC = frozenset(
    "小区 问题 情况 各种 长期 什么 什么时候 希望 请问 我们 他们 现在 已经 没有 进行 相关 部门 领导"
    " 处理 解决 反映 要求 政府 市民 居民 业主 严重 一直 非常".split()
)


def topic_words(
    keywords: Sequence[str], title: str = "", place_names: Iterable[str] = ()
) -> tuple[str, ...]:
    """The message's topic: its telling words, most telling first, at most ``MAX_WORDS``."""
    places = [name for name in place_names if name]
    words: dict[str, None] = {}
    for word in keywords:
        if len(word) < 2 or word in _GENERIC or any(word in name for name in places):
            continue
        words[word] = None
    return tuple(words)[:MAX_WORDS]


def signatures(words: Sequence[str]) -> tuple[str, ...]:
    """The pairs of the first ``SIGNATURE_WORDS`` words, each as "a|b" in sorted order."""
    head = sorted(words[:SIGNATURE_WORDS])
    return tuple(f"{a}|{b}" for a, b in combinations(head, 2))


def topic_similarity(a: Sequence[str], b: Sequence[str]) -> float:
    """Shared words over the smaller topic's words, 0 to 1."""
    if not a or not b:
        return 0.0
    return len(set(a) & set(b)) / min(len(set(a)), len(set(b)))
