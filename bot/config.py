"""Settings from the environment and `.env`, validated once at start and frozen.

Every setting is listed with a comment in `.env.example`. Google is optional: without
`GOOGLE_CLIENT_ID` the bot runs without calendar sync.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.crypto import check_key

DEFAULT_TELEGRAM_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_GOOGLE_AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
DEFAULT_GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL
DEFAULT_GOOGLE_REVOKE_URI = "https://oauth2.googleapis.com/revoke"
DEFAULT_GOOGLE_API_ROOT_URL = "https://www.googleapis.com/"

# What @BotFather gives: the bot's numeric id, a colon, then letters, digits, - and _.
_TOKEN_FORMAT = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")

BOTFATHER_COPY_HINT = (
    "copy the whole token from @BotFather (send /mybots there, pick your bot, then "
    "'API Token') into .env as the line TELEGRAM_BOT_TOKEN=<token>"
)


def token_problem(token: str) -> str | None:
    """Why a bot token cannot be one @BotFather gave, or None if it has the right form.

    The reason never quotes the token: it is a secret.
    """
    if _TOKEN_FORMAT.fullmatch(token):
        return None
    if any(character.isspace() for character in token):
        return "contains spaces or line breaks"
    if ":" not in token:
        return "has no ':' (a token looks like 123456789:AAE...)"
    bot_id, _, secret = token.partition(":")
    if not bot_id.isascii() or not bot_id.isdigit():
        return "does not start with the bot's number (a token looks like 123456789:AAE...)"
    if not secret:
        return "has nothing after the ':' (a token looks like 123456789:AAE...)"
    return "has characters a token never has (only letters, digits, '-' and '_' after the ':')"


class Settings(BaseSettings):
    """All runtime settings of one bookbot instance."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = DEFAULT_TELEGRAM_API_BASE_URL
    telegram_api_file_url: str | None = None
    database_path: Path = Path("./bookbot.db")
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    business_timezone: str = "UTC"
    log_level: str = "INFO"
    # Overall cap on messages and edits (PTB's AIORateLimiter counts every call with a
    # chat_id). Off by default: Telegram's ~30/s is for bulk notifications to many users,
    # not replies (core.telegram.org/bots/faq); a cap of 30 held 50 customers 1.7 s a step.
    # Per group 20/min and 429 retry_after retries stay on (bot/app.py).
    telegram_max_messages_per_second: float = Field(default=0, ge=0)
    telegram_poll_timeout: int = Field(default=30, ge=0, le=50)
    telegram_webhook: bool = False
    telegram_webhook_secret: SecretStr | None = None

    google_client_id: str | None = None
    google_client_secret: SecretStr | None = None
    public_base_url: str = "http://localhost:8080"
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=0, le=65535)
    token_encryption_key: SecretStr | None = None
    google_oauth_auth_uri: str = DEFAULT_GOOGLE_AUTH_URI
    google_oauth_token_uri: str = DEFAULT_GOOGLE_TOKEN_URI
    google_oauth_revoke_uri: str = DEFAULT_GOOGLE_REVOKE_URI
    google_api_root_url: str = DEFAULT_GOOGLE_API_ROOT_URL
    invite_ttl_days: int = Field(default=7, ge=1, le=90)
    # Google busy time (bot/sync/busy.py): how long a staff member's free/busy answer is
    # reused, how long browsing waits for Google, and how long Confirm waits for fresh data.
    google_busy_cache_seconds: float = Field(default=60, ge=0, le=3600)
    google_busy_push_cache_seconds: float = Field(default=600, ge=0, le=6 * 3600)
    google_busy_timeout_seconds: float = Field(default=5, gt=0, le=60)
    google_confirm_timeout_seconds: float = Field(default=2, gt=0, le=60)
    # The outbox worker (bot/sync/outbox_worker.py): how often it looks for due rows when
    # nothing woke it, Calendar requests per second per staff account (Google's per-user
    # quota is far higher; staying well under it avoids 403 rateLimitExceeded storms),
    # attempts before a change becomes a dead letter, and how long a claim is leased.
    outbox_poll_seconds: float = Field(default=1.0, gt=0, le=3600)
    google_requests_per_second: float = Field(default=5.0, gt=0, le=1000)
    outbox_max_attempts: int = Field(default=10, ge=1, le=100)
    outbox_lease_seconds: int = Field(default=120, ge=2, le=3600)
    google_request_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    # Google -> bot sync: how often each destination calendar is polled (calendars with a
    # live push channel are not polled), and whether push may use http on a loopback host
    # (Google itself delivers only to https; this is for the emulator and local tests).
    google_sync_interval_seconds: float = Field(default=60, ge=1, le=3600)
    google_push_allow_http_loopback: bool = False
    # Messages that are not replies (reminders, agendas, staff messages, notices) go out of
    # a queue within their own budget: messages per second overall (Telegram allows about 30
    # for bulk notifications; the rest is left to replies), seconds between two messages to
    # one chat (about 1 a second), and how often the queue is looked at.
    notify_messages_per_second: float = Field(default=28, gt=0, le=1000)
    notify_chat_interval_seconds: float = Field(default=1.0, ge=0, le=60)
    notify_poll_seconds: float = Field(default=1.0, gt=0, le=3600)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError as err:
                raise ValueError(
                    "ADMIN_IDS must be numeric Telegram user ids separated by commas"
                ) from err
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("business_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as err:
            raise ValueError(
                f"{value!r} is not an IANA time zone name (e.g. Europe/Helsinki)"
            ) from err
        return value

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return upper

    @field_validator(
        "telegram_api_base_url",
        "public_base_url",
        "google_oauth_auth_uri",
        "google_oauth_token_uri",
        "google_oauth_revoke_uri",
        "google_api_root_url",
    )
    @classmethod
    def _check_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @model_validator(mode="after")
    def _google_needs_secrets(self) -> Settings:
        if not self.google_client_id:
            return self
        if self.google_client_secret is None:
            raise ValueError("GOOGLE_CLIENT_SECRET is required when GOOGLE_CLIENT_ID is set")
        if self.token_encryption_key is None:
            raise ValueError(
                "TOKEN_ENCRYPTION_KEY is required when GOOGLE_CLIENT_ID is set: Google tokens "
                "are stored encrypted. Make one with `bookbot gen-key` and put it in .env as "
                "TOKEN_ENCRYPTION_KEY=<key>"
            )
        problem = check_key(self.token_encryption_key.get_secret_value())
        if problem is not None:
            raise ValueError(f"TOKEN_ENCRYPTION_KEY: {problem} (make one with `bookbot gen-key`)")
        return self

    @property
    def google_enabled(self) -> bool:
        """Whether Google Calendar integration is configured."""
        return bool(self.google_client_id)

    @property
    def oauth_redirect_uri(self) -> str:
        """The redirect URI to register in the Google Cloud console."""
        return self.public_base_url.rstrip("/") + "/oauth2/callback"

    @property
    def webhook_url(self) -> str:
        """Where Telegram delivers updates in webhook mode."""
        return self.public_base_url.rstrip("/") + "/telegram"

    @property
    def api_root_url(self) -> str:
        """Google API root URL with exactly one trailing slash."""
        return self.google_api_root_url.rstrip("/") + "/"
