"""Inline keyboards: service list, staff, the week calendar, time slots, booking actions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers import callbacks as cb
from handlers.limits import shorten
from handlers.render import clock_time, duration, money, short_when
from storage.records import BookingRecord, ServiceRecord, StaffRecord

SLOTS_PER_ROW = 4
MAX_SLOT_BUTTONS = 96  # 24 rows of 4, a Back row: within the 100 buttons of a keyboard
WEEKDAY_LETTERS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")


def button(text: str, data: cb.Callback) -> InlineKeyboardButton:
    """An inline button carrying typed callback data."""
    return InlineKeyboardButton(text, callback_data=data.pack())


LABEL_LIMIT = 48
STAFF_BUTTONS = 90


def page_row(
    previous: cb.Callback | None, following: cb.Callback | None
) -> list[InlineKeyboardButton]:
    """'◀ Previous' / 'Next ▶' buttons of a paged list (empty when there is one page)."""
    row = []
    if previous is not None:
        row.append(button("◀ Previous", previous))
    if following is not None:
        row.append(button("Next ▶", following))
    return row


def services_keyboard(
    services: Sequence[ServiceRecord], *, previous: int | None = None, next_page: int | None = None
) -> InlineKeyboardMarkup:
    """One button per service (of this page), paging, then 'My bookings'."""
    rows = [
        [
            button(
                f"{shorten(s.name, LABEL_LIMIT)} · {duration(s.duration)} · "
                f"{money(s.price_minor, s.currency)}",
                cb.PickService(s.id),
            )
        ]
        for s in services
    ]
    nav = page_row(
        cb.ShowServices(previous) if previous is not None else None,
        cb.ShowServices(next_page) if next_page is not None else None,
    )
    if nav:
        rows.append(nav)
    rows.append([button("📋 My bookings", cb.ShowMyBookings())])
    return InlineKeyboardMarkup(rows)


def staff_keyboard(service_id: int, staff: Sequence[StaffRecord]) -> InlineKeyboardMarkup:
    """'Anyone available' first, then each staff member (as many as a keyboard holds)."""
    rows = [[button("✨ Anyone available", cb.PickStaff(service_id, cb.ANYONE))]]
    rows += [
        [button(shorten(s.name, LABEL_LIMIT), cb.PickStaff(service_id, cb.StaffChoice(s.id)))]
        for s in staff[:STAFF_BUTTONS]
    ]
    rows.append([button("« Services", cb.ShowServices())])
    return InlineKeyboardMarkup(rows)


def week_start(day: date) -> date:
    """The Monday of the week containing `day`."""
    return day - timedelta(days=day.weekday())


def week_keyboard(
    *,
    week: date,
    free_days: Sequence[date],
    pick: Callable[[date], cb.Callback],
    page: Callable[[date], cb.Callback],
    back: InlineKeyboardButton,
) -> InlineKeyboardMarkup:
    """A calendar row for one week: free days are buttons, other days are dots."""
    monday = week_start(week)
    free = set(free_days)
    header = [button(letter, cb.Noop()) for letter in WEEKDAY_LETTERS]
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        days.append(button(f"{day.day}", pick(day)) if day in free else button("·", cb.Noop()))
    nav = []
    earlier = [d for d in free if d < monday]
    later = [d for d in free if d >= monday + timedelta(days=7)]
    if earlier:
        nav.append(button("◀ Earlier", page(week_start(max(earlier)))))
    if later:
        nav.append(button("Later ▶", page(week_start(min(later)))))
    rows = [header, days]
    if nav:
        rows.append(nav)
    rows.append([back])
    return InlineKeyboardMarkup(rows)


def slots_keyboard(
    slots: Sequence[datetime],
    tz: ZoneInfo,
    *,
    pick: Callable[[datetime], cb.Callback],
    back: InlineKeyboardButton,
) -> InlineKeyboardMarkup:
    """Free start times of a day, several to a row."""
    shown = list(slots)[:MAX_SLOT_BUTTONS]
    rows = [
        [button(clock_time(s, tz), pick(s)) for s in shown[i : i + SLOTS_PER_ROW]]
        for i in range(0, len(shown), SLOTS_PER_ROW)
    ]
    rows.append([back])
    return InlineKeyboardMarkup(rows)


def alternatives_keyboard(
    slots: Sequence[datetime],
    tz: ZoneInfo,
    *,
    pick: Callable[[datetime], cb.Callback],
    other: InlineKeyboardButton,
) -> InlineKeyboardMarkup:
    """The nearest free times after a slot was taken."""
    rows = [[button(short_when(s, tz), pick(s))] for s in slots]
    rows.append([other])
    return InlineKeyboardMarkup(rows)


def my_bookings_keyboard(
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
                f"{short_when(b.start, tz)} · {shorten(b.service_name, LABEL_LIMIT)}",
                cb.ShowBooking(cb.BookingId(b.id)),
            )
        ]
        for b in bookings
    ]
    nav = page_row(
        cb.ShowMyBookings(previous) if previous is not None else None,
        cb.ShowMyBookings(next_page) if next_page is not None else None,
    )
    if nav:
        rows.append(nav)
    rows.append([button("➕ Book an appointment", cb.ShowServices())])
    return InlineKeyboardMarkup(rows)


def booking_actions_keyboard(booking_id: str) -> InlineKeyboardMarkup:
    """Reschedule / cancel / back."""
    bid = cb.BookingId(booking_id)
    return InlineKeyboardMarkup(
        [
            [button("🔁 Reschedule", cb.MoveWeek(bid, cb.EARLIEST_DAY))],
            [button("✖ Cancel booking", cb.AskCancel(bid))],
            [button("« My bookings", cb.ShowMyBookings())],
        ]
    )


def menu_keyboard() -> InlineKeyboardMarkup:
    """The way back to the start."""
    return InlineKeyboardMarkup(
        [
            [button("🗓 Book an appointment", cb.ShowServices())],
            [button("📋 My bookings", cb.ShowMyBookings())],
        ]
    )
