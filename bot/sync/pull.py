"""Google -> bot: incremental sync of each connected staff member's destination calendar.

Every cycle (GOOGLE_SYNC_INTERVAL_SECONDS, and at once when a push notification arrives)
each destination calendar is read with ``events.list`` and its ``syncToken``, following
``nextPageToken`` to the ``nextSyncToken`` of the last page, which is saved only after every
page was applied. The first sync, and any sync whose token Google refuses (410
``fullSyncRequired``), lists the booking horizon instead (``timeMin``/``timeMax``: a sync
token cannot be combined with them), deleted events included. Each event goes through
`bot.sync.changes`; one odd event is logged and skipped, one failing calendar never stops the
others. A calendar whose push channel is live is not polled: its notifications trigger the
sync (and a read every PUSH_SAFETY_POLL, and after a restart, catches a lost one). Moves and
cancellations are told through the notices port. `on_calendar_changed` hears of every
calendar that changed (the busy-time cache drops that staff member's entry): a notification
for a blocking calendar at once; one for the destination calendar at once too, unless the
bot wrote to that calendar in the last ECHO_WINDOW (`expect_echo`, told by the outbox worker
before each write): then the sync the notification triggers decides, dropping the entry
when it lists a change other than the echo of the bot's own write, or fails. Every booking
the bot writes makes Google notify, and its echo changes nothing the cache holds (the bot's
own events are subtracted from busy time);
`on_push_fresh` hears whether push channels watch all of a staff member's calendars (the
busy-time cache then trusts its entry until a notification). `run_once()` runs one cycle
now (tests, benchmarks).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.booking import BookingService
from bot.clock import Clock
from bot.google.errors import GoogleError, SyncTokenExpired
from bot.google_accounts import AccountSession, GoogleAccounts, GoogleNotConfigured, NotConnected
from bot.notices import (
    BookingCancelledInGoogle,
    BookingMovedInGoogle,
    GoogleMoveRefused,
    Notices,
)
from bot.sync.changes import Applied, ChangeApplier
from bot.sync.push import PushChannels
from storage.staff_links import StaffLinkRepository
from storage.sync_state import SyncStateRepository

log = logging.getLogger(__name__)

# A full sync also looks this far back, so an event moved from just before now is seen.
FULL_SYNC_PAST = timedelta(days=1)
# Google does not promise to deliver every notification: calendars with a live push channel
# are still read this often.
PUSH_SAFETY_POLL = timedelta(hours=6)
ECHO_WINDOW = timedelta(seconds=30)  # Google notifies of a write within seconds


def _ignore(staff_id: int) -> None:
    return None


def _ignore_fresh(staff_id: int, fresh: bool) -> None:
    return None


@dataclass
class CycleReport:
    """What one sync cycle did (for tests, benchmarks and the log)."""

    calendars: int = 0
    full_syncs: int = 0
    pushed: int = 0  # calendars left to their push channel
    failed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


class CalendarPull:
    """The runtime part that keeps bookings in step with their events in Google."""

    name = "google pull"

    def __init__(
        self,
        *,
        accounts: GoogleAccounts,
        links: StaffLinkRepository,
        state: SyncStateRepository,
        booking: BookingService,
        notices: Notices,
        clock: Clock,
        interval: timedelta,
        push: PushChannels | None = None,
        on_calendar_changed: Callable[[int], None] = _ignore,
        on_push_fresh: Callable[[int, bool], None] = _ignore_fresh,
    ) -> None:
        self._accounts = accounts
        self._links = links
        self._state = state
        self._booking = booking
        self._notices = notices
        self._clock = clock
        self._interval = interval
        self._push = push
        self._on_calendar_changed = on_calendar_changed
        self._on_push_fresh = on_push_fresh
        self._fresh: set[int] = set()  # staff whose calendars all have a live channel
        self._changes = ChangeApplier(bookings=booking.bookings, state=state)
        self._wake = asyncio.Event()
        self._due: set[int] = set()  # staff whose destination calendar was notified
        self._verdict_due: set[int] = set()  # ... whose busy cache waits for that sync
        self._echo_until: dict[int, datetime] = {}  # staff id -> end of an expected echo
        self._dropped: set[int] = set()  # ... whose cache a notification already dropped
        self._lock = asyncio.Lock()
        # When each calendar was last read (this process): a calendar with a live channel is
        # still read after a restart and every PUSH_SAFETY_POLL, in case a notification was lost.
        self._polled: dict[tuple[int, str], datetime] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._push is not None:
            self._accounts.before_disconnect.append(self.stop_channels_of)
        if self._accounts.enabled:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self.stop_channels_of in self._accounts.before_disconnect:
            self._accounts.before_disconnect.remove(self.stop_channels_of)
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.run_once()
            except Exception:
                log.exception("a calendar sync cycle failed; the next one retries")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval.total_seconds()):
                    await self._wake.wait()

    async def run_once(self) -> CycleReport:
        """One cycle over every connected staff member (serialised with other cycles)."""
        async with self._lock:
            due, self._due = self._due, set()
            dropped, self._dropped = self._dropped, set()
            report = CycleReport()
            for account in await self._links.accounts():
                try:
                    if account.status == "connected":
                        await self._cycle_staff(
                            account.staff_id,
                            report,
                            forced=account.staff_id in due,
                            dropped=account.staff_id in dropped,
                        )
                    else:
                        await self._drop_unwanted(None, account.staff_id, keep=set())
                except (GoogleError, NotConnected) as err:
                    report.failed += 1
                    log.warning("sync of staff %s failed: %s", account.staff_id, type(err).__name__)
                except Exception:
                    report.failed += 1
                    log.exception("sync of staff %s failed", account.staff_id)
            for staff_id in due & self._verdict_due:  # notified, but no sync said what changed
                self._verdict_due.discard(staff_id)
                self._on_calendar_changed(staff_id)
            return report

    async def _cycle_staff(
        self, staff_id: int, report: CycleReport, *, forced: bool, dropped: bool
    ) -> None:
        choices = await self._links.calendars(staff_id)
        destination = next((c.calendar_id for c in choices if c.is_destination), None)
        try:
            session = await self._accounts.session(staff_id)
        except (NotConnected, GoogleNotConfigured):
            return
        now = self._clock.now()
        live = False
        wanted = {c.calendar_id for c in choices if c.is_destination or c.blocks_time}
        await self._drop_unwanted(session, staff_id, keep=wanted)
        if self._push is not None:
            watched = 0
            for calendar_id in sorted(wanted):
                ensured = await self._push.ensure(session, calendar_id, now=now)
                watched += ensured
                live = live or (ensured and calendar_id == destination)
            self._push_fresh(staff_id, bool(wanted) and watched == len(wanted))
        if destination is None:
            return
        state = await self._state.get(staff_id, destination)
        polled = self._polled.get((staff_id, destination))
        if (
            live
            and not forced
            and state is not None
            and state.sync_token is not None
            and polled is not None
            and now - polled < PUSH_SAFETY_POLL
        ):
            report.pushed += 1
            return
        report.calendars += 1
        await self.sync_calendar(session, destination, report, dropped=dropped)

    def _push_fresh(self, staff_id: int, fresh: bool) -> None:
        """Tell the busy-time cache whether channels watch all the staff member's calendars;
        on becoming watched its entry is dropped (it may predate the channels)."""
        if fresh and staff_id not in self._fresh:
            self._on_calendar_changed(staff_id)
        if fresh:
            self._fresh.add(staff_id)
        else:
            self._fresh.discard(staff_id)
        self._on_push_fresh(staff_id, fresh)

    async def stop_channels_of(self, session: AccountSession) -> None:
        """Stop every push channel of the staff member (before their tokens are dropped)."""
        async with self._lock:
            await self._drop_unwanted(session, session.staff_id, keep=set())

    async def _drop_unwanted(
        self, session: AccountSession | None, staff_id: int, *, keep: set[str]
    ) -> None:
        """Stop the channels and forget the sync state of the staff member's calendars that
        are no longer chosen (all of them once the account is no longer connected)."""
        if not keep:
            self._push_fresh(staff_id, False)
        for state in await self._state.all():
            if state.staff_id != staff_id or state.calendar_id in keep:
                continue
            if self._push is not None and state.channel_id:
                await self._push.stop(session, staff_id, state.calendar_id, now=self._clock.now())
            await self._state.forget(staff_id, state.calendar_id)

    async def sync_calendar(
        self,
        session: AccountSession,
        calendar_id: str,
        report: CycleReport,
        *,
        dropped: bool = False,
    ) -> None:
        """Read the calendar's changes (or the horizon, without a usable token) and apply them.
        `dropped`: a notification already dropped the busy cache for the changes this sync
        reads (each later change brings its own notification), so it is not dropped twice."""
        staff_id = session.staff_id
        state = await self._state.get(staff_id, calendar_id)
        token = state.sync_token if state is not None else None
        try:
            changed, next_token = await self._read(session, calendar_id, token, report)
        except SyncTokenExpired:
            log.info("sync token of staff %s's calendar expired; full resync", staff_id)
            changed, next_token = await self._read(session, calendar_id, None, report)
        await self._state.save_sync_token(staff_id, calendar_id, next_token, now=self._clock.now())
        self._polled[(staff_id, calendar_id)] = self._clock.now()
        judged = staff_id in self._verdict_due
        self._verdict_due.discard(staff_id)
        if changed and (judged or not dropped):
            self._on_calendar_changed(staff_id)

    async def _read(
        self, session: AccountSession, calendar_id: str, token: str | None, report: CycleReport
    ) -> tuple[bool, str | None]:
        """Apply every page; (whether anything but echoes of the bot's own writes was
        listed, the next sync token)."""
        bounds: Mapping[str, datetime | None] = {"time_min": None, "time_max": None}
        if token is None:
            report.full_syncs += 1
            now = self._clock.now()
            horizon = timedelta(days=(await self._booking.business()).horizon_days + 1)
            bounds = {"time_min": now - FULL_SYNC_PAST, "time_max": now + horizon}
        page_token: str | None = None
        listed = False
        while True:
            page = await session.list_events(
                calendar_id,
                sync_token=token,
                page_token=page_token,
                time_min=bounds["time_min"],
                time_max=bounds["time_max"],
            )
            for resource in page.items:
                applied = await self._apply(resource, session.staff_id, calendar_id)
                listed = listed or applied.outcome != "unchanged"
                report.outcomes[applied.outcome] = report.outcomes.get(applied.outcome, 0) + 1
            if page.next_page_token is None:
                return listed, page.next_sync_token
            page_token = page.next_page_token

    async def _apply(
        self, resource: Mapping[str, object], staff_id: int, calendar_id: str
    ) -> Applied:
        try:
            applied = await self._changes.apply(
                resource, staff_id=staff_id, calendar_id=calendar_id, now=self._clock.now()
            )
        except Exception:
            log.exception(
                "skipped an event of staff %s's calendar that could not be applied", staff_id
            )
            return Applied("skipped")
        if applied.booking is not None and applied.previous is not None:
            await self._tell(applied)
        return applied

    async def _tell(self, applied: Applied) -> None:
        booking, previous = applied.booking, applied.previous
        assert booking is not None
        assert previous is not None
        business = await self._booking.business()
        staff = await self._booking.catalog.staff_member(booking.staff_id)
        staff_chat = staff.telegram_user_id if staff is not None else None
        if applied.outcome == "moved":
            await self._notices.notify(
                BookingMovedInGoogle(
                    booking=booking,
                    previous_start=previous.start,
                    business=business,
                    staff_chat_id=staff_chat,
                )
            )
        elif applied.outcome == "refused" and applied.wanted is not None:
            await self._notices.notify(
                GoogleMoveRefused(
                    booking=booking,
                    wanted_start=applied.wanted,
                    business=business,
                    staff_chat_id=staff_chat,
                )
            )
        elif applied.outcome == "cancelled":
            await self._notices.notify(
                BookingCancelledInGoogle(
                    booking=booking, business=business, staff_chat_id=staff_chat
                )
            )

    def calendars_changed(self, staff_id: int) -> None:
        """The staff member chose other calendars (or disconnected): if their calendars were
        synced before, sync now, stopping and opening channels to match, rather than at the
        next cycle (a first choice is synced by the next cycle)."""
        if any(synced == staff_id for synced, _ in self._polled):
            self._due.add(staff_id)
            self._wake.set()

    def expect_echo(self, staff_id: int) -> None:
        """The bot is about to write to the staff member's destination calendar: Google's
        notification of it is an echo, to be judged by the sync (see the module doc)."""
        self._echo_until[staff_id] = self._clock.now() + ECHO_WINDOW

    async def notified(self, headers: Mapping[str, str]) -> None:
        """A push notification: if it is about one of our live channels, note the change and
        wake the sync (which runs in the background; Google wants a quick answer)."""
        if self._push is None:
            return
        notification = await self._push.verify(headers)
        if notification is None:
            log.info("push notification for an unknown or stopped channel ignored")
            return
        if notification.state == "sync":
            return  # the channel just opened; nothing changed
        staff_id = notification.staff_id
        choices = await self._links.calendars(staff_id)
        destination = any(
            c.is_destination and c.calendar_id == notification.calendar_id for c in choices
        )
        echo = self._clock.now() < self._echo_until.get(staff_id, datetime.min.replace(tzinfo=UTC))
        if destination and echo:
            self._verdict_due.add(staff_id)  # the sync below tells whether busy time changed
        else:
            self._on_calendar_changed(staff_id)
            if destination:
                self._dropped.add(staff_id)
        if destination:
            self._due.add(staff_id)
            self._wake.set()
