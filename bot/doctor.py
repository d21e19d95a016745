"""`bookbot doctor`: checks what a human most often gets wrong, and says how to fix each.

Settings (admins), redirect URI, encryption key, database, that a business is loaded (an
active service and staff member), the Telegram token (its form, then getMe), Google
endpoints, and for each staff member their Google connection, scopes and last error; and
that `.env` and the database files are private to their owner.
"""

from __future__ import annotations

import os
import shlex
import stat
from dataclasses import dataclass
from ipaddress import ip_address
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.clock import SystemClock
from bot.config import BOTFATHER_COPY_HINT, Settings, token_problem
from bot.crypto import check_key
from bot.google_accounts import GoogleAccounts
from bot.notices import NoNotices
from bot.telegram_http import AiohttpRequest
from storage.catalog import CatalogRepository
from storage.db import Database
from storage.migrate import available_migrations, current_version
from storage.outbox import OutboxQueue
from storage.staff_links import StaffLinkRepository
from storage.sync_state import CalendarSyncState, SyncStateRepository


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report."""

    ok: bool
    what: str
    fix: str = ""

    def line(self) -> str:
        """'✔ what' or '✘ what — fix: ...'."""
        return f"✔ {self.what}" if self.ok else f"✘ {self.what}\n    fix: {self.fix}"


def _is_local(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def check_redirect(settings: Settings) -> Check:
    """The OAuth redirect URI must be https unless it points at this machine."""
    uri = settings.oauth_redirect_uri
    parts = urlsplit(uri)
    if parts.scheme == "https" or _is_local(parts.hostname or ""):
        return Check(True, f"OAuth redirect URI {uri} (register exactly this in Google Cloud)")
    return Check(
        False,
        f"OAuth redirect URI {uri} is not https",
        "set PUBLIC_BASE_URL to the https address of a reverse proxy in front of the bot",
    )


def check_file_modes(settings: Settings, env_file: Path = Path(".env")) -> list[Check]:
    """`.env` (bot token, encryption key) and the database with its -wal/-shm files (contacts,
    encrypted Google tokens) must be readable by their owner only."""
    if os.name != "posix":
        return []
    database = settings.database_path
    paths = [env_file, database, *(database.with_name(database.name + s) for s in ("-wal", "-shm"))]
    existing = [path for path in paths if path.is_file()]
    checks = []
    for path in existing:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            checks.append(
                Check(
                    False,
                    f"{path} can be read or changed by other users (mode {mode:03o}): it holds "
                    + ("secrets" if path == env_file else "customers' details and tokens"),
                    f"chmod 600 {shlex.quote(str(path))}",
                )
            )
    if existing and not checks:
        checks.append(
            Check(True, f"{', '.join(str(p) for p in existing)}: readable by their owner only")
        )
    return checks


async def check_database(settings: Settings) -> list[Check]:
    """The database opens, is writable and is migrated."""
    try:
        db = await Database.open(settings.database_path)
    except Exception as err:
        return [
            Check(
                False,
                f"database {settings.database_path} cannot be opened ({err})",
                "check DATABASE_PATH and the folder's permissions",
            )
        ]
    try:
        async with db.transaction() as tx:
            await tx.execute("CREATE TABLE IF NOT EXISTS doctor_probe (x INTEGER)")
            await tx.execute("DROP TABLE doctor_probe")
        version = await current_version(db)
        latest = available_migrations()[-1].version
        checks = [Check(True, f"database {settings.database_path} is writable")]
        if version < latest:
            checks.append(
                Check(
                    False,
                    f"database schema is version {version} of {latest}",
                    "run `bookbot migrate`",
                )
            )
        else:
            checks.append(Check(True, f"database schema is up to date (version {version})"))
            checks += await _business_checks(db)
            checks += await _staff_checks(settings, db)
            checks += await _dead_letter_checks(db)
        return checks
    except Exception as err:
        return [
            Check(
                False,
                f"database {settings.database_path} is not writable ({err})",
                "check the file's permissions and that the disk is not full",
            )
        ]
    finally:
        await db.close()


async def _business_checks(db: Database) -> list[Check]:
    """Customers can book only with at least one active service and staff member."""
    catalog = CatalogRepository(db)
    services = await catalog.active_services()
    staff = [member for member in await catalog.all_staff() if member.active]
    fix = "run `bookbot load-config your-business.toml` (start from examples/business.toml)"
    if not services or not staff:
        missing = " and ".join(
            what for what, items in (("service", services), ("staff member", staff)) if not items
        )
        return [Check(False, f"no active {missing}: customers cannot book", fix)]
    return [Check(True, f"{len(services)} active services, {len(staff)} active staff")]


def check_admins(settings: Settings) -> Check:
    """Without ADMIN_IDS nobody can /invite staff or get the /links."""
    if settings.admin_ids:
        return Check(True, f"ADMIN_IDS: {len(settings.admin_ids)} admin(s)")
    return Check(
        False,
        "ADMIN_IDS is not set: nobody can /invite staff or use /links",
        "put your Telegram user id in .env as ADMIN_IDS=<id> (@userinfobot tells you your id)",
    )


async def _staff_checks(settings: Settings, db: Database) -> list[Check]:
    if not settings.google_enabled:
        return []
    catalog = CatalogRepository(db)
    accounts = GoogleAccounts(
        settings=settings,
        clock=SystemClock(),
        catalog=catalog,
        links=StaffLinkRepository(db),
        notices=NoNotices(),
    )
    checks = []
    waiting = await OutboxQueue(db).waiting_by_staff()
    states = await SyncStateRepository(db).all()
    for staff in await catalog.all_staff():
        if not staff.active:
            continue
        if waiting.get(staff.id):
            checks.append(
                Check(
                    True,
                    f"{staff.name}: {waiting[staff.id]} booking change(s) waiting to be written "
                    "to Google (they wait while the account is not connected)",
                )
            )
        account = await accounts.status(staff.id)
        if staff.telegram_user_id is None:
            checks.append(
                Check(False, f"{staff.name}: not linked to Telegram", f"/invite {staff.name}")
            )
            continue
        if account is None or account.status != "connected":
            status = "never connected" if account is None else account.status
            checks.append(
                Check(False, f"{staff.name}: Google {status}", "they send /connect to the bot")
            )
            continue
        missing = account.missing
        granted = ", ".join(sorted(scope.rsplit("/", 1)[-1] for scope in account.scopes))
        what = f"{staff.name}: Google connected as {account.email} (granted: {granted})"
        if missing:
            checks.append(
                Check(
                    False,
                    f"{what}; missing: {'; '.join(missing)}",
                    "/connect again and tick every box",
                )
            )
        else:
            checks.append(Check(True, what + ", all permissions granted"))
        if account.last_error:
            checks.append(last_error_check(staff.name, account.last_error))
        checks += sync_checks(staff.name, [st for st in states if st.staff_id == staff.id])
    return checks


def sync_checks(name: str, states: list[CalendarSyncState]) -> list[Check]:
    """Whether each of the staff member's calendars is synced from Google (with when its
    sync state last changed), and whether a push channel watches it."""
    if not states:
        return [Check(True, f"{name}: calendars not read from Google yet (the bot does it)")]
    checks = []
    for state in states:
        updated = f"{state.updated_at:%Y-%m-%d %H:%M} UTC"
        read = f"synced (state updated {updated})" if state.sync_token else "blocks busy time"
        channel = (
            f", push channel until {state.channel_expires_at:%Y-%m-%d %H:%M} UTC"
            if state.channel_expires_at
            else ", no push channel (polled)"
        )
        checks.append(Check(True, f"{name}: calendar {state.calendar_id[:60]}: {read}{channel}"))
    return checks


# What to do about a staff member's last Google error, by its kind (stored as "Kind: text").
_TEMPORARY = ("RateLimited:", "Transient:", "Retryable:")
_FIXES = {
    "InsufficientScope:": "/connect again and tick every box",
    "ResourceNotFound:": "choose the calendars again with /calendars",
}


def last_error_check(name: str, error: str) -> Check:
    """A failure Google may not repeat (overload, network) is retried by the bot itself."""
    if error.startswith(_TEMPORARY):
        return Check(True, f"{name}: last Google error was temporary (retried): {error}")
    fix = next((f for kind, f in _FIXES.items() if error.startswith(kind)), "/connect again")
    return Check(False, f"{name}: last Google error: {error}", fix)


DEAD_LETTERS_SHOWN = 20


async def _dead_letter_checks(db: Database) -> list[Check]:
    """Booking changes the outbox worker gave up writing to Google (newest first)."""
    dead = await OutboxQueue(db).dead_letters()
    if not dead:
        return []
    checks = [
        Check(
            False,
            f"{len(dead)} booking change(s) could not be written to Google Calendar",
            "check those events in the staff calendar by hand; the reasons are below",
        )
    ]
    for letter in dead[:DEAD_LETTERS_SHOWN]:
        what = "cancel" if letter.action == "delete" else "booking"
        checks.append(
            Check(
                False,
                f"{letter.staff_name}: {what} {letter.booking_id} "
                f"({letter.dead_at:%Y-%m-%d %H:%M} UTC, {letter.attempts} attempts): "
                f"{letter.error[:200]}",
                "fix the cause (see the error), then write the event by hand",
            )
        )
    return checks


async def check_telegram(settings: Settings) -> Check:
    """Telegram accepts the token (getMe)."""
    if settings.telegram_bot_token is None:
        return Check(False, "TELEGRAM_BOT_TOKEN is not set", "create a bot with @BotFather")
    token = settings.telegram_bot_token.get_secret_value()
    problem = token_problem(token)
    if problem is not None:
        return Check(
            False,
            f"TELEGRAM_BOT_TOKEN is malformed: it {problem}",
            BOTFATHER_COPY_HINT,
        )
    bot = Bot(
        token,
        base_url=settings.telegram_api_base_url,
        request=AiohttpRequest(),
    )
    try:
        async with bot:
            me = bot.bot
        return Check(True, f"Telegram accepts the token: the bot is @{me.username}")
    except InvalidToken:
        return Check(
            False, "Telegram rejects TELEGRAM_BOT_TOKEN", "copy the token from @BotFather again"
        )
    except TelegramError as err:
        return Check(
            False,
            f"Telegram API at {settings.telegram_api_base_url} unreachable ({err})",
            "check the network and TELEGRAM_API_BASE_URL",
        )


async def check_google_endpoints(settings: Settings) -> list[Check]:
    """Each Google endpoint answers HTTP (any status means reachable)."""
    if not settings.google_enabled:
        return [
            Check(True, "Google Calendar not configured (optional; set GOOGLE_CLIENT_ID to use it)")
        ]
    checks = []
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for name, url in (
            ("GOOGLE_OAUTH_AUTH_URI", settings.google_oauth_auth_uri),
            ("GOOGLE_OAUTH_TOKEN_URI", settings.google_oauth_token_uri),
            ("GOOGLE_OAUTH_REVOKE_URI", settings.google_oauth_revoke_uri),
            ("GOOGLE_API_ROOT_URL", settings.api_root_url + "calendar/v3/users/me/calendarList"),
        ):
            try:
                async with session.get(url, allow_redirects=False) as response:
                    checks.append(Check(True, f"{name} reachable (HTTP {response.status})"))
            except (aiohttp.ClientError, TimeoutError) as err:
                checks.append(
                    Check(
                        False,
                        f"{name} {url} unreachable ({type(err).__name__})",
                        "check the network and the URL",
                    )
                )
    return checks


async def run_doctor(settings: Settings) -> list[Check]:
    """Every check, in the order a human would fix them."""
    checks: list[Check] = [check_admins(settings)]
    if settings.google_enabled:
        checks.append(check_redirect(settings))
        key = settings.token_encryption_key
        problem = check_key(key.get_secret_value()) if key else "not set"
        checks.append(
            Check(
                problem is None,
                "TOKEN_ENCRYPTION_KEY " + (problem or "is valid"),
                "run `bookbot gen-key`",
            )
        )
    checks += check_file_modes(settings)
    checks += await check_database(settings)
    checks.append(await check_telegram(settings))
    checks += await check_google_endpoints(settings)
    return checks
