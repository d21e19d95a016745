"""Services, staff, their links and working hours: reads for booking, writes for setup."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import aiosqlite

from storage.db import Database
from storage.records import HoursRow, OverrideRow, ServiceRecord, StaffHours, StaffRecord

_SERVICE_COLUMNS = (
    "id, slug, name, description, duration_min, price_minor, currency, "
    "buffer_before_min, buffer_after_min, active, position"
)
_STAFF_COLUMNS = "id, slug, name, telegram_user_id, active, position"


def _service(row: aiosqlite.Row) -> ServiceRecord:
    return ServiceRecord(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        description=row["description"],
        duration=timedelta(minutes=row["duration_min"]),
        price_minor=row["price_minor"],
        currency=row["currency"],
        buffer_before=timedelta(minutes=row["buffer_before_min"]),
        buffer_after=timedelta(minutes=row["buffer_after_min"]),
        active=bool(row["active"]),
        position=row["position"],
    )


def _staff(row: aiosqlite.Row) -> StaffRecord:
    return StaffRecord(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        telegram_user_id=row["telegram_user_id"],
        active=bool(row["active"]),
        position=row["position"],
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceSpec:
    """A service as the setup file describes it."""

    slug: str
    name: str
    description: str
    duration_min: int
    price_minor: int
    currency: str
    buffer_before_min: int
    buffer_after_min: int
    position: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffSpec:
    """A staff member as the setup file describes them."""

    slug: str
    name: str
    service_slugs: tuple[str, ...]
    weekly: tuple[HoursRow, ...]
    overrides: tuple[OverrideRow, ...]
    position: int


@dataclass(frozen=True, slots=True, kw_only=True)
class KindChanges:
    """What loading a setup file did to one kind of record (services or staff)."""

    added: int = 0
    changed: int = 0
    deactivated: int = 0

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.deactivated)


@dataclass(frozen=True, slots=True, kw_only=True)
class CatalogChanges:
    """What loading a setup file did to the catalogue."""

    services: KindChanges
    staff: KindChanges


class CatalogRepository:
    """Reads and writes the business catalogue."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def active_services(self) -> list[ServiceRecord]:
        """Active services in display order."""
        sql = f"SELECT {_SERVICE_COLUMNS} FROM services WHERE active = 1 ORDER BY position, id"
        rows = list(await self._db.reader.execute_fetchall(sql))
        return [_service(r) for r in rows]

    async def service(self, service_id: int) -> ServiceRecord | None:
        """One service by id, active or not."""
        sql = f"SELECT {_SERVICE_COLUMNS} FROM services WHERE id = ?"
        rows = list(await self._db.reader.execute_fetchall(sql, (service_id,)))
        row = rows[0] if rows else None
        return _service(row) if row else None

    async def service_by_slug(self, slug: str) -> ServiceRecord | None:
        """One service by the id of the setup file, active or not."""
        sql = f"SELECT {_SERVICE_COLUMNS} FROM services WHERE slug = ?"
        rows = list(await self._db.reader.execute_fetchall(sql, (slug,)))
        return _service(rows[0]) if rows else None

    async def staff_member(self, staff_id: int) -> StaffRecord | None:
        """One staff member by id."""
        sql = f"SELECT {_STAFF_COLUMNS} FROM staff WHERE id = ?"
        rows = list(await self._db.reader.execute_fetchall(sql, (staff_id,)))
        row = rows[0] if rows else None
        return _staff(row) if row else None

    async def staff_for_service(self, service_id: int) -> list[StaffRecord]:
        """Active staff who offer a service, in display order."""
        sql = (
            f"SELECT {', '.join('s.' + c for c in _STAFF_COLUMNS.split(', '))} "
            "FROM staff s JOIN staff_services l ON l.staff_id = s.id "
            "WHERE l.service_id = ? AND s.active = 1 ORDER BY s.position, s.id"
        )
        rows = list(await self._db.reader.execute_fetchall(sql, (service_id,)))
        return [_staff(r) for r in rows]

    async def all_staff(self) -> list[StaffRecord]:
        """Every staff member, active or not, in display order."""
        sql = f"SELECT {_STAFF_COLUMNS} FROM staff ORDER BY position, id"
        rows = list(await self._db.reader.execute_fetchall(sql))
        return [_staff(r) for r in rows]

    async def hours(self, staff_ids: Sequence[int], since: date) -> dict[int, StaffHours]:
        """Weekly hours and the overrides from `since` on, for each staff member."""
        if not staff_ids:
            return {}
        marks = ",".join("?" * len(staff_ids))
        weekly: dict[int, list[HoursRow]] = {i: [] for i in staff_ids}
        overrides: dict[int, list[OverrideRow]] = {i: [] for i in staff_ids}
        sql = (
            "SELECT staff_id, weekday, start_minute, end_minute FROM working_hours "
            f"WHERE staff_id IN ({marks}) ORDER BY staff_id, weekday, start_minute"
        )
        rows = list(await self._db.reader.execute_fetchall(sql, tuple(staff_ids)))
        for r in rows:
            weekly[r["staff_id"]].append(
                HoursRow(
                    weekday=r["weekday"],
                    start_minute=r["start_minute"],
                    end_minute=r["end_minute"],
                )
            )
        sql = (
            "SELECT staff_id, day, start_minute, end_minute FROM date_overrides "
            f"WHERE staff_id IN ({marks}) AND day >= ? ORDER BY staff_id, day, start_minute"
        )
        rows = list(await self._db.reader.execute_fetchall(sql, (*staff_ids, since.isoformat())))
        for r in rows:
            overrides[r["staff_id"]].append(
                OverrideRow(
                    day=date.fromisoformat(r["day"]),
                    start_minute=r["start_minute"],
                    end_minute=r["end_minute"],
                )
            )
        return {
            i: StaffHours(staff_id=i, weekly=tuple(weekly[i]), overrides=tuple(overrides[i]))
            for i in staff_ids
        }

    async def staff_by_telegram_id(self, telegram_user_id: int) -> StaffRecord | None:
        """The staff member bound to a Telegram account, if any."""
        sql = f"SELECT {_STAFF_COLUMNS} FROM staff WHERE telegram_user_id = ?"
        rows = list(await self._db.reader.execute_fetchall(sql, (telegram_user_id,)))
        row = rows[0] if rows else None
        return _staff(row) if row else None

    async def staff_by_name(self, name: str) -> list[StaffRecord]:
        """Staff whose name or slug matches (case-insensitive)."""
        sql = (
            f"SELECT {_STAFF_COLUMNS} FROM staff "
            "WHERE lower(name) = lower(?) OR lower(slug) = lower(?) ORDER BY id"
        )
        rows = list(await self._db.reader.execute_fetchall(sql, (name.strip(), name.strip())))
        return [_staff(r) for r in rows]

    async def apply_setup(
        self, services: Iterable[ServiceSpec], staff: Iterable[StaffSpec]
    ) -> CatalogChanges:
        """Upsert services and staff by slug in one transaction; says what was added/changed."""
        services, staff = list(services), list(staff)
        async with self._db.transaction() as tx:
            service_slugs = await _slugs(tx, "services")
            staff_slugs = await _slugs(tx, "staff")
            changed_services = [s.slug for s in services if await _upsert_service(tx, s)]
            changed_staff = [m.slug for m in staff if await _upsert_staff(tx, m)]
            gone_services = await _deactivate_others(tx, "services", [s.slug for s in services])
            gone_staff = await _deactivate_others(tx, "staff", [m.slug for m in staff])
        return CatalogChanges(
            services=_kind_changes(service_slugs, changed_services, gone_services),
            staff=_kind_changes(staff_slugs, changed_staff, gone_staff),
        )


def _kind_changes(existing: set[str], changed: list[str], deactivated: int) -> KindChanges:
    added = sum(1 for slug in changed if slug not in existing)
    return KindChanges(added=added, changed=len(changed) - added, deactivated=deactivated)


async def _slugs(tx: aiosqlite.Connection, table: str) -> set[str]:
    return {row[0] for row in await tx.execute_fetchall(f"SELECT slug FROM {table}")}


async def _deactivate_others(tx: aiosqlite.Connection, table: str, kept_slugs: list[str]) -> int:
    marks = ",".join("?" * len(kept_slugs))
    return await _changed(
        tx,
        f"UPDATE {table} SET active = 0 WHERE active = 1 AND slug NOT IN ({marks})",
        tuple(kept_slugs),
    )


async def _changed(tx: aiosqlite.Connection, sql: str, params: tuple[Any, ...]) -> int:
    cur = await tx.execute(sql, params)
    count = cur.rowcount
    await cur.close()
    return max(count, 0)


async def _upsert_service(tx: aiosqlite.Connection, spec: ServiceSpec) -> int:
    values = (
        spec.slug,
        spec.name,
        spec.description,
        spec.duration_min,
        spec.price_minor,
        spec.currency,
        spec.buffer_before_min,
        spec.buffer_after_min,
        spec.position,
    )
    return await _changed(
        tx,
        "INSERT INTO services (slug, name, description, duration_min, price_minor, currency, "
        "buffer_before_min, buffer_after_min, position, active) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1) "
        "ON CONFLICT (slug) DO UPDATE SET name = excluded.name, "
        "description = excluded.description, duration_min = excluded.duration_min, "
        "price_minor = excluded.price_minor, currency = excluded.currency, "
        "buffer_before_min = excluded.buffer_before_min, "
        "buffer_after_min = excluded.buffer_after_min, position = excluded.position, active = 1 "
        "WHERE (name, description, duration_min, price_minor, currency, buffer_before_min, "
        "buffer_after_min, position, active) IS NOT (excluded.name, excluded.description, "
        "excluded.duration_min, excluded.price_minor, excluded.currency, "
        "excluded.buffer_before_min, excluded.buffer_after_min, excluded.position, 1)",
        values,
    )


async def _upsert_staff(tx: aiosqlite.Connection, spec: StaffSpec) -> bool:
    """Write one staff member with their services and hours; True if anything changed."""
    changed = await _changed(
        tx,
        "INSERT INTO staff (slug, name, position, active) VALUES (?, ?, ?, 1) "
        "ON CONFLICT (slug) DO UPDATE SET name = excluded.name, position = excluded.position, "
        "active = 1 WHERE (name, position, active) IS NOT (excluded.name, excluded.position, 1)",
        (spec.slug, spec.name, spec.position),
    )
    rows = list(await tx.execute_fetchall("SELECT id FROM staff WHERE slug = ?", (spec.slug,)))
    row = rows[0] if rows else None
    assert row is not None
    staff_id = int(row[0])
    changed += await _replace_rows(
        tx,
        "SELECT service_id FROM staff_services WHERE staff_id = ?",
        staff_id,
        await _service_ids(tx, spec.service_slugs),
        "DELETE FROM staff_services WHERE staff_id = ?",
        "INSERT INTO staff_services (staff_id, service_id) VALUES (?, ?)",
    )
    changed += await _replace_rows(
        tx,
        "SELECT weekday, start_minute, end_minute FROM working_hours WHERE staff_id = ?",
        staff_id,
        {(h.weekday, h.start_minute, h.end_minute) for h in spec.weekly},
        "DELETE FROM working_hours WHERE staff_id = ?",
        "INSERT INTO working_hours (staff_id, weekday, start_minute, end_minute) "
        "VALUES (?, ?, ?, ?)",
    )
    changed += await _replace_rows(
        tx,
        "SELECT day, start_minute, end_minute FROM date_overrides WHERE staff_id = ?",
        staff_id,
        {(o.day.isoformat(), o.start_minute, o.end_minute) for o in spec.overrides},
        "DELETE FROM date_overrides WHERE staff_id = ?",
        "INSERT INTO date_overrides (staff_id, day, start_minute, end_minute) VALUES (?, ?, ?, ?)",
    )
    return changed > 0


async def _service_ids(tx: aiosqlite.Connection, slugs: tuple[str, ...]) -> set[tuple[Any, ...]]:
    ids: set[tuple[Any, ...]] = set()
    for slug in slugs:
        rows = list(await tx.execute_fetchall("SELECT id FROM services WHERE slug = ?", (slug,)))
        row = rows[0] if rows else None
        if row is None:
            raise ValueError(f"unknown service {slug!r}")
        ids.add((int(row[0]),))
    return ids


async def _replace_rows(
    tx: aiosqlite.Connection,
    select_sql: str,
    staff_id: int,
    wanted: set[tuple[Any, ...]],
    delete_sql: str,
    insert_sql: str,
) -> int:
    """Make a staff member's child rows equal `wanted`; 0 when they already are."""
    rows = list(await tx.execute_fetchall(select_sql, (staff_id,)))
    current = {tuple(r) for r in rows}
    if current == wanted:
        return 0
    await tx.execute(delete_sql, (staff_id,))
    await tx.executemany(insert_sql, [(staff_id, *row) for row in sorted(wanted, key=str)])
    return 1
