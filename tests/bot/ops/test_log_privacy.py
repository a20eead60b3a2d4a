"""Phone numbers never reach the log, whatever a log call passes."""

from __future__ import annotations

import io
import logging

from bot.ops.log_privacy import MaskPhones, install


def test_messages_arguments_and_tracebacks_are_masked() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("test.privacy")
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.INFO)
    install(logger)
    install(logger)  # idempotent
    assert sum(isinstance(f, MaskPhones) for f in handler.filters) == 1

    logger.info("resident said %s", "电话13812345678，座机021-65432100")
    try:
        raise ValueError("bad value 13987654321")
    except ValueError:
        logger.exception("failed")
    output = stream.getvalue()
    assert "13812345678" not in output and "138****5678" in output
    assert "65432100" not in output and "021-****2100" in output
    assert "13987654321" not in output and "139****4321" in output
