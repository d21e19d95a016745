"""/agenda for staff: today, tomorrow or this week's bookings, and the daily agenda's choices
(the local time it comes at, every day or only on days with bookings, or off, and the staff
member's own time zone, typed in `handlers.agenda_zone`).

Also the handler that notices a user who blocked the bot writing again, so queued messages
reach them again.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, TypeHandler

from bot.notify.planner import staff_zone
from bot.outbound import Button
from handlers import callbacks as cb
from handlers.agenda_callbacks import (
    AgendaModeChoice,
    AgendaSettings,
    AgendaTime,
    AgendaZoneAsk,
    ShowAgenda,
)
from handlers.common import answer, show, unknown_command
from handlers.context import BotContext
from handlers.i18n import Texts
from handlers.language import texts_of
from handlers.notify_texts import agenda_keyboard, agenda_text, day_bounds, zone_note
from storage.notifications import AgendaMode, AgendaPreference
from storage.records import BookingRecord, StaffRecord

# The times offered for the daily agenda: every half hour from 05:00 to 12:00.
AGENDA_TIMES = tuple(range(5 * 60, 12 * 60 + 1, 30))
MODES: tuple[AgendaMode, ...] = ("daily", "busy", "off")


def _markup(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.callback_data) for b in row] for row in rows]
    )


async def staff_of(update: Update, context: BotContext, t: Texts) -> StaffRecord | None:
    user = update.effective_user
    staff = (
        await context.services.booking.catalog.staff_by_telegram_id(user.id)
        if user is not None
        else None
    )
    if staff is None or not staff.active:
        await unknown_command(update, context)  # nothing shows that the command exists
        return None
    return staff


async def agenda(update: Update, context: BotContext) -> None:
    """/agenda or its Today / Tomorrow / This week buttons."""
    await answer(update, context)
    t = await texts_of(update, context)
    staff = await staff_of(update, context, t)
    if staff is None:
        return
    query = update.callback_query
    pressed = cb.parse(query.data) if query is not None else None
    which = pressed.which if isinstance(pressed, ShowAgenda) else "today"
    services = context.services
    business_zone = (await services.booking.business()).tz
    preference = await services.notifications.agenda_preference(staff.id)
    tz = staff_zone(preference, business_zone)
    today = services.clock.now().astimezone(tz).date()
    if which == "tomorrow":
        days = [today + timedelta(days=1)]
        heading = t._("📅 <b>Your agenda for tomorrow</b>")
    elif which == "week":
        days = [today + timedelta(days=i) for i in range(7 - today.weekday())]
        heading = t._("📅 <b>Your agenda for this week</b>")
    else:
        days = [today]
        heading = t._("📅 <b>Your agenda for today</b>")
    start, _ = day_bounds(days[0], tz)
    _, end = day_bounds(days[-1], tz)
    bookings = await services.booking.bookings.of_staff(staff.id, start, end)
    by_day: dict[date, list[BookingRecord]] = {day: [] for day in days}
    for booking in bookings:
        by_day.setdefault(booking.start.astimezone(tz).date(), []).append(booking)
    heading += zone_note(t, tz, business_zone)
    text = agenda_text(t, heading, list(by_day.items()), tz)
    await show(update, context, text, _markup(agenda_keyboard(t)))


def _state(t: Texts, preference: AgendaPreference) -> str:
    at = f"{preference.minute // 60:02d}:{preference.minute % 60:02d}"
    if preference.mode == "off":
        return t._("Your daily agenda is <b>off</b>.")
    if preference.mode == "busy":
        return t._(
            "Your daily agenda comes at <b>{time}</b>, only on days when you have bookings.",
            time=at,
        )
    return t._("Your daily agenda comes every day at <b>{time}</b>.", time=at)


async def agenda_settings(update: Update, context: BotContext) -> None:
    """The daily agenda's choices, and a change to them."""
    await answer(update, context)
    t = await texts_of(update, context)
    staff = await staff_of(update, context, t)
    if staff is None:
        return
    services = context.services
    preference = await services.notifications.agenda_preference(staff.id)
    query = update.callback_query
    pressed = cb.parse(query.data) if query is not None else None
    if isinstance(pressed, AgendaTime) and pressed.minute in AGENDA_TIMES:
        preference = replace(preference, minute=pressed.minute)
    elif isinstance(pressed, AgendaModeChoice) and pressed.mode in MODES:
        preference = replace(preference, mode=pressed.mode)  # type: ignore[arg-type]
    if isinstance(pressed, AgendaTime | AgendaModeChoice):
        await services.notifications.set_agenda_preference(
            staff.id, preference, now=services.clock.now()
        )
    business_zone = (await services.booking.business()).tz
    text, markup = settings_screen(t, preference, business_zone)
    await show(update, context, text, markup)


def settings_screen(
    t: Texts, preference: AgendaPreference, business_zone: ZoneInfo
) -> tuple[str, InlineKeyboardMarkup]:
    """The daily agenda's choices as they stand: the text and its buttons."""
    tz = staff_zone(preference, business_zone)
    times = [
        Button(
            text=("• " if m == preference.minute else "") + f"{m // 60:02d}:{m % 60:02d}",
            callback_data=AgendaTime(m).pack(),
        )
        for m in AGENDA_TIMES
    ]
    labels = {
        "daily": t._("Every day"),
        "busy": t._("Only when I have bookings"),
        "off": t._("Off"),
    }
    modes = [
        Button(
            text=("• " if mode == preference.mode else "") + labels[mode],
            callback_data=AgendaModeChoice(cb.Token(mode)).pack(),
        )
        for mode in MODES
    ]
    rows = (
        *(tuple(times[i : i + 5]) for i in range(0, len(times), 5)),
        (modes[0], modes[1]),
        (modes[2],),
        (Button(text=t._("🌍 Time zone"), callback_data=AgendaZoneAsk().pack()),),
        (Button(text=t._("« Agenda"), callback_data=ShowAgenda(cb.Token("today")).pack()),),
    )
    if tz.key == business_zone.key:
        zone_line = t._("Your time zone: <b>{zone}</b> (the business's).", zone=tz.key)
    else:
        zone_line = t._("Your time zone: <b>{zone}</b>.", zone=tz.key)
    text = (
        _state(t, preference)
        + "\n"
        + zone_line
        + "\n\n"
        + t._("Pick the time ({zone}) and when it comes:", zone=tz.key)
    )
    return text, _markup(rows)


async def wrote_again(update: Update, context: BotContext) -> None:
    """Anything from a user who had blocked the bot: queued messages reach them again."""
    user = update.effective_user
    if user is not None and user.id in context.services.blocked_chats:
        await context.services.blocked_chats.wrote(user.id)


def agenda_handlers() -> list[Any]:
    """/agenda and its buttons."""

    def cq(callback: Any, kind: type[cb.Callback]) -> CallbackQueryHandler[BotContext, None]:
        return CallbackQueryHandler(callback, pattern=cb.pattern(kind))

    return [
        CommandHandler("agenda", agenda),
        cq(agenda, ShowAgenda),
        cq(agenda_settings, AgendaSettings),
        cq(agenda_settings, AgendaTime),
        cq(agenda_settings, AgendaModeChoice),
    ]


def unblock_handler() -> TypeHandler[Update, BotContext, None]:
    """Runs before every other handler (group -1) and lets the update through."""
    return TypeHandler(Update, wrote_again)
