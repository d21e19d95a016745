"""Wiring of the settings conversation: /settings, /hours, /dayoff, the menu buttons, and the
typed answers.

Every button carries its whole screen (`handlers.settings.keys`), so buttons are entry points
that work after a restart, and a button pressed while a question waits leaves the question.
A question marks that this conversation waits for the user's text (`handlers.routing`), so an
admin halfway through a booking gets their answer here, and a customer's text in the booking
never lands here. The question itself is kept in user data and the state in PTB's persistence,
so it survives a restart; one idle for `TIMEOUT` expires. Admin screens answer admins only;
anyone else gets what an unknown command or an expired button gets.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, InputFile, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.admin.config import Invalid
from bot.booking import SlotUnavailable
from handlers import callbacks as cb
from handlers.common import answer, send, show, stale_button, unknown_command
from handlers.context import BotContext
from handlers.keyboards import button
from handlers.language import texts_of
from handlers.menus import has_seen, publish_menu
from handlers.prompt import State
from handlers.routing import TextFor, expect_text, persistent_conversation, stop_expecting
from handlers.settings import parse
from handlers.settings.actions import ACTIONS, outcome_note
from handlers.settings.catalog_screens import booking_view
from handlers.settings.customers import tell_cancelled, tell_moved, tell_reassigned
from handlers.settings.fields import FIELDS, Done, days_off_or_clashes
from handlers.settings.keys import Ask, BookingAct, Do, Screen, screen
from handlers.settings.screens import build
from handlers.settings.view import Viewer
from storage.bookings import Changed

log = logging.getLogger(__name__)

CONVERSATION = "settings"
TYPING = "typing"
PROMPT_KEY = "settings_prompt"
TIMEOUT = timedelta(hours=1)
END = ConversationHandler.END
EXPORT_NAME = "bookbot-config.toml"
MOVE = "move"  # the question of a booking's new time (not a setup value, so not in FIELDS)


async def _viewer(update: Update, context: BotContext) -> Viewer | None:
    user = update.effective_user
    if user is None:
        return None
    roles = context.services.roles
    member = await roles.staff_member(user.id)
    return Viewer(
        services=context.services,
        t=await texts_of(update, context),
        user_id=user.id,
        is_admin=await roles.is_admin(user.id),
        own_staff_id=member.id if member is not None else None,
        bot_username=context.bot.username or "",
    )


async def _show_screen(
    update: Update,
    context: BotContext,
    v: Viewer,
    name: str,
    item: int = 0,
    page: int = 0,
    *,
    note: str = "",
    new_message: bool = False,
) -> bool:
    """Show a screen (editing the pressed message, or as a new one); False if not allowed
    (nothing sent, the button not answered)."""
    view = await build(v, name, item, page)
    if view is None:
        return False
    await answer(update, context)
    text, markup = view
    if note:
        text = f"{note}\n\n{text}"
    if new_message:
        await send(update, context, text, markup)
    else:
        await show(update, context, text, markup)
    return True


async def _role_changed(context: BotContext, user_id: int | None) -> None:
    if user_id is not None:
        seen = has_seen(context, user_id)
        await publish_menu(context.bot, context.services, user_id, context.bot_data, seen=seen)


# --- commands --------------------------------------------------------------------------


async def open_settings(update: Update, context: BotContext) -> State:
    """/settings: the main menu, for admins only."""
    v = await _viewer(update, context)
    if v is None or not v.is_admin:
        await unknown_command(update, context)
        return END
    await _show_screen(update, context, v, "main", new_message=True)
    return END


async def my_hours(update: Update, context: BotContext) -> State:
    """/hours: a staff member's own weekly hours."""
    v = await _viewer(update, context)
    if v is None or v.own_staff_id is None:
        await unknown_command(update, context)
        return END
    await _show_screen(update, context, v, "hours", v.own_staff_id, new_message=True)
    return END


async def day_off(update: Update, context: BotContext) -> State:
    """/dayoff [date or range]: a staff member's own days off (clashing bookings listed
    first); without a date it asks for one."""
    v = await _viewer(update, context)
    if v is None or v.own_staff_id is None:
        await unknown_command(update, context)
        return END
    typed = " ".join(context.args or []).strip()
    if not typed:
        return await _ask(update, context, v, "dayoff", v.own_staff_id)
    try:
        first, last = parse.date_range(v.t, typed, await v.services.config.today())
    except ValueError as err:
        await send(update, context, escape(str(err)))
        return await _ask(update, context, v, "dayoff", v.own_staff_id)
    done = await days_off_or_clashes(v, v.own_staff_id, first, last)
    return await _finish(update, context, v, done, new_message=True)


# --- buttons ---------------------------------------------------------------------------


async def on_screen(update: Update, context: BotContext) -> State:
    """A menu button: show its screen."""
    data = cb.unpack(update, Screen)
    v = await _viewer(update, context)
    if v is None or not await _show_screen(update, context, v, data.name, data.item, data.page):
        await stale_button(update, context)
    return END


async def on_ask(update: Update, context: BotContext) -> State:
    """A button that asks for a typed value."""
    data = cb.unpack(update, Ask)
    v = await _viewer(update, context)
    if v is None:
        await stale_button(update, context)
        return END
    return await _ask(update, context, v, data.field, data.item)


def _allowed(v: Viewer, staff_may: bool, item: int) -> bool:
    return v.is_admin or (staff_may and v.own_staff_id == item)


async def _ask(update: Update, context: BotContext, v: Viewer, field_name: str, item: int) -> State:
    field = FIELDS.get(field_name)
    question = None
    if field is not None and _allowed(v, field.staff_may, item):
        question = await field.prompt(v, item)
    if field is None or question is None:
        await stale_button(update, context)
        return END
    assert context.user_data is not None
    context.user_data[PROMPT_KEY] = {"field": field_name, "item": item}
    expect_text(context, CONVERSATION)
    await answer(update, context)
    back = screen(
        field.back, item if field.back not in ("biz", "svcs", "staff", "events", "admins") else 0
    )
    markup = InlineKeyboardMarkup([[button(v.t._("✖ Cancel"), back)]])
    question += "\n\n" + v.t._("Or /cancel to leave it as it is.")
    if update.callback_query is not None:
        await show(update, context, question, markup)
    else:
        await send(update, context, question, markup)
    return TYPING


async def on_do(update: Update, context: BotContext) -> State:
    """A button that changes something at once."""
    data = cb.unpack(update, Do)
    v = await _viewer(update, context)
    entry = ACTIONS.get(data.action)
    if v is None:
        return END
    if data.action == "export" and v.is_admin:
        return await _export(update, context, v)
    if data.action == "invite" and v.is_admin:
        return await _invite(update, context, v, data.item)
    if entry is None or not _allowed(v, entry[1], data.item):
        await stale_button(update, context)
        return END
    try:
        acted = await entry[0](v, data.item, str(data.value))
    except ValueError:
        acted = None
    if acted is None:
        await stale_button(update, context)
        return END
    await _role_changed(context, acted.role_changed)
    for booking in acted.cancelled:
        await tell_cancelled(context, booking)
    for handed in acted.reassigned:
        await tell_reassigned(context, handed)
    note = acted.note or outcome_note(v, acted.outcome)
    await answer(update, context, _plain(note))
    if not await _show_screen(update, context, v, acted.screen, acted.item, note=note):
        await _show_screen(update, context, v, "main" if v.is_admin else "close", note=note)
    return END


def _plain(note: str) -> str:
    return note if len(note) <= 180 else note[:179] + "…"


async def _export(update: Update, context: BotContext, v: Viewer) -> State:
    await answer(update, context)
    text = await v.services.config.export_toml()
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_document(
        chat.id,
        InputFile(text.encode("utf-8"), filename=EXPORT_NAME),
        caption=v.t._(
            "The whole configuration. Load it with: bookbot load-config {file}", file=EXPORT_NAME
        ),
    )
    return END


async def _invite(update: Update, context: BotContext, v: Viewer, staff_id: int) -> State:
    await answer(update, context)
    member = await v.services.booking.catalog.staff_member(staff_id)
    if member is None or not member.active:
        await stale_button(update, context)
        return END
    result = await v.services.staff_link.invite(
        staff_query=member.slug, admin_id=v.user_id, bot_username=context.bot.username or ""
    )
    link = getattr(result, "link", None)
    if link is None:
        await send(update, context, v.t._("⚠️ No invite link could be made."))
        return END
    await send(
        update,
        context,
        v.t._(
            "Invite link for <b>{name}</b> (single use, valid {days} days):\n{link}\n\n"
            "Forward it to them; opening it links their Telegram account.",
            name=escape(member.name),
            days=result.expires_in.days,  # type: ignore[union-attr]
            link=escape(link),
        ),
    )
    return END


async def on_booking(update: Update, context: BotContext) -> State:
    """A booking in the admin's list: confirm, then cancel it for the customer."""
    data = cb.unpack(update, BookingAct)
    v = await _viewer(update, context)
    if v is None or not v.is_admin or data.action not in ("ask", "yes", "move"):
        await stale_button(update, context)
        return END
    if data.action == "ask":
        view = await booking_view(v, data.staff, str(data.booking))
        if view is None:
            await stale_button(update, context)
            return END
        await answer(update, context)
        await show(update, context, *view)
        return END
    if data.action == "move":
        return await _ask_move(update, context, v, data.staff, str(data.booking))
    booking = await v.services.booking.bookings.get(str(data.booking))
    cancelled = None
    if booking is not None and booking.staff_id == data.staff:
        cancelled = await v.services.config.cancel_booking(v.user_id, booking.id)
    if cancelled is None:
        note = v.t._("⚠️ That booking is no longer active.")
    else:
        await tell_cancelled(context, cancelled)
        note = v.t._("✅ Cancelled; the customer was told.")
    await _show_screen(update, context, v, "bookings", data.staff, note=note)
    return END


async def _ask_move(
    update: Update, context: BotContext, v: Viewer, staff_id: int, booking_id: str
) -> State:
    view = await booking_view(v, staff_id, booking_id)
    if view is None:
        await stale_button(update, context)
        return END
    business = await v.services.booking.business()
    assert context.user_data is not None
    context.user_data[PROMPT_KEY] = {"field": MOVE, "item": staff_id, "booking": booking_id}
    expect_text(context, CONVERSATION)
    await answer(update, context)
    question = v.t._(
        "Type the new day and time ({zone}).\nExamples: 2026-12-24 14:00, 24.12. 14:30",
        zone=escape(business.timezone),
    )
    markup = InlineKeyboardMarkup([[button(v.t._("✖ Cancel"), screen("bookings", staff_id))]])
    await show(update, context, question, markup)
    return TYPING


async def _move_answer(
    update: Update, context: BotContext, v: Viewer, staff_id: int, booking_id: str, text: str
) -> State:
    t = v.t
    business = await v.services.booking.business()
    try:
        day, minute = parse.day_and_time(t, text, await v.services.config.today())
    except ValueError as err:
        await send(update, context, f"{escape(str(err))}\n{t._('Please try again.')}")
        return TYPING
    start = datetime.combine(day, time(minute // 60, minute % 60), business.tz)
    outcome = await v.services.booking.move_for_customer(booking_id, start)
    if isinstance(outcome, SlotUnavailable):
        near = ", ".join(t.datetime(a, business.tz, "short") for a in outcome.alternatives)
        reason = t._("That time is not free.")
        if near:
            reason += " " + t._("The nearest free times: {times}.", times=near)
        await send(update, context, f"{escape(reason)}\n{t._('Please try again.')}")
        return TYPING
    if isinstance(outcome, Changed):
        await tell_moved(context, outcome.booking)
        done = Done(None, "bookings", staff_id, note=t._("✅ Moved; the customer was told."))
    else:
        done = Done(None, "bookings", staff_id, note=t._("⚠️ That booking is no longer active."))
    return await _finish(update, context, v, done, new_message=True)


# --- typed answers ---------------------------------------------------------------------


async def on_answer(update: Update, context: BotContext) -> State:
    """The typed (or forwarded) answer to the waiting question."""
    assert context.user_data is not None
    pending = context.user_data.get(PROMPT_KEY)
    v = await _viewer(update, context)
    if isinstance(pending, dict) and pending.get("field") == MOVE and v is not None and v.is_admin:
        text = update.effective_message.text if update.effective_message else None
        return await _move_answer(
            update, context, v, int(pending["item"]), str(pending["booking"]), text or ""
        )
    field = FIELDS.get(pending.get("field", "")) if isinstance(pending, dict) else None
    message = update.effective_message
    if v is None or field is None or message is None or not isinstance(pending, dict):
        return await _leave(update, context, v)
    item = int(pending.get("item", 0))
    if not _allowed(v, field.staff_may, item):
        return await _leave(update, context, v)
    try:
        done = await field.save(v, item, message)
    except ValueError as err:
        await send(update, context, f"{escape(str(err))}\n{v.t._('Please try again.')}")
        return TYPING
    if isinstance(done.outcome, Invalid):
        await send(
            update,
            context,
            f"{outcome_note(v, done.outcome)}\n{v.t._('Please try again.')}",
        )
        return TYPING
    return await _finish(update, context, v, done, new_message=True)


async def _finish(
    update: Update, context: BotContext, v: Viewer, done: Done, *, new_message: bool
) -> State:
    assert context.user_data is not None
    context.user_data.pop(PROMPT_KEY, None)
    stop_expecting(context, CONVERSATION)
    await _role_changed(context, done.role_changed)
    if done.view is not None:
        text, markup = done.view
        await send(update, context, text, markup)
        return END
    note = "\n".join(n for n in (outcome_note(v, done.outcome), done.note) if n)
    if not await _show_screen(
        update, context, v, done.screen, done.item, note=note, new_message=new_message
    ):
        await send(update, context, note or v.t._("Done."))
    return END


async def _leave(update: Update, context: BotContext, v: Viewer | None) -> State:
    if context.user_data is not None:
        context.user_data.pop(PROMPT_KEY, None)
    stop_expecting(context, CONVERSATION)
    await unknown_command(update, context) if v is None or not v.is_admin else await _show_screen(
        update, context, v, "main", new_message=True
    )
    return END


async def cancel_question(update: Update, context: BotContext) -> State:
    """/cancel while a settings question waits: leave the question, change nothing."""
    assert context.user_data is not None
    context.user_data.pop(PROMPT_KEY, None)
    stop_expecting(context, CONVERSATION)
    t = await texts_of(update, context)
    await send(update, context, t._("Nothing changed. Send /settings to carry on."))
    return END


async def stray(update: Update, context: BotContext) -> State:
    """Something other than text while a question waits."""
    t = await texts_of(update, context)
    await send(update, context, t._("Please type the answer, or send /cancel."))
    return TYPING


async def expired(update: Update, context: BotContext) -> State:
    """A question left unanswered too long."""
    assert context.user_data is not None
    context.user_data.pop(PROMPT_KEY, None)
    t = await texts_of(update, context)
    await send(
        update, context, t._("That settings step has expired. Send /settings to start again.")
    )
    return END


def settings_conversation(user_data: Any) -> ConversationHandler[BotContext]:
    """The persistent settings conversation; `user_data` is the Application's (for routing)."""
    ours = TextFor(user_data, CONVERSATION)
    answers = ((filters.TEXT & ~filters.COMMAND) | filters.FORWARDED) & ours
    private = filters.ChatType.PRIVATE
    entry_points: list[BaseHandler[Update, BotContext, Any]] = [
        CommandHandler("settings", open_settings, filters=private),
        CommandHandler("hours", my_hours, filters=private),
        CommandHandler("dayoff", day_off, filters=private),
        CallbackQueryHandler(on_screen, pattern=cb.pattern(Screen)),
        CallbackQueryHandler(on_ask, pattern=cb.pattern(Ask)),
        CallbackQueryHandler(on_do, pattern=cb.pattern(Do)),
        CallbackQueryHandler(on_booking, pattern=cb.pattern(BookingAct)),
    ]
    states: dict[object, list[BaseHandler[Update, BotContext, Any]]] = {
        TYPING: [
            MessageHandler(answers, on_answer),
            MessageHandler(filters.ALL & ~filters.COMMAND & ours, stray),
        ]
    }
    fallbacks: list[BaseHandler[Update, BotContext, Any]] = [
        CommandHandler("cancel", cancel_question, filters=ours)
    ]
    return persistent_conversation(
        name=CONVERSATION,
        entry_points=entry_points,
        states=states,
        fallbacks=fallbacks,
        timeout=TIMEOUT,
        on_timeout=expired,
    )
