"""Admin commands (only for ADMIN_IDS): /invite <staff name>, /links."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.ext import CommandHandler

from bot.staff_link import Refused
from handlers.booking import SERVICE_PAYLOAD
from handlers.common import send
from handlers.context import BotContext

NOT_ADMIN = "This command is only for the bot's admins."


def is_admin(update: Update, context: BotContext) -> bool:
    """Whether the sender is listed in ADMIN_IDS."""
    user = update.effective_user
    return user is not None and user.id in context.services.settings.admin_ids


async def invite(update: Update, context: BotContext) -> None:
    """/invite <staff name>: a single-use link that binds a staff member's Telegram account."""
    if not is_admin(update, context):
        await send(update, context, NOT_ADMIN)
        return
    query = " ".join(context.args or []).strip()
    links = context.services.staff_link
    if not query:
        staff = await links.catalog.all_staff()
        names = ", ".join(escape(s.name) for s in staff if s.active) or "none yet"
        await send(update, context, f"Usage: /invite &lt;staff name&gt;\nStaff: {names}")
        return
    user = update.effective_user
    assert user is not None
    result = await links.invite(
        staff_query=query, admin_id=user.id, bot_username=context.bot.username
    )
    if isinstance(result, Refused):
        await send(update, context, escape(result.message))
        return
    days = result.expires_in.days
    await send(
        update,
        context,
        f"Invite link for <b>{escape(result.staff.name)}</b> (single use, valid {days} days):\n"
        f"{escape(result.link)}\n\nForward it to them; opening it links their Telegram account "
        "and asks them to sign in with Google.",
    )


async def links(update: Update, context: BotContext) -> None:
    """/links: a link per service that opens it straight away, to share or put on a website."""
    if not is_admin(update, context):
        await send(update, context, NOT_ADMIN)
        return
    services = await context.services.booking.services()
    if not services:
        await send(update, context, "No services yet: load them with bookbot load-config.")
        return
    bot_link = f"https://t.me/{context.bot.username}"
    lines = ["Links that open one service directly:", ""]
    lines += [
        f"{escape(s.name)}: {bot_link}?start={SERVICE_PAYLOAD}{escape(s.slug)}" for s in services
    ]
    lines += ["", f"All services: {bot_link}"]
    await send(update, context, "\n".join(lines))


def admin_handlers() -> list[CommandHandler[BotContext, None]]:
    """Handlers of admin commands."""
    return [CommandHandler("invite", invite), CommandHandler("links", links)]
