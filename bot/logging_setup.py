"""The bot's logging: what LOG_LEVEL turns on, and what never reaches a log at any level.

Never logged: the bot token, Google tokens and secrets, staff invite links (``connect_...``),
OAuth states and codes, customers' phone numbers and e-mail addresses. Two lines of defence:

1. At the source. Libraries that log whole payloads at DEBUG get a filter on their own
   loggers (it applies whatever handler is attached): python-telegram-bot logs every Bot API
   call with its parameters and result, every update and the API URL (which holds the token);
   each payload becomes a summary (parameter names, ids, lengths). aiosqlite logs every SQL
   call with its values; only the statement is kept. oauthlib and requests-oauthlib log token
   requests and responses; they are held at INFO. bookbot's own modules log ids, never contents.
2. At the handler. :class:`RedactingFilter` on the bot's log handler rewrites every record
   (message, arguments, traceback) with :class:`Redactor`: the configured secrets by value,
   and anything shaped like a bot token, a Google token, an invite payload, an OAuth
   ``state``/``code``, a phone number or an e-mail address.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import Iterable, Mapping
from typing import TextIO

from bot.config import Settings

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "<redacted>"

# Loggers of python-telegram-bot that log Bot API payloads, updates or the API URL.
TELEGRAM_LOGGERS = (
    "telegram.Bot",
    "telegram.ext.ExtBot",
    "telegram.ext.Application",
    "telegram.ext.Updater",
    "telegram.request.BaseRequest",
)
# Bot API parameters whose text values are shown (everything else: its length only).
_VISIBLE_STRINGS = frozenset({"parse_mode", "callback_query_id", "action"})
SQL_LOGGER = "aiosqlite"
OAUTH_LOGGERS = ("oauthlib", "requests_oauthlib")

# Names of fields whose values are secret or personal.
_SECRET_KEYS = "|".join(
    (
        "state",
        "code",
        "code_verifier",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
        "secret_token",
        "phone_number",
        "email",
    )
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Telegram bot token: the bot's numeric id, a colon, 35 URL-safe characters.
    (re.compile(r"(?<![0-9])[0-9]{5,}:[A-Za-z0-9_-]{30,}"), "<bot-token>"),
    # Google access tokens (ya29.) and refresh tokens (1//).
    (re.compile(r"\bya29\.[\w.-]+|(?<![\w/])1//[\w.-]+"), "<google-token>"),
    # Staff invite deep-link payloads (32 characters), in a t.me link or typed after /start;
    # not names like connect_timeout.
    (re.compile(r"connect_[A-Za-z0-9_-]{12,}"), "connect_" + REDACTED),
    # key=value in URLs and forms: ?state=...&code=...
    (re.compile(rf"(?<![\w-])((?:{_SECRET_KEYS})=)[^&\s'\"#]+", re.IGNORECASE), r"\1" + REDACTED),
    # 'key': 'value' and "key": "value" in reprs and JSON.
    (
        re.compile(
            rf"""(?<![\w-])((?:{_SECRET_KEYS})['"]?\s*[:=]\s*['"])[^'"]*(['"])""", re.IGNORECASE
        ),
        r"\1" + REDACTED + r"\2",
    ),
    # E-mail addresses (internationalized too: \w is Unicode).
    (re.compile(r"[\w.!#$%&*+/=?^{|}~-]+@[\w-]+(?:\.[\w-]+)+"), "<e-mail>"),
    # International phone numbers: +CC... or 00CC..., 7 to 15 digits, common separators.
    (re.compile(r"(?<![\w+])(?:\+|\b00)[1-9](?:[ ().-]{0,2}[0-9]){6,14}(?![0-9])"), "<phone>"),
)


class Redactor:
    """Rewrites text so that no secret or personal contact is left in it."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret containing another is replaced whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """The text with every configured secret and every sensitive-looking value replaced."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


class RedactingFilter(logging.Filter):
    """A handler filter that redacts each record's message, arguments, traceback and stack."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        redact = self._redactor.redact
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a record whose arguments do not fit its message
            message = f"{record.msg} {record.args}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class _TelegramPayloads(logging.Filter):
    """On PTB's loggers: parameters, results and updates become summaries; text is redacted."""

    def __init__(self, redactor: Redactor, telegram_object: type) -> None:
        super().__init__()
        self._redactor = redactor
        self._telegram_object = telegram_object

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = self._redactor.redact(record.msg)
        if isinstance(record.args, Mapping):
            record.args = {key: self._summary(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(self._summary(arg) for arg in record.args)
        return True

    def _summary(self, value: object) -> object:
        if isinstance(value, str):
            return self._redactor.redact(value)
        if isinstance(value, self._telegram_object):
            update_id = getattr(value, "update_id", None)
            kind = type(value).__name__
            return f"{kind} {update_id}" if update_id is not None else f"<{kind}>"
        if isinstance(value, Mapping):
            return "{" + ", ".join(f"{k}={_scalar(v, k)}" for k, v in value.items()) + "}"
        if isinstance(value, list | tuple):
            if all(isinstance(item, int) for item in value):
                return repr(list(value))  # update ids
            ids = [item.get("update_id") for item in value if isinstance(item, Mapping)]
            if ids and None not in ids:
                return f"updates {ids}"
            return f"<{len(value)} items>"
        if isinstance(value, bytes | bytearray):
            return f"<{len(value)} bytes>"
        return value


def _scalar(value: object, key: object = None) -> str:
    """Numbers and flags as they are (ids, offsets, limits), a few harmless strings too;
    anything else by size or type."""
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    if isinstance(value, str):
        return str(value) if key in _VISIBLE_STRINGS else f"<{len(value)} chars>"
    return f"<{type(value).__name__}>"


class _SqlWithoutValues(logging.Filter):
    """On aiosqlite's logger: a call is logged as its SQL statement, without the values."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_statement(arg) for arg in record.args)
        return True


def _statement(value: object) -> object:
    if not isinstance(value, functools.partial):
        return value
    name = getattr(value.func, "__name__", "call")
    sql = next((arg for arg in value.args if isinstance(arg, str)), None)
    return f"{name}({sql!r})" if sql is not None else f"{name}(...)"


def keep_payloads_out_of_logs(secrets: Iterable[str] = ()) -> None:
    """Install the source-side filters on the libraries' loggers (again: replaces them)."""
    from telegram import TelegramObject  # imported here: `bookbot gen-key` needs no PTB

    redactor = Redactor(secrets)
    for name in TELEGRAM_LOGGERS:
        _replace_filter(logging.getLogger(name), _TelegramPayloads(redactor, TelegramObject))
    _replace_filter(logging.getLogger(SQL_LOGGER), _SqlWithoutValues())
    for name in OAUTH_LOGGERS:
        library = logging.getLogger(name)
        if library.getEffectiveLevel() < logging.INFO:
            library.setLevel(logging.INFO)


def _replace_filter(logger: logging.Logger, new: logging.Filter) -> None:
    for old in [f for f in logger.filters if type(f) is type(new)]:
        logger.removeFilter(old)
    logger.addFilter(new)


_installed: logging.Handler | None = None


def configure_logging(
    level: str, *, secrets: Iterable[str] = (), stream: TextIO | None = None
) -> logging.Handler:
    """The bot's log setup: one handler (stderr) with the redacting filter, at `level`.

    Calling it again replaces the handler it installed before.
    """
    global _installed
    secrets = list(secrets)
    keep_payloads_out_of_logs(secrets)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(RedactingFilter(Redactor(secrets)))
    root = logging.getLogger()
    if _installed is not None:
        root.removeHandler(_installed)
    root.addHandler(handler)
    root.setLevel(level)
    _installed = handler
    return handler


def secrets_of(settings: Settings) -> list[str]:
    """The secret settings' clear-text values (each key of a rotation list on its own)."""
    found = []
    for secret in (
        settings.telegram_bot_token,
        settings.telegram_webhook_secret,
        settings.google_client_secret,
        settings.token_encryption_key,
    ):
        if secret is not None:
            found += [part for part in secret.get_secret_value().split(",") if part]
    return found
