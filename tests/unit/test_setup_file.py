"""Loading the business setup file: validation, idempotence, deactivation."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.business import BusinessSettings
from bot.setup_file import SetupFileError, load_setup_file, parse_range, read_setup_file
from storage.catalog import CatalogRepository
from storage.db import Database
from storage.settings_store import SettingsRepository
from tests.conftest import SALON

EXAMPLE = Path(__file__).parents[2] / "examples" / "business.toml"


async def _dump(db: Database) -> list[str]:
    lines: list[str] = []
    async for line in db.reader.iterdump():
        lines.append(line)
    return lines


async def test_example_file_loads_and_second_load_changes_nothing(db: Database) -> None:
    first = await load_setup_file(EXAMPLE, db, default_timezone="UTC")
    assert first["services"] == 3
    before = await _dump(db)
    second = await load_setup_file(EXAMPLE, db, default_timezone="UTC")
    assert second == {"services": 0, "staff": 0, "settings": 0}
    assert await _dump(db) == before


async def test_loaded_values(salon_db: Database) -> None:
    catalog = CatalogRepository(salon_db)
    services = await catalog.active_services()
    assert [s.name for s in services] == ["Haircut", "Beard & <trim>"]
    cut = services[0]
    assert (cut.duration.total_seconds(), cut.price_minor, cut.buffer_after.total_seconds()) == (
        3600,
        4500,
        1800,
    )
    staff = await catalog.staff_for_service(cut.id)
    assert [s.name for s in staff] == ["Anna", "Ben"]
    hours = await catalog.hours([staff[0].id], since=__import__("datetime").date(2026, 1, 1))
    monday = [(h.start_minute, h.end_minute) for h in hours[staff[0].id].weekly if h.weekday == 0]
    assert monday == [(540, 720), (780, 1020)]
    business = BusinessSettings.from_store(
        await SettingsRepository(salon_db).all(), default_timezone="UTC"
    )
    assert business.timezone == "Europe/Helsinki"
    assert business.horizon_days == 14


async def test_removed_service_is_deactivated_not_deleted(
    salon_db: Database, tmp_path: Path
) -> None:
    text = SALON.read_text().replace('services = ["cut", "beard"]', 'services = ["cut"]')
    start = text.index('[[services]]\nid = "beard"')
    end = text.index("[[staff]]")
    smaller = tmp_path / "smaller.toml"
    smaller.write_text(text[:start] + text[end:])
    changes = await load_setup_file(smaller, salon_db, default_timezone="UTC")
    assert changes["services"] == 1
    names = [s.name for s in await CatalogRepository(salon_db).active_services()]
    assert names == ["Haircut"]
    async with salon_db.reader.execute("SELECT count(*) FROM services") as cur:
        assert (await cur.fetchone())[0] == 2  # type: ignore[index]


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (("duration_minutes = 60", "duration_minutes = 0"), "duration_minutes"),
        (('"09:00-12:00", "13:00-17:00"', '"09:00-13:30", "13:00-17:00"'), "overlap"),
        (('services = ["cut"]', 'services = ["nails"]'), "unknown"),
        (('timezone = "Europe/Helsinki"', 'timezone = "Europe/Atlantis"'), "time zone|timezone"),
        (('currency = "EUR"', 'currency = "euro"'), "currency"),
        (("slot_step_minutes = 30", "slot_step = 30"), "slot_step"),
    ],
)
def test_bad_files_are_refused_with_a_reason(
    tmp_path: Path, patch: tuple[str, str], message: str
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(SALON.read_text().replace(*patch, 1))
    with pytest.raises(SetupFileError, match=message):
        read_setup_file(bad)


def test_not_toml(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[business\nname=")
    with pytest.raises(SetupFileError, match="not valid TOML"):
        read_setup_file(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("09:00-17:30", (540, 1050)), ("0:00-24:00", (0, 1440)), (" 13:00 - 14:00 ", (780, 840))],
)
def test_parse_range(text: str, expected: tuple[int, int]) -> None:
    assert parse_range(text) == expected


@pytest.mark.parametrize("text", ["17:00-09:00", "9-17", "25:00-26:00", "10:00-10:00", "x"])
def test_parse_range_refuses(text: str) -> None:
    with pytest.raises(ValueError, match=r"range|start"):
        parse_range(text)
