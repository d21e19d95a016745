"""`bookbot run` with LOG_LEVEL=DEBUG: the command's own log setup keeps the token out of
stderr while python-telegram-bot's DEBUG lines (which name the API URL) are written."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.cli import main
from tests.fakes.telegram import FakeTelegram


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """The Bot API emulator, on the wall clock as `bookbot run` is."""
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def restored_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)


@pytest.mark.usefixtures("restored_root_logger")
async def test_run_at_debug_logs_no_token(
    tg: FakeTelegram,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "cli.db"))
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", tg.base_url)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", tg.token)
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("WEB_PORT", str(tg.port))  # taken: the bot starts, then stops with 2
    assert await asyncio.to_thread(main, ["run"]) == 2
    err = capsys.readouterr().err
    assert "set WEB_PORT to a free one" in err
    assert "DEBUG telegram.ext.ExtBot: Set Bot API URL: " in err
    assert "Calling Bot API endpoint `getMe`" in err
    assert tg.token not in err and tg.token.split(":", 1)[1] not in err
