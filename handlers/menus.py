"""Telegram's command menu per role (https://core.telegram.org/bots/api#setmycommands).

Customers see the default menu (scope `default`); staff and admins get their own menu in
their private chat (`BotCommandScopeChat`), in their language. It is published for everyone
with a role when the bot starts, and again for one person whenever their role changes (staff
linked or deactivated, admin added or removed), so it is right even for someone who has not
written since. Someone who loses every role gets the chat menu deleted, which shows the
default (customers') menu again. Telegram refuses a chat menu for someone who never started
the bot (an admin added by id, an ADMIN_IDS admin before their first message): the bot asks
only for people it has seen (their user data exists); anyone else, or anyone Telegram
refuses, is remembered and gets their menu with their first update (`catch_up`, registered
before every other handler).
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

from telegram import Bot, BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError

from bot.admin.roles import Role
from bot.services import Services
from handlers.context import BotApplication, BotContext
from handlers.i18n import N_, Texts
from handlers.language import texts_for_chat

log = logging.getLogger(__name__)

CUSTOMER = (
    ("start", N_("Book an appointment")),
    ("mybookings", N_("See, cancel or reschedule your bookings")),
    ("cancel", N_("Stop what we are doing")),
    ("help", N_("What I can do")),
)
STAFF = (
    ("agenda", N_("Your bookings today, tomorrow or this week")),
    ("hours", N_("Your weekly hours")),
    ("dayoff", N_("Take a day off")),
    ("calendars", N_("Where bookings go, which calendars block your time")),
    ("connect", N_("Sign in with Google")),
    ("disconnect", N_("Sign out from Google")),
)
ADMIN = (
    ("settings", N_("Run the business: services, staff, hours, admins")),
    ("invite", N_("An invite link for a staff member")),
    ("links", N_("A link to each service")),
)


def commands_for(t: Texts, role: Role, *, is_staff: bool) -> list[BotCommand]:
    """The menu of a role (an admin who is also staff gets both)."""
    entries = list(CUSTOMER)
    if is_staff:
        entries += STAFF
    if role is Role.ADMIN:
        entries += ADMIN
    return [BotCommand(name, t._(description)) for name, description in entries]


PENDING_KEY = "menus_pending"


def _pending(bot_data: MutableMapping[Any, Any]) -> set[int]:
    pending: set[int] = bot_data.setdefault(PENDING_KEY, set())
    return pending


async def publish_menu(
    bot: Bot,
    services: Services,
    user_id: int,
    bot_data: MutableMapping[Any, Any],
    *,
    seen: bool = True,
) -> bool:
    """Set (or reset) one person's command menu for their role now. Someone not `seen`
    yet, or whom Telegram refuses, gets it at their next update instead."""
    if not seen:
        _pending(bot_data).add(user_id)
        return False
    roles = services.roles
    role = await roles.role(user_id)
    scope = BotCommandScopeChat(user_id)
    try:
        if role is Role.CUSTOMER:
            await bot.delete_my_commands(scope=scope)
        else:
            t = await texts_for_chat(services, user_id)
            is_staff = await roles.staff_member(user_id) is not None
            await bot.set_my_commands(commands_for(t, role, is_staff=is_staff), scope=scope)
    except TelegramError as err:
        log.info("could not set a command menu (retried at their next update): %s", err)
        _pending(bot_data).add(user_id)
        return False
    _pending(bot_data).discard(user_id)
    return True


def has_seen(context: BotContext, user_id: int) -> bool:
    """Whether this user has written to the bot (their user data exists)."""
    return user_id in context.application.user_data


async def catch_up(update: Update, context: BotContext) -> None:
    """Before anything else: the menu of someone whose menu could not be set earlier."""
    user = update.effective_user
    if user is not None and user.id in _pending(context.bot_data):
        await publish_menu(context.bot, context.services, user.id, context.bot_data)


class CommandMenus:
    """Runtime part: publishes the menus of everyone with a role at start."""

    name = "command menus"

    def __init__(self, app: BotApplication, services: Services) -> None:
        self._app = app
        self._services = services

    async def start(self) -> None:
        app = self._app
        for user_id in await self._services.roles.with_roles():
            seen = user_id in app.user_data
            await publish_menu(app.bot, self._services, user_id, app.bot_data, seen=seen)

    async def stop(self) -> None:
        return None
