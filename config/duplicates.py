"""When two cases are about the same problem: thresholds and the words that say nothing.

Precision matters more than recall: a wrong merge hides a resident's problem behind another
one. The thresholds were set on the repeat and look-alike pairs in
``tests/handlers/intake/duplicate_corpus.py`` (run ``python benchmarks/duplicates.py``).
"""

from __future__ import annotations

# An open case is a candidate for this many days after it was created.
WINDOW_DAYS = 14
# Similarity of the problem words (weighted cosine of characters and pairs) to merge ...
SAME_RESIDENT_SIMILARITY = 0.28  # ... one resident writing again, same first-level category
OTHER_RESIDENT_SIMILARITY = 0.30  # ... another resident at the same place, same category
OTHER_CATEGORY_SIMILARITY = 0.40  # ... when the two have different first-level categories
# Hot issues only group cases for display (nothing is hidden), so they may be looser.
HOT_ISSUE_SIMILARITY = 0.22
# Two points this close (metres) are the same place, unless the named places differ.
SAME_POINT_METRES = 150.0
# At most this many recent open cases are compared with a new one.
MAX_CANDIDATES = 200

# Words that appear in messages about any problem; they are removed before comparing.
FILLER_WORDS: tuple[str, ...] = (
    "您好",
    "你好",
    "领导",
    "谢谢",
    "感谢",
    "麻烦",
    "希望",
    "尽快",
    "及时",
    "解决",
    "处理",
    "问题",
    "反映",
    "反应",
    "情况",
    "居民",
    "市民",
    "业主",
    "我们",
    "我家",
    "本人",
    "现在",
    "已经",
    "一直",
    "非常",
    "十分",
    "严重",
    "影响",
    "相关",
    "部门",
    "有关",
    "政府",
    "请问",
    "能否",
    "是否",
    "这个",
    "那个",
    "没有",
    "不能",
    "还是",
    "多次",
    "几天",
    "目前",
    "附近",
    "旁边",
    "门口",
    "这里",
    "那里",
    "什么",
    "怎么",
    "为什么",
    "一下",
    "一个",
    "投诉",
    "举报",
    "建议",
    "咨询",
    "求助",
    "要求",
    "小区",
    "街道",
    "社区",
    "物业公司",
    "物业",
    "帮忙",
    "赶紧",
    "督促",
    "麻烦",
)
# Single characters that carry no problem on their own (particles, pronouns).
FILLER_CHARS = frozenset("的了是在有我你他她它们这那就都也很还又吧吗呢啊呀么和与及或被把给对")
