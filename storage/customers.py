"""Customers and their remembered contact details."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage.db import Database
from storage.records import CustomerDetails, CustomerRecord, to_epoch

_COLUMNS = "id, telegram_user_id, name, phone, email"


def _customer(row: aiosqlite.Row) -> CustomerRecord:
    return CustomerRecord(
        id=row["id"],
        telegram_user_id=row["telegram_user_id"],
        name=row["name"],
        phone=row["phone"],
        email=row["email"],
    )


class CustomerRepository:
    """Finds and remembers customers by Telegram user id."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def by_telegram_id(self, telegram_user_id: int) -> CustomerRecord | None:
        """The customer with this Telegram account, if they booked before."""
        sql = f"SELECT {_COLUMNS} FROM customers WHERE telegram_user_id = ?"
        rows = list(await self._db.reader.execute_fetchall(sql, (telegram_user_id,)))
        row = rows[0] if rows else None
        return _customer(row) if row else None

    async def save(
        self,
        *,
        telegram_user_id: int,
        name: str,
        phone: str | None,
        email: str | None,
        now: datetime,
    ) -> CustomerRecord:
        """Create or update the customer's contact details; returns the stored record."""
        details = CustomerDetails(
            telegram_user_id=telegram_user_id, name=name, phone=phone, email=email
        )
        async with self._db.transaction() as tx:
            return await remember_customer(tx, details, now=now)


async def remember_customer(
    tx: aiosqlite.Connection, details: CustomerDetails, *, now: datetime
) -> CustomerRecord:
    """Inside the caller's write transaction: the customer with these contact details
    (created, or updated only when a detail changed)."""
    sql = f"SELECT {_COLUMNS} FROM customers WHERE telegram_user_id = ?"
    rows = list(await tx.execute_fetchall(sql, (details.telegram_user_id,)))
    if rows:
        known = _customer(rows[0])
        if (known.name, known.phone, known.email) == (details.name, details.phone, details.email):
            return known
    stamp = to_epoch(now)
    await tx.execute(
        "INSERT INTO customers (telegram_user_id, name, phone, email, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (telegram_user_id) DO UPDATE "
        "SET name = excluded.name, phone = excluded.phone, email = excluded.email, "
        "updated_at = excluded.updated_at",
        (details.telegram_user_id, details.name, details.phone, details.email, stamp, stamp),
    )
    rows = list(await tx.execute_fetchall(sql, (details.telegram_user_id,)))
    return _customer(rows[0])
