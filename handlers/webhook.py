"""Webhook mode: answer button presses in the webhook response itself.

Telegram runs a method returned as the webhook reply, which saves the bot one request per
button press and stops the button's spinner at once. Only presses whose data parses to a
real button are answered this way; stale, forged and no-op buttons are answered by their
handlers, which show a toast text.
"""

from __future__ import annotations

from typing import Any

from telegram import Update

from handlers import callbacks as cb

PREANSWERED_KEY = "preanswered"
REMEMBERED = 10_000


def early_answer(update: Update, bot_data: dict[Any, Any]) -> dict[str, Any] | None:
    """The answerCallbackQuery to send as the webhook reply, if this update gets one."""
    query = update.callback_query
    if query is None:
        return None
    data = cb.parse(query.data)
    if data is None or isinstance(data, cb.Noop):
        return None
    answered: dict[str, None] = bot_data.setdefault(PREANSWERED_KEY, {})
    answered[query.id] = None
    if len(answered) > REMEMBERED:
        del answered[next(iter(answered))]
    return {"method": "answerCallbackQuery", "callback_query_id": query.id}


def was_answered(update: Update, bot_data: dict[Any, Any]) -> bool:
    """Whether this update's callback query was already answered in the webhook reply."""
    query = update.callback_query
    return query is not None and query.id in bot_data.get(PREANSWERED_KEY, {})
