"""The outbox worker: delivers booking changes to the staff members' Google Calendars.

A runtime part (`start`/`stop`). It leases outbox rows per booking (`storage.outbox.OutboxQueue
.claim`), writes the booking *as it stands now* and marks the rows delivered, so:

- exactly once: the event id is the booking id; a 409 on insert means an earlier try landed,
  and the event is adopted after checking its private property says it is ours. Before the
  first insert the calendar is recorded, so a cancel knows whether anything may exist;
- in order and coalesced: all rows of a booking are claimed together (created then cancelled
  before delivery sends nothing);
- reschedule is ``events.patch`` with ``If-Match`` on the stored etag (on 412 the event is
  re-read and patched again); cancel is ``events.delete`` (404/410 count as done);
- temporary failures (429, 403 rate limit, 5xx, timeouts) retry with exponential backoff and
  jitter on the bot's clock, never sooner than Google's ``Retry-After``; a staff member whose
  account is not connected (never, or revoked: `GoogleAccounts` tells people once) has their
  rows parked until they connect; permanent errors and too many attempts make dead letters,
  which the admins are told about once and `bookbot doctor` lists;
- requests per staff account are paced by a token bucket (``GOOGLE_REQUESTS_PER_SECOND``).

`wake()` makes the worker look at once (the booking service can poke it); otherwise it looks
every ``OUTBOX_POLL_SECONDS``. The customer's confirmation never waits on any of this.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from bot.business import BusinessSettings
from bot.clock import Clock
from bot.config import Settings
from bot.google.calendar import EventInfo, GoogleCalendar
from bot.google.errors import (
    Conflict,
    GoogleError,
    PreconditionFailed,
    ResourceNotFound,
    Retryable,
)
from bot.google.oauth import GrantedTokens
from bot.google_accounts import AccountSession, GoogleAccounts, NotConnected
from bot.notices import CalendarWriteFailed, Notices, VideoLinkReady
from bot.services import Services
from bot.sync.event_content import OWNER_KEY, event_fields, new_event
from storage.bookings import BookingRepository
from storage.outbox import Claim, OutboxQueue
from storage.records import BookingRecord
from storage.staff_links import StaffLinkRepository

log = logging.getLogger(__name__)

T = TypeVar("T")
BATCH = 50
BACKOFF_BASE = timedelta(seconds=2)
BACKOFF_CAP = timedelta(minutes=15)


class NotOurs(GoogleError):
    """An event with the booking's id exists but the bot did not write it."""


class TokenBucket:
    """At most `rate` acquisitions per second on average, bursts up to `burst`
    (monotonic time: it paces real requests to Google)."""

    def __init__(self, rate: float, burst: float = 1.0) -> None:
        self._rate = rate
        self._burst = max(1.0, burst)
        self._tokens = self._burst
        self._stamp: float | None = None

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            if self._stamp is not None:
                self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
            self._stamp = now
            if self._tokens >= 1:
                self._tokens -= 1
                return
            await asyncio.sleep((1 - self._tokens) / self._rate)


async def _unless(expected: type[GoogleError], call: Awaitable[T]) -> T | None:
    """The call's result, or None for an answer the worker expects (a 409 on insert, a 412 on
    patch), so the account does not record it as an error."""
    try:
        return await call
    except expected:
        return None


def backoff(attempts: int, retry_after: float | None, rng: random.Random) -> timedelta:
    """The wait before the next try: exponential with jitter, at least `retry_after`."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** min(attempts, 20)))
    delay: timedelta = ceiling * rng.uniform(0.5, 1.0)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


class OutboxWorker:
    """Delivers outbox rows to Google while the bot runs."""

    name = "outbox worker"

    def __init__(
        self,
        *,
        settings: Settings,
        clock: Clock,
        queue: OutboxQueue,
        bookings: BookingRepository,
        links: StaffLinkRepository,
        accounts: GoogleAccounts,
        business: Callable[[], Awaitable[BusinessSettings]],
        notices: Notices,
        rng: random.Random | None = None,
        before_write: Callable[[int], None] = lambda staff_id: None,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._queue = queue
        self._bookings = bookings
        self._links = links
        self._accounts = accounts
        self._business = business
        self._notices = notices
        self._before_write = before_write  # told the staff id before each write to Google
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self._buckets: dict[int, TokenBucket] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()

    @classmethod
    def from_services(
        cls,
        services: Services,
        notices: Notices,
        before_write: Callable[[int], None] = lambda staff_id: None,
    ) -> OutboxWorker:
        """The worker over the bot's services."""
        return cls(
            settings=services.settings,
            clock=services.clock,
            queue=OutboxQueue(services.db),
            bookings=services.booking.bookings,
            links=StaffLinkRepository(services.db),
            accounts=services.google_accounts,
            business=services.booking.business,
            notices=notices,
            before_write=before_write,
        )

    def __repr__(self) -> str:
        return f"OutboxWorker(running={self._task is not None})"

    async def start(self) -> None:
        """Start delivering (nothing to do when Google is not configured)."""
        if self._accounts.enabled and self._task is None:
            self._task = asyncio.create_task(self._run(), name="outbox worker")

    async def stop(self) -> None:
        """Stop; a delivery cut short is retried after its lease ends (and adopted by id)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def wake(self) -> None:
        """Look for due rows now."""
        self._wake.set()

    async def run_once(self) -> int:
        """Claim and deliver one batch; the number of bookings handled."""
        claims = await self._queue.claim(
            now=self._clock.now(), lease=self._settings.outbox_lease_seconds, limit=BATCH
        )
        by_staff: dict[int, list[Claim]] = {}
        for claim in claims:
            by_staff.setdefault(claim.staff_id, []).append(claim)
        await asyncio.gather(*(self._deliver_all(group) for group in by_staff.values()))
        return len(claims)

    async def _run(self) -> None:
        while True:
            try:
                handled = await self.run_once()
            except Exception:
                log.exception("outbox worker round failed; trying again")
                handled = 0
            if handled:
                continue
            try:
                if await self._queue.queue_moves(now=self._clock.now()):
                    continue
            except Exception:
                log.exception("looking for events to move failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._settings.outbox_poll_seconds)

    async def _deliver_all(self, claims: list[Claim]) -> None:
        for claim in claims:  # one staff member's bookings one at a time, paced
            try:
                await self._deliver(claim)
            except Exception:
                log.exception("delivering booking %s failed unexpectedly", claim.booking_id)
                await self._queue.retry(
                    claim,
                    at=self._clock.now() + backoff(claim.attempts, None, self._rng),
                    error="unexpected error (see the log)",
                )

    async def _deliver(self, claim: Claim) -> None:
        booking = await self._bookings.get(claim.booking_id)
        if booking is None:  # cannot happen (foreign key), but never loop on it
            await self._queue.dead(claim, now=self._clock.now(), error="booking not found")
            return
        if booking.event_calendar_id is None and booking.end <= self._clock.now():
            # Never written and already over (a staff member who connected later): only
            # upcoming bookings are written.
            await self._queue.delivered(claim, now=self._clock.now())
            return
        try:
            session = await self._accounts.session(booking.staff_id)
            self._before_write(booking.staff_id)
            if booking.is_active:
                await self._write(session, booking)
            else:
                await self._remove(session, booking)
        except NotConnected:
            await self._queue.park(claim, error="Google account not connected")
        except Retryable as err:
            if claim.attempts + 1 >= self._settings.outbox_max_attempts:
                await self._give_up(claim, booking, f"{type(err).__name__}: {err}")
            else:
                wait = backoff(claim.attempts, err.retry_after, self._rng)
                await self._queue.retry(
                    claim, at=self._clock.now() + wait, error=f"{type(err).__name__}: {err}"
                )
        except GoogleError as err:
            await self._give_up(claim, booking, f"{type(err).__name__}: {err}")
        else:
            await self._queue.delivered(claim, now=self._clock.now())

    async def _give_up(self, claim: Claim, booking: BookingRecord, error: str) -> None:
        log.warning("booking %s could not be written to Google: %s", booking.id, error)
        await self._queue.dead(claim, now=self._clock.now(), error=error)
        business = await self._business()
        await self._notices.notify(
            CalendarWriteFailed(
                booking_id=booking.id,
                staff_name=booking.staff_name,
                service_name=booking.service_name,
                start=booking.start,
                timezone=business.timezone,
                cancelled=not booking.is_active,
                reason=error,
                admin_chat_ids=tuple(sorted(self._settings.admin_ids)),
            )
        )

    async def _call(
        self,
        session: AccountSession,
        operation: Callable[[GoogleCalendar, GrantedTokens], Awaitable[T]],
    ) -> T:
        bucket = self._buckets.get(session.staff_id)
        if bucket is None:
            bucket = TokenBucket(self._settings.google_requests_per_second)
            self._buckets[session.staff_id] = bucket
        await bucket.acquire()
        return await session.call(operation)

    async def _destination(self, staff_id: int) -> str:
        for choice in await self._links.calendars(staff_id):
            if choice.is_destination:
                return choice.calendar_id
        status = await self._accounts.status(staff_id)
        if status is None:
            raise NotConnected
        return status.email  # the primary calendar's id is the account's address

    async def _write(self, session: AccountSession, booking: BookingRecord) -> None:
        business = await self._business()
        send = business.event_send_updates
        version = 1 if business.event_meet else 0
        calendar_id = booking.event_calendar_id
        if calendar_id is None:
            calendar_id = await self._destination(booking.staff_id)
            # From here on a cancel knows an event may exist (an insert may land unanswered).
            await self._bookings.record_event(booking.id, calendar_id=calendar_id, etag=None)
        fields = event_fields(booking, business)
        cal = calendar_id
        event: EventInfo
        if booking.event_etag is None:
            body = new_event(booking, business)
            inserted = await self._call(
                session,
                lambda c, t: _unless(
                    Conflict,
                    c.insert_event(
                        t, cal, body, send_updates=send, conference_data_version=version
                    ),
                ),
            )
            event = inserted or await self._adopt(session, cal, booking, fields)
        else:
            etag = booking.event_etag
            destination = await self._destination(booking.staff_id)
            if destination != cal:  # the staff member chose another calendar: move it there
                source = cal
                moved = await self._call(
                    session,
                    lambda c, t: _unless(
                        ResourceNotFound, c.move_event(t, source, booking.id, destination)
                    ),
                )
                if moved is None:  # an earlier move landed unanswered: it is there already
                    moved = await self._owned(session, destination, booking)
                cal, etag = destination, moved.etag
                await self._bookings.record_event(booking.id, calendar_id=cal, etag=etag)
            patched = await self._call(
                session,
                lambda c, t: _unless(
                    PreconditionFailed,
                    c.patch_event(t, cal, booking.id, fields, if_match=etag, send_updates=send),
                ),
            )
            if patched is None:  # changed in Google since: re-read, then ours wins
                current = await self._owned(session, cal, booking)
                patched = await self._call(
                    session,
                    lambda c, t: c.patch_event(
                        t, cal, booking.id, fields, if_match=current.etag, send_updates=send
                    ),
                )
            event = patched
        await self._bookings.record_event(booking.id, calendar_id=cal, etag=event.etag)
        link = event.hangout_link
        if link is not None and link != await self._queue.meet_url(booking.id):
            await self._queue.record_meet_url(booking.id, link)
            await self._notices.notify(
                VideoLinkReady(
                    customer_chat_id=booking.customer_telegram_id,
                    service_name=booking.service_name,
                    start=booking.start,
                    timezone=business.timezone,
                    url=link,
                )
            )

    async def _owned(self, session: AccountSession, cal: str, booking: BookingRecord) -> EventInfo:
        event = await self._call(session, lambda c, t: c.get_event(t, cal, booking.id))
        if event.private.get(OWNER_KEY) != booking.id:
            raise NotOurs(f"event {booking.id} in the calendar was not written by bookbot")
        return event

    async def _adopt(
        self,
        session: AccountSession,
        cal: str,
        booking: BookingRecord,
        fields: dict[str, object],
    ) -> EventInfo:
        """The insert had landed before (an answer was lost): take that event over."""
        event = await self._owned(session, cal, booking)
        if (
            event.status != "cancelled"
            and event.start == booking.start
            and (event.end == booking.end)
        ):
            return event
        return await self._call(
            session,
            lambda c, t: c.patch_event(t, cal, booking.id, fields, if_match=event.etag),
        )

    async def _remove(self, session: AccountSession, booking: BookingRecord) -> None:
        cal = booking.event_calendar_id
        if cal is None:
            return  # nothing was ever sent: created and cancelled before delivery
        await self._call(session, lambda c, t: c.delete_event(t, cal, booking.id))
        await self._bookings.record_event(booking.id, calendar_id=cal, etag=None)
