"""/language: the user picks the language the bot speaks to them (remembered), or goes back
to following their Telegram app's language."""

from __future__ import annotations

from typing import Any

from babel import Locale
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from handlers import callbacks as cb
from handlers.common import answer, show
from handlers.context import BotContext
from handlers.i18n import available_languages, catalog_language, texts_for
from handlers.keyboards import button, menu_keyboard
from handlers.language import texts_of

AUTOMATIC = "auto"


def language_name(code: str) -> str:
    """A language named in itself ('Español', 'Русский', 'English')."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


async def language_command(update: Update, context: BotContext) -> None:
    """/language or its button: the languages, the current one ticked."""
    await answer(update, context)
    t = await texts_of(update, context)
    user = update.effective_user
    stored = await context.services.languages.get(user.id) if user is not None else None
    chosen = stored.chosen if stored is not None else None
    rows = [
        [
            button(
                ("✅ " if code == t.language and chosen else "") + language_name(code),
                cb.SetLanguage(cb.Token(code)),
            )
        ]
        for code in available_languages()
    ]
    rows.append(
        [
            button(
                ("✅ " if not chosen else "") + t._("Same as my Telegram app"),
                cb.SetLanguage(cb.Token(AUTOMATIC)),
            )
        ]
    )
    text = t._(
        "I speak to you in <b>{language}</b>. Which language would you like?",
        language=language_name(t.language),
    )
    await show(update, context, text, InlineKeyboardMarkup(rows))


async def set_language(update: Update, context: BotContext) -> None:
    """A language button: remember the choice and answer in the new language."""
    await answer(update, context)
    data = cb.unpack(update, cb.SetLanguage)
    user = update.effective_user
    assert user is not None
    code = None if data.code == AUTOMATIC else catalog_language(data.code)
    if data.code != AUTOMATIC and code is None:
        await language_command(update, context)  # a language no longer shipped
        return
    await context.services.languages.choose(user.id, code, now=context.services.clock.now())
    t = await texts_of(update, context)
    text = t._("Done: I will speak {language} with you.", language=language_name(t.language))
    await show(update, context, text, menu_keyboard(texts_for(t.language)))


def language_handlers() -> list[Any]:
    """/language and its buttons (stateless)."""
    return [
        CommandHandler("language", language_command),
        CallbackQueryHandler(set_language, pattern=cb.pattern(cb.SetLanguage)),
    ]
