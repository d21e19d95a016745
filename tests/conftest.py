"""Shared fixtures: a migrated database in a temp folder, the test business, a manual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
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
# Monday 23 November 2026, 08:00 in Helsinki (UTC+2).
MONDAY_MORNING = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


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
