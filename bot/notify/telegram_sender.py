"""`bot.notify.sending.Sender` over a Bot of its own: queued messages use their own connection
pool and no rate limiter of PTB's, so a batch never holds back replies (which go through the
Application's Bot) and a 429 on a batch never stalls them. The dispatcher's `Budget` keeps
the batch within Telegram's limits.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Awaitable
from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.config import Settings
from bot.notify.sending import (
    BlockedByUser,
    Delivered,
    FloodWait,
    Refused,
    SendResult,
    Unreachable,
)
from bot.outbound import Attachment, OutboundMessage
from bot.telegram_http import AiohttpRequest

log = logging.getLogger(__name__)
POOL_SIZE = 64


def _retry_after(err: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = err.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def inline_markup(message: OutboundMessage) -> InlineKeyboardMarkup | None:
    """The message's buttons as Telegram's inline keyboard (None without buttons)."""
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.text, url=b.url, callback_data=b.callback_data) for b in row]
            for row in message.buttons
        ]
    )


class TelegramSender:
    """A runtime part: its Bot starts with the bot and stops with it."""

    name = "notification sender"

    def __init__(self, settings: Settings) -> None:
        assert settings.telegram_bot_token is not None
        base = settings.telegram_api_base_url
        self.bot = Bot(
            settings.telegram_bot_token.get_secret_value(),
            base_url=base,
            base_file_url=settings.telegram_api_file_url or base.replace("/bot", "/file/bot"),
            request=AiohttpRequest(pool_size=POOL_SIZE, pool_timeout=30),
        )

    async def start(self) -> None:
        await self.bot.initialize()

    async def stop(self) -> None:
        await self.bot.shutdown()

    async def send_text(self, message: OutboundMessage) -> SendResult:
        markup = inline_markup(message)
        return await self._call(
            self.bot.send_message(
                message.chat_id, message.html, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        )

    async def send_file(self, chat_id: int, attachment: Attachment) -> SendResult:
        return await self._call(
            self.bot.send_document(
                chat_id,
                InputFile(attachment.data, filename=attachment.filename),
                caption=attachment.caption or None,
            )
        )

    @staticmethod
    async def _call(request: Awaitable[object]) -> SendResult:
        try:
            await request
        except RetryAfter as err:
            return FloodWait(_retry_after(err))
        except Forbidden:
            return BlockedByUser()
        except BadRequest as err:
            return Refused(err.message)
        except TelegramError as err:  # network trouble, 5xx, timeouts
            return Unreachable(err.message)
        return Delivered()
