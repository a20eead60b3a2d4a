"""The demo district's staff accounts, each linked to a demo WeChat openid.

Two admins, so that a broadcast can be previewed by its author, submitted and approved by the
other in ``jiesu serve --demo``; a dispatcher to compose one. Their password is the development
token that ``jiesu serve --demo`` prints. Username, name shown, role, openid.
"""

from __future__ import annotations

DEMO_STAFF: list[tuple[str, str, str, str]] = [
    ("demo-admin", "周主任", "admin", "o-demo-admin"),
    ("demo-approver", "吴副主任", "admin", "o-demo-approver"),
    ("demo-dispatcher", "郑派单", "dispatcher", "o-demo-dispatcher"),
]
