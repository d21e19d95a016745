"""Google busy time for availability: `freeBusy.query` per staff member, cached briefly.

`GoogleBusy` is the `bot.booking.ExternalBusy` port over each staff member's Google account:

- **What blocks.** The calendars the staff member marked as blocking plus the destination
  calendar, in one `GoogleCalendar.free_busy` (at most 50 calendars and 90 days per query;
  it splits longer lists and ranges). Google leaves out events marked "free"
  (``transparency: transparent``) and cancelled ones. The bot's own events are in the
  destination calendar too, and free/busy cannot tell them apart: from each calendar's busy
  time the times of the staff member's confirmed bookings whose event was written there are
  subtracted (`storage.own_events`), so a booking never blocks its own reschedule. The
  booking itself still blocks its time through the bookings table.
- **Cache.** One entry per staff member, in memory only, living GOOGLE_BUSY_CACHE_SECONDS on
  the bot's clock, covering a window from a day before now to the farthest end asked so far
  (the booking horizon), so browsing days and slots costs one call per staff member per
  cache period. Concurrent readers share one fetch. `invalidate(staff_id)` drops it (change
  notifications); the dropped data stays only as a fallback for failures. While push
  channels watch all of a staff member's calendars (`mark_push_fresh`) a change drops the
  entry anyway, so it lives GOOGLE_BUSY_PUSH_CACHE_SECONDS instead (a bound in case a
  notification is lost).
- **Confirm.** The booking service first picks candidates from whatever is cached
  (`any_age=True`: no call when anything is), then `busy(..., fresh=True)` re-fetches (one
  call per staff member) unless a push channel keeps that staff member's entry current
  (`mark_push_fresh`), waiting at most GOOGLE_CONFIRM_TIMEOUT_SECONDS; after that the
  cached data stands (the fetch finishes in the background and refreshes the cache).
- **Failures never break the slot list.** Each wait is bounded (GOOGLE_BUSY_TIMEOUT_SECONDS
  for browsing); a timeout or a Google error falls back to the last data (or none), is
  logged, and is retried after FAILURE_RETRY at the latest. A staff member whose account
  stopped working (`NotConnected`: `GoogleAccounts` told them and the admins once) or who
  has no calendars chosen has no busy time: their slots come from bookings and hours alone.
- **A calendar Google cannot read** (per-calendar ``errors``, e.g. ``notFound`` for a deleted
  or unshared calendar) is treated as unknown, not as busy: its time does not block, the
  problem is logged and recorded as the account's last error (shown by `bookbot doctor`,
  recorded again only when the set of unreadable calendars changes), and the other calendars
  still block. Blocking the whole staff member for one broken calendar would take every slot
  away until an admin noticed; the admin sees it in the doctor instead.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.domain.timespan import Interval, merge, subtract
from bot.google.errors import GoogleError
from bot.google_accounts import GoogleAccounts, GoogleNotConfigured, NotConnected
from storage.own_events import OwnEventRepository
from storage.staff_links import StaffLinkRepository

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=1)  # a read span starts at most this long before now
FAILURE_RETRY = timedelta(seconds=10)  # after a failed fetch, try again this soon at the latest


class CalendarUnreadable(GoogleError):
    """Google answered free/busy with an error for some of a staff member's calendars."""


@dataclass(frozen=True, slots=True)
class _Entry:
    """A staff member's busy time over [low, high), as fetched at `seq`."""

    seq: int
    low: datetime
    high: datetime
    busy: tuple[Interval, ...]
    fetched: datetime  # on the bot's clock
    expires: datetime
    current: bool  # False after a failure or an invalidation: fallback data only

    def covers(self, start: datetime, end: datetime) -> bool:
        return self.low <= start and end <= self.high

    def within(self, start: datetime, end: datetime) -> list[Interval]:
        return [i for i in self.busy if i.start < end and start < i.end]


@dataclass(frozen=True, slots=True)
class _Fetch:
    seq: int
    low: datetime
    high: datetime
    task: asyncio.Task[_Entry | None]


class GoogleBusy:
    """Busy time of staff members' Google calendars, for availability (see the module doc)."""

    name = "google busy"

    def __init__(
        self,
        *,
        accounts: GoogleAccounts,
        links: StaffLinkRepository,
        own_events: OwnEventRepository,
        clock: Clock,
        cache_seconds: float,
        push_cache_seconds: float,
        timeout_seconds: float,
        confirm_timeout_seconds: float,
    ) -> None:
        self._accounts = accounts
        self._links = links
        self._own = own_events
        self._clock = clock
        self._ttl = timedelta(seconds=cache_seconds)
        self._push_ttl = timedelta(seconds=max(cache_seconds, push_cache_seconds))
        self._timeout = timeout_seconds
        self._confirm_timeout = confirm_timeout_seconds
        self._entries: dict[int, _Entry] = {}
        self._fetches: dict[int, _Fetch] = {}
        self._push_fresh: set[int] = set()
        self._reported: dict[int, frozenset[tuple[str, str]]] = {}
        self._changed_at: dict[int, int] = {}  # staff id -> seq of the last invalidate
        self._reach = timedelta(0)
        self._seq = itertools.count(1)

    def __repr__(self) -> str:
        return f"GoogleBusy(cached={len(self._entries)})"

    # --- the ExternalBusy port -------------------------------------------------------------

    async def busy(
        self,
        staff_ids: Sequence[int],
        start: datetime,
        end: datetime,
        *,
        fresh: bool = False,
        any_age: bool = False,
    ) -> Mapping[int, Sequence[Interval]]:
        """Busy intervals meeting [start, end) per staff member; `fresh` for the Confirm
        re-check, `any_age` for the pass before it (whatever is cached, however old; fetched
        only when nothing is). Never raises for Google's sake: failures fall back to older
        data or none."""
        if not self._accounts.enabled or not staff_ids:
            return {}
        self._reach = max(self._reach, end - self._clock.now())
        found = await asyncio.gather(*(self._one(i, start, end, fresh, any_age) for i in staff_ids))
        return {i: busy for i, busy in zip(staff_ids, found, strict=True) if busy}

    # --- for change notifications ----------------------------------------------------------

    def invalidate(self, staff_id: int) -> None:
        """The staff member's calendars changed: the next read fetches afresh (the old data
        is kept only as a fallback if that fetch fails)."""
        self._changed_at[staff_id] = next(self._seq)
        entry = self._entries.get(staff_id)
        if entry is not None:
            self._entries[staff_id] = replace(entry, current=False)
        fetch = self._fetches.get(staff_id)
        if fetch is not None and not fetch.task.done():
            # Started before the change: its answer may predate it, so it is not reused
            # (and is kept only as fallback data when it lands).
            del self._fetches[staff_id]

    def mark_push_fresh(self, staff_id: int, fresh: bool = True) -> None:
        """Whether a push channel watches all of the staff member's calendars (so the cached
        entry is current until `invalidate`, and Confirm need not re-fetch)."""
        if fresh:
            self._push_fresh.add(staff_id)
        else:
            self._push_fresh.discard(staff_id)

    def is_push_fresh(self, staff_id: int) -> bool:
        """Whether push channels currently keep the staff member's entry current."""
        return staff_id in self._push_fresh

    async def close(self) -> None:
        """Stop fetches in flight (at shutdown)."""
        tasks = [f.task for f in self._fetches.values()]
        self._fetches.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # --- reading -----------------------------------------------------------------------------

    async def _one(
        self, staff_id: int, start: datetime, end: datetime, fresh: bool, any_age: bool
    ) -> list[Interval]:
        now = self._clock.now()
        entry = self._entries.get(staff_id)
        if entry is not None and any_age and not fresh and entry.covers(start, end):
            return entry.within(start, end)
        if entry is not None and self._usable(staff_id, entry, start, end, now, fresh):
            return entry.within(start, end)
        fetch = self._fetch_for(staff_id, start, end, now)
        wait = self._confirm_timeout if fresh else self._timeout
        try:
            await asyncio.wait_for(asyncio.shield(fetch.task), wait)
        except TimeoutError:
            log.warning(
                "Google free/busy of staff %s took over %.1f s; using %s",
                staff_id,
                wait,
                "older data" if staff_id in self._entries else "no busy time",
            )
        latest = self._entries.get(staff_id)
        return latest.within(start, end) if latest is not None else []

    def _usable(
        self,
        staff_id: int,
        entry: _Entry,
        start: datetime,
        end: datetime,
        now: datetime,
        fresh: bool,
    ) -> bool:
        if not entry.current or not entry.covers(start, end):
            return False
        pushed = staff_id in self._push_fresh
        alive = now < entry.expires or (pushed and now < entry.fetched + self._push_ttl)
        return alive and (not fresh or pushed)

    def _fetch_for(self, staff_id: int, start: datetime, end: datetime, now: datetime) -> _Fetch:
        """The fetch in flight for the staff member if it covers [start, end), else a new one
        covering it and the whole horizon read so far."""
        running = self._fetches.get(staff_id)
        if (
            running is not None
            and not running.task.done()
            and running.low <= start
            and end <= running.high
        ):
            return running
        low = min(start, now - LOOKBACK)
        high = max(end, now + self._reach)
        seq = next(self._seq)
        task = asyncio.create_task(
            self._fetch(staff_id, seq, low, high), name=f"google busy {staff_id}"
        )
        fetch = _Fetch(seq, low, high, task)
        self._fetches[staff_id] = fetch
        task.add_done_callback(lambda _: self._forget_fetch(staff_id, fetch))
        return fetch

    def _forget_fetch(self, staff_id: int, fetch: _Fetch) -> None:
        if self._fetches.get(staff_id) is fetch:
            del self._fetches[staff_id]

    def _store(self, staff_id: int, entry: _Entry) -> None:
        older = self._entries.get(staff_id)
        if older is None or older.seq < entry.seq:
            self._entries[staff_id] = entry

    # --- fetching ----------------------------------------------------------------------------

    async def _fetch(self, staff_id: int, seq: int, low: datetime, high: datetime) -> _Entry | None:
        try:
            busy = await self._read(staff_id, low, high)
        except (NotConnected, GoogleNotConfigured):
            busy = []  # GoogleAccounts has told the staff member and the admins (once)
        except GoogleError as err:
            log.warning("Google free/busy failed for staff %s: %s", staff_id, type(err).__name__)
            self._keep_as_fallback(staff_id)
            return None
        except Exception:
            log.exception("reading Google busy time of staff %s failed", staff_id)
            self._keep_as_fallback(staff_id)
            return None
        now = self._clock.now()
        current = seq > self._changed_at.get(staff_id, 0)
        entry = _Entry(seq, low, high, tuple(busy), now, now + self._ttl, current=current)
        self._store(staff_id, entry)
        return entry

    def _keep_as_fallback(self, staff_id: int) -> None:
        """After a failure: keep serving what we had, as fallback, and retry soon."""
        now = self._clock.now()
        older = self._entries.get(staff_id)
        if older is None:
            self._entries[staff_id] = _Entry(
                0, now, now, (), now, now + FAILURE_RETRY, current=False
            )
        else:
            self._entries[staff_id] = replace(
                older, expires=min(older.expires, now + FAILURE_RETRY), current=False
            )

    async def _read(self, staff_id: int, low: datetime, high: datetime) -> list[Interval]:
        choices = await self._links.calendars(staff_id)
        names = {c.calendar_id: c.name for c in choices}
        ids = [c.calendar_id for c in choices if c.blocks_time or c.is_destination]
        if not ids:
            return []
        session = await self._accounts.session(staff_id)
        answer = await session.free_busy(ids, low, high)
        ours: dict[str, list[Interval]] = {}
        for event in await self._own.written(staff_id, low, high):
            ours.setdefault(event.calendar_id, []).append(Interval(event.start, event.end))
        await self._report_unreadable(staff_id, answer.errors, names)
        busy: list[Interval] = []
        for calendar_id, intervals in answer.busy.items():
            busy.extend(subtract(intervals, ours.get(calendar_id, ())))
        return merge(busy)

    async def _report_unreadable(
        self, staff_id: int, errors: Mapping[str, str], names: Mapping[str, str]
    ) -> None:
        problems = frozenset((names.get(c, c), reason) for c, reason in errors.items())
        if self._reported.get(staff_id, frozenset()) == problems:
            return
        self._reported[staff_id] = problems
        if not problems:
            return
        described = ", ".join(f"{name} ({reason})" for name, reason in sorted(problems))
        log.warning(
            "Google could not read %d calendar(s) of staff %s; their busy time is ignored",
            len(problems),
            staff_id,
        )
        await self._accounts.record_error(
            staff_id,
            CalendarUnreadable(
                f"free/busy could not read {described}: its busy time is ignored; "
                "choose the calendars again with /calendars"
            ),
        )
