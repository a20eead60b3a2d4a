"""Hot issues (热点问题): how cases are grouped and how an issue's heat is reckoned.

**Grouping.** Cases are grouped by what the problem is, then where (``handlers/hot/grouping``):

- a merged case (已并案) goes with the case it joined;
- a topic word found in more than ``COMMON_WORD_SHARE`` of the period's cases (and at least
  ``COMMON_WORD_FLOOR`` of them: 小区, 业主, 物业 in most districts) names no one problem and is
  not used to join; the others are the case's telling words;
- cases at one place (one key for the ways the place is written, ``nlu.place_aliases``) join
  when one of their first ``PLACE_WORDS`` telling words is the same (车位 at 伊景园滨河苑);
- cases with no place join when they share a signature: two of their most telling words
  (``nlu.topics.signatures``: 购房 and 补贴), or one term that names a kind of trouble by
  itself (车贷, 非法集资: ``config.hot_words.STRONG_TERMS``); a signature or term found in more than
  ``COMMON_SIGNATURE_SHARE`` of the period's place-less cases (and at least
  ``COMMON_SIGNATURE_FLOOR`` of them) is too common to name one problem and is ignored;
- and only when what the two are about is alike: each group of place-less cases has a profile
  (its members' first ``PROFILE_WORDS`` telling words, earlier words weighing more), and a case
  or group joins another only when the cosine of their profiles is at least
  ``JOIN_SIMILARITY``, so that one pair shared by chance (医保 and 报销) cannot chain two
  problems (异地就医, 生育津贴) into one.

A topic's words are the words residents also write: a compound word is taken as its parts
(医保卡 -> 医保, 健身房 -> 健身, 异地就医 -> 异地 + 就医), and words that name no problem by
their part of speech (为何, 迟迟, 一家, 上个月) are dropped (``nlu.topics``).

**Heat.** An issue's heat is the sum of its factors' contributions, each shown beside it::

    heat = R                                    residents (different people, not messages)
         + R * GROWTH_WEIGHT * min(max(g, 0), GROWTH_CAP)
                                                g = (R - R_prev) / max(R_prev, 1), R_prev the
                                                same issue's residents in the period before,
                                                as long
         + REPEAT_WEIGHT * P                    P = 重复诉求: reports of the issue's problems
                                                coming back after their case was closed
         + R * DISSATISFACTION_WEIGHT * d       d = 不满意 / valid satisfaction answers
         + R * REOPEN_WEIGHT * o                o = cases handled again (重办) / cases closed
         + VOTE_WEIGHT * log2(1 + max(up - down, 0))
                                                public votes where the channel has them

Issues are ranked by heat, then residents, then the latest case. Growth, dissatisfaction and
reopening scale with the residents, so that a small issue cannot outrank a large one by a rate
alone; votes are counted on a log scale, because a message board's votes run to thousands.
"""

from __future__ import annotations

COMMON_WORD_SHARE = 0.03
COMMON_WORD_FLOOR = 30
COMMON_SIGNATURE_SHARE = 0.01
COMMON_SIGNATURE_FLOOR = 20
PLACE_WORDS = 3  # at one place, cases join on any of their first three telling words
# Place-less cases or groups join only when what they are about is alike: the cosine of their
# profiles (``handlers.hot.grouping.Profiles``, each member's first PROFILE_WORDS telling words).
JOIN_SIMILARITY = 0.3
PROFILE_WORDS = 6

GROWTH_WEIGHT = 0.5
GROWTH_CAP = 2.0
REPEAT_WEIGHT = 2.0
DISSATISFACTION_WEIGHT = 1.0
REOPEN_WEIGHT = 1.0
VOTE_WEIGHT = 1.0

# A period is compared with the one before it, as long; periods offered on the pages.
PERIODS = (7, 30, 90, 365)
SAMPLES = 3
EXCERPT_LENGTH = 60
MAX_CASES = 200_000  # cases read for one ranking (both periods); beyond, the oldest are left out

FACTOR_LABELS = {
    "residents": "居民人数",
    "growth": "环比增长",
    "repeats": "重复诉求",
    "dissatisfaction": "不满意率",
    "reopen": "重办率",
    "votes": "公众点赞",
}
