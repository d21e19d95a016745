"""Prices in minor units shown with the currency's own decimals (CLDR via Babel)."""

from __future__ import annotations

import pytest

from bot.domain.money import UnknownCurrency, check_currency, format_money, parse_price
from handlers.render import money


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [
        (4500, "EUR", "45.00 EUR"),
        (5, "EUR", "0.05 EUR"),
        (4500, "JPY", "4500 JPY"),
        (45500, "KWD", "45.500 KWD"),
        (0, "USD", "0.00 USD"),
    ],
)
def test_money_shows_the_currency_decimals(minor: int, currency: str, shown: str) -> None:
    assert money(minor, currency) == shown == format_money(minor, currency)


@pytest.mark.parametrize("currency", ["EUR", "JPY", "KWD", "USD", "CHF"])
@pytest.mark.parametrize("written", [0, 7, 45, 1999, 1_000_000_000])
def test_whole_prices_read_back_as_written(written: int, currency: str) -> None:
    assert format_money(parse_price(written, currency), currency).split()[0].split(".")[0] == str(
        written
    )


def test_unknown_currency() -> None:
    with pytest.raises(UnknownCurrency, match="ISO 4217"):
        check_currency("EUX")
