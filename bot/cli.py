"""`bookbot` / `python -m bot`: run | migrate | load-config FILE | gen-key | doctor."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from bot.config import BOTFATHER_COPY_HINT, Settings, token_problem
from bot.logging_setup import configure_logging, secrets_of

if TYPE_CHECKING:
    from bot.setup_file import LoadResult

BOTFATHER_HELP = """\
bookbot needs a Telegram bot token to start. Open Telegram, talk to @BotFather, send
/newbot and follow the steps; BotFather replies with a token like 123456789:AAE... Put it in
a file named .env next to where you run bookbot, as the line TELEGRAM_BOT_TOKEN=<your token>
(scripts/run creates .env from .env.example on its first run), or export TELEGRAM_BOT_TOKEN in
your shell, then start the bot again with scripts/run."""


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as err:
        lines = [
            f"  {'.'.join(str(p) for p in e['loc']).upper() or 'settings'}: {e['msg']}"
            for e in err.errors()
        ]
        message = "bookbot: invalid settings (.env or environment):\n" + "\n".join(lines)
        raise SystemExit(message) from None


async def _migrate(settings: Settings) -> str:
    from storage.db import Database
    from storage.migrate import migrate

    db = await Database.open(settings.database_path)
    try:
        result = await migrate(db)
    finally:
        await db.close()
    if result.from_version == result.to_version:
        return f"database {settings.database_path} is up to date (version {result.to_version})"
    return (
        f"database {settings.database_path} migrated from version {result.from_version} "
        f"to {result.to_version}"
    )


def _describe(result: LoadResult) -> str:
    """'services: 3 added; staff: 1 changed, 1 deactivated; settings: 9 changed'."""
    parts = []
    for kind, changes in (("services", result.services), ("staff", result.staff)):
        counts = [
            f"{count} {what}"
            for count, what in (
                (changes.added, "added"),
                (changes.changed, "changed"),
                (changes.deactivated, "deactivated"),
            )
            if count
        ]
        if counts:
            parts.append(f"{kind}: {', '.join(counts)}")
    if result.settings:
        parts.append(f"settings: {result.settings} changed")
    return "; ".join(parts)


async def _load_config(settings: Settings, path: Path, *, if_empty: bool) -> str:
    from bot.admin.config import apply_audited
    from bot.clock import SystemClock
    from bot.setup_file import read_setup_file
    from storage.catalog import CatalogRepository
    from storage.db import Database
    from storage.migrate import migrate

    setup = read_setup_file(path)
    db = await Database.open(settings.database_path)
    try:
        await migrate(db)
        if if_empty and await CatalogRepository(db).all_staff():
            return f"{path}: not loaded, {settings.database_path} already holds a business"
        result = await apply_audited(
            setup, db, default_timezone=settings.business_timezone, now=SystemClock().now()
        )
    finally:
        await db.close()
    if not result:
        return f"{path}: already loaded, nothing changed"
    return f"{path}: loaded ({_describe(result)})"


async def _run(settings: Settings) -> int:
    from telegram.error import InvalidToken, NetworkError

    from bot.app import BotRuntime
    from bot.clock import SystemClock

    runtime = BotRuntime(settings, clock=SystemClock())
    try:
        await runtime.run_until_signalled()
    except InvalidToken:
        await runtime.stop()
        print(
            "bookbot: Telegram rejected TELEGRAM_BOT_TOKEN. Copy the token from @BotFather "
            "again (send /mybots there, pick your bot, then 'API Token').",
            file=sys.stderr,
        )
        return 2
    except NetworkError as err:
        await runtime.stop()
        print(
            f"bookbot: cannot reach the Telegram Bot API at {settings.telegram_api_base_url} "
            f"({err.message}). Check the network and TELEGRAM_API_BASE_URL.",
            file=sys.stderr,
        )
        return 2
    except OSError as err:
        await runtime.stop()
        print(
            f"bookbot: cannot listen on {settings.web_host}:{settings.web_port} ({err.strerror}). "
            "Another program may use that port: set WEB_PORT to a free one.",
            file=sys.stderr,
        )
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `bookbot` command."""
    parser = argparse.ArgumentParser(prog="bookbot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start the bot (long polling)")
    sub.add_parser("migrate", help="apply database migrations")
    load = sub.add_parser("load-config", help="load services, staff and settings from a TOML file")
    load.add_argument("file", type=Path)
    load.add_argument(
        "--if-empty",
        action="store_true",
        help="load only if no business was ever loaded into the database (used by scripts/run)",
    )
    sub.add_parser("gen-key", help="print a new TOKEN_ENCRYPTION_KEY")
    sub.add_parser("doctor", help="check the configuration and say how to fix problems")
    args = parser.parse_args(argv)
    if args.command == "gen-key":
        from bot.crypto import generate_key

        print(generate_key())
        return 0

    settings = _settings()
    configure_logging(settings.log_level, secrets=secrets_of(settings))
    from storage.db import DatabaseUnavailable

    try:
        return _dispatch(parser, args, settings)
    except DatabaseUnavailable as err:
        print(
            f"bookbot: {err}. Set DATABASE_PATH to a file in a folder this user can write "
            "(the default is ./bookbot.db).",
            file=sys.stderr,
        )
        return 2


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace, settings: Settings) -> int:
    """Run one command that needs the settings."""
    if args.command == "run":
        if settings.telegram_bot_token is None:
            print(BOTFATHER_HELP, file=sys.stderr)
            return 2
        problem = token_problem(settings.telegram_bot_token.get_secret_value())
        if problem is not None:
            print(f"bookbot: TELEGRAM_BOT_TOKEN {problem}; {BOTFATHER_COPY_HINT}.", file=sys.stderr)
            return 2
        return asyncio.run(_run(settings))
    if args.command == "migrate":
        print(asyncio.run(_migrate(settings)))
        return 0
    if args.command == "load-config":
        from bot.setup_file import SetupFileError

        try:
            print(asyncio.run(_load_config(settings, args.file, if_empty=args.if_empty)))
        except SetupFileError as err:
            print(f"bookbot: {err}", file=sys.stderr)
            return 2
        return 0
    if args.command == "doctor":
        from bot.doctor import run_doctor

        checks = asyncio.run(run_doctor(settings))
        print("\n".join(c.line() for c in checks))
        return 0 if all(c.ok for c in checks) else 1
    parser.error(f"unknown command {args.command}")
    return 2
