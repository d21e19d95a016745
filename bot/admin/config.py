"""Changes to the business's configuration made in chat: each one an edit of the setup
document (`bot.admin.document`), validated and applied exactly as a setup file, seen by
customers at once (the booking service's cache is dropped) and recorded in the audit log.

Methods return `Saved` (with the recorded changes) or `Invalid` (the validation's problems,
named as a setup file names them); `Gone` when the item edited no longer exists. Changes run
one at a time (a lock), so two admins' edits never overwrite each other.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot import service_texts
from bot.admin.document import Document, flatten, new_slug, read_document, to_toml
from bot.booking import BookingService
from bot.business import BusinessSettings
from bot.clock import Clock
from bot.ids import new_booking_id
from bot.setup_file import (
    WEEKDAYS,
    LoadResult,
    SetupFile,
    SetupFileError,
    apply_setup_file,
    validate_setup,
)
from storage.audit import AuditEntry, AuditRepository, Change
from storage.bookings import Changed
from storage.catalog import CatalogRepository
from storage.db import Database
from storage.outbox import OutboxQueue
from storage.reassign import Reassigned, reassign
from storage.records import BookingRecord, ServiceRecord
from storage.settings_queries import all_slugs, staff_bookings
from storage.settings_store import SettingsRepository
from storage.staff_links import CalendarChoice, StaffLinkRepository
from storage.sync_state import CalendarSyncState, SyncStateRepository

BUSINESS_KEYS = frozenset(
    {
        "name",
        "address",
        "timezone",
        "horizon_days",
        "min_notice_minutes",
        "slot_step_minutes",
        "cancellation_cutoff_hours",
        "ask_phone",
        "ask_email",
        "max_active_bookings",
        "contact_phone",
        "contact_telegram",
        "contact_email",
        "event_title",
        "event_description",
        "event_meet",
        "event_invite_customer",
        "event_send_updates",
        "default_language",
        "reminder_offsets_hours",
    }
)
SERVICE_KEYS = frozenset(
    {"name", "description", "duration_minutes", "buffer_before_minutes", "buffer_after_minutes"}
)


@dataclass(frozen=True, slots=True)
class Saved:
    """The change was applied; `changes` were recorded (empty: nothing actually changed)."""

    changes: tuple[Change, ...]
    item_id: int | None = None  # the id of an item just added


@dataclass(frozen=True, slots=True)
class Invalid:
    """The change breaks a rule; nothing was written. Problems as the setup file names them."""

    problems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Gone:
    """The service or staff member edited does not exist (any more)."""


Outcome = Saved | Invalid | Gone


@dataclass(frozen=True, slots=True)
class GoogleDetail:
    """Where a staff member's Google sync stands (no tokens): their chosen calendars, each
    calendar's sync state, and the booking changes waiting to be written (parked included)."""

    calendars: tuple[CalendarChoice, ...]
    sync: tuple[CalendarSyncState, ...]
    waiting: int


class _Missing(LookupError):
    pass


def _item(document: Document, kind: str, slug: str) -> dict[str, Any]:
    for item in document[kind]:
        if item["id"] == slug:
            return item  # type: ignore[no-any-return]
    raise _Missing(slug)


def _problems(err: SetupFileError) -> tuple[str, ...]:
    lines = str(err).splitlines()
    body = [line.strip() for line in lines[1:]] if len(lines) > 1 else []
    if body:
        return tuple(body)
    return (lines[0].split(": ", 1)[-1] if lines else str(err),)


class ConfigService:
    """Reads, changes and exports the configuration."""

    def __init__(
        self,
        *,
        db: Database,
        booking: BookingService,
        clock: Clock,
        default_timezone: str,
    ) -> None:
        self._db = db
        self._booking = booking
        self._catalog: CatalogRepository = booking.catalog
        self._clock = clock
        self._default_timezone = default_timezone
        self._audit = AuditRepository(db)
        self._lock = asyncio.Lock()

    async def document(self) -> Document:
        """The configuration as it is stored now (the business settings possibly cached
        for two seconds; `change` reads them fresh)."""
        return await read_document(
            self._catalog, await self._booking.business(), await service_texts.load(self._db)
        )

    async def export_toml(self) -> str:
        """The configuration as a setup file."""
        return to_toml(await self.document())

    async def active_services(self) -> list[ServiceRecord]:
        """Active services in display order (not cached)."""
        return await self._catalog.active_services()

    async def staff_table(self, staff_id: int) -> dict[str, Any] | None:
        """A staff member's table of the document (hours, days off, special hours)."""
        member = await self._catalog.staff_member(staff_id)
        if member is None or not member.active:
            return None
        try:
            return _item(await self.document(), "staff", member.slug)
        except _Missing:
            return None

    async def google_detail(self, staff_id: int) -> GoogleDetail:
        """A staff member's calendars, sync state and waiting changes."""
        states = [s for s in await SyncStateRepository(self._db).all() if s.staff_id == staff_id]
        waiting = (await OutboxQueue(self._db).waiting_by_staff()).get(staff_id, 0)
        calendars = await StaffLinkRepository(self._db).calendars(staff_id)
        return GoogleDetail(tuple(calendars), tuple(states), waiting)

    async def today(self) -> date:
        """Today in the business time zone."""
        return self._clock.now().astimezone((await self._booking.business()).tz).date()

    async def recent_changes(self, limit: int) -> list[AuditEntry]:
        """The latest recorded changes, newest first."""
        return await self._audit.recent(limit)

    async def change(self, actor: int | None, edit: Callable[[Document], int | None]) -> Outcome:
        """Apply `edit` to a copy of the document; validate, store, record. `edit` may return
        the slug-independent id of an item it added (see `add_service`)."""
        async with self._lock:
            self._booking.forget_cached()  # a load-config from another process is seen
            old = await self.document()
            new = copy.deepcopy(old)
            try:
                edit(new)
            except _Missing:
                return Gone()
            try:
                setup = validate_setup(new, source="settings")
                await apply_setup_file(setup, self._db, default_timezone=self._default_timezone)
            except SetupFileError as err:
                return Invalid(_problems(err))
            finally:
                self._booking.forget_cached()
            changes = differences(old, new)
            await self._audit.record(changes, actor=actor, now=self._clock.now())
            return Saved(changes)

    async def _slug(self, kind: str, item_id: int) -> str | None:
        if kind == "services":
            service = await self._catalog.service(item_id)
            return service.slug if service is not None and service.active else None
        member = await self._catalog.staff_member(item_id)
        return member.slug if member is not None and member.active else None

    async def _edit_item(
        self, actor: int, kind: str, item_id: int, edit: Callable[[dict[str, Any]], None]
    ) -> Outcome:
        slug = await self._slug(kind, item_id)
        if slug is None:
            return Gone()

        def apply(document: Document) -> None:
            edit(_item(document, kind, slug))

        return await self.change(actor, apply)

    # --- business -------------------------------------------------------------------------

    async def set_business(self, actor: int, key: str, value: Any) -> Outcome:
        """Set one value of the [business] table."""
        if key not in BUSINESS_KEYS:
            raise ValueError(key)

        def edit(document: Document) -> None:
            document["business"][key] = value

        return await self.change(actor, edit)

    # --- services -------------------------------------------------------------------------

    async def add_service(
        self, actor: int, name: str, *, duration_minutes: int = 60, currency: str = "EUR"
    ) -> Outcome:
        """A new service (offered by nobody yet); `Saved.item_id` is its id."""
        slug = new_slug(name, await all_slugs(self._db, "services"), "service")

        def edit(document: Document) -> None:
            currencies = [s["currency"] for s in document["services"]]
            document["services"].append(
                {
                    "id": slug,
                    "name": name,
                    "description": "",
                    "duration_minutes": duration_minutes,
                    "currency": currencies[-1] if currencies else currency,
                    "buffer_before_minutes": 0,
                    "buffer_after_minutes": 0,
                }
            )

        outcome = await self.change(actor, edit)
        if isinstance(outcome, Saved):
            added = await self._catalog.service_by_slug(slug)
            return Saved(outcome.changes, added.id if added else None)
        return outcome

    async def set_service(self, actor: int, service_id: int, key: str, value: Any) -> Outcome:
        """Set one field of a service."""
        if key not in SERVICE_KEYS:
            raise ValueError(key)
        return await self._edit_item(
            actor, "services", service_id, lambda item: item.__setitem__(key, value)
        )

    async def set_service_price(
        self, actor: int, service_id: int, price: str, currency: str | None
    ) -> Outcome:
        """Set a service's price (major units, as text) and, if given, its currency."""

        def edit(item: dict[str, Any]) -> None:
            if currency is not None:
                item["currency"] = currency
            if price.strip("0.,") == "":
                item.pop("price", None)
            else:
                item["price"] = price

        return await self._edit_item(actor, "services", service_id, edit)

    async def archive_service(self, actor: int, service_id: int) -> Outcome:
        """Archive a service: nobody can book it any more, its bookings stay."""
        slug = await self._slug("services", service_id)
        if slug is None:
            return Gone()

        def edit(document: Document) -> None:
            document["services"].remove(_item(document, "services", slug))
            for member in document["staff"]:
                if slug in member["services"]:
                    member["services"].remove(slug)

        return await self.change(actor, edit)

    async def move(self, actor: int, kind: str, item_id: int, delta: int) -> Outcome:
        """Move a service or staff member up (-1) or down (+1) in the customers' list."""
        slug = await self._slug(kind, item_id)
        if slug is None:
            return Gone()

        def edit(document: Document) -> None:
            items = document[kind]
            index = items.index(_item(document, kind, slug))
            target = min(max(index + delta, 0), len(items) - 1)
            items.insert(target, items.pop(index))

        return await self.change(actor, edit)

    # --- staff ----------------------------------------------------------------------------

    async def add_staff(self, actor: int, name: str) -> Outcome:
        """A new staff member offering every service, with no hours yet."""
        slug = new_slug(name, await all_slugs(self._db, "staff"), "staff")

        def edit(document: Document) -> None:
            document["staff"].append(
                {
                    "id": slug,
                    "name": name,
                    "services": [s["id"] for s in document["services"]],
                    "hours": {},
                }
            )

        outcome = await self.change(actor, edit)
        if isinstance(outcome, Saved):
            added = [m for m in await self._catalog.all_staff() if m.slug == slug]
            return Saved(outcome.changes, added[0].id if added else None)
        return outcome

    async def rename_staff(self, actor: int, staff_id: int, name: str) -> Outcome:
        """Change a staff member's name."""
        return await self._edit_item(
            actor, "staff", staff_id, lambda item: item.__setitem__("name", name)
        )

    async def toggle_staff_service(self, actor: int, staff_id: int, service_id: int) -> Outcome:
        """Whether a staff member offers a service: switch it."""
        service = await self._slug("services", service_id)
        if service is None:
            return Gone()

        def edit(item: dict[str, Any]) -> None:
            offered: list[str] = item["services"]
            if service in offered:
                offered.remove(service)
            else:
                offered.append(service)

        return await self._edit_item(actor, "staff", staff_id, edit)

    async def set_weekday_hours(
        self, actor: int, staff_id: int, weekday: int, ranges: list[str]
    ) -> Outcome:
        """A staff member's ranges on one weekday (empty: not working that day)."""
        day = WEEKDAYS[weekday]

        def edit(item: dict[str, Any]) -> None:
            hours: dict[str, list[str]] = item["hours"]
            if ranges:
                hours[day] = ranges
            else:
                hours.pop(day, None)
            item["hours"] = {d: hours[d] for d in WEEKDAYS if d in hours}

        return await self._edit_item(actor, "staff", staff_id, edit)

    async def add_days_off(self, actor: int, staff_id: int, days: list[date]) -> Outcome:
        """Days off (special hours on those days give way to the day off)."""

        def edit(item: dict[str, Any]) -> None:
            special: dict[str, list[str]] = item.get("special_hours", {})
            for day in days:
                special.pop(day.isoformat(), None)
            if special:
                item["special_hours"] = special
            else:
                item.pop("special_hours", None)
            item["days_off"] = sorted(set(item.get("days_off", [])) | set(days))

        return await self._edit_item(actor, "staff", staff_id, edit)

    async def set_special_day(
        self, actor: int, staff_id: int, day: date, ranges: list[str]
    ) -> Outcome:
        """Other hours on one date; no ranges: back to the usual hours (and not a day off)."""

        def edit(item: dict[str, Any]) -> None:
            item["days_off"] = [d for d in item.get("days_off", []) if d != day]
            if not item["days_off"]:
                del item["days_off"]
            special: dict[str, list[str]] = dict(item.get("special_hours", {}))
            if ranges:
                special[day.isoformat()] = ranges
            else:
                special.pop(day.isoformat(), None)
            if special:
                item["special_hours"] = dict(sorted(special.items()))
            else:
                item.pop("special_hours", None)

        return await self._edit_item(actor, "staff", staff_id, edit)

    async def deactivate_staff(self, actor: int, staff_id: int) -> Outcome:
        """Take a staff member off the booking list; their bookings are kept."""
        slug = await self._slug("staff", staff_id)
        if slug is None:
            return Gone()

        def edit(document: Document) -> None:
            document["staff"].remove(_item(document, "staff", slug))

        return await self.change(actor, edit)

    async def cancel_booking(self, actor: int, booking_id: str) -> BookingRecord | None:
        """Cancel a booking on the customer's behalf (no cutoff: the business decides); the
        cancelled booking, or None if it is unknown or no longer active. Google hears of it
        through the outbox like any change; the audit log records it."""
        result = await self._booking.bookings.cancel(
            booking_id, customer_id=None, now=self._clock.now(), origin="admin"
        )
        if not isinstance(result, Changed):
            return None
        self._booking.outbox_written()
        change = Change(what=f"booking {booking_id}", old="confirmed", new="cancelled")
        await self._audit.record([change], actor=actor, now=self._clock.now())
        return result.booking

    async def reassign_booking(
        self, actor: int, booking_id: str, staff_id: int
    ) -> Reassigned | None:
        """Hand a booking to another staff member who offers the service and is free then
        (working hours, bookings, Google busy time); None if they are not."""
        booking = await self._booking.bookings.get(booking_id)
        if booking is None or not booking.is_active or booking.staff_id == staff_id:
            return None
        day = booking.start.astimezone((await self._booking.business()).tz).date()
        free = await self._booking.free_slots(booking.service_id, staff_id, day)
        if booking.start not in free:
            return None
        result = await reassign(
            self._db, booking_id, staff_id=staff_id, new_id=new_booking_id(), now=self._clock.now()
        )
        if not isinstance(result, Reassigned):
            return None
        self._booking.outbox_written()
        change = Change(
            what=f"booking {booking_id}",
            old=booking.staff_name,
            new=f"{result.booking.staff_name} (booking {result.booking.id})",
        )
        await self._audit.record([change], actor=actor, now=self._clock.now())
        return result

    async def bookings_between(self, staff_id: int, first: date, last: date) -> list[BookingRecord]:
        """A staff member's bookings on the days first..last (business time zone)."""
        tz = (await self._booking.business()).tz
        start = datetime.combine(first, datetime.min.time(), tz)
        end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tz)
        return await staff_bookings(self._db, staff_id, start, end)

    async def upcoming_for_staff(self, staff_id: int) -> list[BookingRecord]:
        """A staff member's bookings from now on (within the booking horizon and a year)."""
        now = self._clock.now()
        return await staff_bookings(self._db, staff_id, now, now + timedelta(days=400))


def differences(old: Document, new: Document) -> tuple[Change, ...]:
    """Each value that differs between two documents, as an audit change."""
    before, after = flatten(old), flatten(new)
    return tuple(
        Change(what=key, old=before.get(key), new=after.get(key))
        for key in sorted(before.keys() | after.keys())
        if before.get(key) != after.get(key)
    )


async def _stored_document(db: Database, default_timezone: str) -> Document:
    stored = await SettingsRepository(db).all()
    business = BusinessSettings.from_store(stored, default_timezone=default_timezone)
    return await read_document(CatalogRepository(db), business, await service_texts.load(db))


async def apply_audited(
    setup: SetupFile, db: Database, *, default_timezone: str, now: datetime
) -> LoadResult:
    """`bookbot load-config`: apply a setup file and record what it changed (actor None)."""
    before = await _stored_document(db, default_timezone)
    result = await apply_setup_file(setup, db, default_timezone=default_timezone)
    after = await _stored_document(db, default_timezone)
    await AuditRepository(db).record(differences(before, after), actor=None, now=now)
    return result


def days_between(first: date, last: date) -> list[date]:
    """first..last inclusive."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
