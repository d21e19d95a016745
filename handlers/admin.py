"""Admin commands (only for admins, only in private chats): /invite <staff name>, /links.

Replies stay within Telegram's 4096 characters whatever the names: names are shortened, and
/links sends as many messages as its list needs.
"""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.staff_link import Refused
from handlers.booking import SERVICE_PAYLOAD
from handlers.common import send, unknown_command
from handlers.context import BotContext
from handlers.language import texts_of
from handlers.limits import MAX_MESSAGE, shorten, visible_len
from handlers.notices import refusal_text

NAME_LIMIT = 100
STAFF_LISTED = 50


async def is_admin(update: Update, context: BotContext) -> bool:
    """Whether the sender is an admin (ADMIN_IDS, or added in chat)."""
    user = update.effective_user
    return user is not None and await context.services.roles.is_admin(user.id)


async def invite(update: Update, context: BotContext) -> None:
    """/invite <staff name>: a single-use link that binds a staff member's Telegram account."""
    if not await is_admin(update, context):
        await unknown_command(update, context)  # nothing shows that the command exists
        return
    t = await texts_of(update, context)
    query = " ".join(context.args or []).strip()
    links = context.services.staff_link
    if not query:
        active = [s for s in await links.catalog.all_staff() if s.active]
        shown = [escape(shorten(s.name, NAME_LIMIT)) for s in active[:STAFF_LISTED]]
        if len(active) > STAFF_LISTED:
            more = len(active) - STAFF_LISTED
            shown.append(t.n_("{n} more", "{n} more", more))
        names = t.join(shown) or t._("none yet")
        await send(
            update, context, t._("Usage: /invite &lt;staff name&gt;\nStaff: {names}", names=names)
        )
        return
    user = update.effective_user
    assert user is not None
    result = await links.invite(
        staff_query=query, admin_id=user.id, bot_username=context.bot.username
    )
    if isinstance(result, Refused):
        await send(update, context, escape(shorten(refusal_text(result, t), MAX_MESSAGE // 2)))
        return
    days = result.expires_in.days
    name = escape(shorten(result.staff.name, NAME_LIMIT))
    await send(
        update,
        context,
        t.n_(
            "Invite link for <b>{name}</b> (single use, valid {n} day):\n{link}\n\n"
            "Forward it to them; opening it links their Telegram account and asks them to "
            "sign in with Google.",
            "Invite link for <b>{name}</b> (single use, valid {n} days):\n{link}\n\n"
            "Forward it to them; opening it links their Telegram account and asks them to "
            "sign in with Google.",
            days,
            name=name,
            link=escape(result.link),
        ),
    )


async def links(update: Update, context: BotContext) -> None:
    """/links: a link per service that opens it straight away, to share or put on a website."""
    if not await is_admin(update, context):
        await unknown_command(update, context)  # nothing shows that the command exists
        return
    t = await texts_of(update, context)
    services = await context.services.booking.active_services()
    if not services:
        await send(update, context, t._("No services yet: load them with bookbot load-config."))
        return
    bot_link = f"https://t.me/{context.bot.username}"
    lines = [t._("Links that open one service directly:"), ""]
    lines += [
        f"{escape(shorten(s.name, NAME_LIMIT))}: {bot_link}?start={SERVICE_PAYLOAD}{escape(s.slug)}"
        for s in services
    ]
    lines += ["", t._("All services: {link}", link=bot_link)]
    for text in _messages(lines):
        await send(update, context, text)


def _messages(lines: list[str]) -> list[str]:
    """Lines grouped into as few messages as Telegram's length limit allows."""
    messages: list[list[str]] = [[]]
    used = 0
    for line in lines:
        size = visible_len(line) + 1
        if messages[-1] and used + size > MAX_MESSAGE:
            messages.append([])
            used = 0
        messages[-1].append(line)
        used += size
    return ["\n".join(m).strip() or "…" for m in messages]


def admin_handlers() -> list[CommandHandler[BotContext, None]]:
    """Handlers of admin commands."""
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("invite", invite, filters=private),
        CommandHandler("links", links, filters=private),
    ]
