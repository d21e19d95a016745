"""`python -m bot` runs as a real process: help, usage errors, gen-key and migrate need no token,
and `run` without one explains where to get it, through the process's exit status."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.crypto import check_key

SUBCOMMANDS = ("run", "migrate", "load-config", "gen-key", "doctor")


def _bot(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` in a folder without a .env and with no bookbot settings set."""
    env = {"PATH": os.environ.get("PATH", ""), "DATABASE_PATH": str(cwd / "bookbot.db")}
    return subprocess.run(  # noqa: S603 - our own interpreter and module, fixed arguments
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help_exits_zero_and_lists_the_commands(tmp_path: Path) -> None:
    done = _bot(tmp_path, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: bookbot")
    for command in SUBCOMMANDS:
        assert command in done.stdout
    assert "Traceback" not in done.stderr


def test_no_command_is_a_usage_error(tmp_path: Path) -> None:
    done = _bot(tmp_path)
    assert done.returncode == 2
    assert "usage: bookbot" in done.stderr and "Traceback" not in done.stderr


def test_gen_key_and_migrate_need_no_token(tmp_path: Path) -> None:
    done = _bot(tmp_path, "gen-key")
    assert done.returncode == 0, done.stderr
    assert check_key(done.stdout.strip()) is None
    done = _bot(tmp_path, "migrate")
    assert done.returncode == 0, done.stderr
    assert "migrated from version 0" in done.stdout
    assert (tmp_path / "bookbot.db").exists()


def test_run_without_token_exits_with_status_2(tmp_path: Path) -> None:
    done = _bot(tmp_path, "run")
    assert done.returncode == 2
    assert "@BotFather" in done.stderr and "Traceback" not in done.stderr
