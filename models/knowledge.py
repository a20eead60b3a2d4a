"""The district knowledge base (知识库, issue 19): entries that answer residents' questions on the
spot, each owned by a unit, reviewed before it answers, and versioned."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from models.cases import Case
    from models.district import Unit
    from models.people import Resident


class EntryStatus(StrEnum):
    DRAFT = "draft"  # written or changed by its unit, not yet answering
    PUBLISHED = "published"  # reviewed: answers residents while valid and in scope
    RETIRED = "retired"  # no longer answers, kept with its history


class EntryScope(StrEnum):
    DISTRICT = "district"  # every resident
    STREET = "street"  # residents whose case place is in that street
    COMPOUND = "compound"  # residents of that compound (小区)


class KnowledgeEntry(Model):
    """A question with its variants and the answer the district gives to it.

    ``version`` counts the entry's changes, one :class:`KnowledgeVersion` row each. ``code`` is
    the entry's stable name across imports and exports (given, or ``K`` and the id).
    """

    unit_id: int | None

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    question = fields.CharField(max_length=200)
    variants: fields.JSONField[list[str]] = fields.JSONField(
        default=list, description="other ways residents ask it"
    )
    answer = fields.TextField()
    links: fields.JSONField[list[dict[str, str]]] = fields.JSONField(
        default=list, description="[{title, url}]"
    )
    mini_page = fields.CharField(max_length=255, default="", description="a mini-program page path")
    unit: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit",
        related_name="knowledge_entries",
        null=True,
        on_delete=fields.SET_NULL,
        description="the unit that owns the answer",
    )
    policy = fields.CharField(max_length=255, default="", description="the policy it rests on")
    valid_from = fields.DateField(null=True, description="Shanghai date, inclusive")
    valid_until = fields.DateField(null=True, description="Shanghai date, inclusive")
    category = fields.CharField(max_length=128, default="", description="path, e.g. 民政/养老")
    scope = fields.CharEnumField(EntryScope, max_length=16, default=EntryScope.DISTRICT)
    street = fields.CharField(max_length=64, default="", description="for street and compound")
    compound = fields.CharField(max_length=64, default="", description="for compound scope")
    status = fields.CharEnumField(EntryStatus, max_length=16, default=EntryStatus.DRAFT)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    updated_by = fields.CharField(max_length=64, default="")
    published_at = fields.DatetimeField(null=True)
    published_by = fields.CharField(max_length=64, default="")
    expiry_reminded_version = fields.IntField(
        default=0, description="the version whose expiry reminder went out"
    )

    class Meta:
        table = "knowledge_entries"
        indexes = (Index(fields=("status", "valid_until")), Index(fields=("unit_id", "status")))


class KnowledgeVersion(Model):
    """One change of an entry: who, when, what (field -> [before, after]) and the whole entry
    as it stood after the change."""

    entry_id: int

    id = fields.BigIntField(primary_key=True)
    entry: fields.ForeignKeyRelation[KnowledgeEntry] = fields.ForeignKeyField(
        "models.KnowledgeEntry", related_name="versions", on_delete=fields.CASCADE
    )
    version = fields.IntField()
    action = fields.CharField(
        max_length=16, description="create | edit | publish | retire | import"
    )
    at = fields.DatetimeField()
    by = fields.CharField(max_length=64, default="", description="staff username or import")
    changes: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    snapshot: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)

    class Meta:
        table = "knowledge_versions"
        unique_together = (("entry", "version"),)


class AskOutcome(StrEnum):
    ANSWERED = "answered"  # answered from an entry, the resident has not said yet
    SOLVED = "solved"  # 解决了
    UNSOLVED = "unsolved"  # 没解决，转人工: a case was made of the question
    UNANSWERED = "unanswered"  # no confident entry: the question went on to a case (a gap)


class KnowledgeAsk(Model):
    """A resident's question put to the knowledge base (chat or mini-program) and what came of
    it: the figures (answered directly, turned into cases, solved) and the gaps to fill read it.

    ``gap_key`` is the question's words folded for grouping (``nlu.knowledge_index.gap_key``):
    questions that found no entry are listed by it, most asked first.
    """

    resident_id: int | None
    entry_id: int | None
    case_id: int | None

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField()
    channel = fields.CharField(max_length=16, description="chat | mini")
    resident: fields.ForeignKeyNullableRelation[Resident] = fields.ForeignKeyField(
        "models.Resident", related_name="knowledge_asks", null=True, on_delete=fields.SET_NULL
    )
    text = fields.CharField(max_length=200)
    gap_key = fields.CharField(max_length=64, default="")
    entry: fields.ForeignKeyNullableRelation[KnowledgeEntry] = fields.ForeignKeyField(
        "models.KnowledgeEntry", related_name="asks", null=True, on_delete=fields.SET_NULL
    )
    score = fields.FloatField(default=0.0)
    outcome = fields.CharEnumField(AskOutcome, max_length=16)
    case: fields.ForeignKeyNullableRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="knowledge_asks", null=True, on_delete=fields.SET_NULL
    )
    answered_at = fields.DatetimeField(null=True, description="when the resident said 解决 or not")

    class Meta:
        table = "knowledge_asks"
        indexes = (Index(fields=("at",)), Index(fields=("outcome", "gap_key")))
