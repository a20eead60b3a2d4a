"""What every handler is given besides its inputs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from config.settings import Settings
from handlers.routing import RoutingTable
from nlu import Gazetteer, TrainedModel


@dataclass(frozen=True)
class HandlerContext:
    now: datetime
    settings: Settings
    gazetteer: Gazetteer
    routing: RoutingTable
    model: TrainedModel | None = None  # a trained category model, else the built-in keywords

    @property
    def conversation_ttl(self) -> timedelta:
        return timedelta(minutes=self.settings.conversation_minutes)
