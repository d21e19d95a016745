"""Prices as people write them, and as integer minor units (cents) for storage.

`parse_price` reads a price in major units (euros, not cents) from a number or a string:
``45``, ``45.00``, ``"45,50"`` and ``"45.5"`` are all read; anything that could be misread
is refused with an :class:`InvalidPrice` whose message says why; a currency code CLDR does
not know raises :class:`UnknownCurrency`. How many decimals a currency has comes from the
Unicode CLDR data that Babel ships (EUR 2, JPY 0, KWD 3).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from babel.numbers import get_currency_precision, is_currency

MAX_PRICE = 1_000_000_000
"""The largest price in major units: far above any service, far below SQLite's integer range."""

_AMOUNT = re.compile(r"(\d+)(?:([.,])(\d+))?")


class InvalidPrice(ValueError):
    """A price that cannot be read without guessing; the message says why."""


class UnknownCurrency(ValueError):
    """A currency code that CLDR does not know."""


def check_currency(code: str) -> str:
    """The ISO 4217 code if CLDR knows it, else UnknownCurrency."""
    if not is_currency(code):
        raise UnknownCurrency(f"{code!r} is not an ISO 4217 currency code (e.g. EUR, USD, JPY)")
    return code


def decimals(currency: str) -> int:
    """How many decimals a currency has: EUR 2, JPY 0, KWD 3."""
    return int(get_currency_precision(currency))


def _amount(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidPrice(f"{value!r} is not a price: write a number like 45 or 45.50")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # repr() is the shortest text that reads back as the same float: 45.1, not 45.0999...
        return Decimal(repr(value))
    text = value.strip()
    match = _AMOUNT.fullmatch(text.lstrip("-"))
    if match is None:
        raise InvalidPrice(
            f'{value!r} is not a price: write the amount only, like 45, 45.50 or "45,50" '
            f"(no currency sign, no thousands separator; the currency goes in `currency`)"
        )
    whole, separator, fraction = match.groups()
    if separator == "," and fraction is not None and len(fraction) == 3:
        raise InvalidPrice(
            f"{value!r} is ambiguous: the comma may separate thousands or decimals; "
            f"write {whole}{fraction} or {whole}.{fraction}"
        )
    sign = "-" if text.startswith("-") else ""
    return Decimal(f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}")


def parse_price(value: object, currency: str) -> int:
    """A price in major units (45, 45.00, "45,50") as minor units of `currency` (4500)."""
    try:
        amount = _amount(value)
    except InvalidOperation as err:
        raise InvalidPrice(f"{value!r} is not a price") from err
    if not amount.is_finite():
        raise InvalidPrice(f"{value!r} is not a price: write a number like 45 or 45.50")
    if amount < 0:
        raise InvalidPrice(f"{value!r} is negative")
    if amount > MAX_PRICE:
        raise InvalidPrice(f"{value!r} is more than {MAX_PRICE:,} {currency}")
    places = decimals(currency)
    minor = amount.scaleb(places)
    if minor != minor.to_integral_value():
        raise InvalidPrice(f"{value!r} has more decimals than {currency} has ({places})")
    return int(minor)


def max_minor(currency: str) -> int:
    """The largest price in minor units of `currency`."""
    return int(Decimal(MAX_PRICE).scaleb(decimals(currency)))


def format_money(minor: int, currency: str) -> str:
    """4500, 'EUR' -> '45.00 EUR'; 4500, 'JPY' -> '4500 JPY'."""
    places = decimals(currency)
    return f"{Decimal(minor).scaleb(-places):.{places}f} {currency}"
