"""The end of a booking: Confirm (book it), a Confirm pressed outside its summary, Cancel."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, ReplyKeyboardRemove, Update

from bot.booking import Contact, SlotUnavailable, Unavailable
from bot.notify.planner import confirmation_key
from handlers import callbacks as cb
from handlers import render
from handlers.booking.browse import offer_alternatives
from handlers.booking.contact import complete_contact, missing_required
from handlers.booking.draft import Draft, load_draft, save_draft
from handlers.booking.menu import END, limit_reached_screen, services_screen, start_over
from handlers.booking.summary import show_summary
from handlers.common import answer, send, show
from handlers.context import BotContext
from handlers.keyboards import button
from handlers.language import texts_of
from handlers.outputs import send_confirmation
from handlers.prompt import State
from storage.bookings import AlreadyBooked, Booked, TooManyBookings


async def confirm(update: Update, context: BotContext) -> State:
    """Book it."""
    await answer(update, context)
    data = cb.unpack(update, cb.Confirm)
    draft = load_draft(context)
    if draft.key != data.key or not draft.name or draft.start is None:
        return await confirm_outside(update, context)
    assert draft.service_id is not None
    if missing_required(await context.services.booking.business(), draft):
        return await complete_contact(update, context)
    user = update.effective_user
    assert user is not None
    staff = cb.StaffChoice(draft.staff_id)
    outcome = await context.services.booking.book(
        contact=Contact(
            telegram_user_id=user.id, name=draft.name, phone=draft.phone, email=draft.email
        ),
        service_id=draft.service_id,
        staff_id=staff.staff_id,
        start=draft.start,
        request_key=f"{user.id}:{data.key}",
    )
    if isinstance(outcome, Booked | AlreadyBooked):
        save_draft(context, Draft(name=draft.name, phone=draft.phone, email=draft.email))
        await send_confirmation(update, context, outcome.booking)
        # The reply went out: the queue's fallback confirmation (for a crash) is not needed.
        await context.services.notifications.delivered_elsewhere(
            confirmation_key(outcome.booking.id),
            kind="confirmation",
            chat_id=user.id,
            now=context.services.clock.now(),
        )
        return END
    if isinstance(outcome, SlotUnavailable):
        return await offer_alternatives(
            update, context, draft.service_id, staff, outcome.alternatives, draft.start
        )
    if isinstance(outcome, TooManyBookings):
        save_draft(context, Draft(name=draft.name, phone=draft.phone, email=draft.email))
        return await limit_reached_screen(update, context, outcome.limit)
    assert isinstance(outcome, Unavailable)
    t = await texts_of(update, context)
    gone = {
        "service": t._("This service is no longer offered."),
        "staff": t._("This staff member no longer offers this service."),
    }
    await show(update, context, gone[outcome.what])
    return await services_screen(update, context)


async def confirm_outside(update: Update, context: BotContext) -> State:
    """A Confirm button outside its summary: a double tap, or an old summary."""
    await answer(update, context)
    query = update.callback_query
    data = cb.parse(query.data if query is not None else None)
    user = update.effective_user
    if isinstance(data, cb.Confirm) and user is not None:
        earlier = await context.services.booking.bookings.by_request_key(f"{user.id}:{data.key}")
        if earlier is not None:
            t = await texts_of(update, context)
            tz = (await context.services.booking.business()).tz
            await send(
                update,
                context,
                t._(
                    "✅ This booking is already confirmed: {when}. See /mybookings.",
                    when=render.when_in_zone(t, earlier.start, tz),
                ),
            )
            return END
        draft = load_draft(context)
        if draft.has_slot and draft.name:
            # an older summary of the booking in progress: show the current one
            return await show_summary(update, context)
    return await start_over(update, context)


async def abort(update: Update, context: BotContext) -> State:
    """/cancel or the Cancel button: leave the booking flow."""
    await answer(update, context)
    t = await texts_of(update, context)
    draft = load_draft(context)
    draft.forget_choice()
    save_draft(context, draft)
    await send(update, context, t._("Okay, nothing was booked."), ReplyKeyboardRemove())
    await send(
        update,
        context,
        t._("Tap /start whenever you want to book."),
        InlineKeyboardMarkup([[button(t._("🗓 Book an appointment"), cb.ShowServices())]]),
    )
    return END
