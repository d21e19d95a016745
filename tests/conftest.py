"""Shared fixtures: a migrated database in a temp folder, the test business, a manual clock.

Dates come from tests/week.py (the test week, moved by BOOKBOT_TEST_MONDAY).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import settings

from bot.clock import ManualClock
from bot.setup_file import load_setup_file
from storage.db import Database
from storage.migrate import migrate
from tests.week import MONDAY_MORNING, WEDNESDAY

# Hypothesis' per-example deadline is a timing assert, which a loaded CI machine can trip;
# property tests check behaviour only (speed is measured in bench/).
settings.register_profile("bookbot", deadline=None, print_blob=True)
settings.load_profile("bookbot")

DATA = Path(__file__).parent / "data"
SALON_TEMPLATE = DATA / "salon.toml"
WEDNESDAY_PLACEHOLDER = "TEST_WEEK_WEDNESDAY"


def _salon_for_the_test_week() -> Path:
    """The test salon with Ben's day off on the test week's Wednesday, in a temporary folder
    removed when the test run ends."""
    template = SALON_TEMPLATE.read_text(encoding="utf-8")
    assert template.count(WEDNESDAY_PLACEHOLDER) == 1, SALON_TEMPLATE
    folder = Path(tempfile.mkdtemp(prefix="bookbot-tests-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    salon = folder / "salon.toml"
    salon.write_text(
        template.replace(WEDNESDAY_PLACEHOLDER, WEDNESDAY.isoformat()), encoding="utf-8"
    )
    return salon


SALON = _salon_for_the_test_week()


@pytest.fixture
def clock() -> ManualClock:
    """A clock standing at 08:00 in Helsinki on the test week's Monday."""
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
