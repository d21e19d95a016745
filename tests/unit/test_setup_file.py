"""Loading the business setup file: validation, idempotence, deactivation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.booking import BookingService
from bot.business import BusinessSettings
from bot.clock import ManualClock
from bot.setup_file import (
    LoadResult,
    SetupFileError,
    load_setup_file,
    parse_range,
    read_setup_file,
)
from storage.bookings import BookingRepository
from storage.catalog import CatalogRepository, KindChanges
from storage.customers import CustomerRepository
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
    assert first.services == KindChanges(added=3)
    assert first.staff == KindChanges(added=2)
    before = await _dump(db)
    second = await load_setup_file(EXAMPLE, db, default_timezone="UTC")
    assert second == LoadResult(services=KindChanges(), staff=KindChanges(), settings=0)
    assert not second
    assert await _dump(db) == before
    prices = {s.slug: s.price_minor for s in await CatalogRepository(db).active_services()}
    assert prices == {"haircut": 4500, "colour": 9500, "beard": 2000}


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
    # One service gone; Anna no longer offers it: one staff member changed, hours untouched.
    assert changes.services == KindChanges(deactivated=1)
    assert changes.staff == KindChanges(changed=1)
    assert changes.settings == 0
    names = [s.name for s in await CatalogRepository(salon_db).active_services()]
    assert names == ["Haircut"]
    async with salon_db.reader.execute("SELECT count(*) FROM services") as cur:
        assert (await cur.fetchone())[0] == 2  # type: ignore[index]


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (("duration_minutes = 60", "duration_minutes = 0"), 'service "cut": duration_minutes'),
        (
            ('"09:00-12:00", "13:00-17:00"', '"09:00-13:30", "13:00-17:00"'),
            'staff "anna": hours.mon: ranges .* overlap',
        ),
        (
            ('services = ["cut"]', 'services = ["nails"]'),
            'staff "ben": services: no service with id "nails"',
        ),
        (('id = "beard"', 'id = "cut"'), 'service id "cut" used more than once'),
        (('id = "ben"', 'id = "anna"'), 'staff id "anna" used more than once'),
        (
            (
                'services = ["cut", "beard"]',
                'services = ["cut", "beard"]\ndays_off = [2030-01-07]\n'
                'special_hours = {2030-01-07 = ["10:00-12:00"]}',
            ),
            'staff "anna": "2030-01-07" both in days_off and special_hours',
        ),
        (('timezone = "Europe/Helsinki"', 'timezone = "Europe/Atlantis"'), "time zone|timezone"),
        (('timezone = "Europe/Helsinki"', f'timezone = "{"a" * 5000}"'), "IANA time zone"),
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


def _salon_with(tmp_path: Path, old: str, new: str) -> Path:
    text = SALON.read_text()
    assert old in text
    path = tmp_path / "salon.toml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("price_lines", "expected"),
    [
        ("price = 45", 4500),
        ("price = 45.00", 4500),
        ("price = 45.5", 4550),
        ('price = "45,50"', 4550),
        ('price = "45.5"', 4550),
        ('price = " 45 "', 4500),
        ("price = 4500", 450000),  # `price` is whole euros, always
        ("price_minor = 4500", 4500),
        ("price = 0", 0),
        ("", 0),  # no price: a free service
        ('price = 4500\ncurrency = "JPY"', 4500),
        ('price = "4,5"\ncurrency = "KWD"', 4500),
    ],
)
def test_prices_are_read_as_people_write_them(
    tmp_path: Path, price_lines: str, expected: int
) -> None:
    path = _salon_with(tmp_path, 'price = 45\ncurrency = "EUR"', price_lines)
    setup = read_setup_file(path)
    assert setup.services[0].minor_price() == expected


@pytest.mark.parametrize(
    ("price_lines", "reason"),
    [
        ("price = 45\nprice_minor = 4500", "either price .* or price_minor .*, not both"),
        ("price = -45", "negative"),
        ('price = "-45"', "negative"),
        ("price = 45.123", "more decimals than EUR has \\(2\\)"),
        ('price = 45.5\ncurrency = "JPY"', "more decimals than JPY has \\(0\\)"),
        ('price = "45,500"', "ambiguous"),
        ('price = "1,200.00"', "no thousands separator"),
        ('price = "€45"', "no currency sign"),
        ('price = "45 EUR"', "no currency sign"),
        ("price = true", "not a price"),
        ("price = inf", "not a price"),
        ("price = nan", "not a price"),
        ("price = 1e300", "more than 1,000,000,000 EUR"),
        ("price = 2000000000", "more than 1,000,000,000 EUR"),
        ("price_minor = -1", "price_minor"),
        ("price_minor = 45.0", "price_minor"),
        ("price_minor = 900000000000000000000", "price_minor"),
        ('price = 45\ncurrency = "EUX"', "not an ISO 4217 currency code"),
    ],
)
def test_prices_that_could_be_misread_are_refused(
    tmp_path: Path, price_lines: str, reason: str
) -> None:
    path = _salon_with(tmp_path, 'price = 45\ncurrency = "EUR"', price_lines)
    with pytest.raises(SetupFileError, match=f'service "cut": .*{reason}'):
        read_setup_file(path)


async def test_an_old_file_in_minor_units_is_refused_not_multiplied(
    db: Database, tmp_path: Path
) -> None:
    """A file written when `price` meant cents must not turn 45.00 EUR into 4500.00 EUR."""
    minor = _salon_with(tmp_path, "price = 45\n", "price_minor = 4500\n")
    await load_setup_file(minor, db, default_timezone="UTC")
    old = tmp_path / "old.toml"
    old.write_text(minor.read_text().replace("price_minor = 4500\n", "price = 4500\n"))
    with pytest.raises(SetupFileError) as refused:
        await load_setup_file(old, db, default_timezone="UTC")
    message = str(refused.value)
    assert 'service "cut": price = 4500 would change the price from 45.00 EUR to 4500.00' in message
    assert "price = 45.00" in message and "price_minor = 4500" in message
    cut = await CatalogRepository(db).service_by_slug("cut")
    assert cut is not None and cut.price_minor == 4500
    # Written either way the file now reads unambiguously, and nothing changes.
    assert not await load_setup_file(SALON, db, default_timezone="UTC")


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("min_notice_minutes = 60", "min_notice_minutes = 900000000000", "min_notice_minutes"),
        ("min_notice_minutes = 60", "min_notice_minutes = 20161", "longer than horizon_days"),
        ("horizon_days = 14", "horizon_days = 100000", "horizon_days"),
        ("slot_step_minutes = 30", "slot_step_minutes = 900000000000", "slot_step_minutes"),
        (
            "cancellation_cutoff_hours = 24",
            "cancellation_cutoff_hours = 1e300",
            "cancellation_cutoff_hours",
        ),
        (
            "cancellation_cutoff_hours = 24",
            "cancellation_cutoff_hours = inf",
            "cancellation_cutoff_hours",
        ),
        ("duration_minutes = 60", "duration_minutes = 900000000000", "duration_minutes"),
        ("buffer_after_minutes = 30", "buffer_after_minutes = 900000000000", "buffer_after"),
        ("price = 45\n", "price = 900000000000000000000\n", "price"),
    ],
)
def test_huge_numbers_are_refused_at_load(tmp_path: Path, old: str, new: str, where: str) -> None:
    with pytest.raises(SetupFileError, match=where):
        read_setup_file(_salon_with(tmp_path, old, new))


async def test_every_number_at_its_limit_loads_and_books(
    db: Database, tmp_path: Path, clock: ManualClock
) -> None:
    """The largest accepted values run through availability without overflowing."""
    text = SALON.read_text()
    for old, new in (
        ("horizon_days = 14", "horizon_days = 366"),
        ("min_notice_minutes = 60", f"min_notice_minutes = {364 * 24 * 60}"),
        ("slot_step_minutes = 30", "slot_step_minutes = 1440"),
        ("cancellation_cutoff_hours = 24", f"cancellation_cutoff_hours = {366 * 24}"),
        ("duration_minutes = 60", "duration_minutes = 1440"),
        ("buffer_after_minutes = 30", "buffer_after_minutes = 0"),
        ("duration_minutes = 30", "duration_minutes = 30\nbuffer_before_minutes = 240"),
        ("price = 45\n", "price = 1000000000\n"),
        ('price = "20,00"', "price_minor = 100000000000"),
        ('["09:00-12:00", "13:00-17:00"]', '["00:00-24:00"]'),
    ):
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "limits.toml"
    path.write_text(text)
    await load_setup_file(path, db, default_timezone="UTC")
    service = BookingService(
        catalog=CatalogRepository(db),
        customers=CustomerRepository(db),
        bookings=BookingRepository(db),
        settings=SettingsRepository(db),
        clock=clock,
        default_timezone="UTC",
    )
    cut = await CatalogRepository(db).service_by_slug("cut")
    assert cut is not None and cut.price_minor == 100_000_000_000
    days = await service.free_days(cut.id, None)
    # Anna works all day on weekdays; the notice leaves only the horizon's last days.
    assert days
    assert days[0] >= (clock.now() + timedelta(days=364)).date()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d: _write(d / "latin1.toml", 'name = "Café"'.encode("latin-1")), "not UTF-8"),
        (lambda d: _write(d / "image.toml", bytes(range(256)) * 4), "not UTF-8"),
        (lambda d: _write(d / "nul.toml", b"\x00" * 64), "not valid TOML"),
        (lambda d: d, "is a folder"),
        (lambda d: d / "missing.toml", "no such file"),
        (lambda d: _write(d / "deep.toml", b"x = " + b"[" * 100_000), "nested too deeply"),
        (lambda d: _write(d / "big.toml", b"# " + b"x" * 2_000_000), "larger than"),
    ],
)
def test_unreadable_files_are_explained(
    tmp_path: Path, make: Callable[[Path], Path], reason: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(SetupFileError, match=reason):
        read_setup_file(path)


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ('mon = ["10:00-18:00"]', 'mon = ["10:00-09:00"]', 'staff "ben": hours.mon'),
        ('id = "beard"', 'id = "Beard Trim"', 'service "Beard Trim": id'),
        ('[[staff]]\nid = "anna"', "[[staff]]", "staff #1: id: Field required"),
    ],
)
def test_errors_name_items_by_their_id(tmp_path: Path, old: str, new: str, where: str) -> None:
    with pytest.raises(SetupFileError) as refused:
        read_setup_file(_salon_with(tmp_path, old, new))
    assert where in str(refused.value)
    assert "staff.0" not in str(refused.value) and "services.1" not in str(refused.value)


async def test_service_translations_are_stored_and_checked(
    salon_db: Database, tmp_path: Path
) -> None:
    from bot import service_texts

    stored = await service_texts.load(salon_db)
    assert stored["cut"] == {
        "es": {"name": "Corte de pelo"},
        "ru": {"name": "Стрижка", "description": "Мытьё, стрижка и укладка"},
    }
    assert service_texts.pick(stored, "cut", "es", "name") == "Corte de pelo"
    assert service_texts.pick(stored, "cut", "es", "description") is None
    assert service_texts.pick(stored, "beard", "ru", "name") is None
    bad = _salon_with(tmp_path, "[services.translations.es]", "[services.translations.xx-nope]")
    with pytest.raises(SetupFileError, match="is not a language code"):
        read_setup_file(bad)
