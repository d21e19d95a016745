"""Staff in Telegram: invite deep links, /connect, /disconnect and the calendar picker.

The picker's calendar list lives in the staff member's user data under a random nonce that
every button carries, so a button of an older list is recognised as stale.
"""

from __future__ import annotations

import secrets
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.google.calendar import CalendarInfo
from bot.google.errors import GoogleError, InsufficientScope, Retryable
from bot.google_accounts import GoogleNotConfigured, NotConnected
from bot.staff_link import INVITE_PREFIX, WRITABLE_ROLES, Linked, Refused, StaffLinkService
from handlers import callbacks as cb
from handlers.common import answer, send, show, unknown_command
from handlers.context import BotContext
from handlers.i18n import N_, Texts
from handlers.keyboards import button
from handlers.language import texts_of
from handlers.menus import publish_menu
from handlers.notices import refusal_text
from storage.records import StaffRecord

NOT_CONFIGURED = N_(
    "Google Calendar is not switched on for this bot yet, so there is nothing to connect. "
    "Bookings work without it; ask the admin to set up Google Calendar if you want "
    "bookings in your calendar."
)


def google_failure(t: Texts, err: GoogleError) -> str:
    """What to tell a staff member when Google refused or failed a call."""
    if isinstance(err, InsufficientScope):
        return t._(
            "Google did not grant the permission this needs. Send /connect and allow every "
            "Google Calendar permission on the consent screen."
        )
    if isinstance(err, Retryable):
        return t._("Google Calendar is busy or unavailable right now. Please try again soon.")
    return t._("Google Calendar refused the request. Please try again, or /connect again.")


def _links(context: BotContext) -> StaffLinkService:
    return context.services.staff_link


async def _staff_or_refuse(update: Update, context: BotContext) -> StaffRecord | None:
    """The staff member behind this update, or None after telling a non-staff user why."""
    user = update.effective_user
    staff = await _links(context).staff_of(user.id) if user is not None else None
    if staff is None:
        await unknown_command(update, context)  # nothing shows that the command exists
    return staff


def consent_keyboard(t: Texts, url: str) -> InlineKeyboardMarkup:
    """The 'Sign in with Google' button."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(t._("🔐 Sign in with Google"), url=url)]])


async def _offer_consent(
    update: Update, context: BotContext, staff: StaffRecord, intro: str
) -> None:
    t = await texts_of(update, context)
    try:
        url = await _links(context).consent_url(staff.id)
    except GoogleNotConfigured:
        await send(update, context, f"{intro}\n\n{t._(NOT_CONFIGURED)}")
        return
    await send(
        update,
        context,
        f"{intro}\n\n"
        + t._(
            "Next, connect your Google Calendar so bookings appear there and your busy "
            "times are respected. The link works for 10 minutes."
        ),
        consent_keyboard(t, url),
    )


async def start_invite(update: Update, context: BotContext) -> None:
    """/start connect_<token>: a staff invite link."""
    user = update.effective_user
    assert user is not None
    token = (context.args or [""])[0].removeprefix(INVITE_PREFIX)
    result = await _links(context).accept_invite(token, user.id)
    t = await texts_of(update, context)
    if isinstance(result, Refused):
        await send(update, context, escape(refusal_text(result, t)))
        return
    assert isinstance(result, Linked)
    await publish_menu(context.bot, context.services, user.id, context.bot_data)  # staff menu
    await _offer_consent(
        update,
        context,
        result.staff,
        t._("👋 Welcome, {name}! You are now linked as staff.", name=escape(result.staff.name)),
    )


async def connect(update: Update, context: BotContext) -> None:
    """/connect: (re)start Google sign-in for a linked staff member."""
    staff = await _staff_or_refuse(update, context)
    if staff is None:
        return
    t = await texts_of(update, context)
    await _offer_consent(update, context, staff, t._("Hi {name}!", name=escape(staff.name)))


async def disconnect(update: Update, context: BotContext) -> None:
    """/disconnect: sign out from Google; bookings are kept."""
    staff = await _staff_or_refuse(update, context)
    if staff is None:
        return
    t = await texts_of(update, context)
    if await _links(context).disconnect(staff.id):
        await send(
            update,
            context,
            t._(
                "Signed out from Google. Your access was revoked at Google and the tokens "
                "deleted; all bookings are kept. To connect again, send /connect."
            ),
        )
    else:
        await send(
            update, context, t._("You are not connected to Google. Send /connect to connect.")
        )


# --- calendar picker ---------------------------------------------------------------------


def _picker(context: BotContext) -> dict[str, Any]:
    data = context.user_data
    assert data is not None
    return data.setdefault("calendars", {})  # type: ignore[no-any-return]


async def calendars(update: Update, context: BotContext) -> None:
    """/calendars or the 'Choose calendars' button: where bookings go."""
    await answer(update, context)
    t = await texts_of(update, context)
    user = update.effective_user
    assert user is not None
    links = _links(context)
    staff = await links.staff_of(user.id)
    if staff is None:
        await unknown_command(update, context)
        return
    if not links.google_enabled:
        await send(update, context, t._(NOT_CONFIGURED))
        return
    try:
        found = await links.list_calendars(staff.id)
    except NotConnected:
        await _offer_consent(update, context, staff, t._("Your Google account is not connected."))
        return
    except GoogleError as err:
        await send(update, context, f"⚠️ {escape(google_failure(t, err))}")
        return
    picker = _picker(context)
    picker.clear()
    picker.update(
        nonce=secrets.token_urlsafe(6),
        items=[
            {
                "id": c.id,
                "summary": c.summary,
                "primary": c.primary,
                "role": c.access_role,
                "tz": c.time_zone,
            }
            for c in found
        ],
        dest=None,
        block=[],
    )
    nonce = cb.Token(picker["nonce"])
    rows = [
        [
            button(
                t._("📅 {calendar} (primary)", calendar=c.summary)
                if c.primary
                else f"📅 {c.summary}",
                cb.CalDest(nonce, i),
            )
        ]
        for i, c in enumerate(found)
        if c.access_role in WRITABLE_ROLES
    ]
    business = await context.services.booking.business()
    rows.append(
        [
            button(
                t._("➕ New calendar “{business} bookings”", business=business.name),
                cb.CalNew(nonce),
            )
        ]
    )
    await show(
        update,
        context,
        t._(
            "<b>Where should new bookings go?</b>\nPick one of your calendars, or let me "
            "create a dedicated one."
        ),
        InlineKeyboardMarkup(rows),
    )


def _items(picker: dict[str, Any]) -> list[CalendarInfo]:
    return [
        CalendarInfo(
            id=i["id"],
            summary=i["summary"],
            primary=i["primary"],
            access_role=i["role"],
            time_zone=i.get("tz") or "",
        )
        for i in picker.get("items", [])
    ]


async def _current(update: Update, context: BotContext, nonce: str) -> dict[str, Any] | None:
    picker = _picker(context)
    if picker.get("nonce") != nonce:
        t = await texts_of(update, context)
        await show(
            update,
            context,
            t._("This calendar list is out of date."),
            InlineKeyboardMarkup([[button(t._("Show my calendars"), cb.CalStart())]]),
        )
        return None
    return picker


async def pick_destination(update: Update, context: BotContext) -> None:
    """A destination calendar button."""
    await answer(update, context)
    data = cb.unpack(update, cb.CalDest)
    picker = await _current(update, context, data.nonce)
    if picker is None:
        return
    items = _items(picker)
    if not 0 <= data.index < len(items) or items[data.index].access_role not in WRITABLE_ROLES:
        t = await texts_of(update, context)
        await show(update, context, t._("That calendar cannot receive bookings."))
        return
    picker["dest"] = items[data.index].id
    defaults = {c.id for c in items if c.primary} | {picker["dest"]}
    picker["block"] = [c.id for c in items if c.id in defaults]
    await _blocking_screen(update, context, picker)


async def new_destination(update: Update, context: BotContext) -> None:
    """Create a dedicated bookings calendar."""
    await answer(update, context)
    data = cb.unpack(update, cb.CalNew)
    picker = await _current(update, context, data.nonce)
    if picker is None:
        return
    staff = await _staff_or_refuse(update, context)
    if staff is None:
        return
    business = await context.services.booking.business()
    t = await texts_of(update, context)
    try:
        created = await _links(context).create_dedicated_calendar(
            staff.id, business.name, business.timezone
        )
    except NotConnected:
        await _offer_consent(update, context, staff, t._("Your Google account is not connected."))
        return
    except GoogleError as err:
        await send(update, context, f"⚠️ {escape(google_failure(t, err))}")
        return
    picker["items"].append(
        {
            "id": created.id,
            "summary": created.summary,
            "primary": False,
            "role": "owner",
            "tz": created.time_zone,
        }
    )
    picker["dest"] = created.id
    items = _items(picker)
    picker["block"] = [c.id for c in items if c.primary or c.id == created.id]
    await _blocking_screen(update, context, picker)


async def _blocking_screen(update: Update, context: BotContext, picker: dict[str, Any]) -> None:
    t = await texts_of(update, context)
    nonce = cb.Token(picker["nonce"])
    blocked = set(picker["block"])
    rows = [
        [
            button(
                t._("✅ {calendar}: blocks my time", calendar=c.summary)
                if c.id in blocked
                else t._("▫️ {calendar}: does not block", calendar=c.summary),
                cb.CalToggle(nonce, i),
            )
        ]
        for i, c in enumerate(_items(picker))
    ]
    rows.append([button(t._("💾 Save the calendars"), cb.CalDone(nonce))])
    dest = next((c.summary for c in _items(picker) if c.id == picker["dest"]), "")
    await show(
        update,
        context,
        t._(
            "Bookings will go to <b>{calendar}</b>.\n\n<b>Which calendars block your time?</b>"
            "\nCustomers cannot book while any ticked calendar shows you busy. Only busy times "
            "are read, never event details.",
            calendar=escape(dest),
        ),
        InlineKeyboardMarkup(rows),
    )


async def toggle_blocking(update: Update, context: BotContext) -> None:
    """Tick or untick a blocking calendar."""
    await answer(update, context)
    data = cb.unpack(update, cb.CalToggle)
    picker = await _current(update, context, data.nonce)
    if picker is None or picker.get("dest") is None:
        return
    items = _items(picker)
    if not 0 <= data.index < len(items):
        return
    chosen = items[data.index].id
    blocked = list(picker["block"])
    picker["block"] = (
        [c for c in blocked if c != chosen] if chosen in blocked else [*blocked, chosen]
    )
    await _blocking_screen(update, context, picker)


async def save_calendars(update: Update, context: BotContext) -> None:
    """Store the choices."""
    await answer(update, context)
    data = cb.unpack(update, cb.CalDone)
    picker = await _current(update, context, data.nonce)
    if picker is None or picker.get("dest") is None:
        return
    staff = await _staff_or_refuse(update, context)
    if staff is None:
        return
    items = {c.id: c for c in _items(picker)}
    destination = items[picker["dest"]]
    blocking = [items[i] for i in picker["block"] if i in items]
    await _links(context).save_calendars(staff.id, destination, blocking)
    picker.clear()
    t = await texts_of(update, context)
    names = t.join([escape(c.summary) for c in blocking]) or t._("none")
    await show(
        update,
        context,
        t._(
            "💾 Saved. Bookings go to <b>{calendar}</b>; busy time comes from: {names}.\n"
            "Change this any time with /calendars.",
            calendar=escape(destination.summary),
            names=names,
        ),
    )


def staff_handlers() -> list[Any]:
    """Handlers for staff; the invite deep link must come before the booking conversation."""

    def cq(callback: Any, kind: type[cb.Callback]) -> CallbackQueryHandler[BotContext, None]:
        return CallbackQueryHandler(callback, pattern=cb.pattern(kind))

    return [
        CommandHandler("connect", connect),
        CommandHandler("disconnect", disconnect),
        CommandHandler("calendars", calendars),
        cq(calendars, cb.CalStart),
        cq(pick_destination, cb.CalDest),
        cq(new_destination, cb.CalNew),
        cq(toggle_blocking, cb.CalToggle),
        cq(save_calendars, cb.CalDone),
    ]


def invite_link_handler() -> CommandHandler[BotContext, None]:
    """`/start connect_<token>` (registered before the booking conversation)."""
    return CommandHandler(
        "start", start_invite, filters=filters.Regex(rf"^/start {INVITE_PREFIX}\S*$")
    )
