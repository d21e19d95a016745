"""The services a handler can reach, built once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from bot.admin.config import ConfigService
from bot.admin.roles import Roles
from bot.booking import BookingService
from bot.clock import Clock
from bot.config import Settings
from bot.google_accounts import GoogleAccounts
from bot.notify.blocked import BlockedChats
from bot.staff_link import StaffLinkService
from bot.sync.busy import GoogleBusy
from storage.db import Database
from storage.languages import LanguageRepository
from storage.notifications import NotificationRepository


@dataclass(frozen=True, slots=True, kw_only=True)
class Services:
    """Everything below the Telegram layer."""

    settings: Settings
    clock: Clock
    db: Database
    booking: BookingService
    google_accounts: GoogleAccounts
    staff_link: StaffLinkService
    busy_time: GoogleBusy  # Google busy time cache: `invalidate(staff_id)` on changes
    languages: LanguageRepository  # each user's language (handlers/language.py picks it)
    notifications: NotificationRepository  # the queue of messages that are not replies
    blocked_chats: BlockedChats  # users who blocked the bot (skipped until they write)
    config: ConfigService  # the configuration changed in chat (/settings), exported as TOML
    roles: Roles  # admins (ADMIN_IDS and added in chat), staff, customers
