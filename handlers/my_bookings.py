"""/mybookings: the customer's own upcoming bookings, with cancel and reschedule.

Every button carries the booking id and is checked against the pressing user, so a forged
or someone else's id only ever gets "not found".
"""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.booking import SlotUnavailable, TooLate, UnknownBooking
from handlers import callbacks as cb
from handlers import render
from handlers.booking.times import day_parts, part_label
from handlers.common import answer, show
from handlers.context import BotContext
from handlers.keyboards import (
    alternatives_keyboard,
    booking_actions_keyboard,
    button,
    menu_keyboard,
    my_bookings_keyboard,
    slots_keyboard,
    week_keyboard,
    week_start,
)
from handlers.language import texts_of
from handlers.limits import MAX_MESSAGE, paginate, shorten, visible_len
from handlers.localized import booking_for, bookings_for
from handlers.outputs import send_booking_message
from storage.bookings import Changed, NotActive
from storage.records import BookingRecord

BOOKINGS_PER_PAGE = 10
LINE_NAME_LIMIT = 60


async def my_bookings(update: Update, context: BotContext) -> None:
    """/mybookings or the 'My bookings' button: upcoming bookings, a page at a time."""
    await answer(update, context)
    t = await texts_of(update, context)
    query = update.callback_query
    pressed = cb.parse(query.data) if query is not None else None
    page = pressed.page if isinstance(pressed, cb.ShowMyBookings) else 0
    user = update.effective_user
    assert user is not None
    booking = context.services.booking
    upcoming = await bookings_for(context.services, t, await booking.upcoming(user.id))
    tz = (await booking.business()).tz
    if not upcoming:
        await show(update, context, t._("You have no upcoming bookings."), menu_keyboard(t))
        return
    lines = [
        "• "
        + t._(
            "{when} – {service} with {staff}",
            when=render.short_when(t, b.start, tz),
            service=escape(shorten(b.service_name, LINE_NAME_LIMIT)),
            staff=escape(shorten(b.staff_name, LINE_NAME_LIMIT)),
        )
        for b in upcoming
    ]
    shown = paginate(
        list(zip(upcoming, lines, strict=True)),
        [visible_len(line) + 1 for line in lines],
        budget=MAX_MESSAGE - 200,
        max_items=BOOKINGS_PER_PAGE,
        number=page,
    )
    heading = t._("<b>Your upcoming bookings</b> ({zone})", zone=t.zone(tz))
    if shown.count > 1:
        heading += " " + t._(
            "({n} in all, page {page} of {count})",
            n=len(upcoming),
            page=shown.number + 1,
            count=shown.count,
        )
    text = [
        heading,
        "",
        *(line for _, line in shown.items),
        "",
        t._("Tap one to cancel or reschedule it."),
    ]
    keyboard = my_bookings_keyboard(
        t,
        [b for b, _ in shown.items],
        tz,
        previous=shown.number - 1 if shown.has_previous else None,
        next_page=shown.number + 1 if shown.has_next else None,
    )
    await show(update, context, "\n".join(text), keyboard)


async def _own(update: Update, context: BotContext, booking_id: str) -> BookingRecord | None:
    user = update.effective_user
    assert user is not None
    found = await context.services.booking.own_booking(user.id, booking_id)
    if found is not None:
        found = await booking_for(context.services, await texts_of(update, context), found)
    if found is None or not found.is_active:
        t = await texts_of(update, context)
        await show(
            update,
            context,
            t._("That booking is not in your list any more (it may have been cancelled)."),
            InlineKeyboardMarkup([[button(t._("📋 My bookings"), cb.ShowMyBookings())]]),
        )
        return None
    return found


async def _changeable(update: Update, context: BotContext, booking_id: str) -> BookingRecord | None:
    """The customer's own active booking if it may still change; else say why, and None."""
    found = await _own(update, context, booking_id)
    if found is None:
        return None
    too_late = await context.services.booking.can_change(found)
    if too_late is not None:
        t = await texts_of(update, context)
        business = await context.services.booking.business()
        await show(
            update, context, render.cutoff_text(t, too_late.cutoff, business), menu_keyboard(t)
        )
        return None
    return found


async def show_booking(update: Update, context: BotContext) -> None:
    """Details of one booking and what can be done with it."""
    await answer(update, context)
    data = cb.unpack(update, cb.ShowBooking)
    found = await _own(update, context, data.booking_id)
    if found is None:
        return
    t = await texts_of(update, context)
    business = await context.services.booking.business()
    text = render.booking_details(t, found, business.tz, address=business.address)
    too_late = await context.services.booking.can_change(found)
    if too_late is not None:
        text += "\n\n" + render.cutoff_text(t, too_late.cutoff, business)
        keyboard = InlineKeyboardMarkup(
            [[button(t._("« Back to my bookings"), cb.ShowMyBookings())]]
        )
    else:
        text += "\n\n" + render.cancellation_policy(
            t, found.start, business.cancellation_cutoff, context.services.clock.now(), business.tz
        )
        keyboard = booking_actions_keyboard(t, found.id)
    await show(update, context, text, keyboard)


async def ask_cancel(update: Update, context: BotContext) -> None:
    """Confirm step before cancelling."""
    await answer(update, context)
    data = cb.unpack(update, cb.AskCancel)
    found = await _changeable(update, context, data.booking_id)
    if found is None:
        return
    t = await texts_of(update, context)
    tz = (await context.services.booking.business()).tz
    await show(
        update,
        context,
        t._(
            "Cancel <b>{service}</b> on {when}?",
            service=escape(shorten(found.service_name, LINE_NAME_LIMIT)),
            when=render.when_in_zone(t, found.start, tz),
        ),
        InlineKeyboardMarkup(
            [
                [button(t._("Yes, cancel it"), cb.DoCancel(cb.BookingId(found.id)))],
                [button(t._("No, keep it"), cb.ShowBooking(cb.BookingId(found.id)))],
            ]
        ),
    )


async def do_cancel(update: Update, context: BotContext) -> None:
    """Cancel, after the confirm step."""
    await answer(update, context)
    data = cb.unpack(update, cb.DoCancel)
    user = update.effective_user
    assert user is not None
    outcome = await context.services.booking.cancel(user.id, data.booking_id)
    t = await texts_of(update, context)
    await _report_change(
        update, context, outcome, t._("❎ <b>Your booking is cancelled.</b>"), "CANCEL"
    )


async def _report_change(
    update: Update, context: BotContext, outcome: Any, headline: str, method: Any
) -> None:
    t = await texts_of(update, context)
    if isinstance(outcome, Changed):
        await send_booking_message(update, context, outcome.booking, headline, method)
    elif isinstance(outcome, TooLate):
        business = await context.services.booking.business()
        text = render.cutoff_text(t, outcome.cutoff, business)
        await show(update, context, text, menu_keyboard(t))
    elif isinstance(outcome, NotActive):
        await show(update, context, t._("That booking was already cancelled."), menu_keyboard(t))
    else:
        assert isinstance(outcome, UnknownBooking | SlotUnavailable)
        await show(update, context, t._("That booking is not in your list."), menu_keyboard(t))


async def move_week(update: Update, context: BotContext) -> None:
    """Reschedule: the day picker for the same service and staff."""
    await answer(update, context)
    data = cb.unpack(update, cb.MoveWeek)
    await _move_week(update, context, data.booking_id, data.day)


async def _move_week(update: Update, context: BotContext, booking_id: str, around: date) -> None:
    found = await _changeable(update, context, booking_id)
    if found is None:
        return
    t = await texts_of(update, context)
    booking = context.services.booking
    days = await booking.free_days(found.service_id, found.staff_id, ignore_booking=found.id)
    bid = cb.BookingId(found.id)
    back = button(t._("« Keep the booking as it is"), cb.ShowBooking(bid))
    if not days:
        await show(
            update,
            context,
            t._("No other free times right now, sorry."),
            InlineKeyboardMarkup([[back]]),
        )
        return
    week = min(max(week_start(days[0]), week_start(around)), week_start(days[-1]))
    text = t._(
        "Move <b>{service}</b> with {staff} – pick a new day in the week of {day}:",
        service=escape(shorten(found.service_name, LINE_NAME_LIMIT)),
        staff=escape(shorten(found.staff_name, LINE_NAME_LIMIT)),
        day=t.day(week, year=True),
    )
    keyboard = week_keyboard(
        t,
        week=week,
        free_days=days,
        pick=lambda d: cb.MoveDay(bid, d),
        page=lambda d: cb.MoveWeek(bid, d),
        back=back,
    )
    await show(update, context, text, keyboard)


async def move_day(update: Update, context: BotContext) -> None:
    """Reschedule: the free times of a day."""
    await answer(update, context)
    data = cb.unpack(update, cb.MoveDay)
    found = await _changeable(update, context, data.booking_id)
    if found is not None:
        await _move_day(update, context, found, data.day)


async def move_day_part(update: Update, context: BotContext) -> None:
    """Reschedule: another part of a day's free times."""
    await answer(update, context)
    data = cb.unpack(update, cb.MoveDayPart)
    found = await _changeable(update, context, data.booking_id)
    if found is not None:
        await _move_day(update, context, found, data.day, part=data.part)


async def _move_day(
    update: Update,
    context: BotContext,
    found: BookingRecord,
    day: date,
    note: str = "",
    *,
    part: int = 0,
) -> None:
    t = await texts_of(update, context)
    booking = context.services.booking
    slots = await booking.free_slots(found.service_id, found.staff_id, day, ignore_booking=found.id)
    if not slots:
        await _move_week(update, context, found.id, day)
        return
    tz = (await booking.business()).tz
    bid = cb.BookingId(found.id)
    parts = day_parts(t, slots, tz)
    part = min(max(part, 0), len(parts) - 1)
    others = [
        button(part_label(t, p), cb.MoveDayPart(bid, day, i))
        for i, p in enumerate(parts)
        if i != part
    ]
    keyboard = slots_keyboard(
        t,
        parts[part].slots,
        tz,
        pick=lambda s: cb.MoveSlot(bid, s),
        back=button(t._("« Back to days"), cb.MoveWeek(bid, day)),
        extra=[others] if others else [],
    )
    heading = t._("New time on {day} ({zone}):", day=t.long_day(day), zone=t.zone(tz))
    if parts[part].label:
        heading += f"\n<b>{parts[part].label}</b>"
    await show(update, context, f"{note}{heading}", keyboard)


async def move_slot(update: Update, context: BotContext) -> None:
    """Reschedule: confirm the new time."""
    await answer(update, context)
    data = cb.unpack(update, cb.MoveSlot)
    found = await _changeable(update, context, data.booking_id)
    if found is None:
        return
    t = await texts_of(update, context)
    booking = context.services.booking
    tz = (await booking.business()).tz
    bid = cb.BookingId(found.id)
    new_day = data.start.astimezone(tz).date()
    free = await booking.free_slots(
        found.service_id, found.staff_id, new_day, ignore_booking=found.id
    )
    if data.start not in free:
        note = t._("{when} is not free any more.", when=render.when(t, data.start, tz))
        await _move_day(update, context, found, new_day, note + "\n\n")
        return
    await show(
        update,
        context,
        t._(
            "Move <b>{service}</b>\nfrom {old}\nto <b>{new}</b> ({zone})?",
            service=escape(shorten(found.service_name, LINE_NAME_LIMIT)),
            old=render.when(t, found.start, tz),
            new=render.when(t, data.start, tz),
            zone=t.zone(tz),
        ),
        InlineKeyboardMarkup(
            [
                [button(t._("✅ Yes, move it"), cb.DoMove(bid, data.start))],
                [button(t._("« Pick another time"), cb.MoveWeek(bid, new_day))],
            ]
        ),
    )


async def do_move(update: Update, context: BotContext) -> None:
    """Reschedule, confirmed."""
    await answer(update, context)
    data = cb.unpack(update, cb.DoMove)
    user = update.effective_user
    assert user is not None
    outcome = await context.services.booking.reschedule(user.id, data.booking_id, data.start)
    t = await texts_of(update, context)
    if isinstance(outcome, SlotUnavailable):
        tz = (await context.services.booking.business()).tz
        bid = cb.BookingId(data.booking_id)
        await show(
            update,
            context,
            t._(
                "Sorry, {when} was just taken. The nearest free times are:",
                when=render.when_in_zone(t, data.start, tz),
            ),
            alternatives_keyboard(
                t,
                outcome.alternatives,
                tz,
                pick=lambda s: cb.MoveSlot(bid, s),
                other=button(
                    t._("🗓 Pick another day"), cb.MoveWeek(bid, data.start.astimezone(tz).date())
                ),
            ),
        )
        return
    await _report_change(
        update, context, outcome, t._("🔁 <b>Your booking is moved.</b>"), "PUBLISH"
    )


def my_bookings_handlers() -> list[Any]:
    """Handlers of /mybookings and its buttons (stateless)."""

    def cq(callback: Any, kind: type[cb.Callback]) -> CallbackQueryHandler[BotContext, None]:
        return CallbackQueryHandler(callback, pattern=cb.pattern(kind))

    return [
        CommandHandler("mybookings", my_bookings),
        cq(my_bookings, cb.ShowMyBookings),
        cq(show_booking, cb.ShowBooking),
        cq(ask_cancel, cb.AskCancel),
        cq(do_cancel, cb.DoCancel),
        cq(move_week, cb.MoveWeek),
        cq(move_day, cb.MoveDay),
        cq(move_day_part, cb.MoveDayPart),
        cq(move_slot, cb.MoveSlot),
        cq(do_move, cb.DoMove),
    ]
