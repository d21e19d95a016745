"""Every migration applies on an empty database and from every earlier version."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.db import Database
from storage.migrate import available_migrations, current_version, migrate

LATEST = available_migrations()[-1].version


async def _schema(db: Database) -> list[tuple[str, str]]:
    async with db.reader.execute(
        "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"
    ) as cur:
        return [(r[0], r[1]) for r in await cur.fetchall()]


async def test_all_migrations_on_empty_database(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "a.db")
    try:
        result = await migrate(db)
        assert (result.from_version, result.to_version) == (0, LATEST)
        assert await current_version(db) == LATEST
        again = await migrate(db)
        assert (again.from_version, again.to_version) == (LATEST, LATEST)
        async with db.reader.execute("PRAGMA foreign_keys") as cur:
            assert (await cur.fetchone())[0] == 1  # type: ignore[index]
        async with db.reader.execute("PRAGMA journal_mode") as cur:
            assert (await cur.fetchone())[0] == "wal"  # type: ignore[index]
    finally:
        await db.close()


@pytest.mark.parametrize("start", range(LATEST))
async def test_upgrade_from_every_earlier_version(tmp_path: Path, start: int) -> None:
    fresh = await Database.open(tmp_path / "fresh.db")
    old = await Database.open(tmp_path / "old.db")
    try:
        await migrate(fresh)
        await migrate(old, target=start)
        assert await current_version(old) == start
        result = await migrate(old)
        assert (result.from_version, result.to_version) == (start, LATEST)
        assert await _schema(old) == await _schema(fresh)
    finally:
        await fresh.close()
        await old.close()


async def test_newer_database_is_refused(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "a.db")
    try:
        await migrate(db)
        await db.writer_for_migrations.execute(f"PRAGMA user_version={LATEST + 1}")
        with pytest.raises(RuntimeError, match="newer than this bookbot"):
            await migrate(db)
    finally:
        await db.close()


async def test_failed_migration_leaves_nothing_behind(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "a.db")
    try:
        await migrate(db)
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO settings (key, value) VALUES ('a', '1')")
        with pytest.raises(Exception, match="rolled back"):
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO settings (key, value) VALUES ('b', '2')")
                raise RuntimeError("rolled back")
        async with db.reader.execute("SELECT key FROM settings") as cur:
            assert [r[0] for r in await cur.fetchall()] == ["a"]
    finally:
        await db.close()


async def test_version_3_keeps_history_and_outbox_rows(tmp_path: Path) -> None:
    """0003 renames the history's actor to origin and rebuilds the outbox with an origin."""
    db = await Database.open(tmp_path / "a.db")
    try:
        await migrate(db, target=2)
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO customers (id, telegram_user_id, name, created_at, updated_at) "
                "VALUES (1, 10, 'Ann', 0, 0)"
            )
            await tx.execute("INSERT INTO staff (id, slug, name) VALUES (1, 'anna', 'Anna')")
            await tx.execute(
                "INSERT INTO services (id, slug, name, duration_min) VALUES (1, 'cut', 'Cut', 60)"
            )
            await tx.execute(
                "INSERT INTO bookings (id, customer_id, staff_id, service_id, start_utc, end_utc, "
                "blocked_start_utc, blocked_end_utc, status, customer_name, price_minor, "
                "currency, created_at, updated_at) "
                "VALUES ('b1', 1, 1, 1, 3600, 7200, 3600, 7200, 'confirmed', 'Ann', 0, 'EUR', 0, 0)"
            )
            await tx.execute(
                "INSERT INTO booking_history (booking_id, at_utc, actor, action) "
                "VALUES ('b1', 0, 'customer', 'created')"
            )
            await tx.execute(
                "INSERT INTO outbox (booking_id, action, created_at, next_attempt_at, attempts) "
                "VALUES ('b1', 'upsert', 5, 6, 2)"
            )
        await migrate(db)
        async with db.reader.execute("SELECT origin, action FROM booking_history") as cur:
            assert [tuple(r) for r in await cur.fetchall()] == [("customer", "created")]
        async with db.reader.execute(
            "SELECT booking_id, action, origin, created_at, next_attempt_at, attempts FROM outbox"
        ) as cur:
            assert [tuple(r) for r in await cur.fetchall()] == [
                ("b1", "upsert", "customer", 5, 6, 2)
            ]
        async with db.reader.execute("SELECT event_calendar_id, event_etag FROM bookings") as cur:
            assert [tuple(r) for r in await cur.fetchall()] == [(None, None)]
    finally:
        await db.close()
