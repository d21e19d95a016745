"""The `bookbot` command line: friendly errors, migrate, load-config, gen-key, doctor."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.cli import main
from bot.clock import SystemClock
from bot.crypto import check_key, generate_key
from tests.conftest import SALON
from tests.fakes.google import FakeGoogle
from tests.fakes.telegram import FakeTelegram

SETTINGS = (
    "TELEGRAM_BOT_TOKEN",
    "ADMIN_IDS",
    "GOOGLE_CLIENT_ID",
    "GOOGLE_CLIENT_SECRET",
    "TOKEN_ENCRYPTION_KEY",
    "PUBLIC_BASE_URL",
    "BUSINESS_TIMEZONE",
)


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return path


def _folder(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run each CLI test in an empty folder with no bookbot settings in the environment."""
    monkeypatch.chdir(tmp_path)
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "cli.db"))
    return tmp_path


def test_run_without_token_explains_botfather(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "@BotFather" in err and "TELEGRAM_BOT_TOKEN" in err and ".env" in err
    assert "Traceback" not in err
    # `bookbot` is not on the PATH after scripts/run: the message names what is.
    assert "scripts/run" in err and "`bookbot run`" not in err


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("abc", "has no ':'"),
        ("123:", "has nothing after the ':'"),
        ("123:AAE secret with spaces", "contains spaces"),
        ("bot123:AAEsecret", "does not start with the bot's number"),
        ("123:AAE/secret", "has characters a token never has"),
    ],
)
def test_run_with_malformed_token_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], token: str, reason: str
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9/bot")
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert f"TELEGRAM_BOT_TOKEN {reason}" in err and "@BotFather" in err
    assert "cannot reach" not in err and "Traceback" not in err
    assert "secret" not in err


def test_fresh_env_file_from_the_example_asks_for_a_token(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = Path(__file__).parents[2] / ".env.example"
    (clean_env / ".env").write_text(example.read_text())
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "@BotFather" in err and "rejected" not in err


def test_invalid_settings_are_explained(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BUSINESS_TIMEZONE", "Mars/Olympus")
    with pytest.raises(SystemExit) as exit_info:
        main(["migrate"])
    assert "BUSINESS_TIMEZONE" in str(exit_info.value) and "IANA" in str(exit_info.value)


def test_google_without_encryption_key_says_how_to_make_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:abc")
    monkeypatch.setenv("GOOGLE_CLIENT_ID", "id.apps.googleusercontent.com")
    monkeypatch.setenv("GOOGLE_CLIENT_SECRET", "shh")
    with pytest.raises(SystemExit) as exit_info:
        main(["run"])
    message = str(exit_info.value)
    assert "TOKEN_ENCRYPTION_KEY" in message and "bookbot gen-key" in message
    assert "shh" not in message


def test_migrate_and_load_config_are_idempotent(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate"]) == 0
    assert "migrated from version 0" in capsys.readouterr().out
    assert main(["migrate"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["load-config", str(SALON)]) == 0
    out = capsys.readouterr().out
    assert "loaded (services: 2 added; staff: 2 added; settings: 21 changed)" in out
    assert main(["load-config", str(SALON)]) == 0
    assert "nothing changed" in capsys.readouterr().out


def test_load_config_counts_what_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["load-config", str(SALON)]) == 0
    capsys.readouterr()
    text = SALON.read_text()
    beard = text.index('[[services]]\nid = "beard"')
    edited = tmp_path / "edited.toml"
    staff = (
        text[text.index("[[staff]]") :]
        .replace('services = ["cut", "beard"]', 'services = ["cut"]')
        .replace('sat = ["10:00-14:00"]', 'sat = ["10:00-15:00"]')
    )
    edited.write_text(text[:beard].replace("horizon_days = 14", "horizon_days = 21") + staff)
    assert main(["load-config", str(edited)]) == 0
    # Both staff changed (Anna lost a service, Ben's Saturday moved), counted once each.
    out = capsys.readouterr().out
    assert "loaded (services: 1 deactivated; staff: 2 changed; settings: 1 changed)" in out


def test_load_config_if_empty_loads_only_into_an_empty_database(
    capsys: pytest.CaptureFixture[str],
) -> None:
    example = Path(__file__).parents[2] / "examples" / "business.toml"
    assert main(["load-config", "--if-empty", str(SALON)]) == 0
    assert "loaded (services: 2 added" in capsys.readouterr().out
    assert main(["load-config", "--if-empty", str(example)]) == 0
    assert "not loaded" in capsys.readouterr().out
    assert main(["load-config", str(SALON)]) == 0
    assert "nothing changed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d: d / "missing.toml", "no such file"),
        (lambda d: _folder(d / "setup"), "is a folder"),
        (lambda d: _write(d / "photo.toml", bytes(range(256))), "not UTF-8"),
        (lambda d: _write(d / "deep.toml", b"a = " + b"[" * 50_000), "nested too deeply"),
    ],
)
def test_load_config_explains_unreadable_files(
    clean_env: Path,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[Path], Path],
    reason: str,
) -> None:
    path = make(clean_env / "files")
    assert main(["load-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert reason in err and "Traceback" not in err
    assert not (clean_env / "cli.db").exists()  # refused before the database is touched


def test_load_config_reports_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    shutil.copy(SALON, bad)
    bad.write_text(bad.read_text().replace("duration_minutes = 60", "duration_minutes = -5"))
    assert main(["load-config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert 'service "cut": duration_minutes' in err and "Traceback" not in err


def test_gen_key_prints_a_valid_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gen-key"]) == 0
    key = capsys.readouterr().out.strip()
    assert check_key(key) is None


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


async def test_run_with_rejected_token_or_busy_port_explains(
    tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", tg.base_url)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:wrong")
    assert await asyncio.to_thread(main, ["run"]) == 2
    err = capsys.readouterr().err
    assert "Telegram rejected TELEGRAM_BOT_TOKEN" in err and "Traceback" not in err

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", tg.token)
    monkeypatch.setenv("WEB_PORT", str(tg.port))  # already taken by the emulator
    assert await asyncio.to_thread(main, ["run"]) == 2
    err = capsys.readouterr().err
    assert "set WEB_PORT to a free one" in err and "Traceback" not in err


async def test_doctor_all_good(
    tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", tg.token)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", tg.base_url)
    monkeypatch.setenv("ADMIN_IDS", "1001")
    assert await asyncio.to_thread(main, ["load-config", str(SALON)]) == 0
    assert await asyncio.to_thread(main, ["doctor"]) == 0
    out = capsys.readouterr().out
    assert "✔ Telegram accepts the token: the bot is @bookbot_test_bot" in out
    assert "✔ ADMIN_IDS: 1 admin(s)" in out
    assert "✔ 2 active services, 2 active staff" in out
    assert "✘" not in out


async def test_doctor_without_admins_or_business_says_what_to_do(
    tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", tg.token)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", tg.base_url)
    assert await asyncio.to_thread(main, ["migrate"]) == 0
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["doctor"]) == 1
    out = capsys.readouterr().out
    assert "✘ ADMIN_IDS is not set: nobody can /invite staff" in out
    assert "fix: put your Telegram user id in .env as ADMIN_IDS=" in out
    assert "✘ no active service and staff member: customers cannot book" in out
    assert "fix: run `bookbot load-config your-business.toml`" in out


@pytest.mark.parametrize(
    ("token", "reason"),
    [("abc", "has no ':'"), ("123:", "has nothing after"), ("123:a b", "contains spaces")],
)
async def test_doctor_calls_a_malformed_token_malformed(
    tg: FakeTelegram,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    token: str,
    reason: str,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", tg.base_url)
    assert await asyncio.to_thread(main, ["doctor"]) == 1
    out = capsys.readouterr().out
    assert f"✘ TELEGRAM_BOT_TOKEN is malformed: it {reason}" in out
    assert "fix: copy the whole token from @BotFather" in out
    assert "unreachable" not in out and "rejects" not in out


async def test_doctor_names_each_problem_and_its_fix(
    tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # doctor runs on the system clock, as `bookbot doctor` does; so does the emulator here.
    async with FakeGoogle(clock=SystemClock()) as google:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:wrong")
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", tg.base_url)
        monkeypatch.setenv("GOOGLE_CLIENT_ID", google.client_id)
        monkeypatch.setenv("GOOGLE_CLIENT_SECRET", google.client_secret)
        monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", generate_key())
        monkeypatch.setenv("PUBLIC_BASE_URL", "http://bookings.example.com")
        monkeypatch.setenv("GOOGLE_OAUTH_TOKEN_URI", google.token_uri)
        monkeypatch.setenv("GOOGLE_OAUTH_AUTH_URI", google.auth_uri)
        monkeypatch.setenv("GOOGLE_OAUTH_REVOKE_URI", google.revoke_uri)
        monkeypatch.setenv("GOOGLE_API_ROOT_URL", "http://127.0.0.1:9/")
        assert await asyncio.to_thread(main, ["load-config", str(SALON)]) == 0
        capsys.readouterr()
        assert await asyncio.to_thread(main, ["doctor"]) == 1
    out = capsys.readouterr().out
    assert "✘ OAuth redirect URI http://bookings.example.com/oauth2/callback is not https" in out
    assert "✘ Telegram rejects TELEGRAM_BOT_TOKEN" in out
    assert "✔ GOOGLE_OAUTH_TOKEN_URI reachable" in out
    assert "✘ GOOGLE_API_ROOT_URL" in out and "unreachable" in out
    assert "✘ Anna: not linked to Telegram" in out and "fix: /invite Anna" in out
    assert google.client_secret not in out


@pytest.mark.parametrize(
    ("make_path", "says"),
    [
        (lambda tmp: _folder(tmp / "db-folder"), "is a folder, not a database file"),
        (lambda tmp: _write(tmp / "x" / "notes.db", b"plain text " * 200), "not a database"),
        (lambda tmp: _write(tmp / "y" / "file", b"") / "inside" / "bookbot.db", "cannot create"),
    ],
    ids=["folder", "not-sqlite", "parent-is-a-file"],
)
@pytest.mark.parametrize("command", [["migrate"], ["load-config", str(SALON)]])
def test_unusable_database_path_is_explained(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    make_path: Callable[[Path], Path],
    says: str,
    command: list[str],
) -> None:
    import threading

    before = set(threading.enumerate())
    monkeypatch.setenv("DATABASE_PATH", str(make_path(tmp_path)))
    assert main(command) == 2
    err = capsys.readouterr().err
    assert says in err and "DATABASE_PATH" in err
    assert "Traceback" not in err
    # An SQLite connection left open would keep its thread, and the process, alive.
    for thread in set(threading.enumerate()) - before:
        thread.join(timeout=5)
        assert not thread.is_alive()
