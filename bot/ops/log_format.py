"""Structured logs (``JIESU_LOG_FORMAT=json``): one JSON object per line, for log collectors.

Each line has ``time`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``; ``case`` when the
log call carried a case number (``logger.info(..., extra={"case": case.number})``), and
``exception`` with the traceback when there is one. Phone numbers are masked here too, not only
by :class:`bot.ops.log_privacy.MaskPhones`: a formatter used without that filter stays safe.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from nlu import mask_phones_in_text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_phones_in_text(record.getMessage()),
        }
        case = getattr(record, "case", None)
        if case is not None:
            entry["case"] = str(case)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = mask_phones_in_text(record.exc_text)
        if record.stack_info:
            entry["stack"] = mask_phones_in_text(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False)


def use_json_lines(logger: logging.Logger | None = None) -> None:
    """Make every handler of ``logger`` (the root logger by default) write JSON lines."""
    for handler in (logger or logging.getLogger()).handlers:
        handler.setFormatter(JsonFormatter())
