"""The statements one message runs, in order: ``python benchmarks/intake_trace.py
[--backend sqlite|postgres]``. A fresh case, then two reports merged into it, each through
``IntakeService.answer`` in this process on a throwaway database with the demo district; the SQL
comes from tortoise's ``tortoise.db_client`` debug log (what the ORM sends; the pool's own
traffic is not in it: ``intake.py`` counts that on the wire)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.databases import bench_database  # noqa: E402
from benchmarks.seeding import demo_district  # noqa: E402


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage()[:160])


async def trace(url: str) -> None:
    from bot.intake import IntakeService
    from config.settings import Settings
    from handlers.clock import SystemClock
    from handlers.district.gazetteer import gazetteer_cache
    from handlers.intake.incoming import IncomingMessage

    async with demo_district(url):
        service = IntakeService(
            settings=Settings(), clock=SystemClock(), gazetteer=gazetteer_cache("district")
        )
        collect = Collect()
        log = logging.getLogger("tortoise.db_client")
        log.setLevel(logging.DEBUG)
        log.addHandler(collect)
        texts = ["国权路小区5号楼楼道灯坏了，晚上上下楼看不见"] * 3
        for i, text in enumerate(texts):
            collect.lines.clear()
            message = IncomingMessage(openid=f"o-trace-{i}", msg_type="text", content=text)
            reply = await service.answer(message, f"trace-{i}", "<xml/>")
            print(f"--- message {i}: {len(collect.lines)} statements; {reply!r:.60}")
            for line in collect.lines:
                print("   ", line)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    with bench_database(args.backend) as (url, _):
        asyncio.run(trace(url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
