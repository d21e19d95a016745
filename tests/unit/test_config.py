"""Settings: validation messages, defaults, and `.env.example` listing every setting."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.config import Settings, token_problem

EXAMPLE = Path(__file__).parents[2] / ".env.example"


def make(**values: Any) -> Settings:
    """Settings from keyword values only (no .env file)."""
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_env_example_lists_every_setting_with_a_comment() -> None:
    text = EXAMPLE.read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, flags=re.M))
    fields = {name.upper() for name in Settings.model_fields}
    assert listed == fields
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^[A-Z][A-Z0-9_]+=", line):
            assert lines[i - 1].startswith("#"), f"{line} has no comment above it"


def test_defaults() -> None:
    settings = make()
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.database_path == Path("bookbot.db")
    assert not settings.google_enabled
    assert settings.oauth_redirect_uri == "http://localhost:8080/oauth2/callback"


def test_admin_ids_parse() -> None:
    settings = make(admin_ids="1, 22;333")
    assert settings.admin_ids == frozenset({1, 22, 333})
    with pytest.raises(ValidationError, match="numeric Telegram user ids"):
        make(admin_ids="alice")


def test_bad_timezone_and_url() -> None:
    with pytest.raises(ValidationError, match="IANA"):
        make(business_timezone="Mars/Base")
    with pytest.raises(ValidationError, match="IANA"):
        make(business_timezone="a" * 5000)  # longer than a file name may be
    with pytest.raises(ValidationError, match="http"):
        make(telegram_api_base_url="ftp://x")


def test_google_needs_secret_and_key() -> None:
    with pytest.raises(ValidationError, match="GOOGLE_CLIENT_SECRET"):
        make(google_client_id="id")
    with pytest.raises(ValidationError, match="bookbot gen-key"):
        make(google_client_id="id", google_client_secret="s")
    with pytest.raises(ValidationError, match="TOKEN_ENCRYPTION_KEY"):
        make(
            google_client_id="id",
            google_client_secret="s",
            token_encryption_key="not-a-key",
        )


def test_env_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / ".env"
    env.write_text("TELEGRAM_BOT_TOKEN=1:abc\nADMIN_IDS=5\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.delenv("ADMIN_IDS", raising=False)
    settings = Settings()
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == "1:abc"
    assert settings.admin_ids == frozenset({5})


@pytest.mark.parametrize("token", ["123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11", "1:a", "7:_-_"])
def test_well_formed_tokens(token: str) -> None:
    assert token_problem(token) is None


@pytest.mark.parametrize(
    "token",
    ["", "abc", "123:", ":abc", "123:abc def", " 123:abc", "123:abc\n", "１２３:abc", "1:a:b"],
)
def test_malformed_tokens_are_named_without_quoting_them(token: str) -> None:
    problem = token_problem(token)
    assert problem is not None
    assert "abc" not in problem
