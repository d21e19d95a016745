"""Several conversations side by side: text goes to the one that asked, idle ones expire.

All conversations share handler group 0. A conversation step that asks for free text marks
the user's data with the conversation's name (`expect_text`); a conversation's text,
stray-message and /cancel handlers carry the `TextFor(name)` filter, which lets an update
through unless another conversation asked for this user's text. So a text reply reaches the
conversation that asked for it even when another conversation is half-finished.

Timeouts: PTB's `conversation_timeout` runs on JobQueue jobs, which are neither persisted nor
driven by the injected clock. Here each conversation records its last activity (clock time)
in the user's data; an update arriving after `timeout` ends the conversation with a "let's
start again" answer instead of acting on a stale step. It survives restarts like the states.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, ConversationHandler, filters
from telegram.warnings import PTBUserWarning

from handlers.context import BotContext

AWAITING_KEY = "awaiting"
EARLIER_KEY = "awaiting_earlier"  # conversations whose question waits under the current one
ACTIVE_KEY = "active"
State = object
Callback = Callable[[Update, BotContext], Coroutine[Any, Any, Any]]


def expect_text(context: BotContext, conversation: str) -> None:
    """Mark that `conversation` waits for this user's next text. A question another
    conversation still waits on is kept underneath and gets the text again once this one
    stops expecting (so a booking made while a settings question waits hands back to it)."""
    data = context.user_data
    if data is None:
        return
    current = data.get(AWAITING_KEY)
    earlier: list[str] = [c for c in data.get(EARLIER_KEY, []) if c != conversation]
    if current is not None and current != conversation:
        earlier.append(current)
    if earlier:
        data[EARLIER_KEY] = earlier
    else:
        data.pop(EARLIER_KEY, None)
    data[AWAITING_KEY] = conversation


def stop_expecting(context: BotContext, conversation: str) -> None:
    """Clear the mark if `conversation` set it (the question underneath, if any, is back)."""
    data = context.user_data
    if data is None:
        return
    earlier: list[str] = [c for c in data.get(EARLIER_KEY, []) if c != conversation]
    if data.get(AWAITING_KEY) == conversation:
        if earlier:
            data[AWAITING_KEY] = earlier.pop()
        else:
            del data[AWAITING_KEY]
    if earlier:
        data[EARLIER_KEY] = earlier
    else:
        data.pop(EARLIER_KEY, None)


class TextFor(filters.UpdateFilter):
    """Passes unless another conversation asked for this user's next text.

    `user_data` is the Application's live mapping (`app.user_data`), read at filter time.
    """

    def __init__(self, user_data: Mapping[int, Mapping[Any, Any]], conversation: str) -> None:
        super().__init__(name=f"TextFor({conversation})")
        self._user_data = user_data
        self._conversation = conversation

    def filter(self, update: Update) -> bool:
        user = update.effective_user
        data = self._user_data.get(user.id) if user is not None else None
        awaiting = data.get(AWAITING_KEY) if data is not None else None
        return awaiting is None or awaiting == self._conversation


def _expiring(
    callback: Callback, conversation: str, timeout: timedelta, on_timeout: Callback | None
) -> Callback:
    """The callback, run only while the conversation is fresh (unless `on_timeout` is None);
    records activity, and forgets it when the conversation ends."""

    @functools.wraps(callback)
    async def run(update: Update, context: BotContext) -> Any:
        data = context.user_data
        assert data is not None
        now = context.services.clock.now().timestamp()
        active: dict[str, float] = data.setdefault(ACTIVE_KEY, {})
        last = active.get(conversation)
        if on_timeout is not None and last is not None and now - last > timeout.total_seconds():
            del active[conversation]
            stop_expecting(context, conversation)
            return await on_timeout(update, context)
        active[conversation] = now
        result = await callback(update, context)
        if result == ConversationHandler.END:
            active.pop(conversation, None)
            stop_expecting(context, conversation)
        return result

    return run


def _fresh(callback: Callback, conversation: str) -> Callback:
    """An entry point: starts the conversation afresh (no timeout check)."""

    @functools.wraps(callback)
    async def run(update: Update, context: BotContext) -> Any:
        data = context.user_data
        assert data is not None
        stop_expecting(context, conversation)
        active: dict[str, float] = data.setdefault(ACTIVE_KEY, {})
        active[conversation] = context.services.clock.now().timestamp()
        result = await callback(update, context)
        if result == ConversationHandler.END:
            active.pop(conversation, None)
        return result

    return run


def with_timeout(
    *,
    name: str,
    entry_points: Sequence[BaseHandler[Update, BotContext, Any]],
    states: dict[object, list[BaseHandler[Update, BotContext, Any]]],
    fallbacks: Sequence[BaseHandler[Update, BotContext, Any]],
    timeout: timedelta,
    on_timeout: Callback,
) -> None:
    """Wrap the handlers' callbacks (in place) with activity tracking and the timeout.

    A handler object listed both as entry point and in a state is treated as a state
    handler there (checked for the timeout) and re-entry restarts it through `/start`.
    """
    wrapped: set[int] = set()
    for handlers in states.values():
        for handler in handlers:
            if id(handler) not in wrapped:
                handler.callback = _expiring(handler.callback, name, timeout, on_timeout)
                wrapped.add(id(handler))
    for handler in fallbacks:  # /cancel and the like work however long ago the last step was
        if id(handler) not in wrapped:
            handler.callback = _expiring(handler.callback, name, timeout, None)
            wrapped.add(id(handler))
    for handler in entry_points:
        if id(handler) not in wrapped:
            handler.callback = _fresh(handler.callback, name)
            wrapped.add(id(handler))


def persistent_conversation(
    *,
    name: str,
    entry_points: list[BaseHandler[Update, BotContext, Any]],
    states: dict[object, list[BaseHandler[Update, BotContext, Any]]],
    fallbacks: list[BaseHandler[Update, BotContext, Any]],
    timeout: timedelta,
    on_timeout: Callback,
) -> ConversationHandler[BotContext]:
    """A conversation that survives restarts (persistent, re-entered by its entry points)
    and ends after `timeout` of idleness on the bot's clock (see `with_timeout`)."""
    with_timeout(
        name=name,
        entry_points=entry_points,
        states=states,
        fallbacks=fallbacks,
        timeout=timeout,
        on_timeout=on_timeout,
    )
    with warnings.catch_warnings():
        # PTB warns that per_message=False tracks callback queries per chat: intended here.
        warnings.filterwarnings("ignore", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=entry_points,
            states=states,
            fallbacks=fallbacks,
            allow_reentry=True,
            persistent=True,
            name=name,
        )
