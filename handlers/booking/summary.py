"""The booking summary: everything chosen, with Confirm, Change my details and Cancel."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardMarkup, ReplyKeyboardRemove, Update

from handlers import callbacks as cb
from handlers import render
from handlers.booking.draft import load_draft
from handlers.booking.menu import CONFIRM, CONVERSATION, staff_label, start_over
from handlers.common import send, show
from handlers.context import BotContext
from handlers.keyboards import button
from handlers.limits import shorten
from handlers.prompt import State
from handlers.routing import stop_expecting

ADDRESS_LIMIT = 300


async def show_summary(
    update: Update, context: BotContext, *, remove_keyboard: bool = False
) -> State:
    """Show the summary of the draft (or start over if its choice is gone)."""
    draft = load_draft(context)
    booking = context.services.booking
    if draft.service_id is None or draft.start is None or draft.key is None:
        return await start_over(update, context)
    service = await booking.service(draft.service_id)
    who = await staff_label(context, draft.service_id, cb.StaffChoice(draft.staff_id))
    if service is None or who is None:
        return await start_over(update, context)
    business = await booking.business()
    if remove_keyboard:
        await send(update, context, "Thanks!", ReplyKeyboardRemove())
    lines = [
        "<b>Please check your booking</b>",
        "",
        render.service_line(service),
        f"👩‍🔧 {escape(who)}",
        f"🗓 {render.when(draft.start, business.tz)}",
        f"👤 {escape(draft.name or '')}",
    ]
    if draft.phone:
        lines.append(f"📱 {escape(draft.phone)}")
    if draft.email:
        lines.append(f"✉️ {escape(draft.email)}")
    if business.address:
        lines.append(f"📍 {escape(shorten(business.address, ADDRESS_LIMIT))}")
    keyboard = InlineKeyboardMarkup(
        [
            [button("✅ Confirm booking", cb.Confirm(cb.Token(draft.key)))],
            [button("✏️ Change my details", cb.EditContact())],
            [button("✖ Cancel", cb.Abort())],
        ]
    )
    # The summary asks for no text: a question another conversation waits on gets it again.
    stop_expecting(context, CONVERSATION)
    if update.callback_query is not None:
        await show(update, context, "\n".join(lines), keyboard)
    else:
        await send(update, context, "\n".join(lines), keyboard)
    return CONFIRM
