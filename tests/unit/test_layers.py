"""Arrows point one way: handlers -> bot -> storage; only the composition root (bot/app.py)
imports handlers/ from bot/; bot/domain imports nothing else of the project; storage/ knows
nothing of bot/ or handlers/."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _offenders(package: str, forbidden: tuple[str, ...], allowed: set[str]) -> list[str]:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative in allowed:
            continue
        for module in _imports(path):
            if module.split(".")[0] in forbidden or module in forbidden:
                bad.append(f"{relative} imports {module}")
    return bad


def test_only_the_composition_root_imports_handlers_from_bot() -> None:
    assert _offenders("bot", ("handlers",), {"bot/app.py"}) == []


def test_storage_knows_nothing_of_bot_or_handlers() -> None:
    assert _offenders("storage", ("bot", "handlers"), set()) == []


def test_domain_imports_nothing_else_of_the_project() -> None:
    offenders = [
        line
        for line in _offenders("bot/domain", ("bot", "handlers", "storage"), set())
        if " imports bot.domain" not in line
    ]
    assert offenders == []


def test_the_checker_sees_an_offending_import(tmp_path: Path) -> None:
    module = tmp_path / "offender.py"
    module.write_text("from handlers.notices import render\nimport storage.db\n")
    assert _imports(module) == {"handlers.notices", "storage.db"}
