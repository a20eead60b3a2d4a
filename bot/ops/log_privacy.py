"""Logs never show a resident's phone number: every record is masked before it is written.

Handlers already keep resident text out of log lines; this filter is the second line of
defence for anything that slips through (an exception message quoting a value, say).
"""

from __future__ import annotations

import logging

from nlu import mask_phones_in_text


class MaskPhones(logging.Filter):
    """Replace phone numbers in a record's message by their masked form (138****5678)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_phones_in_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_phones_in_text(
                logging.Formatter().formatException(record.exc_info)
            )
        elif record.exc_text:
            record.exc_text = mask_phones_in_text(record.exc_text)
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Add the filter to every handler of ``logger`` (the root logger by default)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, MaskPhones) for f in handler.filters):
            handler.addFilter(MaskPhones())
