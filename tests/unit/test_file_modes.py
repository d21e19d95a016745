"""Files holding secrets or personal data are private to their owner: the database (and its
-wal/-shm files) and `.env` are created 0600 whatever the umask, and `bookbot doctor` warns,
with the chmod that fixes it, when either is open to other users."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.doctor import run_doctor
from storage.db import Database
from storage.migrate import migrate

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """The common default umask 022, under which new files are world-readable."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("permissive_umask")
async def test_a_new_database_and_its_wal_and_shm_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / "bookbot.db"
    db = await Database.open(path)
    try:
        await migrate(db)
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO settings (key, value) VALUES ('probe', '1')")
        files = [path, path.with_name("bookbot.db-wal"), path.with_name("bookbot.db-shm")]
        assert all(f.is_file() for f in files), list(path.parent.iterdir())
        assert {f.name: oct(_mode(f)) for f in files} == {f.name: "0o600" for f in files}
    finally:
        await db.close()


async def test_an_existing_database_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "bookbot.db"
    path.touch()
    path.chmod(0o640)  # the owner chose to share it with a backup group
    db = await Database.open(path)
    await db.close()
    assert _mode(path) == 0o640


def _settings(db_path: Path) -> Settings:
    """Offline settings: no token (no network call), no Google."""
    return Settings(_env_file=None, database_path=db_path)  # type: ignore[call-arg]


async def test_doctor_warns_about_files_others_can_read_and_says_how_to_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # doctor looks for .env where bookbot runs
    env = tmp_path / ".env"
    env.write_text("TELEGRAM_BOT_TOKEN=\n")
    env.chmod(0o644)
    db_path = tmp_path / "my bookings.db"
    db = await Database.open(db_path)
    await migrate(db)
    await db.close()
    db_path.chmod(0o604)

    lines = [check.line() for check in await run_doctor(_settings(db_path))]
    env_line = next(line for line in lines if line.startswith("✘ .env"))
    assert "other users (mode 644)" in env_line and "fix: chmod 600 .env" in env_line
    db_line = next(line for line in lines if line.startswith(f"✘ {db_path} "))
    assert "(mode 604)" in db_line and f"fix: chmod 600 '{db_path}'" in db_line

    env.chmod(0o600)
    db_path.chmod(0o600)
    lines = [check.line() for check in await run_doctor(_settings(db_path))]
    assert not any("other users" in line for line in lines), lines
    assert any(line.startswith("✔ .env, ") and "owner only" in line for line in lines), lines


@pytest.mark.usefixtures("permissive_umask")
def test_scripts_run_creates_env_owner_only(tmp_path: Path) -> None:
    """scripts/run in a copy of the project, with stand-ins for the virtualenv's programs."""
    (tmp_path / "scripts").mkdir()
    shutil.copy2(REPO / "scripts" / "run", tmp_path / "scripts" / "run")
    shutil.copy2(REPO / ".env.example", tmp_path / ".env.example")
    (tmp_path / ".env.example").chmod(0o644)
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for program in ("python", "bookbot"):
        stand_in = bin_dir / program
        stand_in.write_text("#!/bin/sh\nexit 0\n")
        stand_in.chmod(0o755)
    bash = shutil.which("bash")
    assert bash is not None
    done = subprocess.run(  # noqa: S603 - a fixed script in a temporary folder
        [bash, str(tmp_path / "scripts" / "run")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    env = tmp_path / ".env"
    assert env.read_text() == (REPO / ".env.example").read_text()
    assert _mode(env) == 0o600
