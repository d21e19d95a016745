"""The catalogs: every text used in the code is translated in every shipped language, with the
same {placeholders} and every plural form; and the check really catches what it should."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel.messages.catalog import Catalog

from handlers.catalogs import check, extract, placeholders, problems
from handlers.i18n import available_languages, texts_for

HELSINKI = ZoneInfo("Europe/Helsinki")


def test_every_shipped_catalog_is_complete() -> None:
    assert {"en", "es", "ru"} <= set(available_languages())
    assert check() == []


def test_extraction_finds_the_texts_of_handlers_and_contact_errors() -> None:
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in extract() if m.id}
    assert "<b>Please check your booking</b>" in ids  # t._ in handlers/booking/summary.py
    assert "{n} more" in ids  # t.n_ in handlers/admin.py
    assert "Skip" in ids  # N_ in handlers/booking/contact.py
    assert "Please enter a phone number." in ids  # InvalidPhone in bot/domain/contact.py
    assert len(ids) > 200


def _template(*messages: str | tuple[str, str]) -> Catalog:
    template = Catalog(locale=None)
    for message in messages:
        template.add(message)
    return template


def test_a_missing_or_fuzzy_translation_is_reported() -> None:
    catalog = Catalog(locale="es")
    catalog.add("Hello {name}", "Hola {name}")
    catalog.add("Bye", "Adiós", flags=["fuzzy"])
    found = problems(catalog, _template("Hello {name}", "Bye", "New text"))
    assert found == ["es: no translation for 'Bye'", "es: no translation for 'New text'"]


def test_a_dropped_or_renamed_placeholder_is_reported() -> None:
    catalog = Catalog(locale="es")
    catalog.add("Hello {name}", "Hola")
    catalog.add("At {time}", "A las {hora}")
    catalog.add("Broken {x}", "Roto {x")
    found = problems(catalog, _template("Hello {name}", "At {time}", "Broken {x}"))
    assert len(found) == 3
    assert "missing ['name']" in found[0]
    assert "missing ['time'], unknown ['hora']" in found[1]
    assert "broken placeholder" in found[2]


def test_plural_forms_are_counted_and_checked() -> None:
    catalog = Catalog(locale="ru")
    catalog.add(("{n} day", "{n} days"), ("{n} день", "{n} дня"))  # Russian has three forms
    catalog.add(("{n} hour", "{n} hours"), ("{n} час", "{n} часа", "часов"))
    found = problems(catalog, _template(("{n} day", "{n} days"), ("{n} hour", "{n} hours")))
    assert any("2 plural forms instead of 3" in p for p in found)
    assert any("missing ['n']" in p and "hour" in p for p in found)


def test_placeholders_read_format_fields_only() -> None:
    assert placeholders("{a} and {b} {{not}}") == {"a", "b"}


def test_russian_plurals_and_formats() -> None:
    t = texts_for("ru")
    forms = [
        t.n_(
            "No free times in the next {n} day, sorry.",
            "No free times in the next {n} days, sorry.",
            n,
        )
        for n in (1, 3, 5, 21)
    ]
    assert forms == [
        "Извините, в ближайший 1 день свободного времени нет.",
        "Извините, в ближайшие 3 дня свободного времени нет.",
        "Извините, в ближайшие 5 дней свободного времени нет.",
        "Извините, в ближайший 21 день свободного времени нет.",
    ]
    assert t.price(4500, "EUR") == "45,00\xa0€"
    assert t.weekday(date(2026, 11, 24)) == "Вт"
    assert t.zone(HELSINKI) == "часовой пояс: Хельсинки"


def test_spanish_and_english_formats() -> None:
    es, en = texts_for("es"), texts_for("en")
    moment = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)  # 13:00 in Helsinki
    assert es.price(4500, "EUR") == "45,00\xa0€"
    assert en.price(4500, "EUR") == "€45.00"
    assert en.when(moment, HELSINKI) == "Tue, Nov 24, 2026, 13:00"
    assert es.when(moment, HELSINKI) == "mar, 24 nov 2026, 13:00"
    assert en.zone(HELSINKI) == "Helsinki time"
    assert es.zone(HELSINKI) == "hora de Helsinki"
    assert en.weekday(date(2026, 11, 30)) == "Mo"
    assert es._("Hi {name}!", name="Ana") == "¡Hola, Ana!"


def test_notices_are_rendered_in_each_recipients_language() -> None:
    from bot.notices import GoogleSignInFailed
    from handlers.notices import render

    notice = GoogleSignInFailed(staff_chat_id=5, reason="declined")
    (english,) = render(notice)
    (russian,) = render(notice, lambda chat: texts_for("ru" if chat == 5 else "en"))
    assert english.html.startswith("❌ Google sign-in failed: You declined access")
    assert russian.html.startswith("❌ Не удалось войти через Google: Вы отказали в доступе")


def test_business_contact_is_checked() -> None:
    import pytest

    from bot.business import BusinessSettings

    ok = BusinessSettings(contact_phone="+358 9 123 4567", contact_telegram="test_salon")
    assert ok.contact_telegram == "test_salon"
    with pytest.raises(ValueError, match="Telegram username"):
        BusinessSettings(contact_telegram="not a name")
    with pytest.raises(ValueError, match="64 characters"):
        BusinessSettings(contact_phone="1" * 65)


def test_every_call_in_the_code_fills_exactly_the_placeholders_of_its_text() -> None:
    import ast
    from pathlib import Path

    root = Path(__file__).parents[2] / "handlers"
    wrong = []
    checked = 0
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("_", "n_")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                continue
            if any(k.arg is None for k in node.keywords):
                continue  # **params: checked where the dict is built
            texts = [a.value for a in node.args if isinstance(a, ast.Constant)]
            wanted = set().union(*(placeholders(str(text)) for text in texts))
            given = {k.arg for k in node.keywords if k.arg is not None}
            checked += 1
            if node.func.attr == "n_":
                given.add("n")
            if wanted != given:
                wrong.append(f"{path.name}:{node.lineno}: {sorted(wanted)} != {sorted(given)}")
    assert wrong == []
    assert checked > 150  # the calls were found


def test_an_obsolete_text_used_again_gets_its_translation_back() -> None:
    from handlers.catalogs import merge

    catalog = Catalog(locale="es")
    catalog.add("Hello", "Hola")
    catalog.add("Bye", "Adiós")
    merge(catalog, _template("Hello"))
    assert catalog.get("Bye") is None and "Bye" in catalog.obsolete
    merge(catalog, _template("Hello", "Bye"))
    bye = catalog.get("Bye")
    assert bye is not None and bye.string == "Adiós" and not bye.fuzzy
    assert problems(catalog, _template("Hello", "Bye")) == []
