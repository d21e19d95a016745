"""Every storage connection runs with WAL, enforced foreign keys and a busy timeout, so a second
writer (another process: `bookbot load-config` while the bot runs) waits instead of failing."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from storage.db import BUSY_TIMEOUT_MS, Database
from storage.migrate import migrate


async def _first(conn: aiosqlite.Connection, sql: str) -> object:
    async with conn.execute(sql) as cur:
        row = await cur.fetchone()
    assert row is not None
    return row[0]


async def _pragma(conn: aiosqlite.Connection, name: str) -> object:
    return await _first(conn, f"PRAGMA {name}")


@pytest.mark.parametrize("which", ["writer", "reader"])
async def test_each_connection_is_configured(db: Database, which: str) -> None:
    conn = db.writer_for_migrations if which == "writer" else db.reader
    assert await _pragma(conn, "journal_mode") == "wal"
    assert await _pragma(conn, "foreign_keys") == 1
    assert await _pragma(conn, "busy_timeout") == BUSY_TIMEOUT_MS
    assert await _pragma(conn, "synchronous") == 1  # NORMAL: safe with WAL, fewer fsyncs
    assert BUSY_TIMEOUT_MS >= 1000


async def test_foreign_keys_are_enforced(salon_db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        async with salon_db.transaction() as tx:
            await tx.execute(
                "INSERT INTO working_hours (staff_id, weekday, start_minute, end_minute) "
                "VALUES (999999, 0, 540, 600)"
            )
    orphans = "SELECT count(*) FROM working_hours WHERE staff_id = 999999"
    assert await _first(salon_db.reader, orphans) == 0


async def test_second_writer_waits_for_the_first(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    first = await Database.open(path)
    second = await Database.open(path)  # as another process would open the same file
    try:
        await migrate(first)
        holding, release = asyncio.Event(), asyncio.Event()

        async def hold() -> None:
            async with first.transaction() as tx:
                await tx.execute("INSERT INTO settings (key, value) VALUES ('first', '1')")
                holding.set()
                await release.wait()

        async def write_second() -> None:
            async with second.transaction() as tx:
                await tx.execute("INSERT INTO settings (key, value) VALUES ('second', '2')")

        holder = asyncio.create_task(hold())
        await holding.wait()
        waiter = asyncio.create_task(write_second())
        await asyncio.sleep(0.3)
        assert not waiter.done(), "the second writer gave up instead of waiting for the lock"
        release.set()
        await holder
        await asyncio.wait_for(waiter, timeout=BUSY_TIMEOUT_MS / 1000)
        async with second.reader.execute("SELECT key FROM settings ORDER BY key") as cur:
            assert [r[0] for r in await cur.fetchall()] == ["first", "second"]
    finally:
        await first.close()
        await second.close()
