"""An entry as given by a form, the admin API or a file row, checked before anything is written.

Scope: ``district`` (every resident), ``street`` (its ``street`` named), ``compound`` (its
``compound`` named, and the street it lies in if known). Links are ``title|url`` pairs in files
and forms, ``{"title", "url"}`` objects in the API. Lists in files are separated by ``|``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from models import EntryScope, EntryStatus, KnowledgeEntry

MAX_QUESTION = 200
MAX_VARIANTS = 50
MAX_VARIANT = 200
MAX_ANSWER = 4000
MAX_LINKS = 10
MAX_URL = 500
MAX_CODE = 32
MAX_SHORT = 64
MAX_POLICY = 255
MAX_CATEGORY = 128
MAX_PAGE = 255
SCOPE_LABELS = {"district": "全区", "street": "街道", "compound": "小区"}
STATUS_LABELS = {"draft": "草稿", "published": "已发布", "retired": "已下线"}
CONTENT_FIELDS = (
    "question",
    "variants",
    "answer",
    "links",
    "mini_page",
    "unit",
    "policy",
    "valid_from",
    "valid_until",
    "category",
    "scope",
    "street",
    "compound",
)
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
_URL = re.compile(r"^https?://\S+$")


class KnowledgeProblem(ValueError):
    """What is wrong with the given entries, in Chinese; nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("；".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class EntryIn:
    """An entry's content. ``unit`` is a unit code ("" for none)."""

    question: str
    answer: str
    variants: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    mini_page: str = ""
    unit: str = ""
    policy: str = ""
    valid_from: date | None = None
    valid_until: date | None = None
    category: str = ""
    scope: str = "district"
    street: str = ""
    compound: str = ""
    code: str = ""  # files: the entry it is, new when unknown
    status: str = ""  # files: draft | published | retired ("" keeps it, new ones are drafts)
    where: str = ""  # files: which row
    extra: dict[str, Any] = field(default_factory=dict)


def problems_of(given: EntryIn) -> list[str]:
    """Everything wrong with one entry (its row named when it came from a file)."""
    where = f"{given.where}：" if given.where else ""
    found: list[str] = []
    if not given.question.strip():
        found.append("问题不能为空")
    elif len(given.question) > MAX_QUESTION:
        found.append(f"问题不能超过 {MAX_QUESTION} 字")
    if not given.answer.strip():
        found.append("答复内容不能为空")
    elif len(given.answer) > MAX_ANSWER:
        found.append(f"答复内容不能超过 {MAX_ANSWER} 字")
    if len(given.variants) > MAX_VARIANTS or any(len(v) > MAX_VARIANT for v in given.variants):
        found.append(f"相似问法最多 {MAX_VARIANTS} 条，每条不超过 {MAX_VARIANT} 字")
    if len(given.links) > MAX_LINKS:
        found.append(f"链接最多 {MAX_LINKS} 个")
    for title, url in given.links:
        if not _URL.match(url) or len(url) > MAX_URL or len(title) > MAX_SHORT:
            found.append(f"链接不正确：{title or url}（须为 标题|http(s)://…）")
    if given.code and not _CODE.match(given.code):
        found.append("编号只能由字母、数字和 _ . - 组成，不超过 32 个字符")
    if given.scope not in SCOPE_LABELS:
        found.append("适用范围须为 district（全区）、street（街道）或 compound（小区）")
    elif given.scope == "street" and not given.street:
        found.append("适用范围为街道时须填写街道")
    elif given.scope == "compound" and not given.compound:
        found.append("适用范围为小区时须填写小区")
    if given.valid_from and given.valid_until and given.valid_until < given.valid_from:
        found.append("有效期止不能早于有效期起")
    if given.status and given.status not in STATUS_LABELS:
        found.append("状态须为 draft、published 或 retired")
    limits = (
        (given.policy, MAX_POLICY, "政策依据"),
        (given.category, MAX_CATEGORY, "分类"),
        (given.mini_page, MAX_PAGE, "小程序页面"),
        (given.street, MAX_SHORT, "街道"),
        (given.compound, MAX_SHORT, "小区"),
        (given.unit, MAX_CODE, "责任单位"),
    )
    found.extend(
        f"{label}不能超过 {limit} 字" for value, limit, label in limits if len(value) > limit
    )
    texts = [given.question, given.answer, *given.variants, given.policy, given.category]
    if any("\x00" in text for text in texts):
        found.append("内容含有不可用的字符")
    return [where + problem for problem in found]


def check(given: EntryIn) -> None:
    found = problems_of(given)
    if found:
        raise KnowledgeProblem(found)


def split_list(value: Any) -> tuple[str, ...]:
    """``a|b|c`` (or a list) as its non-empty parts."""
    if isinstance(value, list | tuple):
        parts = [str(v) for v in value]
    else:
        parts = str(value or "").replace("\n", "|").split("|")
    return tuple(dict.fromkeys(p.strip() for p in parts if p.strip()))


def split_links(value: str) -> tuple[tuple[str, str], ...]:
    """Links in a file or form: ``title|url`` pairs, one a line (a bare url is its own title)."""
    found = []
    for line in str(value or "").replace("\r", "").split("\n"):
        line = line.strip()
        if not line:
            continue
        title, _, url = line.rpartition("|")
        found.append(((title or url).strip(), url.strip()))
    return tuple(found)


def join_links(links: list[dict[str, str]]) -> str:
    return "\n".join(f"{link.get('title', '')}|{link.get('url', '')}" for link in links)


def content_of(entry: KnowledgeEntry, unit_code: str) -> dict[str, Any]:
    """The entry's content as stored, comparable with :func:`content_given`."""
    return {
        "question": entry.question,
        "variants": list(entry.variants),
        "answer": entry.answer,
        "links": [dict(link) for link in entry.links],
        "mini_page": entry.mini_page,
        "unit": unit_code,
        "policy": entry.policy,
        "valid_from": entry.valid_from.isoformat() if entry.valid_from else None,
        "valid_until": entry.valid_until.isoformat() if entry.valid_until else None,
        "category": entry.category,
        "scope": EntryScope(entry.scope).value,
        "street": entry.street,
        "compound": entry.compound,
    }


def content_given(given: EntryIn) -> dict[str, Any]:
    street = given.street if given.scope in ("street", "compound") else ""
    return {
        "question": given.question.strip(),
        "variants": [v for v in given.variants if v != given.question.strip()],
        "answer": given.answer.strip(),
        "links": [{"title": title, "url": url} for title, url in given.links],
        "mini_page": given.mini_page.strip(),
        "unit": given.unit.strip(),
        "policy": given.policy.strip(),
        "valid_from": given.valid_from.isoformat() if given.valid_from else None,
        "valid_until": given.valid_until.isoformat() if given.valid_until else None,
        "category": given.category.strip(),
        "scope": given.scope,
        "street": street.strip(),
        "compound": given.compound.strip() if given.scope == "compound" else "",
    }


def differences(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """field -> [before, after] for each field that changed."""
    return {
        key: [before.get(key), after.get(key)]
        for key in CONTENT_FIELDS
        if before.get(key) != after.get(key)
    }


def status_of(entry: KnowledgeEntry) -> EntryStatus:
    return EntryStatus(entry.status)
