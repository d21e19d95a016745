"""Inline keyboards: service list, staff, the week calendar, time slots, booking actions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers import callbacks as cb
from handlers.i18n import Texts
from handlers.limits import shorten
from handlers.render import service_name, short_when
from storage.records import BookingRecord, ServiceRecord, StaffRecord

SLOTS_PER_ROW = 4
MAX_SLOT_BUTTONS = 96  # 24 rows of 4, a Back row: within the 100 buttons of a keyboard


def button(text: str, data: cb.Callback) -> InlineKeyboardButton:
    """An inline button carrying typed callback data."""
    return InlineKeyboardButton(text, callback_data=data.pack())


LABEL_LIMIT = 48
STAFF_BUTTONS = 90


def page_row(
    t: Texts, previous: cb.Callback | None, following: cb.Callback | None
) -> list[InlineKeyboardButton]:
    """'◀ Previous page' / 'Next page ▶' buttons of a paged list (empty for one page)."""
    row = []
    if previous is not None:
        row.append(button(t._("◀ Previous page"), previous))
    if following is not None:
        row.append(button(t._("Next page ▶"), following))
    return row


def services_keyboard(
    t: Texts,
    services: Sequence[ServiceRecord],
    *,
    previous: int | None = None,
    next_page: int | None = None,
) -> InlineKeyboardMarkup:
    """One button per service (of this page), paging, then 'My bookings'."""
    rows = [
        [
            button(
                f"{shorten(service_name(t, s), LABEL_LIMIT)} · {t.duration(s.duration)} · "
                f"{t.price(s.price_minor, s.currency)}",
                cb.PickService(s.id),
            )
        ]
        for s in services
    ]
    nav = page_row(
        t,
        cb.ShowServices(previous) if previous is not None else None,
        cb.ShowServices(next_page) if next_page is not None else None,
    )
    if nav:
        rows.append(nav)
    rows.append([button(t._("📋 My bookings"), cb.ShowMyBookings())])
    return InlineKeyboardMarkup(rows)


def staff_keyboard(
    t: Texts,
    service_id: int,
    staff: Sequence[StaffRecord],
    *,
    first: InlineKeyboardButton | None = None,
) -> InlineKeyboardMarkup:
    """The first free time (if any), 'Anyone available', then each staff member (as many as
    a keyboard holds)."""
    rows = [[first]] if first is not None else []
    rows.append([button(t._("✨ Anyone available"), cb.PickStaff(service_id, cb.ANYONE))])
    rows += [
        [button(shorten(s.name, LABEL_LIMIT), cb.PickStaff(service_id, cb.StaffChoice(s.id)))]
        for s in staff[:STAFF_BUTTONS]
    ]
    rows.append([button(t._("« Back to services"), cb.ShowServices())])
    return InlineKeyboardMarkup(rows)


def week_start(day: date) -> date:
    """The Monday of the week containing `day`."""
    return day - timedelta(days=day.weekday())


DAYS_PER_ROW = 4


def week_keyboard(
    t: Texts,
    *,
    week: date,
    free_days: Sequence[date],
    pick: Callable[[date], cb.Callback],
    page: Callable[[date], cb.Callback],
    back: InlineKeyboardButton,
) -> InlineKeyboardMarkup:
    """One week's free days, each button saying its day ('Tu 24'); days without free times
    are simply not there (the text says the week)."""
    monday = week_start(week)
    free = set(free_days)
    days = [
        button(f"{t.weekday(day)} {day.day}", pick(day))
        for day in (monday + timedelta(days=offset) for offset in range(7))
        if day in free
    ]
    rows = [days[i : i + DAYS_PER_ROW] for i in range(0, len(days), DAYS_PER_ROW)]
    nav = []
    earlier = [d for d in free if d < monday]
    later = [d for d in free if d >= monday + timedelta(days=7)]
    if earlier:
        nav.append(button(t._("◀ Earlier week"), page(week_start(max(earlier)))))
    if later:
        nav.append(button(t._("Later week ▶"), page(week_start(min(later)))))
    if nav:
        rows.append(nav)
    rows.append([back])
    return InlineKeyboardMarkup(rows)


def slots_keyboard(
    t: Texts,
    slots: Sequence[datetime],
    tz: ZoneInfo,
    *,
    pick: Callable[[datetime], cb.Callback],
    back: InlineKeyboardButton,
    extra: Sequence[list[InlineKeyboardButton]] = (),
) -> InlineKeyboardMarkup:
    """Free start times (of one part of a day), several to a row, then `extra` rows."""
    shown = list(slots)[:MAX_SLOT_BUTTONS]
    rows = [
        [button(t.clock(s, tz), pick(s)) for s in shown[i : i + SLOTS_PER_ROW]]
        for i in range(0, len(shown), SLOTS_PER_ROW)
    ]
    rows += [list(row) for row in extra]
    rows.append([back])
    return InlineKeyboardMarkup(rows)


def alternatives_keyboard(
    t: Texts,
    slots: Sequence[datetime],
    tz: ZoneInfo,
    *,
    pick: Callable[[datetime], cb.Callback],
    other: InlineKeyboardButton,
) -> InlineKeyboardMarkup:
    """The nearest free times after a slot was taken."""
    rows = [[button(short_when(t, s, tz), pick(s))] for s in slots]
    rows.append([other])
    return InlineKeyboardMarkup(rows)


def my_bookings_keyboard(
    t: Texts,
    bookings: Sequence[BookingRecord],
    tz: ZoneInfo,
    *,
    previous: int | None = None,
    next_page: int | None = None,
) -> InlineKeyboardMarkup:
    """One button per upcoming booking (of this page), paging, then 'Book another'."""
    rows = [
        [
            button(
                f"{short_when(t, b.start, tz)} · {shorten(b.service_name, LABEL_LIMIT)}",
                cb.ShowBooking(cb.BookingId(b.id)),
            )
        ]
        for b in bookings
    ]
    nav = page_row(
        t,
        cb.ShowMyBookings(previous) if previous is not None else None,
        cb.ShowMyBookings(next_page) if next_page is not None else None,
    )
    if nav:
        rows.append(nav)
    rows.append([button(t._("➕ Book an appointment"), cb.ShowServices())])
    return InlineKeyboardMarkup(rows)


def booking_actions_keyboard(t: Texts, booking_id: str) -> InlineKeyboardMarkup:
    """Reschedule / cancel / back."""
    bid = cb.BookingId(booking_id)
    return InlineKeyboardMarkup(
        [
            [button(t._("🔁 Reschedule"), cb.MoveWeek(bid, cb.EARLIEST_DAY))],
            [button(t._("✖ Cancel booking"), cb.AskCancel(bid))],
            [button(t._("« Back to my bookings"), cb.ShowMyBookings())],
        ]
    )


def menu_keyboard(t: Texts) -> InlineKeyboardMarkup:
    """The way back to the start."""
    return InlineKeyboardMarkup(
        [
            [button(t._("🗓 Book an appointment"), cb.ShowServices())],
            [button(t._("📋 My bookings"), cb.ShowMyBookings())],
        ]
    )
