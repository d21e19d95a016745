"""Every text the bot sends is translated here, and every date, time and price formatted.

English is the source language: the English texts in the code are the gettext message ids.
Each other language is one catalog, `handlers/locales/<code>.po` (e.g. `es.po`, `pt_BR.po`),
read with Babel when first needed; adding a language is adding one file. Strings are marked
for extraction as `t._("...")` and `t.n_("one ...", "{n} ...", n)` (`pybabel extract -k _
-k n_:1,2`); module-level texts translated later are marked with `N_("...")`. Parameters are
`{name}` placeholders filled after translation, so a translator can move them.

A user's language: their own choice (/language) if it has a catalog, else their Telegram
`language_code` if it has one, else the business's default language.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import (
    format_date,
    format_datetime,
    format_skeleton,
    format_time,
    get_timezone_location,
)
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency

from bot.domain.money import decimals
from storage.languages import StoredLanguage

SOURCE_LANGUAGE = "en"
LOCALES_DIR = Path(__file__).with_name("locales")


_Day = date  # the names `date` and `datetime` are methods inside `Texts`
_Moment = datetime


def N_(message: str) -> str:
    """Mark a text for extraction without translating it yet."""
    return message


@dataclass(frozen=True, slots=True)
class Texts:
    """One language: its translations and its locale's formats."""

    language: str  # the catalog's code, e.g. 'en', 'es', 'pt_BR'
    locale: Locale
    translations: gettext.NullTranslations

    def _(self, message: str, /, **params: object) -> str:
        """The translation of `message`, with `{placeholders}` filled from `params`."""
        text = self.translations.gettext(message)
        return text.format(**params) if params else text

    def n_(self, singular: str, plural: str, n: int, /, **params: object) -> str:
        """The plural form for `n` (`{n}` is filled in too)."""
        return self.translations.ngettext(singular, plural, n).format(n=n, **params)

    def date(self, value: date | datetime, form: str = "medium") -> str:
        """A date as people of this locale write it ('Dec 24, 2026', '24 dic 2026')."""
        return format_date(value, form, locale=self.locale)

    def time(self, value: time | datetime, form: str = "short") -> str:
        """A time of day ('2:30 PM', '14:30')."""
        return format_time(value, form, locale=self.locale)

    def datetime(self, value: datetime, tz: ZoneInfo, form: str = "medium") -> str:
        """A moment in the zone `tz`, in this locale's format."""
        return format_datetime(value, form, tzinfo=tz, locale=self.locale)

    def money(self, amount: object, currency: str) -> str:
        """An amount in major units ('€45.00' in English, '45,00 €' in Spanish)."""
        return format_currency(amount, currency, locale=self.locale)  # type: ignore[arg-type]

    def price(self, minor: int, currency: str) -> str:
        """An amount stored in minor units (4500 EUR cents -> '€45.00' / '45,00 €')."""
        return self.money(Decimal(minor).scaleb(-decimals(currency)), currency)

    def clock(self, moment: _Moment, tz: ZoneInfo) -> str:
        """A time of day on the 24-hour clock in this locale's way ('13:00', '13.00')."""
        return format_skeleton("Hm", moment.astimezone(tz), locale=self.locale)

    def day(self, value: _Day, *, year: bool = False) -> str:
        """A day with its weekday ('Tue, Nov 24', 'mar, 24 nov'; with the year if asked)."""
        return format_skeleton("yMMMEd" if year else "MMMEd", value, locale=self.locale)

    def long_day(self, value: _Day) -> str:
        """A day spelled out ('Tuesday, November 24, 2026', 'martes, 24 de noviembre de 2026')."""
        return format_date(value, "full", locale=self.locale)

    def weekday(self, value: _Day) -> str:
        """The shortest weekday name, capitalised ('Tu', 'Ma', 'Вт')."""
        short = format_date(value, "EEEEEE", locale=self.locale)
        return short[:1].upper() + short[1:].lower()

    def when(self, moment: _Moment, tz: ZoneInfo, *, year: bool = True) -> str:
        """A day and time in `tz` ('Tue, Nov 24, 2026, 13:00'); name the zone separately."""
        local = moment.astimezone(tz)
        pattern = str(self.locale.datetime_formats["medium"])
        return pattern.replace("{1}", self.day(local.date(), year=year)).replace(
            "{0}", self.clock(local, tz)
        )

    def zone(self, tz: ZoneInfo) -> str:
        """The zone as people say it ('Helsinki time')."""
        city = get_timezone_location(tz, locale=self.locale, return_city=True)
        return self._("{city} time", city=city)

    def duration(self, value: timedelta) -> str:
        """A length of time ('1 h 30 min', '45 min')."""
        minutes = int(value.total_seconds() // 60)
        hours, rest = divmod(minutes, 60)
        if hours and rest:
            return self._("{hours} h {minutes} min", hours=hours, minutes=rest)
        if hours:
            return self._("{hours} h", hours=hours)
        return self._("{minutes} min", minutes=rest)

    def join(self, items: list[str]) -> str:
        """Items as a list in this language ('Anna, Ben and Cleo')."""
        return format_list(items, locale=self.locale) if items else ""


@cache
def available_languages() -> tuple[str, ...]:
    """English and every language with a catalog, in a stable order (read once: a new
    catalog is picked up at the next start)."""
    return (SOURCE_LANGUAGE, *sorted(p.stem for p in LOCALES_DIR.glob("*.po")))


def catalog_language(code: str | None) -> str | None:
    """The catalog for a language tag ('es-ES' -> 'es', 'pt-br' -> 'pt_BR'), if one exists."""
    if not code:
        return None
    try:
        wanted = Locale.parse(code.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return None
    languages = available_languages()
    full = str(wanted)
    if full in languages:
        return full
    return wanted.language if wanted.language in languages else None


def pick_language(stored: StoredLanguage | None, telegram_code: str | None, default: str) -> str:
    """The user's choice, else Telegram's language, else the business default, else English."""
    for candidate in (stored.chosen if stored else None, telegram_code, default):
        found = catalog_language(candidate)
        if found:
            return found
    return SOURCE_LANGUAGE


@cache
def texts_for(language: str) -> Texts:
    """The texts of a catalog language (see `catalog_language`); English for anything else."""
    code = catalog_language(language) or SOURCE_LANGUAGE
    if code == SOURCE_LANGUAGE:
        return Texts(SOURCE_LANGUAGE, Locale.parse(SOURCE_LANGUAGE), gettext.NullTranslations())
    with (LOCALES_DIR / f"{code}.po").open("rb") as po:
        catalog = read_po(po, locale=code)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Texts(code, Locale.parse(code), gettext.GNUTranslations(compiled))
