"""Shared fixtures: a migrated database in a temp folder, the test business, a manual clock."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from hypothesis import settings

from bot.clock import ManualClock
from bot.setup_file import load_setup_file
from storage.db import Database
from storage.migrate import migrate

# Hypothesis' per-example deadline is a timing assert, which a loaded CI machine can trip;
# property tests check behaviour only (speed is measured in bench/).
settings.register_profile("bookbot", deadline=None, print_blob=True)
settings.load_profile("bookbot")

DATA = Path(__file__).parent / "data"
SALON = DATA / "salon.toml"


def _test_monday() -> date:
    """The Monday the tests start on: 23 November 2026, or BOOKBOT_TEST_MONDAY (YYYY-MM-DD).

    Moving it (e.g. years ahead) checks that nothing mixes the fixed date with the wall clock.
    """
    day = date.fromisoformat(os.environ.get("BOOKBOT_TEST_MONDAY") or "2026-11-23")
    if day.weekday() != 0:
        raise ValueError(f"BOOKBOT_TEST_MONDAY={day} is not a Monday")
    return day


# Monday 08:00 in Helsinki (UTC+2 in winter).
MONDAY_MORNING = datetime.combine(_test_monday(), time(6, 0), tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    """A clock standing at Monday morning in Helsinki."""
    return ManualClock(MONDAY_MORNING)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty database."""
    database = await Database.open(tmp_path / "bookbot.db")
    await migrate(database)
    yield database
    await database.close()


@pytest.fixture
async def salon_db(db: Database) -> Database:
    """The database with the test salon loaded."""
    await load_setup_file(SALON, db, default_timezone="UTC")
    return db
