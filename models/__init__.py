"""Tortoise ORM models: the one place that knows tables.

Model docstrings and field descriptions become SQL comments, and Tortoise's SQLite migration
runner splits statements on ";", so neither may contain a semicolon.
After changing a model, generate a migration (see README, "Changing the schema").
"""

from models.account_links import AccountLink, LinkTarget
from models.case_status import CaseAction, CaseStatus, IllegalTransition, next_status
from models.cases import Case, CaseCounter, CaseEvent, CaseLink, LinkKind
from models.corrections import CategoryCorrection
from models.database import MODEL_MODULES
from models.district import Grid, RoutingRule, SlaRule, Unit
from models.figures import FigureSnapshot
from models.followup import (
    FieldVisit,
    FieldVisitOutcome,
    FieldVisitStatus,
    Notice,
    NoticeDelivery,
    NoticeStatus,
    Survey,
    SurveyAnswer,
    SurveyChannel,
    SurveyStatus,
)
from models.hot import (
    HotItem,
    HotItemCase,
    HotItemKind,
    HotItemMilestone,
    HotItemNote,
    HotItemOutcome,
    HotItemStatus,
    HotItemUnit,
    HotWarning,
)
from models.knowledge import (
    AskOutcome,
    EntryScope,
    EntryStatus,
    KnowledgeAsk,
    KnowledgeEntry,
    KnowledgeVersion,
)
from models.messaging import (
    AccessToken,
    Conversation,
    InboundMessage,
    InboundStatus,
    OutboxMessage,
    OutboxStatus,
)
from models.organisation import Place, UnitSupervisor, WorkerGrid
from models.people import Resident, ResidentApp, Worker, WorkerRole
from models.resident_access import (
    HeldMessage,
    HeldReason,
    HeldStatus,
    MediaFile,
    Open311Client,
    Open311Request,
    ResidentSession,
)
from models.security import ReplayNonce, SignInFailure
from models.staff import ApiToken, AuditEvent, StaffRole, StaffSession, StaffUser
from models.suggestions import (
    AdoptionStatus,
    CallStatus,
    Station,
    Suggestion,
    SuggestionAdoption,
    SuggestionCall,
    SuggestionEvent,
    SuggestionStatus,
)
from models.workflow import (
    DeadlineChange,
    ExtensionRequest,
    ExtensionStatus,
    ReturnRequest,
    UnitSpell,
    WorkerToken,
)

__all__ = [
    "MODEL_MODULES",
    "AccessToken",
    "AccountLink",
    "AdoptionStatus",
    "ApiToken",
    "AskOutcome",
    "AuditEvent",
    "CallStatus",
    "Case",
    "CaseAction",
    "CaseCounter",
    "CaseEvent",
    "CaseLink",
    "CaseStatus",
    "CategoryCorrection",
    "Conversation",
    "DeadlineChange",
    "EntryScope",
    "EntryStatus",
    "ExtensionRequest",
    "ExtensionStatus",
    "FieldVisit",
    "FieldVisitOutcome",
    "FieldVisitStatus",
    "FigureSnapshot",
    "Grid",
    "HeldMessage",
    "HeldReason",
    "HeldStatus",
    "HotItem",
    "HotItemCase",
    "HotItemKind",
    "HotItemMilestone",
    "HotItemNote",
    "HotItemOutcome",
    "HotItemStatus",
    "HotItemUnit",
    "HotWarning",
    "IllegalTransition",
    "InboundMessage",
    "InboundStatus",
    "KnowledgeAsk",
    "KnowledgeEntry",
    "KnowledgeVersion",
    "LinkKind",
    "LinkTarget",
    "MediaFile",
    "Notice",
    "NoticeDelivery",
    "NoticeStatus",
    "Open311Client",
    "Open311Request",
    "OutboxMessage",
    "OutboxStatus",
    "Place",
    "ReplayNonce",
    "Resident",
    "ResidentApp",
    "ResidentSession",
    "ReturnRequest",
    "RoutingRule",
    "SignInFailure",
    "SlaRule",
    "StaffRole",
    "StaffSession",
    "StaffUser",
    "Station",
    "Suggestion",
    "SuggestionAdoption",
    "SuggestionCall",
    "SuggestionEvent",
    "SuggestionStatus",
    "Survey",
    "SurveyAnswer",
    "SurveyChannel",
    "SurveyStatus",
    "Unit",
    "UnitSpell",
    "UnitSupervisor",
    "Worker",
    "WorkerGrid",
    "WorkerRole",
    "WorkerToken",
    "next_status",
]
