"""SQLite connection management: WAL, foreign keys, busy timeout, explicit transactions.

One writer connection serialises write transactions (`BEGIN IMMEDIATE`, so concurrent
writers in other processes wait on the busy timeout instead of failing with "database is
locked"), and one reader connection sees only committed data (WAL snapshot isolation).

The database holds customers' contact details and encrypted Google tokens: a new file is
created readable and writable by its owner only (0600), and SQLite gives its -wal and -shm
files the database file's mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

BUSY_TIMEOUT_MS = 10_000
FILE_MODE = 0o600


def _create_private(path: Path) -> None:
    """Create the database file owner-only before SQLite opens it (an existing file is kept)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except OSError:  # it exists, or SQLite will say why it cannot be created
        return
    os.close(fd)


async def _configure(conn: aiosqlite.Connection) -> None:
    conn.row_factory = aiosqlite.Row
    await conn.execute("PRAGMA journal_mode=WAL")
    await conn.execute("PRAGMA foreign_keys=ON")
    await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA synchronous=NORMAL")


async def _close_quietly(conn: aiosqlite.Connection) -> None:
    with contextlib.suppress(sqlite3.Error, ValueError):  # never opened: nothing to close
        await conn.close()


def _prepare_file(path: Path) -> None:
    """The folder exists and `path` is not one; a new file is created owner-only."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DatabaseUnavailable(
            f"cannot create the folder {path.parent} ({err.strerror})"
        ) from err
    if path.is_dir():
        raise DatabaseUnavailable(f"{path} is a folder, not a database file")
    _create_private(path)


class DatabaseUnavailable(Exception):
    """The database file cannot be created or opened (a folder, no permission, not SQLite)."""


class Database:
    """A bookbot database file: one writer connection and one reader connection."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection):
        self.path = path
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> Database:
        """Open (creating if needed) the database file at `path`; DatabaseUnavailable if not."""
        _prepare_file(path)
        opened: list[aiosqlite.Connection] = []
        try:
            for _ in ("writer", "reader"):
                conn = aiosqlite.connect(path, isolation_level=None)
                opened.append(conn)
                await conn
                await _configure(conn)
        except (sqlite3.Error, OSError) as err:
            # An open connection's thread would keep the process alive: close each one.
            for conn in opened:
                await _close_quietly(conn)
            raise DatabaseUnavailable(f"cannot open {path} as a SQLite database ({err})") from err
        return cls(path, opened[0], opened[1])

    async def close(self) -> None:
        """Close both connections."""
        await self._writer.close()
        await self._reader.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction (`BEGIN IMMEDIATE`): commits on success, rolls back on error."""
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            else:
                await self._writer.execute("COMMIT")

    @property
    def reader(self) -> aiosqlite.Connection:
        """The read-only connection (autocommit; each statement sees committed data)."""
        return self._reader

    @property
    def writer_for_migrations(self) -> aiosqlite.Connection:
        """The writer connection, for the migration runner only."""
        return self._writer
