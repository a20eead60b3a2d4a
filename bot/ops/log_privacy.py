"""Logs never show a resident's phone number, nor a signed callback URL.

Handlers already keep resident text out of log lines; the phone filter is the second line of
defence for anything that slips through (an exception message quoting a value, say).

The access log (aiohttp's, one line per request) shows each request's path and query. A
WeChat callback's query is a signed URL: ``signature`` (or ``msg_signature``) with its
``timestamp`` and ``nonce`` would let anyone who reads the logs post to the callback within the
timestamp tolerance, ``echostr`` is the URL check's secret, and ``openid`` names a resident.
:class:`PrivateAccessLogger` writes aiohttp's line with those values masked (``***``), the
parameter names kept, on every path.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import unquote_plus

from aiohttp.abc import BaseRequest, StreamResponse
from aiohttp.web_log import AccessLogger

from nlu import mask_phones_in_text

SECRET_PARAMETERS = frozenset(
    {"signature", "msg_signature", "echostr", "nonce", "timestamp", "openid"}
)
MASK = "***"
_SEPARATORS = re.compile(r"([&;])")


def mask_query(target: str) -> str:
    """``target`` (a path with its query, or a whole URL) with the values of
    :data:`SECRET_PARAMETERS` replaced by ``***``; names are compared decoded and in any case."""
    path, mark, query = target.partition("?")
    if not mark or not query:
        return target
    parts = _SEPARATORS.split(query)
    for index in range(0, len(parts), 2):
        name, equals, value = parts[index].partition("=")
        if equals and value and unquote_plus(name).strip().lower() in SECRET_PARAMETERS:
            parts[index] = f"{name}={MASK}"
    return f"{path}?{''.join(parts)}"


class PrivateAccessLogger(AccessLogger):
    """aiohttp's access log line (same format, same ``extra``), signed-URL values masked in the
    request line (``%r``) and the Referer header."""

    def _format_line(
        self, request: BaseRequest, response: StreamResponse, time: float
    ) -> Iterable[tuple[str | tuple[str, str], str]]:
        return [
            (key, _masked(key, value))
            for key, value in super()._format_line(request, response, time)
        ]


def _masked(key: str | tuple[str, str], value: str) -> str:
    if key == "first_request_line" or key == ("request_header", "Referer"):
        if isinstance(value, str):
            method, space, rest = value.partition(" ")
            if key == "first_request_line" and space:
                target, space2, version = rest.rpartition(" ")
                if space2:
                    return f"{method} {mask_query(target)} {version}"
                return f"{method} {mask_query(rest)}"
            return mask_query(value)
    return value


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
