"""The texts for the person an update comes from, or for a chat the bot writes to first."""

from __future__ import annotations

from telegram import Update

from bot.services import Services
from handlers.context import BotContext
from handlers.i18n import Texts, pick_language, texts_for


async def texts_of(update: Update, context: BotContext) -> Texts:
    """The language of the update's sender; Telegram's code for them is remembered."""
    services = context.services
    default = (await services.booking.business()).default_language
    user = update.effective_user
    if user is None:
        return texts_for(pick_language(None, None, default))
    stored = await services.languages.get(user.id)
    if user.language_code and (stored is None or stored.telegram_code != user.language_code):
        await services.languages.remember_telegram_code(
            user.id, user.language_code, now=services.clock.now()
        )
    return texts_for(pick_language(stored, user.language_code, default))


async def texts_for_chat(services: Services, chat_id: int) -> Texts:
    """The language of a private chat's user, for messages that are not replies."""
    default = (await services.booking.business()).default_language
    stored = await services.languages.get(chat_id)
    return texts_for(pick_language(stored, stored.telegram_code if stored else None, default))
