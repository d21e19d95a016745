"""scripts/run's decisions, with the virtualenv's `python` and `bookbot` replaced by recorders.

The real commands are tested elsewhere (tests/unit/test_cli.py); here only what the script
runs, in which order, and with which setup file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
RECORDER = """#!/bin/sh
echo "$(basename "$0") $*" >> "$CALLS"
case "$*" in *broken.toml*) exit 2 ;; esac
exit 0
"""


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """A checkout with scripts/run whose .venv/bin/python and bookbot only record calls."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "run", tmp_path / "scripts" / "run")
    shutil.copy(ROOT / ".env.example", tmp_path / ".env.example")
    venv = tmp_path / ".venv" / "bin"
    venv.mkdir(parents=True)
    for name in ("python", "bookbot"):
        (venv / name).write_text(RECORDER)
        (venv / name).chmod(0o755)
    return tmp_path


def _run(sandbox: Path, business_file: str | None = None) -> tuple[int, list[str]]:
    calls = sandbox / "calls.log"
    calls.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in {"BUSINESS_FILE", "PYTHONWARNINGS"}}
    env["CALLS"] = str(calls)
    if business_file is not None:
        env["BUSINESS_FILE"] = business_file
    done = subprocess.run(  # noqa: S603 - our own script
        ["bash", str(sandbox / "scripts" / "run")],  # noqa: S607
        env=env,
        capture_output=True,
        check=False,
        timeout=60,
    )
    return done.returncode, calls.read_text().splitlines()


def _bookbot(calls: list[str]) -> list[str]:
    return [c.removeprefix("bookbot ") for c in calls if c.startswith("bookbot ")]


def test_example_is_loaded_only_into_an_empty_database(sandbox: Path) -> None:
    for _ in range(2):
        code, calls = _run(sandbox)
        assert code == 0
        # The database decides (a business already there is kept), not a marker file.
        assert _bookbot(calls) == [
            "migrate",
            "load-config --if-empty examples/business.toml",
            "run",
        ]
    assert (sandbox / ".env").exists()


def test_an_explicit_business_file_is_loaded_on_every_run(sandbox: Path) -> None:
    assert _run(sandbox)[0] == 0
    for _ in range(2):
        code, calls = _run(sandbox, "mine.toml")
        assert code == 0
        assert _bookbot(calls) == ["migrate", "load-config mine.toml", "run"]


def test_a_file_that_does_not_load_stops_the_run(sandbox: Path) -> None:
    code, calls = _run(sandbox, "broken.toml")
    assert code == 2
    assert _bookbot(calls) == ["migrate", "load-config broken.toml"]


def test_the_editable_install_warning_is_silenced(sandbox: Path) -> None:
    recorder = sandbox / ".venv" / "bin" / "python"
    recorder.write_text(RECORDER.replace("$*", "PYTHONWARNINGS=$PYTHONWARNINGS $*", 1))
    _, calls = _run(sandbox)
    installs = [c for c in calls if "pip install --quiet -e ." in c]
    assert installs == [
        "python PYTHONWARNINGS=ignore:Editable installation -m pip install --quiet -e ."
    ]
