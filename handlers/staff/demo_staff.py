"""The demo district's staff accounts (``config/demo_staff.py``), linked to their demo openids.

Idempotent: an account that exists keeps its password, and gets its openid only if it has none
(and nobody else holds it). Only ``jiesu serve --demo`` and ``jiesu migrate --demo`` call this.
"""

from __future__ import annotations

import logging
from datetime import datetime

from config.demo_staff import DEMO_STAFF
from handlers.staff.accounts import create_user
from models import StaffUser

logger = logging.getLogger(__name__)


async def load_demo_staff(password: str, now: datetime) -> list[StaffUser]:
    users: list[StaffUser] = []
    for username, name, role, openid in DEMO_STAFF:
        user = await StaffUser.get_or_none(username=username)
        if user is None:
            user = await create_user(username, role, password, now, display_name=name)
        if user.openid is None and not await StaffUser.exists(openid=openid):
            await StaffUser.filter(id=user.id).update(openid=openid)
            user.openid = openid
        users.append(user)
    logger.info("demo staff: %s", ", ".join(u.username for u in users))
    return users
