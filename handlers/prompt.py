"""One free-text step of a conversation: ask, validate, re-ask with the reason.

A `TextStep` sends its question (marking that its conversation waits for this user's
text, see `handlers.routing`), validates the reply, and on a `ValueError` repeats the
reason with a retry hint while staying in the same state; a valid value goes to `then`,
which returns the next state. The booking conversation's name, phone and e-mail steps are
`TextStep`s; a settings conversation's steps can be too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from html import escape
from typing import Any, Generic, TypeVar

from telegram import Update
from telegram.ext import MessageHandler, filters

from handlers.common import Markup, send, show
from handlers.context import BotContext
from handlers.language import texts_of
from handlers.routing import expect_text, stop_expecting

T = TypeVar("T")
State = str | int  # a conversation state name, or ConversationHandler.END


@dataclass(frozen=True)
class TextStep(Generic[T]):
    """A question answered by typing."""

    conversation: str
    state: State
    validate: Callable[[BotContext, str], Awaitable[T]]
    """The value from the text, or ValueError whose message (an English msgid, translated
    when shown) tells the user what is wrong."""
    retry: str
    """Said after the reason, e.g. "Please type your name again." (a msgid, see N_)."""
    then: Callable[[Update, BotContext, T], Awaitable[State]]
    """Continue with a valid value; returns the next state."""
    guard: Callable[[Update, BotContext], Awaitable[State | None]] | None = None
    """Checked before validating: a state to go to instead (e.g. the draft expired)."""

    async def ask(
        self, update: Update, context: BotContext, text: str, markup: Markup = None
    ) -> State:
        """Ask the question (replacing the pressed message where possible)."""
        expect_text(context, self.conversation)
        if update.callback_query is not None:
            await show(update, context, text, markup)
        else:
            await send(update, context, text, markup)
        return self.state

    async def reply(self, update: Update, context: BotContext) -> State:
        """Handle the typed answer."""
        message = update.effective_message
        assert message is not None
        if self.guard is not None:
            instead = await self.guard(update, context)
            if instead is not None:
                stop_expecting(context, self.conversation)
                return instead
        try:
            value = await self.validate(context, message.text or "")
        except ValueError as err:
            t = await texts_of(update, context)
            said = f"{escape(t._(str(err)))} {t._(self.retry)}".strip()
            await send(update, context, said)
            return self.state
        stop_expecting(context, self.conversation)
        return await self.then(update, context, value)

    def handler(self, text_for: filters.BaseFilter) -> MessageHandler[BotContext, Any]:
        """The MessageHandler taking typed text meant for this conversation."""
        return MessageHandler(filters.TEXT & ~filters.COMMAND & text_for, self.reply)
