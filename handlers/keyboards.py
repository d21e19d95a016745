"""Inline keyboards: service list, staff, the week calendar, time slots, booking actions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers import callbacks as cb
from handlers.render import clock_time, duration, money, short_when
from storage.records import BookingRecord, ServiceRecord, StaffRecord

SLOTS_PER_ROW = 4
MAX_SLOT_BUTTONS = 96
WEEKDAY_LETTERS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")


def button(text: str, data: cb.Callback) -> InlineKeyboardButton:
    """An inline button carrying typed callback data."""
    return InlineKeyboardButton(text, callback_data=data.pack())


def services_keyboard(services: Sequence[ServiceRecord]) -> InlineKeyboardMarkup:
    """One button per service, then 'My bookings'."""
    rows = [
        [
            button(
                f"{s.name} · {duration(s.duration)} · {money(s.price_minor, s.currency)}",
                cb.PickService(s.id),
            )
        ]
        for s in services
    ]
    rows.append([button("📋 My bookings", cb.ShowMyBookings())])
    return InlineKeyboardMarkup(rows)


def staff_keyboard(service_id: int, staff: Sequence[StaffRecord]) -> InlineKeyboardMarkup:
    """'Anyone available' first, then each staff member."""
    rows = [[button("✨ Anyone available", cb.PickStaff(service_id, cb.ANYONE))]]
    rows += [[button(s.name, cb.PickStaff(service_id, s.id))] for s in staff]
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


def my_bookings_keyboard(bookings: Sequence[BookingRecord], tz: ZoneInfo) -> InlineKeyboardMarkup:
    """One button per upcoming booking, then 'Book another'."""
    rows = [
        [
            button(
                f"{short_when(b.start, tz)} · {b.service_name}", cb.ShowBooking(cb.BookingId(b.id))
            )
        ]
        for b in bookings
    ]
    rows.append([button("➕ Book an appointment", cb.ShowServices())])
    return InlineKeyboardMarkup(rows)


def booking_actions_keyboard(booking_id: str) -> InlineKeyboardMarkup:
    """Reschedule / cancel / back."""
    bid = cb.BookingId(booking_id)
    return InlineKeyboardMarkup(
        [
            [button("🔁 Reschedule", cb.MoveWeek(bid, date(1970, 1, 1)))],
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
