"""The language seam: which catalog a user gets, and English formats through Babel."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from handlers.i18n import SOURCE_LANGUAGE, catalog_language, pick_language, texts_for
from storage.languages import StoredLanguage


def test_unknown_and_malformed_codes_fall_back_to_the_default_then_english() -> None:
    assert catalog_language(None) is None
    assert catalog_language("") is None
    assert catalog_language("not a code!") is None
    assert catalog_language("en-US") == "en"
    assert pick_language(None, "xx-unknown", "en") == "en"
    assert pick_language(None, None, "zz") == SOURCE_LANGUAGE


def test_a_chosen_language_wins_over_telegram_and_the_default() -> None:
    stored = StoredLanguage(telegram_code="xx", chosen="en")
    assert pick_language(stored, "xx", "zz") == "en"


def test_english_texts_fill_placeholders_and_plurals() -> None:
    t = texts_for("en")
    assert t._("Hello {name}", name="Ann") == "Hello Ann"
    assert t.n_("{n} booking", "{n} bookings", 1) == "1 booking"
    assert t.n_("{n} booking", "{n} bookings", 3) == "3 bookings"


def test_english_formats_come_from_babel() -> None:
    t = texts_for("en")
    moment = datetime(2026, 12, 24, 13, 30, tzinfo=ZoneInfo("UTC"))
    assert t.money(Decimal("45"), "EUR") == "€45.00"
    assert t.time(moment.astimezone(ZoneInfo("Europe/Helsinki"))) == "3:30\u202fPM"
    assert t.date(moment) == "Dec 24, 2026"
