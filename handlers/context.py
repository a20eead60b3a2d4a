"""What every handler is given besides its inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from config.settings import Settings
from handlers.workflow.routing import RoutingTable
from handlers.workflow.sla_table import SlaTable
from nlu import Gazetteer, TrainedModel

if TYPE_CHECKING:
    from handlers.knowledge.answering import KnowledgeBase
    from handlers.suggestions.call_keywords import KeywordCalls


@dataclass(frozen=True)
class HandlerContext:
    now: datetime
    settings: Settings
    gazetteer: Gazetteer
    routing: RoutingTable
    model: TrainedModel | None = None  # a trained category model, else the built-in keywords
    # The deployment's SLA rows (models.SlaRule) over config/sla.py; empty = the policy alone.
    sla: SlaTable = field(default_factory=SlaTable)
    # The published knowledge base (issue 19); None: questions are not answered at intake.
    knowledge: KnowledgeBase | None = None
    # The themed calls a chat keyword may name, in memory (None: read them when needed).
    keyword_calls: KeywordCalls | None = None

    @property
    def conversation_ttl(self) -> timedelta:
        return timedelta(minutes=self.settings.conversation_minutes)
