"""The one global error handler: log the detail, tell the user something short and kind."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from handlers.callbacks import StaleCallback
from handlers.common import answer, send, stale_button
from handlers.context import BotContext
from handlers.keyboards import menu_keyboard
from handlers.language import texts_of

log = logging.getLogger("bookbot.errors")


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure; answer the user so nothing is left spinning."""
    error = context.error
    if isinstance(error, StaleCallback) and isinstance(update, Update):
        await stale_button(update, context)
        return
    if isinstance(error, Forbidden):
        log.info("user blocked the bot: %s", error.message)
        return
    if isinstance(error, BadRequest):  # a NetworkError subclass in PTB, but our mistake
        log.error("Telegram refused a request: %s", error.message, exc_info=error)
    elif isinstance(error, RetryAfter | TimedOut | NetworkError):
        log.warning("Telegram unavailable while handling an update: %s", error)
    else:
        log.error("unhandled error while handling an update", exc_info=error)
    if not isinstance(update, Update):
        return
    try:
        await answer(update, context)
        t = await texts_of(update, context)
        await send(
            update,
            context,
            t._("Sorry, something went wrong on our side. Nothing was lost – please try again."),
            menu_keyboard(t),
        )
    except Exception:
        log.warning("could not tell the user about an error", exc_info=True)
