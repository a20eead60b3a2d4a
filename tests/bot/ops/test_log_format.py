"""JSON log lines (``JIESU_LOG_FORMAT=json``): one object a line, the case number, masked."""

from __future__ import annotations

import argparse
import io
import json
import logging

import pytest

from bot.cli import main as cli
from bot.ops.log_format import JsonFormatter, use_json_lines
from bot.ops.log_privacy import install


def json_logger(name: str, *, masked_by_filter: bool) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger(name)
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.INFO)
    use_json_lines(logger)
    if masked_by_filter:
        install(logger)
    return logger, stream


@pytest.mark.parametrize("masked_by_filter", [True, False])
def test_one_json_object_per_line_with_the_case_and_masked(masked_by_filter: bool) -> None:
    logger, stream = json_logger(f"test.json.{masked_by_filter}", masked_by_filter=masked_by_filter)
    logger.info("case %s created: %s", "2603010001", "complaint", extra={"case": "2603010001"})
    logger.warning("resident wrote %s", "电话13812345678")
    try:
        raise ValueError("bad value 13987654321")
    except ValueError:
        logger.exception("failed for 021-65432100")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    first, second, third = (json.loads(line) for line in lines)
    assert first["message"] == "case 2603010001 created: complaint"
    assert first["case"] == "2603010001" and first["level"] == "INFO"
    assert first["logger"] == f"test.json.{masked_by_filter}" and first["time"].endswith("+00:00")
    assert "case" not in second and second["message"] == "resident wrote 电话138****5678"
    assert "13987654321" not in third["exception"] and "139****4321" in third["exception"]
    assert third["message"] == "failed for 021-****2100"
    assert "13812345678" not in stream.getvalue() and "65432100" not in stream.getvalue()


def test_the_command_line_switches_to_json(monkeypatch: pytest.MonkeyPatch) -> None:
    def command(args: argparse.Namespace, settings: object) -> int:
        logging.getLogger("jiesu.test").warning("call 13812345678", extra={"case": "2603010002"})
        return 0

    def parser() -> argparse.ArgumentParser:
        parser = argparse.ArgumentParser()
        parser.add_argument("--log-level", default=None)
        parser.set_defaults(func=command)
        return parser

    root = logging.getLogger()
    saved = root.handlers[:]
    stream = io.StringIO()
    # basicConfig keeps an existing handler: main() gives it the JSON formatter and the mask.
    root.handlers = [logging.StreamHandler(stream)]
    monkeypatch.setenv("JIESU_LOG_FORMAT", "json")
    monkeypatch.setattr(cli, "build_parser", parser)
    try:
        assert cli.main([]) == 0
    finally:
        handlers, root.handlers = root.handlers, saved
    assert isinstance(handlers[0].formatter, JsonFormatter)
    entry = json.loads(stream.getvalue().splitlines()[-1])
    assert entry["case"] == "2603010002" and entry["message"] == "call 138****5678"
