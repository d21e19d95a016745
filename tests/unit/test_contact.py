"""Tests for bot.domain.contact: e-mail, phone and name normalization."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.contact import (
    MAX_NAME_LENGTH,
    InvalidEmail,
    InvalidName,
    InvalidPhone,
    clean_name,
    normalize_email,
    normalize_phone,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("anna@example.com", "anna@example.com"),
        ("  Anna.Smith@Example.COM \n", "Anna.Smith@example.com"),  # local part case kept
        ("a+tag@mail.example.co.uk", "a+tag@mail.example.co.uk"),
        ("o'brien@xn--bcher-kva.example", "o'brien@xn--bcher-kva.example"),
        ("user@Bücher.DE", "user@bücher.de"),
        ("x@my-host.io", "x@my-host.io"),
        ("a" * 64 + "@example.com", "a" * 64 + "@example.com"),
    ],
)
def test_valid_emails(text: str, expected: str) -> None:
    assert normalize_email(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "enter an e-mail"),
        ("   ", "enter an e-mail"),
        ("anna example.com", "spaces"),
        ("anna @example.com", "spaces"),
        ("anna\x00@example.com", "spaces"),
        ("anna.example.com", "exactly one @"),
        ("a@b@example.com", "exactly one @"),
        ("@example.com", "before the @"),
        ("anna@", "domain after the @ is missing"),
        ("anna@localhost", "needs a dot"),
        ("anna@example..com", "empty part"),
        ("anna@.example.com", "empty part"),
        ("anna@example.com.", "empty part"),
        ("anna@-example.com", "does not look right"),
        ("anna@example-.com", "does not look right"),
        ("anna@exa_mple.com", "does not look right"),
        ("anna@example.c", "top-level domain"),
        ("anna@127.0.0.1", "top-level domain"),
        (".anna@example.com", "dot"),
        ("anna.@example.com", "dot"),
        ("an..na@example.com", "dot"),
        ("an,na@example.com", "not allowed"),
        ("<anna>@example.com", "not allowed"),
        ("a" * 65 + "@example.com", "64"),
        ("anna@" + "a" * 64 + ".com", "does not look right"),
        ("anna@" + ".".join(["a" * 60] * 5) + ".com", "too long"),
    ],
)
def test_invalid_emails(text: str, reason: str) -> None:
    with pytest.raises(InvalidEmail, match=reason) as caught:
        normalize_email(text)
    assert isinstance(caught.value, ValueError)


def test_whole_address_length_limit_is_254_octets() -> None:
    local = "a" * 64
    domain = ".".join(["b" * 61, "c" * 61, "d" * 61]) + ".com"  # 189 octets
    assert len(local) + 1 + len(domain) == 254
    assert normalize_email(f"{local}@{domain}") == f"{local}@{domain}"
    with pytest.raises(InvalidEmail, match="too long"):
        normalize_email(f"{local}@b{domain}")


@given(
    local=st.from_regex(r"[A-Za-z0-9_+%-]{1,20}(\.[A-Za-z0-9_+%-]{1,10}){0,2}", fullmatch=True),
    labels=st.lists(st.from_regex(r"[A-Za-z0-9]{1,10}", fullmatch=True), min_size=1, max_size=3),
    tld=st.from_regex(r"[A-Za-z]{2,6}", fullmatch=True),
)
def test_email_normalization_is_idempotent(local: str, labels: list[str], tld: str) -> None:
    address = f"{local}@{'.'.join([*labels, tld])}"
    normalized = normalize_email(address)
    assert normalized == f"{local}@{address.split('@')[1].lower()}"
    assert normalize_email(normalized) == normalized


# Characters that change how an address displays without being seen: zero-width space,
# non-joiner and joiner, word joiner, byte order mark, soft hyphen, left-to-right and
# right-to-left marks, the Arabic letter mark, bidi embeddings, overrides and isolates.
INVISIBLE = [
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u200f",
    "\u061c", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
    "\u2066", "\u2067", "\u2068", "\u2069",
]  # fmt: skip


@pytest.mark.parametrize("char", INVISIBLE)
@pytest.mark.parametrize(
    "where",
    ["anna{}@example.com", "{}anna@example.com", "anna@exa{}mple.com", "anna@example.com{}"],
)
def test_emails_with_invisible_characters_are_refused(char: str, where: str) -> None:
    with pytest.raises(InvalidEmail, match="invisible characters"):
        normalize_email(where.format(char))


@given(
    local=st.from_regex(r"[A-Za-z0-9_+%-]{1,20}", fullmatch=True),
    domain=st.from_regex(r"[a-z0-9]{1,10}\.[a-z]{2,6}", fullmatch=True),
    invisible=st.characters(categories=["Cc", "Cf", "Co", "Cs", "Cn"]),
    position=st.integers(min_value=0),
)
def test_any_invisible_character_anywhere_is_refused(
    local: str, domain: str, invisible: str, position: int
) -> None:
    address = f"{local}@{domain}"
    at = 1 + position % (len(address) - 1)  # inside: the ends are trimmed only of whitespace
    with pytest.raises(InvalidEmail):
        normalize_email(address[:at] + invisible + address[at:])


# Any text, with format, private-use and unassigned characters drawn as often as all others.
ANY_TEXT = st.text(
    st.one_of(st.characters(), st.characters(categories=["Cf", "Co", "Cn"])),
    min_size=1,
    max_size=12,
)


@given(local=ANY_TEXT, label=ANY_TEXT)
def test_an_accepted_email_shows_every_character_it_holds(local: str, label: str) -> None:
    try:
        address = normalize_email(f"{local}@{label}.example")
    except InvalidEmail:
        return
    assert not any(unicodedata.category(ch).startswith(("C", "Z")) for ch in address)
    assert normalize_email(address) == address


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+44 20 7946 0958", "+442079460958"),
        ("+1 (555) 123-4567", "+15551234567"),
        ("447911123456", "+447911123456"),  # Telegram contact without '+'
        ("0049 30 1234567", "+49301234567"),  # international 00 prefix
        ("+7.916.123.45.67", "+79161234567"),
        ("+1234567", "+1234567"),  # 7 digits
        ("+123456789012345", "+123456789012345"),  # 15 digits
        ("\t+49 / 30 123456 \n", "+4930123456"),
    ],
)
def test_valid_phones(text: str, expected: str) -> None:
    assert normalize_phone(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "enter a phone"),
        (" - ", "enter a phone"),
        ("+123456", "too short"),
        ("+1234567890123456", "too long"),
        ("call me maybe", "only digits"),
        ("+44 20 7946 0958 ext 12", "only digits"),
        ("+44+2079460958", "only digits"),
        ("+٤٤٢٠٧٩٤٦٠٩٥٨", "only digits"),  # Arabic-Indic digits
        ("020 7946 0958", "country code"),
        ("+0441234567", "country code"),
    ],
)
def test_invalid_phones(text: str, reason: str) -> None:
    with pytest.raises(InvalidPhone, match=reason):
        normalize_phone(text)


@given(digits=st.from_regex(r"[1-9][0-9]{6,14}", fullmatch=True), plus=st.booleans())
def test_phone_round_trip(digits: str, plus: bool) -> None:
    text = ("+" if plus else "") + " ".join(digits[i : i + 3] for i in range(0, len(digits), 3))
    normalized = normalize_phone(text)
    assert normalized == "+" + digits
    assert normalize_phone(normalized) == normalized


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Anna", "Anna"),
        ("  Anna   Maria \t Smith\n", "Anna Maria Smith"),
        ("José Ñúñez", "José Ñúñez"),
        ("李小龙", "李小龙"),
        ("Anna\u00a0Smith", "Anna Smith"),  # no-break space collapses too
        ("👩\u200d🔧 Kim", "👩\u200d🔧 Kim"),  # zero-width joiner in emoji is fine
        ("x" * MAX_NAME_LENGTH, "x" * MAX_NAME_LENGTH),
    ],
)
def test_valid_names(text: str, expected: str) -> None:
    assert clean_name(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "enter your name"),
        (" \n\t ", "enter your name"),
        ("x" * (MAX_NAME_LENGTH + 1), "too long"),
        ("Anna\x00", "not allowed"),
        ("Anna\x1b[31m", "not allowed"),
        ("An\x1fna", "not allowed"),  # unit separator: Python treats it as whitespace
        ("Anna\u202eevil", "not allowed"),  # right-to-left override
    ],
)
def test_invalid_names(text: str, reason: str) -> None:
    with pytest.raises(InvalidName, match=reason):
        clean_name(text)


@given(st.text(max_size=100))
def test_clean_name_result_is_tidy_or_rejected(text: str) -> None:
    try:
        name = clean_name(text)
    except InvalidName:
        return
    assert 1 <= len(name) <= MAX_NAME_LENGTH
    assert name == name.strip()
    assert "  " not in name
    assert not any(ch.isspace() and ch != " " for ch in name)
    assert clean_name(name) == name
