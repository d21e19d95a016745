"""The booking service: free days and slots, booking, the customer's bookings, cancel, move.

Availability combines working hours, existing bookings (with buffers) and external busy time
(Google free/busy, through the `ExternalBusy` port). Storage re-checks overlaps inside the
write transaction, so a slot that looked free but was just taken is refused, never doubled.
At Confirm (`book`, `reschedule`) the staff still free at the chosen time are re-checked
against fresh external busy time (`fresh=True`) before the write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, Protocol

from bot.availability import Availability, compute, read_span
from bot.business import BusinessSettings
from bot.cache import TtlCache
from bot.clock import Clock
from bot.domain.timespan import Interval
from bot.ids import new_booking_id
from storage.bookings import (
    AlreadyBooked,
    Booked,
    BookingRepository,
    Changed,
    NoSuchBooking,
    NotActive,
    SlotTaken,
    TooManyBookings,
)
from storage.catalog import CatalogRepository
from storage.customers import CustomerRepository
from storage.records import (
    BookingRecord,
    CustomerDetails,
    CustomerRecord,
    NewBooking,
    Origin,
    ServiceRecord,
    StaffHours,
    StaffRecord,
)
from storage.settings_store import SettingsRepository

ALTERNATIVES = 3
# Catalogue and settings change rarely (load-config, possibly from another process) but are
# read several times per update, so they are re-read from the database at most this often.
CACHE_SECONDS = 2.0


class ExternalBusy(Protocol):
    """Busy time outside bookbot (e.g. the staff member's Google calendars). `fresh` asks for
    data re-checked now (Confirm), not a recent cached answer; `any_age` accepts cached data
    however old (a first pass whose result is re-checked with `fresh`)."""

    async def busy(
        self,
        staff_ids: Sequence[int],
        start: datetime,
        end: datetime,
        *,
        fresh: bool = False,
        any_age: bool = False,
    ) -> Mapping[int, Sequence[Interval]]: ...


class NoExternalBusy:
    """No calendar connected: nothing outside bookbot blocks time."""

    async def busy(
        self,
        staff_ids: Sequence[int],
        start: datetime,
        end: datetime,
        *,
        fresh: bool = False,
        any_age: bool = False,
    ) -> Mapping[int, Sequence[Interval]]:
        return {}


# What the customer told us about themselves (stored with the booking).
Contact = CustomerDetails


@dataclass(frozen=True, slots=True)
class SlotUnavailable:
    """The slot is no longer free; here are the nearest free ones."""

    alternatives: list[datetime]


@dataclass(frozen=True, slots=True)
class Unavailable:
    """The service (or the staff member for it) is no longer offered."""

    what: Literal["service", "staff"]


@dataclass(frozen=True, slots=True)
class TooLate:
    """The booking starts too soon to change it."""

    cutoff: timedelta


@dataclass(frozen=True, slots=True)
class UnknownBooking:
    """No such booking among the customer's own."""


def _nothing() -> None:
    return None


BookOutcome = Booked | AlreadyBooked | SlotUnavailable | Unavailable | TooManyBookings
ChangeOutcome = Changed | SlotUnavailable | TooLate | UnknownBooking | NotActive


class BookingService:
    """Everything a customer can do with bookings, independent of Telegram."""

    def __init__(
        self,
        *,
        catalog: CatalogRepository,
        customers: CustomerRepository,
        bookings: BookingRepository,
        settings: SettingsRepository,
        clock: Clock,
        default_timezone: str,
        external_busy: ExternalBusy | None = None,
    ) -> None:
        self.catalog = catalog
        self.customers = customers
        self.bookings = bookings
        self._settings = settings
        self.clock = clock
        # Called after a change queued a Google write, so its deliverer looks at once (the
        # composition root points it at the outbox worker; it must not block).
        self.outbox_written: Callable[[], None] = _nothing
        self._default_timezone = default_timezone
        self._external = external_busy or NoExternalBusy()
        self._cache = TtlCache(CACHE_SECONDS)

    async def business(self) -> BusinessSettings:
        """The current business settings (cached for CACHE_SECONDS)."""

        async def load() -> BusinessSettings:
            return BusinessSettings.from_store(
                await self._settings.all(), default_timezone=self._default_timezone
            )

        return await self._cache.get("business", load)

    def forget_cached(self) -> None:
        """Read settings and catalogue afresh from now on: call it after changing them in this
        process (changes made elsewhere, like `bookbot load-config`, show within CACHE_SECONDS)."""
        self._cache.clear()

    async def active_services(self) -> list[ServiceRecord]:
        """Active services, in display order."""
        return await self._cache.get("services", self.catalog.active_services)

    async def service(self, service_id: int) -> ServiceRecord | None:
        """An active service, or None."""
        found = await self._cache.get(
            ("service", service_id), lambda: self.catalog.service(service_id)
        )
        return found if found is not None and found.active else None

    async def service_by_link(self, key: str) -> ServiceRecord | None:
        """The active service a `svc_<key>` deep link names: its setup-file id, or its
        database id (the form links had in earlier versions)."""
        found = await self.catalog.service_by_slug(key.lower())
        if found is None and key.isdigit():
            return await self.service(int(key))
        return found if found is not None and found.active else None

    async def staff_for(self, service_id: int) -> list[StaffRecord]:
        """Active staff offering the service."""
        return await self._cache.get(
            ("staff_for", service_id), lambda: self.catalog.staff_for_service(service_id)
        )

    async def _hours(self, staff_ids: list[int], since: date) -> dict[int, StaffHours]:
        key = ("hours", tuple(staff_ids), since)
        return await self._cache.get(key, lambda: self.catalog.hours(staff_ids, since))

    async def _candidates(self, service_id: int, staff_id: int | None) -> list[StaffRecord]:
        staff = await self.staff_for(service_id)
        if staff_id is None:
            return staff
        return [s for s in staff if s.id == staff_id]

    async def _availability(
        self,
        service: ServiceRecord,
        staff: Sequence[StaffRecord],
        business: BusinessSettings,
        *,
        ignore_booking: str | None = None,
        day: date | None = None,
        fresh: bool = False,
        any_age: bool = False,
    ) -> Availability:
        """Free slots of these staff on one local day, or over the whole horizon (`fresh`:
        external busy time re-checked now, for Confirm; `any_age`: cached however old)."""
        now = self.clock.now()
        span = read_span(business, service, now, day)
        ids = [s.id for s in staff]
        return compute(
            service=service,
            business=business,
            span=span,
            now=now,
            staff_ids=ids,
            hours=await self._hours(ids, span.today - timedelta(days=1)),
            booked=await self.bookings.blocked_times(
                ids, span.start, span.end, ignore_booking=ignore_booking
            ),
            external=await self._external.busy(
                ids, span.start, span.end, fresh=fresh, any_age=any_age
            ),
        )

    async def free_days(
        self, service_id: int, staff_id: int | None, *, ignore_booking: str | None = None
    ) -> list[date]:
        """Local dates within the horizon that still have a free slot."""
        service = await self.service(service_id)
        if service is None:
            return []
        staff = await self._candidates(service_id, staff_id)
        found = await self._availability(
            service, staff, await self.business(), ignore_booking=ignore_booking
        )
        return found.free.days()

    async def free_slots(
        self,
        service_id: int,
        staff_id: int | None,
        day: date,
        *,
        ignore_booking: str | None = None,
    ) -> list[datetime]:
        """Free start times on a local date (for "anyone": free for at least one)."""
        service = await self.service(service_id)
        if service is None:
            return []
        staff = await self._candidates(service_id, staff_id)
        found = await self._availability(
            service, staff, await self.business(), ignore_booking=ignore_booking, day=day
        )
        return list(found.free.on(day))

    async def alternatives(
        self,
        service_id: int,
        staff_id: int | None,
        wanted: datetime,
        *,
        ignore_booking: str | None = None,
    ) -> list[datetime]:
        """The free starts nearest to `wanted` (at most ALTERNATIVES), in time order."""
        service = await self.service(service_id)
        if service is None:
            return []
        staff = await self._candidates(service_id, staff_id)
        return await self._nearest(service, staff, wanted, ignore_booking=ignore_booking)

    async def _nearest(
        self,
        service: ServiceRecord,
        staff: Sequence[StaffRecord],
        wanted: datetime,
        *,
        ignore_booking: str | None = None,
    ) -> list[datetime]:
        found = await self._availability(
            service, staff, await self.business(), ignore_booking=ignore_booking
        )
        return found.free.nearest(wanted, ALTERNATIVES)

    async def book(
        self,
        *,
        contact: Contact,
        service_id: int,
        staff_id: int | None,
        start: datetime,
        request_key: str | None,
    ) -> BookOutcome:
        """Book a slot now, re-checking availability; "anyone" picks the least busy staff."""
        service = await self.service(service_id)
        if service is None:
            return Unavailable("service")
        staff = await self._candidates(service_id, staff_id)
        if not staff:
            return Unavailable("staff")
        if request_key is not None:
            earlier = await self.bookings.by_request_key(request_key)
            if earlier is not None:
                return AlreadyBooked(earlier)
        business = await self.business()
        day = start.astimezone(business.tz).date()
        found = await self._availability(service, staff, business, day=day, any_age=True)
        free_ids = set(found.free.staff_free_at(start))
        free_staff = [s for s in staff if s.id in free_ids]
        free_staff.sort(key=lambda s: (found.bookings_on(s.id, day), s.position, s.id))
        # Least busy first; each re-checked against fresh external busy time just before the
        # write (one Google call for the staff member who gets the booking, as a rule).
        for member in free_staff:
            fresh = await self._availability(service, [member], business, day=day, fresh=True)
            if not fresh.free.staff_free_at(start):
                continue
            result = await self.bookings.try_book(
                self._new_booking(contact, service, [member.id], start, request_key),
                now=self.clock.now(),
                origin="customer",
                max_active=business.max_active_bookings,
            )
            if isinstance(result, Booked):
                self.outbox_written()
            if not isinstance(result, SlotTaken):
                return result
        return SlotUnavailable(await self._nearest(service, staff, start))

    def _new_booking(
        self,
        contact: Contact,
        service: ServiceRecord,
        staff_ids: Sequence[int],
        start: datetime,
        request_key: str | None,
    ) -> NewBooking:
        end = start + service.duration
        return NewBooking(
            id=new_booking_id(),
            customer=contact,
            staff_ids=tuple(staff_ids),
            service_id=service.id,
            start=start,
            end=end,
            blocked_start=start - service.buffer_before,
            blocked_end=end + service.buffer_after,
            price_minor=service.price_minor,
            currency=service.currency,
            request_key=request_key,
        )

    async def customer(self, telegram_user_id: int) -> CustomerRecord | None:
        """The remembered contact details of a Telegram user."""
        return await self.customers.by_telegram_id(telegram_user_id)

    async def upcoming(self, telegram_user_id: int) -> list[BookingRecord]:
        """This user's own upcoming bookings."""
        customer = await self.customers.by_telegram_id(telegram_user_id)
        if customer is None:
            return []
        return await self.bookings.upcoming_for_customer(customer.id, self.clock.now())

    async def limit_reached(self, telegram_user_id: int) -> int | None:
        """The active-bookings cap if this user already holds that many, else None.

        Only a hint for the first screen: the booking transaction enforces the cap.
        """
        limit = (await self.business()).max_active_bookings
        return limit if len(await self.upcoming(telegram_user_id)) >= limit else None

    async def own_booking(self, telegram_user_id: int, booking_id: str) -> BookingRecord | None:
        """A booking, only if it belongs to this user."""
        booking = await self.bookings.get(booking_id)
        if booking is None or booking.customer_telegram_id != telegram_user_id:
            return None
        return booking

    async def can_change(self, booking: BookingRecord) -> TooLate | None:
        """None if the customer may still cancel or move the booking, else why not."""
        cutoff = (await self.business()).cancellation_cutoff
        if self.clock.now() > booking.start - cutoff:
            return TooLate(cutoff)
        return None

    async def _changeable(
        self, telegram_user_id: int, booking_id: str
    ) -> BookingRecord | UnknownBooking | NotActive | TooLate:
        """The user's own active booking if they may still change it, else why not."""
        booking = await self.own_booking(telegram_user_id, booking_id)
        if booking is None:
            return UnknownBooking()
        if not booking.is_active:
            return NotActive(booking)
        too_late = await self.can_change(booking)
        return booking if too_late is None else too_late

    async def cancel(self, telegram_user_id: int, booking_id: str) -> ChangeOutcome:
        """Cancel one of the user's own bookings, respecting the cutoff."""
        booking = await self._changeable(telegram_user_id, booking_id)
        if not isinstance(booking, BookingRecord):
            return booking
        result = await self.bookings.cancel(
            booking_id, customer_id=booking.customer_id, now=self.clock.now(), origin="customer"
        )
        if isinstance(result, Changed):
            self.outbox_written()
        return UnknownBooking() if isinstance(result, NoSuchBooking | SlotTaken) else result

    async def reschedule(
        self, telegram_user_id: int, booking_id: str, new_start: datetime
    ) -> ChangeOutcome:
        """Move one of the user's own bookings to another free slot of the same staff."""
        booking = await self._changeable(telegram_user_id, booking_id)
        if not isinstance(booking, BookingRecord):
            return booking
        return await self._move(booking, new_start, "customer")

    async def move_for_customer(self, booking_id: str, new_start: datetime) -> ChangeOutcome:
        """An admin moves a booking on the customer's behalf (no cutoff) to a free slot."""
        booking = await self.bookings.get(booking_id)
        if booking is None:
            return UnknownBooking()
        if not booking.is_active:
            return NotActive(booking)
        return await self._move(booking, new_start, "admin")

    async def _move(
        self, booking: BookingRecord, new_start: datetime, origin: Origin
    ) -> ChangeOutcome:
        booking_id = booking.id
        service = await self.catalog.service(booking.service_id)
        staff = await self.catalog.staff_member(booking.staff_id)
        if service is None or staff is None:
            return UnknownBooking()
        business = await self.business()
        day = new_start.astimezone(business.tz).date()
        found = await self._availability(
            service, [staff], business, ignore_booking=booking_id, day=day, any_age=True
        )
        if found.free.staff_free_at(new_start):  # re-check against fresh external busy time
            found = await self._availability(
                service, [staff], business, ignore_booking=booking_id, day=day, fresh=True
            )
        if found.free.staff_free_at(new_start):
            end = new_start + service.duration
            result = await self.bookings.reschedule(
                booking_id,
                customer_id=booking.customer_id,
                start=new_start,
                end=end,
                blocked_start=new_start - service.buffer_before,
                blocked_end=end + service.buffer_after,
                now=self.clock.now(),
                origin=origin,
            )
            if isinstance(result, Changed):
                self.outbox_written()
            if isinstance(result, Changed | NotActive):
                return result
            if isinstance(result, NoSuchBooking):
                return UnknownBooking()
        return SlotUnavailable(
            await self._nearest(service, [staff], new_start, ignore_booking=booking_id)
        )
