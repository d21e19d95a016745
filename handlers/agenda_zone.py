"""A staff member's own time zone, chosen from /agenda's daily agenda screen: "🌍 Time zone"
asks for an IANA name (read as /settings reads the business's zone, near misses get
suggestions); "-" or "Same as the business" goes back to the business's zone. The agenda and
the messages about their bookings then show their times in that zone.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers import callbacks as cb
from handlers.agenda import settings_screen, staff_of
from handlers.agenda_callbacks import AgendaSettings, AgendaZoneAsk, AgendaZoneReset
from handlers.common import answer, send, show
from handlers.context import BotContext
from handlers.language import texts_of
from handlers.limits import shorten
from handlers.routing import TextFor, expect_text, persistent_conversation
from handlers.settings.parse import time_zone

CONVERSATION = "agenda_zone"
TYPING = "typing"
TIMEOUT = timedelta(hours=1)
END = ConversationHandler.END
SAME_AS_BUSINESS = "-"
# Zone names are short; a longer text is echoed cut (it cannot be a zone anyway).
ECHO_LIMIT = 64
State = object


async def ask_zone(update: Update, context: BotContext) -> State:
    """🌍 Time zone: ask for the zone's name."""
    await answer(update, context)
    t = await texts_of(update, context)
    if await staff_of(update, context, t) is None:
        return END
    business_zone = (await context.services.booking.business()).tz
    expect_text(context, CONVERSATION)
    question = t._(
        "Type your time zone, e.g. America/New_York or Europe/Helsinki. "
        "Send - to use the business's zone ({zone}).",
        zone=business_zone.key,
    )
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t._("Same as the business"), callback_data=AgendaZoneReset().pack()
                )
            ],
            [InlineKeyboardButton(t._("✖ Cancel"), callback_data=AgendaSettings().pack())],
        ]
    )
    await show(update, context, question, markup)
    return TYPING


async def _store(update: Update, context: BotContext, zone: str | None) -> State:
    t = await texts_of(update, context)
    staff = await staff_of(update, context, t)
    if staff is None:
        return END
    services = context.services
    preference = replace(await services.notifications.agenda_preference(staff.id), timezone=zone)
    await services.notifications.set_agenda_preference(
        staff.id, preference, now=services.clock.now()
    )
    business_zone = (await services.booking.business()).tz
    text, markup = settings_screen(t, preference, business_zone)
    await show(update, context, text, markup)
    return END


async def typed_zone(update: Update, context: BotContext) -> State:
    """The typed zone: stored if known, else the reason (with suggestions) and ask again."""
    message = update.effective_message
    assert message is not None
    text = (message.text or "").strip()
    if text == SAME_AS_BUSINESS:
        return await _store(update, context, None)
    t = await texts_of(update, context)
    try:
        zone = time_zone(t, shorten(text, ECHO_LIMIT))
    except ValueError as err:
        again = t._("Please type the time zone again, or - for the business's zone.")
        await send(update, context, f"{escape(str(err))} {again}")
        return TYPING
    return await _store(update, context, zone)


async def same_as_business(update: Update, context: BotContext) -> State:
    """Same as the business: forget the staff member's own zone."""
    await answer(update, context)
    return await _store(update, context, None)


async def leave(update: Update, context: BotContext) -> State:
    """✖ Cancel or /cancel: keep the zone as it is and show the agenda's choices."""
    await answer(update, context)
    t = await texts_of(update, context)
    staff = await staff_of(update, context, t)
    if staff is None:
        return END
    services = context.services
    preference = await services.notifications.agenda_preference(staff.id)
    business_zone = (await services.booking.business()).tz
    text, markup = settings_screen(t, preference, business_zone)
    await show(update, context, text, markup)
    return END


async def expired(update: Update, context: BotContext) -> State:
    """A question left unanswered too long."""
    t = await texts_of(update, context)
    await send(update, context, t._("That time zone question has expired. Send /agenda again."))
    return END


def agenda_zone_conversation(user_data: Any) -> ConversationHandler[BotContext]:
    """The persistent time zone question; `user_data` is the Application's (for routing)."""
    ours = TextFor(user_data, CONVERSATION)
    private = filters.ChatType.PRIVATE
    entry_points: list[BaseHandler[Update, BotContext, Any]] = [
        CallbackQueryHandler(ask_zone, pattern=cb.pattern(AgendaZoneAsk)),
        CallbackQueryHandler(same_as_business, pattern=cb.pattern(AgendaZoneReset)),
    ]
    states: dict[object, list[BaseHandler[Update, BotContext, Any]]] = {
        TYPING: [
            MessageHandler(filters.TEXT & ~filters.COMMAND & private & ours, typed_zone),
            CallbackQueryHandler(leave, pattern=cb.pattern(AgendaSettings)),
        ]
    }
    fallbacks: list[BaseHandler[Update, BotContext, Any]] = [
        CommandHandler("cancel", leave, filters=ours)
    ]
    return persistent_conversation(
        name=CONVERSATION,
        entry_points=entry_points,
        states=states,
        fallbacks=fallbacks,
        timeout=TIMEOUT,
        on_timeout=expired,
    )
