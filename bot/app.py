"""Composition root: storage, services, the PTB Application, the web server, their lifecycle.

`BotRuntime` runs everything inside the caller's event loop (the pattern PTB documents for
running next to other asyncio servers), so the CLI, the end-to-end tests and the
benchmarks all start the very same bot.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeDefault,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, ApplicationBuilder, ContextTypes, Defaults

from bot.booking import BookingService, ExternalBusy
from bot.clock import Clock
from bot.concurrency import PerChatUpdateProcessor
from bot.config import Settings
from bot.persistence import SqlitePersistence
from bot.services import Services
from bot.staff_link import Connected, Refused, StaffLinkService
from bot.telegram_http import AiohttpRequest
from bot.web import TelegramWebhook, WebServer
from handlers import staff as staff_handlers
from handlers.context import SERVICES_KEY, BotApplication, BotContext
from handlers.registry import register_handlers
from handlers.webhook import early_answer
from storage.bookings import BookingRepository
from storage.catalog import CatalogRepository
from storage.customers import CustomerRepository
from storage.db import Database
from storage.migrate import migrate
from storage.ptb_store import PtbStore
from storage.settings_store import SettingsRepository
from storage.staff_links import StaffLinkRepository

log = logging.getLogger("bookbot")

ALLOWED_UPDATES = ["message", "callback_query"]
CUSTOMER_COMMANDS = [
    BotCommand("start", "Book an appointment"),
    BotCommand("mybookings", "See, cancel or reschedule your bookings"),
    BotCommand("cancel", "Stop what we are doing"),
    BotCommand("help", "What I can do"),
]


# At most this many Bot API requests in flight; more wait for a free connection.
HTTP_POOL_SIZE = 32


class MissingTokenError(RuntimeError):
    """TELEGRAM_BOT_TOKEN is not set."""


class TelegramMessenger:
    """Sends messages from outside a handler (OAuth callback, token problems)."""

    def __init__(self) -> None:
        self.bot: Bot | None = None

    async def send(
        self, chat_id: int, html: str, *, url_button: tuple[str, str] | None = None
    ) -> None:
        """Send, logging (not raising) if Telegram refuses."""
        if self.bot is None:
            log.warning("message dropped: the bot is not running")
            return
        markup = (
            InlineKeyboardMarkup([[InlineKeyboardButton(url_button[0], url=url_button[1])]])
            if url_button
            else None
        )
        try:
            await self.bot.send_message(
                chat_id, html, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        except TelegramError as err:
            log.warning("could not message chat %s: %s", chat_id, err)


def build_services(
    settings: Settings,
    db: Database,
    clock: Clock,
    messenger: TelegramMessenger,
    external_busy: ExternalBusy | None = None,
) -> Services:
    """Repositories and services over one database."""
    catalog = CatalogRepository(db)
    booking = BookingService(
        catalog=catalog,
        customers=CustomerRepository(db),
        bookings=BookingRepository(db),
        settings=SettingsRepository(db),
        clock=clock,
        default_timezone=settings.business_timezone,
        external_busy=external_busy,
    )
    staff_link = StaffLinkService(
        settings=settings,
        clock=clock,
        catalog=catalog,
        links=StaffLinkRepository(db),
        messenger=messenger,
    )
    return Services(settings=settings, clock=clock, db=db, booking=booking, staff_link=staff_link)


def build_application(settings: Settings, services: Services) -> BotApplication:
    """The PTB Application with persistence, per-chat serialisation and all handlers."""
    if settings.telegram_bot_token is None:
        raise MissingTokenError
    base = settings.telegram_api_base_url
    rate = settings.telegram_max_messages_per_second
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(base)
        .base_file_url(settings.telegram_api_file_url or base.replace("/bot", "/file/bot"))
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(PerChatUpdateProcessor(512))
        .persistence(SqlitePersistence(PtbStore(services.db)))
        .defaults(Defaults(tzinfo=settings.tz))
        .request(AiohttpRequest(pool_size=HTTP_POOL_SIZE, pool_timeout=30))
        .get_updates_request(AiohttpRequest())
        .rate_limiter(AIORateLimiter(overall_max_rate=rate, overall_time_period=1, max_retries=3))
    )
    if settings.telegram_webhook:
        builder = builder.updater(None)
    app: BotApplication = builder.build()  # type: ignore[assignment]
    app.bot_data[SERVICES_KEY] = services
    register_handlers(app)
    return app


class BotRuntime:
    """Starts and stops the whole bot inside the running event loop."""

    def __init__(self, settings: Settings, *, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.db: Database | None = None
        self.app: BotApplication | None = None
        self.services: Services | None = None
        self.web: WebServer | None = None

    async def start(self) -> None:
        """Open storage, migrate, start the Application, the web server, and poll."""
        if self.settings.telegram_bot_token is None:
            raise MissingTokenError
        self.db = await Database.open(self.settings.database_path)
        await migrate(self.db)
        messenger = TelegramMessenger()
        self.services = build_services(self.settings, self.db, self.clock, messenger)
        self.app = app = build_application(self.settings, self.services)
        messenger.bot = app.bot
        await app.initialize()
        await self._publish_commands()
        webhook = None
        if self.settings.telegram_webhook:
            secret = self.settings.telegram_webhook_secret
            webhook = TelegramWebhook(
                secret=secret.get_secret_value() if secret else secrets.token_urlsafe(32),
                receive=self._receive_update,
            )
        self.web = WebServer(
            host=self.settings.web_host,
            port=self.settings.web_port,
            staff_link=self.services.staff_link,
            bot_link=lambda: f"https://t.me/{app.bot.username}",
            on_connected=self._on_connected,
            on_refused=self._on_refused,
            telegram=webhook,
        )
        await self.web.start()
        await app.start()
        if webhook is not None:
            await app.bot.set_webhook(
                url=self.settings.webhook_url,
                secret_token=webhook.secret,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
            )
            log.info("bookbot is running as @%s (webhook)", app.bot.username)
            return
        assert app.updater is not None
        await app.updater.start_polling(
            timeout=self.settings.telegram_poll_timeout,
            poll_interval=0,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=False,
        )
        log.info("bookbot is running as @%s (long polling)", app.bot.username)

    async def _receive_update(self, data: dict[str, Any]) -> dict[str, Any] | None:
        """A webhook update: queue it, and answer a button press in the reply."""
        assert self.app is not None
        update = Update.de_json(data, self.app.bot)
        reply = early_answer(update, self.app.bot_data)
        await self.app.update_queue.put(update)
        return reply

    async def _on_connected(self, outcome: Connected) -> None:
        assert self.app is not None
        await staff_handlers.announce_connected(self.app.bot, outcome)

    async def _on_refused(self, outcome: Refused) -> None:
        assert self.app is not None
        assert self.services is not None
        if outcome.staff_id is None:
            return
        staff = await self.services.booking.catalog.staff_member(outcome.staff_id)
        if staff is not None and staff.telegram_user_id is not None:
            await staff_handlers.announce_refused(self.app.bot, staff.telegram_user_id, outcome)

    async def _publish_commands(self) -> None:
        assert self.app is not None
        try:
            await self.app.bot.set_my_commands(CUSTOMER_COMMANDS, scope=BotCommandScopeDefault())
        except TelegramError as err:
            log.warning("could not publish the command menu: %s", err)

    async def stop(self) -> None:
        """Stop polling and the web server, flush persistence, close storage."""
        if self.web is not None:
            await self.web.stop()
            self.web = None
        if self.app is not None:
            if self.app.updater is not None and self.app.updater.running:
                await self.app.updater.stop()
            if self.app.running:
                await self.app.stop()
            await self.app.shutdown()
            self.app = None
        if self.services is not None:
            await self.services.staff_link.close()
            self.services = None
        if self.db is not None:
            await self.db.close()
            self.db = None

    async def run_until_signalled(self) -> None:
        """Run until SIGINT/SIGTERM."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):
                log.debug("cannot handle %s here (not the main thread, or Windows)", sig.name)
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()
