"""Wiring of the booking conversation: which handler answers what in each state.

Buttons of the browsing steps are entry points (each press carries its whole choice, so an
old button works and re-enters); text steps take only text meant for this conversation
(`handlers.routing.TextFor`); a conversation idle longer than `TIMEOUT` starts again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers import callbacks as cb
from handlers.booking import browse, confirm, contact, typed
from handlers.booking.draft import load_draft
from handlers.booking.menu import (
    CHOOSING,
    CONFIRM,
    CONVERSATION,
    EMAIL,
    NAME,
    PHONE,
    show_services,
    start_over,
)
from handlers.booking.summary import show_summary
from handlers.common import send
from handlers.context import BotContext
from handlers.i18n import N_
from handlers.language import texts_of
from handlers.prompt import State
from handlers.routing import TextFor, persistent_conversation

TIMEOUT = timedelta(hours=1)


def _hint(
    text: str, state: str, again: Callable[..., Any] | None = None
) -> Callable[[Update, BotContext], Any]:
    """A handler for stray text or media: say what this step expects and stay in the step;
    with `again`, the hint comes with the step's question and buttons again."""

    async def hint(update: Update, context: BotContext) -> State:
        t = await texts_of(update, context)
        if again is not None and load_draft(context).has_slot:
            result: State = await again(update, context, note=t._(text))
            return result
        await send(update, context, t._(text))
        return state

    return hint


def _cq(callback: Any, kind: type[cb.Callback]) -> CallbackQueryHandler[BotContext, Any]:
    return CallbackQueryHandler(callback, pattern=cb.pattern(kind))


def booking_conversation(
    user_data: Mapping[int, Mapping[Any, Any]],
) -> ConversationHandler[BotContext]:
    """The persistent booking conversation; `user_data` is the Application's (for routing)."""
    ours = TextFor(user_data, CONVERSATION)
    stray = filters.ALL & ~filters.COMMAND & ours
    choosing = [
        _cq(show_services, cb.ShowServices),
        _cq(browse.pick_service, cb.PickService),
        _cq(browse.pick_staff, cb.PickStaff),
        _cq(browse.show_week, cb.ShowWeek),
        _cq(browse.pick_day, cb.PickDay),
        _cq(browse.pick_day_part, cb.DayPart),
        _cq(contact.pick_slot, cb.PickSlot),
    ]
    # Buttons of the contact steps and the summary, pressed on any message of this booking.
    steps = [
        _cq(contact.ask_field, cb.AskField),
        _cq(contact.use_name, cb.UseName),
        _cq(contact.skip_email, cb.SkipField),
        _cq(contact.edit_contact, cb.EditContact),
    ]
    entry_points = [CommandHandler("start", browse.start), *choosing]
    states: dict[object, list[Any]] = {
        CHOOSING: [MessageHandler(stray, typed.typed_on_screen)],
        NAME: [
            contact.NAME_STEP.handler(ours),
            MessageHandler(
                stray,
                _hint(
                    N_("Please type your name as text, or /cancel to stop."),
                    NAME,
                    contact.ask_name,
                ),
            ),
        ],
        PHONE: [
            MessageHandler(filters.CONTACT & ours, contact.got_contact),
            MessageHandler(
                filters.TEXT & ours & contact.ReplyLabel(*contact.BACK_TEXTS), contact.phone_back
            ),
            contact.PHONE_STEP.handler(ours),
            MessageHandler(
                stray,
                _hint(N_("Please share your phone number with the button, or type it."), PHONE),
            ),
        ],
        EMAIL: [
            contact.EMAIL_STEP.handler(ours),
            MessageHandler(
                stray,
                _hint(
                    N_("Please type your e-mail address, or /cancel to stop."),
                    EMAIL,
                    contact.ask_email,
                ),
            ),
        ],
        CONFIRM: [
            _cq(confirm.confirm, cb.Confirm),
            MessageHandler(
                stray,
                _hint(
                    N_("Tap ✅ Confirm booking below, or /cancel to stop."),
                    CONFIRM,
                    show_summary,
                ),
            ),
        ],
    }
    fallbacks = [
        CommandHandler("cancel", confirm.abort, filters=ours),
        _cq(confirm.abort, cb.Abort),
        *steps,
    ]
    return persistent_conversation(
        name=CONVERSATION,
        entry_points=entry_points,
        states=states,
        fallbacks=fallbacks,
        timeout=TIMEOUT,
        on_timeout=start_over,
    )
