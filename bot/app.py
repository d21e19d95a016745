"""Composition root: storage, services, the PTB Application, the web server, their lifecycle.

`BotRuntime` runs everything inside the caller's event loop (the pattern PTB documents for
running next to other asyncio servers), so the CLI, the end-to-end tests and the
benchmarks all start the very same bot. What runs is the list in `runtime_parts()`, started
in order and stopped in reverse by `bot.runtime.Runtime`. This is the only module of `bot/`
that imports `handlers/`.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
from datetime import timedelta
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeDefault,
    InputFile,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, ApplicationBuilder, ContextTypes, Defaults

from bot.admin.config import ConfigService
from bot.admin.roles import Roles, ToEveryAdmin
from bot.booking import BookingService, ExternalBusy
from bot.business import BusinessSettings
from bot.clock import Clock
from bot.concurrency import PerChatUpdateProcessor
from bot.config import Settings
from bot.google_accounts import GoogleAccounts
from bot.logging_setup import keep_payloads_out_of_logs, secrets_of
from bot.notices import GoogleConnected, GoogleSignInFailed, Notice, Notices
from bot.notify.blocked import BlockedChats
from bot.notify.budget import Budget
from bot.notify.dispatcher import Dispatcher
from bot.notify.job_ticker import JobQueueTicker
from bot.notify.planner import Planner
from bot.notify.queued_notices import QueuedNotices
from bot.notify.telegram_sender import TelegramSender, inline_markup
from bot.outbound import OutboundMessage
from bot.persistence import SqlitePersistence
from bot.runtime import Hooks, Part, Runtime
from bot.services import Services
from bot.staff_link import Connected, Refused, StaffLinkService
from bot.sync.busy import GoogleBusy
from bot.sync.outbox_worker import OutboxWorker
from bot.sync.pull import CalendarPull
from bot.sync.push import PushChannels, encryption_keys, push_address
from bot.telegram_http import AiohttpRequest
from bot.web import TelegramWebhook, WebServer
from handlers import notices as notice_texts
from handlers.context import SERVICES_KEY, BotApplication, BotContext
from handlers.menus import CommandMenus
from handlers.notify_texts import QueueRenderer
from handlers.registry import register_handlers
from handlers.webhook import early_answer
from storage.admins import AdminRepository
from storage.audit import AuditRepository
from storage.bookings import BookingRepository
from storage.catalog import CatalogRepository
from storage.customers import CustomerRepository
from storage.db import Database
from storage.languages import LanguageRepository
from storage.migrate import migrate
from storage.notifications import NotificationRepository
from storage.own_events import OwnEventRepository
from storage.ptb_store import PtbStore
from storage.settings_store import SettingsRepository
from storage.staff_links import StaffLinkRepository
from storage.sync_state import SyncStateRepository

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


class TelegramOutbound:
    """`bot.outbound.Outbound` over PTB's Bot: the one sender of messages that are not replies."""

    def __init__(self) -> None:
        self.bot: Bot | None = None

    async def send(self, message: OutboundMessage) -> bool:
        """Send, logging (not raising) if Telegram refuses or the bot is not running."""
        if self.bot is None:
            log.warning("message dropped: the bot is not running")
            return False
        markup = inline_markup(message)
        try:
            await self.bot.send_message(
                message.chat_id, message.html, parse_mode=ParseMode.HTML, reply_markup=markup
            )
            if message.attachment is not None:
                attached = message.attachment
                await self.bot.send_document(
                    message.chat_id,
                    InputFile(attached.data, filename=attached.filename),
                    caption=attached.caption or None,
                )
        except TelegramError as err:
            log.warning("could not message chat %s: %s", message.chat_id, err)
            return False
        return True


def notice_recipients(notice: Notice) -> list[int]:
    """The chats a notice is for (its queued rows are rendered again when sent)."""
    return [message.chat_id for message in notice_texts.render(notice)]


def build_services(
    settings: Settings,
    db: Database,
    clock: Clock,
    notices: Notices,
    external_busy: ExternalBusy | None = None,
) -> Services:
    """Repositories and services over one database."""
    catalog = CatalogRepository(db)
    links = StaffLinkRepository(db)
    accounts = GoogleAccounts(
        settings=settings, clock=clock, catalog=catalog, links=links, notices=notices
    )
    busy_time = GoogleBusy(
        accounts=accounts,
        links=links,
        own_events=OwnEventRepository(db),
        clock=clock,
        cache_seconds=settings.google_busy_cache_seconds,
        push_cache_seconds=settings.google_busy_push_cache_seconds,
        timeout_seconds=settings.google_busy_timeout_seconds,
        confirm_timeout_seconds=settings.google_confirm_timeout_seconds,
    )
    booking = BookingService(
        catalog=catalog,
        customers=CustomerRepository(db),
        bookings=BookingRepository(db),
        settings=SettingsRepository(db),
        clock=clock,
        default_timezone=settings.business_timezone,
        external_busy=external_busy if external_busy is not None else busy_time,
    )
    staff_link = StaffLinkService(
        settings=settings,
        clock=clock,
        catalog=catalog,
        links=links,
        accounts=accounts,
        on_calendars_changed=busy_time.invalidate,
    )
    notifications = NotificationRepository(db)
    roles = Roles(
        environment_admins=settings.admin_ids,
        admins=AdminRepository(db),
        catalog=catalog,
        audit=AuditRepository(db),
        clock=clock,
    )
    config = ConfigService(
        db=db, booking=booking, clock=clock, default_timezone=settings.business_timezone
    )
    return Services(
        settings=settings,
        clock=clock,
        db=db,
        booking=booking,
        google_accounts=accounts,
        staff_link=staff_link,
        busy_time=busy_time,
        languages=LanguageRepository(db),
        notifications=notifications,
        blocked_chats=BlockedChats(notifications, clock),
        config=config,
        roles=roles,
    )


def build_pull(settings: Settings, services: Services, notices: Notices) -> CalendarPull:
    """The Google -> bot sync part, with push channels where Google can reach the bot."""
    state = SyncStateRepository(services.db)
    address = push_address(
        settings.public_base_url, allow_http_loopback=settings.google_push_allow_http_loopback
    )
    key = settings.token_encryption_key
    push = (
        PushChannels(address=address, keys=encryption_keys(key.get_secret_value()), state=state)
        if address is not None and key is not None and settings.google_enabled
        else None
    )
    return CalendarPull(
        accounts=services.google_accounts,
        links=StaffLinkRepository(services.db),
        state=state,
        booking=services.booking,
        notices=notices,
        clock=services.clock,
        interval=timedelta(seconds=settings.google_sync_interval_seconds),
        push=push,
        on_calendar_changed=services.busy_time.invalidate,
        on_push_fresh=services.busy_time.mark_push_fresh,
    )


def build_application(
    settings: Settings, services: Services, business: BusinessSettings
) -> BotApplication:
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
        # Defaults(tzinfo) is the zone PTB gives the datetimes it returns (Message.date ...)
        # and assumes for naive datetimes handed to it (JobQueue times, until_date). It is
        # fixed here, from the business's stored zone at start; a zone changed while running
        # (load-config, /settings) reaches it at the next start. Nothing of ours relies on
        # it: services and handlers read the stored zone (BookingService.business()) on every
        # update, and scheduled work must build aware datetimes from that stored zone too.
        .defaults(Defaults(tzinfo=business.tz))
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


class TelegramApplication:
    """The PTB Application: initialise, publish the command menu, start; stop and shut down."""

    name = "telegram"

    def __init__(self, app: BotApplication, outbound: TelegramOutbound) -> None:
        self._app = app
        self._outbound = outbound

    async def start(self) -> None:
        await self._app.initialize()
        self._outbound.bot = self._app.bot
        try:
            await self._app.bot.set_my_commands(CUSTOMER_COMMANDS, scope=BotCommandScopeDefault())
        except TelegramError as err:
            log.warning("could not publish the command menu: %s", err)
        await self._app.start()

    async def stop(self) -> None:
        self._outbound.bot = None
        if self._app.running:
            await self._app.stop()
        await self._app.shutdown()


class TelegramUpdates:
    """Receiving updates: long polling, or (with a webhook) telling Telegram where to post."""

    name = "telegram updates"

    def __init__(
        self, app: BotApplication, settings: Settings, webhook: TelegramWebhook | None
    ) -> None:
        self._app = app
        self._settings = settings
        self._webhook = webhook

    async def start(self) -> None:
        app = self._app
        if self._webhook is not None:
            await app.bot.set_webhook(
                url=self._settings.webhook_url,
                secret_token=self._webhook.secret,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
            )
            log.info("bookbot is running as @%s (webhook)", app.bot.username)
            return
        assert app.updater is not None
        await app.updater.start_polling(
            timeout=self._settings.telegram_poll_timeout,
            poll_interval=0,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=False,
        )
        log.info("bookbot is running as @%s (long polling)", app.bot.username)

    async def stop(self) -> None:
        if self._app.updater is not None and self._app.updater.running:
            await self._app.updater.stop()


def build_dispatcher(
    services: Services, app: BotApplication, sender: TelegramSender, notices: QueuedNotices
) -> Dispatcher:
    """The notification dispatcher: the queue, its planner, renderer and bulk budget."""
    settings = services.settings
    loop = asyncio.get_running_loop()
    dispatcher = Dispatcher(
        queue=services.notifications,
        planner=Planner(
            queue=services.notifications, booking=services.booking, clock=services.clock
        ),
        renderer=QueueRenderer(services),
        sender=sender,
        blocked=services.blocked_chats,
        clock=services.clock,
        budget=Budget(
            per_second=settings.notify_messages_per_second,
            chat_interval=settings.notify_chat_interval_seconds,
            now=loop.time,
        ),
        scheduler=JobQueueTicker(app),
        poll_seconds=settings.notify_poll_seconds,
        batch=max(1, int(settings.notify_messages_per_second)),
    )
    notices.queued = dispatcher.wake
    return dispatcher


def runtime_parts(
    *,
    services: Services,
    app: BotApplication,
    outbound: TelegramOutbound,
    web: WebServer,
    webhook: TelegramWebhook | None,
    pull: CalendarPull,
    notices: QueuedNotices,
) -> list[Part]:
    """What runs while the bot runs, in start order (stopped in reverse)."""
    outbox = OutboxWorker.from_services(
        services, ToEveryAdmin(notices, AdminRepository(services.db)), before_write=pull.expect_echo
    )
    sender = TelegramSender(services.settings)
    dispatcher = build_dispatcher(services, app, sender, notices)

    def changed() -> None:  # a customer's change reaches Google and the staff at once
        outbox.wake()
        dispatcher.wake()

    services.booking.outbox_written = changed
    return [
        Hooks("google accounts", stop=services.google_accounts.close),
        Hooks("google busy", stop=services.busy_time.close),
        TelegramApplication(app, outbound),
        CommandMenus(app, services),
        web,
        TelegramUpdates(app, services.settings, webhook),
        outbox,
        pull,
        sender,
        dispatcher,
    ]


class BotRuntime:
    """Starts and stops the whole bot inside the running event loop."""

    def __init__(self, settings: Settings, *, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.db: Database | None = None
        self.app: BotApplication | None = None
        self.services: Services | None = None
        self.web: WebServer | None = None
        self._runtime: Runtime | None = None
        self._notices: QueuedNotices | None = None
        self.pull: CalendarPull | None = None

    async def start(self) -> None:
        """Open and migrate storage, build the services and the Application, start the parts."""
        if self.settings.telegram_bot_token is None:
            raise MissingTokenError
        # Whoever starts the bot (CLI, tests, benches), library loggers never see payloads.
        keep_payloads_out_of_logs(secrets_of(self.settings))
        self.db = await Database.open(self.settings.database_path)
        try:
            await migrate(self.db)
            outbound = TelegramOutbound()
            self._notices = QueuedNotices(
                queue=NotificationRepository(self.db),
                clock=self.clock,
                recipients=notice_recipients,
            )
            self.services = services = build_services(
                self.settings,
                self.db,
                self.clock,
                ToEveryAdmin(self._notices, AdminRepository(self.db)),
            )
            business = await services.booking.business()
            self.app = app = build_application(self.settings, services, business)
            webhook = None
            if self.settings.telegram_webhook:
                secret = self.settings.telegram_webhook_secret
                webhook = TelegramWebhook(
                    secret=secret.get_secret_value() if secret else secrets.token_urlsafe(32),
                    receive=self._receive_update,
                )
            self.pull = pull = build_pull(self.settings, services, self._notices)
            services.staff_link.calendars_changed_listeners.append(pull.calendars_changed)
            self.web = WebServer(
                host=self.settings.web_host,
                port=self.settings.web_port,
                staff_link=services.staff_link,
                bot_link=lambda: f"https://t.me/{app.bot.username}",
                on_connected=self._on_connected,
                on_refused=self._on_refused,
                explain_refusal=notice_texts.refusal_text,
                telegram=webhook,
                google_push=pull.notified,
            )
            self._runtime = Runtime(
                runtime_parts(
                    services=services,
                    app=app,
                    outbound=outbound,
                    web=self.web,
                    webhook=webhook,
                    pull=pull,
                    notices=self._notices,
                )
            )
            await self._runtime.start()
        except BaseException:
            await self._close_storage()
            raise

    async def _receive_update(self, data: dict[str, Any]) -> dict[str, Any] | None:
        """A webhook update: queue it, and answer a button press in the reply."""
        assert self.app is not None
        update = Update.de_json(data, self.app.bot)
        reply = early_answer(update, self.app.bot_data)
        await self.app.update_queue.put(update)
        return reply

    async def _notify(self, notice: Notice) -> None:
        if self._notices is not None:
            await self._notices.notify(notice)

    async def _on_connected(self, outcome: Connected) -> None:
        chat = outcome.staff.telegram_user_id
        if chat is not None:
            await self._notify(
                GoogleConnected(
                    staff_chat_id=chat, email=outcome.email, missing=tuple(outcome.missing)
                )
            )

    async def _on_refused(self, outcome: Refused) -> None:
        assert self.services is not None
        if outcome.staff_id is None:
            return
        staff = await self.services.booking.catalog.staff_member(outcome.staff_id)
        if staff is not None and staff.telegram_user_id is not None:
            await self._notify(
                GoogleSignInFailed(staff_chat_id=staff.telegram_user_id, reason=outcome.reason)
            )

    async def stop(self) -> None:
        """Stop the parts in reverse order, then close storage."""
        if self._runtime is not None:
            await self._runtime.stop()
            self._runtime = None
        self.web = None
        self.app = None
        self.pull = None
        await self._close_storage()

    async def _close_storage(self) -> None:
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
