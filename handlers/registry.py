"""Registers every handler on the Application, in the order that makes fall-through work.

All in group 0 (one handler per update): first the private-chat guard (commands sent in a
group get "write to me privately", nothing else there is answered), then the conversations
(text reaches the one that asked for it, see `handlers.routing`), then stateless handlers
(my bookings, help, staff and admin commands), last the catch-alls for stale buttons,
unknown commands and stray messages. A new conversation (e.g. settings) is one more entry
in `conversations()`.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from handlers import booking, common, menus
from handlers import callbacks as cb
from handlers.admin import admin_handlers
from handlers.agenda import agenda_handlers, unblock_handler
from handlers.agenda_zone import agenda_zone_conversation
from handlers.context import BotApplication
from handlers.errors import on_error
from handlers.language_menu import language_handlers
from handlers.my_bookings import my_bookings_handlers
from handlers.settings.conversation import settings_conversation
from handlers.staff import invite_link_handler, staff_handlers

NOT_PRIVATE = ~filters.ChatType.PRIVATE


def conversations(app: BotApplication) -> list[BaseHandler[Any, Any, Any]]:
    """The conversation handlers, in priority order."""
    return [
        booking.booking_conversation(app.user_data),
        settings_conversation(app.user_data),
        agenda_zone_conversation(app.user_data),
    ]


def register_handlers(app: BotApplication) -> None:
    """Attach all handlers and the error handler."""
    app.add_handler(unblock_handler(), group=-1)  # a user who blocked the bot wrote again
    # Own group: every update passes (one handler per group runs), before group 0.
    app.add_handler(TypeHandler(Update, menus.catch_up), group=-2)
    app.add_handler(MessageHandler(filters.COMMAND & NOT_PRIVATE, common.private_only))
    app.add_handler(MessageHandler(NOT_PRIVATE, common.ignore))
    app.add_handler(invite_link_handler())
    for conversation in conversations(app):
        app.add_handler(conversation)
    for handler in [
        *my_bookings_handlers(),
        *staff_handlers(),
        *agenda_handlers(),
        *admin_handlers(),
        *language_handlers(),
    ]:
        app.add_handler(handler)
    app.add_handler(CommandHandler("help", common.help_command))
    app.add_handler(CallbackQueryHandler(booking.confirm_outside, pattern=cb.pattern(cb.Confirm)))
    app.add_handler(CallbackQueryHandler(booking.abort, pattern=cb.pattern(cb.Abort)))
    app.add_handler(CommandHandler("cancel", booking.abort))
    app.add_handler(CallbackQueryHandler(common.noop_button, pattern=cb.pattern(cb.Noop)))
    app.add_handler(CallbackQueryHandler(common.stale_button))
    app.add_handler(MessageHandler(filters.COMMAND, common.unknown_command))
    app.add_handler(MessageHandler(filters.ALL, common.unexpected_message))
    app.add_error_handler(on_error)


def add_conversation(app: BotApplication, conversation: BaseHandler[Any, Any, Any]) -> None:
    """Add a conversation after the registered ones and before the stateless handlers
    (for a conversation built outside `conversations()`, such as a test's)."""
    app.add_handler(conversation)
    group = app.handlers[0]
    group.remove(conversation)
    last = max(i for i, h in enumerate(group) if isinstance(h, ConversationHandler))
    group.insert(last + 1, conversation)
