"""Shared Telegram plumbing: show a screen (edit or send), help, stale buttons, the menu.

`show` and `send` are the last guard of Telegram's limits: handlers page and shorten their
texts, but should a text still exceed 4096 characters it goes out shortened as plain text
(logged), and a keyboard keeps its first 100 buttons, rather than Telegram refusing it.
"""

from __future__ import annotations

import html
import logging
import re

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest

from handlers import render
from handlers.context import BotContext
from handlers.keyboards import menu_keyboard
from handlers.language import texts_of
from handlers.limits import MAX_BUTTONS, MAX_MESSAGE, shorten, visible_len
from handlers.webhook import was_answered

log = logging.getLogger(__name__)

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None
_TAG = re.compile(r"<[^>]*>")


def fit_reply(text: str, markup: Markup) -> tuple[str, ParseMode | None, Markup]:
    """The text and keyboard as they may be sent: unchanged when within the limits."""
    mode: ParseMode | None = ParseMode.HTML
    if visible_len(text) > MAX_MESSAGE:
        log.warning("a reply of %d characters was shortened", visible_len(text))
        text, mode = shorten(html.unescape(_TAG.sub("", text)), MAX_MESSAGE), None
    if isinstance(markup, InlineKeyboardMarkup):
        rows = [list(row) for row in markup.inline_keyboard]
        if sum(len(row) for row in rows) > MAX_BUTTONS:
            log.warning("a keyboard of more than %d buttons was cut", MAX_BUTTONS)
            kept: list[list[InlineKeyboardButton]] = []
            room = MAX_BUTTONS
            for row in rows:
                if room <= 0:
                    break
                kept.append(list(row[:room]))
                room -= len(kept[-1])
            markup = InlineKeyboardMarkup(kept)
    return text, mode, markup


async def show(update: Update, context: BotContext, text: str, markup: Markup = None) -> None:
    """Edit the message a button was pressed on, or send a new one."""
    query = update.callback_query
    if (
        query is not None
        and query.message is not None
        and (markup is None or isinstance(markup, InlineKeyboardMarkup))
    ):
        fitted, mode, inline = fit_reply(text, markup)
        try:
            await query.edit_message_text(
                fitted,
                parse_mode=mode,
                reply_markup=inline if isinstance(inline, InlineKeyboardMarkup) else None,
            )
            return
        except BadRequest as err:
            if "not modified" in err.message.lower():
                return
            log.info("could not edit message, sending a new one: %s", err.message)
    await send(update, context, text, markup)


async def send(update: Update, context: BotContext, text: str, markup: Markup = None) -> None:
    """Send a new message to the chat of this update."""
    chat = update.effective_chat
    if chat is None:
        return
    fitted, mode, markup = fit_reply(text, markup)
    await context.bot.send_message(chat.id, fitted, parse_mode=mode, reply_markup=markup)


async def answer(
    update: Update, context: BotContext, text: str | None = None, *, alert: bool = False
) -> None:
    """Answer a callback query first, so the button stops spinning (unless the webhook
    reply already did)."""
    if was_answered(update, context.bot_data):
        return
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(text, show_alert=alert)
        except BadRequest as err:
            log.info("callback answer refused: %s", err.message)


async def help_text(update: Update, context: BotContext) -> str:
    """The commands this user can use (everyone's, then staff's and admins' if they are),
    and how to reach the business."""
    t = await texts_of(update, context)
    parts = [t._(render.HELP)]
    contact = render.business_contact(t, await context.services.booking.business())
    if contact:
        parts.append(contact)
    user = update.effective_user
    if user is not None:
        services = context.services
        if await services.roles.staff_member(user.id) is not None:
            parts.append(t._(render.STAFF_HELP))
        if await services.roles.is_admin(user.id):
            parts.append(t._(render.ADMIN_HELP))
    return "\n\n".join(parts)


async def help_command(update: Update, context: BotContext) -> None:
    """/help."""
    t = await texts_of(update, context)
    await send(update, context, await help_text(update, context), menu_keyboard(t))


async def stale_button(update: Update, context: BotContext) -> None:
    """Any button nobody else handled: old, from before a restart, or forged."""
    t = await texts_of(update, context)
    await answer(update, context, t._("This button has expired."))
    await send(
        update,
        context,
        t._("That button is no longer active. Here is the menu to carry on:"),
        menu_keyboard(t),
    )


async def noop_button(update: Update, context: BotContext) -> None:
    """A button that only explains itself (from older day pickers)."""
    t = await texts_of(update, context)
    await answer(update, context, t._("No free times there – pick one of the days."))


async def unexpected_message(update: Update, context: BotContext) -> None:
    """Text or media outside any step that expects it."""
    t = await texts_of(update, context)
    await send(
        update,
        context,
        t._(
            "I didn't catch that. Tap /start to book an appointment, /mybookings to see your "
            "bookings, or /help for everything I can do."
        ),
        menu_keyboard(t),
    )


async def private_only(update: Update, context: BotContext) -> None:
    """A command in a group chat: everything the bot does is personal (bookings, contact
    details, staff invite links), so it only answers in private chats."""
    t = await texts_of(update, context)
    if context.bot.username:
        link = f"https://t.me/{context.bot.username}"
        text = t._("Please write to me in a private chat: {link}", link=link)
    else:
        text = t._("Please write to me in a private chat.")
    await send(update, context, text)


async def ignore(update: Update, context: BotContext) -> None:
    """Group messages that are not commands: not for the bot."""


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command the bot does not have."""
    t = await texts_of(update, context)
    text = t._("I don't know that command.") + "\n\n" + await help_text(update, context)
    await send(update, context, text, menu_keyboard(t))
