"""Text typed on the browsing screens: a time on the time screen, a day on the day screen.

What cannot be understood gets the hint together with the screen's keyboard again, so the
buttons are never "above", off screen.
"""

from __future__ import annotations

from html import escape

from telegram import Update

from handlers import callbacks as cb
from handlers.booking import browse
from handlers.booking.contact import choose_slot
from handlers.booking.menu import services_screen
from handlers.booking.times import nearest, parse_day, parse_time, pick_time
from handlers.context import BotContext
from handlers.language import texts_of
from handlers.limits import shorten
from handlers.prompt import State

ECHO_LIMIT = 40


async def typed_on_screen(update: Update, context: BotContext) -> State:
    """Text (or anything else) sent while the customer browses."""
    t = await texts_of(update, context)
    message = update.effective_message
    text = (message.text or "") if message is not None else ""
    screen = browse.shown_screen(context)
    booking = context.services.booking
    tz = (await booking.business()).tz
    if screen is not None and screen[0] == "time" and isinstance(screen[1], cb.DayPart):
        shown = screen[1]
        wanted = parse_time(text)
        if wanted is None:
            note = t._("Please tap one of the times below, or type one like 11:00.")
            return await browse.day_screen(
                update, context, shown.service_id, shown.staff, shown.day, shown.part, note=note
            )
        slots = await booking.free_slots(shown.service_id, shown.staff.staff_id, shown.day)
        found = pick_time(wanted, slots, tz)
        if found is not None:
            return await choose_slot(update, context, shown.service_id, shown.staff, found)
        close = nearest(wanted, slots, tz)
        note = t._("{time} is not free that day.", time=escape(f"{wanted:%H:%M}"))
        if close:
            note += " " + t._(
                "The nearest free times: {times}.",
                times=t.join([t.clock(s, tz) for s in close]),
            )
        return await browse.day_screen(
            update, context, shown.service_id, shown.staff, shown.day, shown.part, note=note
        )
    if screen is not None and screen[0] == "day" and isinstance(screen[1], cb.ShowWeek):
        week = screen[1]
        today = context.services.clock.now().astimezone(tz).date()
        day = parse_day(t, text, today)
        if day is None:
            note = t._("Please tap a day below, or type one like “tomorrow”, “friday” or “24.11”.")
            return await browse.week_screen(
                update, context, week.service_id, week.staff, week.day, note=note
            )
        free = await booking.free_days(week.service_id, week.staff.staff_id)
        if day in free:
            return await browse.day_screen(update, context, week.service_id, week.staff, day, 0)
        note = t._("There are no free times on {day}.", day=t.long_day(day))
        around = day if free and free[0] <= day <= free[-1] else week.day
        return await browse.week_screen(
            update, context, week.service_id, week.staff, around, note=note
        )
    note = t._("Please choose with the buttons, or /cancel to stop.")
    if text.strip():
        note = t._(
            "I didn't understand “{text}”. Please choose with the buttons, or /cancel to stop.",
            text=escape(shorten(text.strip(), ECHO_LIMIT)),
        )
    return await services_screen(update, context, note)
