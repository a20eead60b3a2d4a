"""Case numbers: unique and increasing within a day, whatever runs at once (issue 17)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from tortoise import connections
from tortoise.transactions import in_transaction

from handlers.case_numbers import find_case_number, next_case_number

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


async def test_numbers_taken_at_once_are_unique_and_keep_the_shape(db: str) -> None:
    async def take() -> str:
        async with in_transaction():
            return await next_case_number(NOW)

    numbers = await asyncio.gather(*(take() for _ in range(40)))
    assert len(set(numbers)) == 40
    assert all(n.startswith("261123") and len(n) >= 10 for n in numbers)
    assert all(find_case_number(f"编号 {n}") == n for n in numbers)


async def test_later_numbers_are_larger(db: str) -> None:
    numbers = [await next_case_number(NOW) for _ in range(5)]
    assert [int(n[6:]) for n in numbers] == sorted({int(n[6:]) for n in numbers})


async def test_a_number_of_a_rolled_back_case_is_not_given_again(db: str) -> None:
    try:
        async with in_transaction():
            lost = await next_case_number(NOW)
            raise RuntimeError("the case's transaction fails")
    except RuntimeError:
        pass
    after = await next_case_number(NOW)
    if connections.get("default").capabilities.dialect == "postgres":
        assert int(after[6:]) > int(lost[6:])  # a gap: no transaction waits on a counter row
    else:
        assert after == lost  # SQLite's per-day counter rolled back with the case


async def test_on_postgres_the_residents_statement_takes_the_number_once(db: str) -> None:
    """A message's resident statement takes the case number's value on PostgreSQL (no round trip
    of its own for the case); it is used once, and a message making no case leaves a gap."""
    from handlers.intake.reserved_numbers import case_number_for
    from handlers.residents.records import resident_writing

    postgres = connections.get("default").capabilities.dialect == "postgres"
    first = await resident_writing("o-seq-1", NOW)  # a new resident
    again = await resident_writing("o-seq-1", NOW)  # known: the update also takes one
    numbers = [await case_number_for(NOW, first), await case_number_for(NOW, first)]
    later = await case_number_for(NOW, again)
    assert len({*numbers, later}) == 3
    assert all(n.startswith("261123") for n in (*numbers, later))
    if postgres:
        # The first resident's value, then a fresh one: its own was taken already.
        assert int(numbers[0][6:]) < int(later[6:]) < int(numbers[1][6:])
    else:
        assert int(numbers[0][6:]) < int(numbers[1][6:]) < int(later[6:])
