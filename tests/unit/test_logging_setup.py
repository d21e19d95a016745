"""The log's second line of defence (bot.logging_setup): the redactor and the handler filter
remove secrets and contacts from messages, arguments, tracebacks and stacks, keep ids and
times readable; the source filters summarise PTB payloads and drop SQL values."""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.logging_setup import (
    RedactingFilter,
    Redactor,
    configure_logging,
    keep_payloads_out_of_logs,
)

TOKEN = "7312345678:AAHk3-xY_zq9LmNoPQrsTUvwxYZ0123abcd"
redactor = Redactor()


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"POST https://api.telegram.org/bot{TOKEN}/sendMessage", TOKEN),
        (f"https://api.telegram.org/file/bot{TOKEN}/photos/1.jpg", TOKEN),
        ("https://t.me/salon_bot?start=connect_Zx81-aB_cd9Qw", "Zx81-aB_cd9Qw"),
        (
            "'text': '/start connect_Zx81aBcd9QwLmNoPq-rsTu_vWxYz0123'",
            "Zx81aBcd9QwLmNoPq-rsTu_vWxYz0123",
        ),
        ("GET /oauth2/callback?state=Qm9vaz1rZXk&code=4/0AbCdEf-gh HTTP/1.1", "Qm9vaz1rZXk"),
        ("GET /oauth2/callback?state=Qm9vaz1rZXk&code=4/0AbCdEf-gh HTTP/1.1", "4/0AbCdEf-gh"),
        ("{'state': 'Qm9vaz1rZXk', 'staff_id': 3}", "Qm9vaz1rZXk"),
        ('{"access_token": "opaque-value-123", "expires_in": 3599}', "opaque-value-123"),
        ("token=opaque-value-123&token_type_hint=refresh_token", "opaque-value-123"),
        ("Authorization: Bearer ya29.a0AfB_byC-1x2y3z", "ya29.a0AfB_byC-1x2y3z"),
        ("refresh 1//0gLmNoPqRsTuV-wxyz", "1//0gLmNoPqRsTuV-wxyz"),
        ("✉️ ann.customer+salon@example.org\n📍", "ann.customer+salon@example.org"),
        ("customer jörg@bücher.de booked", "jörg@bücher.de"),
        ("📱 +358401234567", "358401234567"),
        ("typed '+44 20 7946 0958'", "7946 0958"),
        ("typed +1 (555) 123-4567", "123-4567"),
        ("typed 0049 30 1234567", "1234567"),
        ("{'phone_number': '358401234567', 'user_id': 601}", "358401234567"),
    ],
)
def test_secrets_and_contacts_are_redacted(text: str, secret: str) -> None:
    assert secret not in redactor.redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "Processing update 735000001 for chat 601 (message_id=2, offset=735000002)",
        "Selecting conversation (601, 601) with state choosing",
        "{'language_code': 'en', 'date': 1796403749}",
        "Tue 24 Nov 2026, 13:00 (Europe/Helsinki) · 45.00 EUR",
        "web server listening on 127.0.0.1:8080",
        "callback data d:1:0:20261124",
        "AiohttpRequest(connect_timeout=5.0, read_timeout=5.0)",
    ],
)
def test_ids_times_and_ordinary_text_stay_readable(text: str) -> None:
    assert redactor.redact(text) == text


def test_configured_secrets_are_redacted_by_value() -> None:
    by_value = Redactor(["a-webhook-secret", "short"])
    assert by_value.redact("secret a-webhook-secret, short") == "secret <redacted>, short"


@given(
    local=st.from_regex(r"[A-Za-z0-9_+.-]{1,20}", fullmatch=True),
    domain=st.from_regex(r"[a-z0-9-]{1,12}(\.[a-z0-9-]{1,8}){1,3}", fullmatch=True),
    before=st.sampled_from(["", " ", "'", "(", "\n✉️ ", "e-mail: "]),
    after=st.sampled_from(["", " ", "'", ")", ", ", "\n"]),
)
def test_no_email_address_survives(local: str, domain: str, before: str, after: str) -> None:
    address = f"{local}@{domain}"
    assert "@" + domain not in redactor.redact(before + address + after)


@given(
    digits=st.from_regex(r"[1-9][0-9]{6,14}", fullmatch=True),
    separator=st.sampled_from(["", " ", "-", "."]),
    before=st.sampled_from(["", " ", "'", "📱 ", "phone: "]),
)
def test_no_international_phone_number_survives(digits: str, separator: str, before: str) -> None:
    grouped = separator.join(digits[i : i + 3] for i in range(0, len(digits), 3))
    redacted = redactor.redact(f"{before}+{grouped} ")
    assert digits not in redacted.replace(separator, "")


@pytest.fixture
def log_with_filter() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A private logger whose only handler has the redacting filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter(Redactor([TOKEN])))
    logger = logging.getLogger("tests.redaction")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield logger, stream
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


def test_the_handler_filter_redacts_arguments_tracebacks_and_stacks(
    log_with_filter: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = log_with_filter
    logger.debug("calling %s with %s", f"/bot{TOKEN}/getMe", {"email": "ann@example.org"})
    try:
        raise ValueError(
            f"could not reach https://t.me/x?start=connect_Secret123Secret123Secret123 for {TOKEN}"
        )
    except ValueError:
        logger.exception("failed for +358 40 123 4567")
    logger.warning("stack of %s", "ann@example.org", stack_info=True)
    logger.info("100%% sure: %d items", 3)
    text = stream.getvalue()
    for secret in (TOKEN, "ann@example.org", "Secret123Secret123", "123 4567"):
        assert secret not in text
    assert "calling /bot<redacted>/getMe" in text
    assert "ValueError: could not reach" in text and "Traceback" in text
    assert "100% sure: 3 items" in text


def test_a_record_whose_arguments_do_not_fit_is_still_written_redacted(
    log_with_filter: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = log_with_filter
    logger.error("two %s %s", f"only-one {TOKEN}")
    assert TOKEN not in stream.getvalue() and "only-one" in stream.getvalue()


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def kept() -> Iterator[_Kept]:
    """What PTB's and aiosqlite's loggers let through, with the source filters installed."""
    keep_payloads_out_of_logs([TOKEN])
    handler = _Kept()
    loggers = [logging.getLogger(n) for n in ("telegram.ext.ExtBot", "aiosqlite")]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
            logger.setLevel(logging.NOTSET)


def test_bot_api_payloads_are_summarised_at_the_source(kept: _Kept) -> None:
    ptb = logging.getLogger("telegram.ext.ExtBot")
    ptb.debug("Set Bot API URL: %s", f"https://api.telegram.org/bot{TOKEN}")
    ptb.debug(
        "Calling Bot API endpoint `%s` with parameters `%s`",
        "sendMessage",
        {"chat_id": 601, "text": "📱 358401234567, see https://t.me/b?start=connect_X1234567"},
    )
    ptb.debug(
        "Call to Bot API endpoint `%s` finished with return value `%s`",
        "getUpdates",
        [{"update_id": 7, "message": {"text": "ann@example.org"}}],
    )
    assert kept.messages == [
        "Set Bot API URL: https://api.telegram.org/bot<redacted>",
        "Calling Bot API endpoint `sendMessage` with parameters `{chat_id=601, text=<57 chars>}`",
        "Call to Bot API endpoint `getUpdates` finished with return value `updates [7]`",
    ]


def test_sql_is_logged_without_its_values(kept: _Kept) -> None:
    def execute(sql: str, values: tuple[object, ...]) -> None:
        return None

    call = functools.partial(
        execute, "INSERT INTO customers (phone, email) VALUES (?, ?)", ("+358401234567", "a@b.fi")
    )
    logging.getLogger("aiosqlite").debug("executing %s", call)
    assert kept.messages == [
        "executing execute('INSERT INTO customers (phone, email) VALUES (?, ?)')"
    ]


def test_configuring_again_replaces_the_handler() -> None:
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    try:
        first = configure_logging("INFO", stream=io.StringIO())
        second = configure_logging("DEBUG", stream=io.StringIO())
        assert second in root.handlers and first not in root.handlers
        assert root.level == logging.DEBUG
    finally:
        for handler in [h for h in root.handlers if h not in before]:
            root.removeHandler(handler)
        root.setLevel(level)
