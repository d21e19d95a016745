"""Availability as the booking service asks for it: storage records in, free slots out.

`BookingService` reads what `read_span` names (the staff's hours, the time their bookings
block, their external busy time) and hands the records to `compute`, which turns
them into domain values and runs `bot.domain.availability.find_free_slots`. The benchmark
(`bench/availability.py`) times `compute` on the same kind of records, so its figures are
the bot's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.business import BusinessSettings
from bot.domain.availability import (
    BookingPolicy,
    FreeSlots,
    ServiceTiming,
    StaffAgenda,
    find_free_slots,
)
from bot.domain.schedule import StaffSchedule, TimeRange, WeeklyHours
from bot.domain.timespan import Interval, from_epoch
from storage.records import BlockedTimes, ServiceRecord, StaffHours

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ReadSpan:
    """What one availability query needs from storage, and which starts it may offer."""

    today: date  # the business's local date now
    start: datetime  # bookings and busy time meeting [start, end) can block a slot
    end: datetime
    window: Interval | None  # starts only inside this local day, or the whole horizon


def read_span(
    business: BusinessSettings, service: ServiceRecord, now: datetime, day: date | None
) -> ReadSpan:
    """The span to read for one local `day`, or for the whole horizon when `day` is None."""
    tz, horizon = business.tz, business.horizon_days
    today = now.astimezone(tz).date()
    first, last = (day, day) if day is not None else (today, today + timedelta(days=horizon))
    window = None
    if day is not None:
        window = Interval(
            datetime.combine(day, time(0), tz), datetime.combine(day + _ONE_DAY, time(0), tz)
        )
    # A new booking blocks [start - buffer before, end + buffer after), inside its day but for
    # the buffers (less than a day). It starts no earlier than now + minimum notice, so
    # nothing that ended before that, less its buffer, can block it: the past is not read.
    earliest = now + business.min_notice - service.buffer_before
    return ReadSpan(
        today=today,
        start=max(datetime.combine(first, time(0), tz) - _ONE_DAY, earliest),
        end=datetime.combine(last + _ONE_DAY, time(0), tz) + _ONE_DAY,
        window=window,
    )


@dataclass(frozen=True, slots=True)
class Availability:
    """The free slots of the asked staff, and their bookings (for "least busy first")."""

    free: FreeSlots[int]
    business: BusinessSettings
    booked: BlockedTimes

    def bookings_on(self, staff_id: int, day: date) -> int:
        """How many bookings the staff member has on a local date of the read span."""
        tz = self.business.tz
        starts = self.booked.starts.get(staff_id, ())
        return sum(1 for second in starts if from_epoch(second).astimezone(tz).date() == day)


def staff_schedule(hours: StaffHours) -> StaffSchedule:
    """A staff member's stored weekly hours and date overrides as a domain schedule."""

    def rng(start: int, end: int) -> TimeRange:
        end_time = time(0) if end == 24 * 60 else time(end // 60, end % 60)
        return TimeRange(time(start // 60, start % 60), end_time)

    weekly: dict[int, list[TimeRange]] = {}
    for row in hours.weekly:
        weekly.setdefault(row.weekday, []).append(rng(row.start_minute, row.end_minute))
    overrides: dict[date, list[TimeRange]] = {}
    for o in hours.overrides:
        ranges = overrides.setdefault(o.day, [])
        if o.start_minute is not None and o.end_minute is not None:
            ranges.append(rng(o.start_minute, o.end_minute))
    return StaffSchedule(
        weekly=WeeklyHours.from_mapping(weekly),
        overrides={k: tuple(v) for k, v in overrides.items()},
    )


def compute(
    *,
    service: ServiceRecord,
    business: BusinessSettings,
    span: ReadSpan,
    now: datetime,
    staff_ids: Sequence[int],
    hours: Mapping[int, StaffHours],
    booked: BlockedTimes,
    external: Mapping[int, Sequence[Interval]],
) -> Availability:
    """Free slots of `staff_ids` (in that order) from what storage and the calendars said."""
    agendas = {
        i: StaffAgenda(
            staff_schedule(hours[i]), booked.spans.get(i, ()), tuple(external.get(i, ()))
        )
        for i in staff_ids
    }
    free = find_free_slots(
        staff=agendas,
        service=ServiceTiming(
            duration=service.duration,
            buffer_before=service.buffer_before,
            buffer_after=service.buffer_after,
        ),
        policy=BookingPolicy(
            tz=business.tz,
            slot_step=business.slot_step,
            min_notice=business.min_notice,
            horizon_days=business.horizon_days,
        ),
        now=now,
        window=span.window,
    )
    return Availability(free=free, business=business, booked=booked)
