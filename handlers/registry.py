"""Registers every handler on the Application, in the order that makes fall-through work.

All in group 0 (one handler per update): the booking conversation, then stateless handlers
(my bookings, help, staff and admin commands), last the catch-alls for stale buttons,
unknown commands and stray messages.
"""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers import booking, common
from handlers import callbacks as cb
from handlers.admin import admin_handlers
from handlers.context import BotApplication
from handlers.errors import on_error
from handlers.my_bookings import my_bookings_handlers
from handlers.staff import invite_link_handler, staff_handlers


def register_handlers(app: BotApplication) -> None:
    """Attach all handlers and the error handler."""
    app.add_handler(invite_link_handler())
    app.add_handler(booking.booking_conversation())
    for handler in [*my_bookings_handlers(), *staff_handlers(), *admin_handlers()]:
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
