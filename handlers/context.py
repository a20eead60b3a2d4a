"""What every handler is given besides its inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from config.settings import Settings
from handlers.workflow.routing import RoutingTable
from handlers.workflow.sla_table import SlaTable
from nlu import Gazetteer, TrainedModel


@dataclass(frozen=True)
class HandlerContext:
    now: datetime
    settings: Settings
    gazetteer: Gazetteer
    routing: RoutingTable
    model: TrainedModel | None = None  # a trained category model, else the built-in keywords
    # The deployment's SLA rows (models.SlaRule) over config/sla.py; empty = the policy alone.
    sla: SlaTable = field(default_factory=SlaTable)

    @property
    def conversation_ttl(self) -> timedelta:
        return timedelta(minutes=self.settings.conversation_minutes)
