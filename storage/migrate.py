"""Versioned SQL migrations: `storage/migrations/NNNN_name.sql`, tracked in `user_version`."""

from __future__ import annotations

import importlib.resources
import re
from dataclasses import dataclass

from storage.db import Database

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    """One migration file."""

    version: int
    name: str
    sql: str


@dataclass(frozen=True, slots=True)
class MigrationResult:
    """What a migration run did."""

    from_version: int
    to_version: int


def available_migrations() -> list[Migration]:
    """All migrations shipped with the package, in version order."""
    folder = importlib.resources.files("storage") / "migrations"
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migration versions must be 1..N without gaps, got {versions}")
    return found


async def current_version(db: Database) -> int:
    """The schema version recorded in the database file."""
    async with db.reader.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def migrate(db: Database, *, target: int | None = None) -> MigrationResult:
    """Apply every pending migration (up to `target`), each in its own transaction."""
    conn = db.writer_for_migrations
    migrations = available_migrations()
    latest = migrations[-1].version if migrations else 0
    goal = latest if target is None else target
    if goal > latest:
        raise ValueError(f"no migration {goal}; latest is {latest}")
    start = await current_version(db)
    if start > latest:
        raise RuntimeError(
            f"database schema version {start} is newer than this bookbot ({latest}); "
            "upgrade bookbot"
        )
    for migration in migrations:
        if start < migration.version <= goal:
            script = (
                f"BEGIN IMMEDIATE;\n{migration.sql}\n"
                f"PRAGMA user_version={migration.version};\nCOMMIT;"
            )
            try:
                await conn.executescript(script)
            except Exception:
                if conn.in_transaction:
                    await conn.execute("ROLLBACK")
                raise
    return MigrationResult(start, max(start, goal))
