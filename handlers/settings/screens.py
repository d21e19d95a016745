"""The settings screens of the business, calendar events, admins and recent changes, and
`build`, which finds any screen by name (the catalogue's are in `catalog_screens`). Each
shows the current values and has Back and Close. An item that is gone, or a screen the user
may not see, gives None (the caller answers as for an expired button).

Staff (who are not admins) see only their own hours and days off, without Back to the admin
menus.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from html import escape

from bot.business import BusinessSettings
from bot.domain.event_template import PLACEHOLDERS
from bot.sync.event_content import event_fields
from handlers.i18n import Texts
from handlers.keyboards import button
from handlers.limits import shorten
from handlers.settings.catalog_screens import (
    archive_screen,
    bookings_screen,
    days_off_screen,
    deactivate_screen,
    hours_screen,
    member_screen,
    member_services_screen,
    reassign_screen,
    service_screen,
    service_staff_screen,
    services_screen,
    staff_list_screen,
)
from handlers.settings.keys import ask, do, screen
from handlers.settings.parse import minutes_text
from handlers.settings.view import (
    CONTACT_CHOICES,
    NAME_LIMIT,
    RECENT_CHANGES,
    SEND_UPDATES,
    TEXT_LIMIT,
    View,
    Viewer,
    fit,
    markup,
    minutes_of,
    name_html,
    nav_row,
    on_off,
)
from storage.records import BookingRecord

# --- main ------------------------------------------------------------------------------


async def main_menu(v: Viewer, item: int, page: int) -> View | None:
    """The top of /settings, with the last changes."""
    t = v.t
    business = await v.services.booking.business()
    lines = [t._("⚙️ <b>Settings of {name}</b>", name=name_html(business.name)), ""]
    recent = await v.services.config.recent_changes(3)
    if recent:
        lines.append(t._("Last changes:"))
        lines += [_change_line(t, e.what, e.new, e.at, business) for e in recent]
    rows = [
        [
            button(t._("🏢 Business"), screen("biz")),
            button(t._("💇 Services"), screen("svcs")),
        ],
        [
            button(t._("👥 Staff"), screen("staff")),
            button(t._("📅 Calendar events"), screen("events")),
        ],
        [
            button(t._("📋 Bookings"), screen("bookings")),
            button(t._("🔑 Admins"), screen("admins")),
        ],
        [
            button(t._("📤 Export"), do("export", 0, "toml")),
            button(t._("🕘 Recent changes"), screen("log")),
        ],
        nav_row(v, None),
    ]
    return fit(lines), markup(rows)


def _change_line(
    t: Texts, what: str, new: str | None, at: datetime, business: BusinessSettings
) -> str:
    value = t._("removed") if new is None else shorten(new.replace("\n", " "), 40)
    return t._(
        "• {when}: {what} → {value}",
        when=t.datetime(at, business.tz, "short"),
        what=escape(shorten(what, 60)),
        value=escape(value),
    )


async def change_log(v: Viewer, item: int, page: int) -> View | None:
    """The latest recorded changes: when, who, what, old and new."""
    t = v.t
    business = await v.services.booking.business()
    entries = await v.services.config.recent_changes(RECENT_CHANGES)
    lines = [t._("🕘 <b>Recent changes</b>"), ""]
    if not entries:
        lines.append(t._("No changes recorded yet."))
    names = {a.telegram_user_id: a.name for a in await v.services.roles.admins() if a.name}
    for entry in entries:
        if entry.actor is None:
            who = "bookbot load-config"
        elif entry.actor in names:
            who = f"{names[entry.actor]} ({entry.actor})"
        else:
            who = str(entry.actor)
        lines.append(
            t._(
                "{when} · {who}\n{what}: {old} → {new}",
                when=t.datetime(entry.at, business.tz, "short"),
                who=escape(who),
                what=escape(shorten(entry.what, 80)),
                old=escape(shorten(entry.old or "—", 80)),
                new=escape(shorten(entry.new or "—", 80)),
            )
        )
    return fit(lines), markup([nav_row(v, "main")])


# --- business --------------------------------------------------------------------------


async def business_screen(v: Viewer, item: int, page: int) -> View | None:
    """Name, address, zone, booking rules, contact fields, language."""
    t = v.t
    b = await v.services.booking.business()
    lines = [
        t._("🏢 <b>Business</b>"),
        "",
        t._("Name: {value}", value=name_html(b.name)),
        t._("Address: {value}", value=escape(shorten(b.address, TEXT_LIMIT)) or "—"),
        t._("Time zone: {value}", value=escape(b.timezone)),
        t._("Booking horizon: {n} days", n=b.horizon_days),
        t._("Minimum notice: {value}", value=minutes_text(t, minutes_of(b.min_notice))),
        t._("Slot step: {value}", value=minutes_text(t, minutes_of(b.slot_step))),
        t._(
            "Cancel or move until: {value} before",
            value=minutes_text(t, minutes_of(b.cancellation_cutoff)),
        ),
        t._("Phone: {value}", value=t._(CONTACT_CHOICES[b.ask_phone])),
        t._("E-mail: {value}", value=t._(CONTACT_CHOICES[b.ask_email])),
        t._("Upcoming bookings per customer: at most {n}", n=b.max_active_bookings),
        t._(
            "Reminders: {offsets}",
            offsets=", ".join(
                t._("{time} before", time=minutes_text(t, minutes_of(o)))
                for o in b.reminder_offsets
            )
            or t._("off"),
        ),
        t._("Default language: {value}", value=escape(b.default_language)),
        t._(
            "How customers reach you: {value}",
            value=", ".join(
                escape(way)
                for way in (
                    b.contact_phone,
                    "@" + b.contact_telegram if b.contact_telegram else "",
                    b.contact_email,
                )
                if way
            )
            or "—",
        ),
    ]
    rows = [
        [button(t._("Name"), ask("name")), button(t._("Address"), ask("address"))],
        [button(t._("Time zone"), ask("zone")), button(t._("Horizon"), ask("horizon"))],
        [button(t._("Notice"), ask("notice")), button(t._("Slot step"), ask("step"))],
        [
            button(t._("Cutoff"), ask("cutoff")),
            button(t._("Bookings per customer"), ask("maxbook")),
        ],
        [button(t._("Phone"), screen("contact", 0)), button(t._("E-mail"), screen("contact", 1))],
        [
            button(t._("Reminders"), ask("reminders")),
            button(t._("Default language"), ask("language")),
        ],
        [
            button(t._("Our phone"), ask("bizphone")),
            button(t._("Our Telegram"), ask("biztelegram")),
            button(t._("Our e-mail"), ask("bizemail")),
        ],
        nav_row(v, "main"),
    ]
    return "\n".join(lines), markup(rows)


async def contact_screen(v: Viewer, item: int, page: int) -> View | None:
    """Whether the phone (item 0) or e-mail (item 1) is asked: off, optional, required."""
    t = v.t
    if item not in (0, 1):
        return None
    b = await v.services.booking.business()
    current = b.ask_phone if item == 0 else b.ask_email
    title = (
        t._("Ask customers for their phone number?")
        if item == 0
        else t._("Ask customers for their e-mail address?")
    )
    rows = [
        [
            button(("✓ " if key == current else "") + t._(label), do("contact", item, key))
            for key, label in CONTACT_CHOICES.items()
        ],
        nav_row(v, "biz"),
    ]
    return title, markup(rows)


# --- calendar events -------------------------------------------------------------------


async def events_screen(v: Viewer, item: int, page: int) -> View | None:
    """Event title and description templates, their preview, and the switches."""
    t = v.t
    b = await v.services.booking.business()
    preview = event_fields(sample_booking(t, v.services.clock.now()), b)
    placeholders = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
    lines = [
        t._("📅 <b>Calendar events</b>"),
        "",
        t._("Title: <code>{value}</code>", value=escape(shorten(b.event_title, TEXT_LIMIT))),
        t._("Description:"),
        f"<pre>{escape(shorten(b.event_description, 800))}</pre>",
        t._("Placeholders: {names}", names=escape(placeholders)),
        "",
        t._("<b>Preview</b> (a sample booking):"),
        f"<b>{escape(shorten(str(preview['summary']), 200))}</b>",
        escape(shorten(str(preview["description"]), 800)),
        "",
        t._("Google Meet link: {value}", value=on_off(t, b.event_meet)),
        t._("Customer as attendee: {value}", value=on_off(t, b.event_invite_customer)),
        t._("Google's invitation e-mails: {value}", value=t._(SEND_UPDATES[b.event_send_updates])),
    ]
    rows = [
        [button(t._("Title"), ask("title")), button(t._("Description"), ask("desc"))],
        [button(t._("Meet: {value}", value=on_off(t, b.event_meet)), do("meet", 0, "switch"))],
        [
            button(
                t._("Attendee: {value}", value=on_off(t, b.event_invite_customer)),
                do("attendee", 0, "switch"),
            )
        ],
        [
            button(
                t._("E-mails: {value}", value=t._(SEND_UPDATES[b.event_send_updates])),
                do("mails", 0, "next"),
            )
        ],
        nav_row(v, "main"),
    ]
    return fit(lines), markup(rows)


def sample_booking(t: Texts, now: datetime) -> BookingRecord:
    """A made-up booking to preview the event templates with."""
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    return BookingRecord(
        id="sample0booking",
        customer_id=0,
        customer_telegram_id=0,
        staff_id=0,
        staff_name=t._("Anna"),
        service_id=0,
        service_name=t._("Haircut"),
        start=start,
        end=start + timedelta(hours=1),
        blocked_start=start,
        blocked_end=start + timedelta(hours=1),
        status="confirmed",
        customer_name=t._("Maria Garcia"),
        customer_phone="+358401234567",
        customer_email="maria@example.com",
        price_minor=4500,
        currency="EUR",
        sequence=0,
        created_at=now,
        updated_at=now,
    )


# --- admins ----------------------------------------------------------------------------


async def admins_screen(v: Viewer, item: int, page: int) -> View | None:
    """The admins; add one, remove those added in chat (never the last)."""
    t = v.t
    admins = await v.services.roles.admins()
    lines = [t._("🔑 <b>Admins</b>"), ""]
    rows = []
    for a in admins[:50]:
        label = escape(shorten(a.name, NAME_LIMIT)) or str(a.telegram_user_id)
        if a.from_environment:
            lines.append(t._("• {name} (ADMIN_IDS, not removable here)", name=label))
        else:
            lines.append(t._("• {name} ({id})", name=label, id=a.telegram_user_id))
            rows.append(
                [
                    button(
                        t._("Remove {name}", name=shorten(a.name or str(a.telegram_user_id), 40)),
                        do("unadmin", 0, a.telegram_user_id),
                    )
                ]
            )
    rows.append([button(t._("➕ Add an admin"), ask("admin"))])
    rows.append(nav_row(v, "main"))
    return fit(lines), markup(rows)


async def closed(v: Viewer, item: int, page: int) -> View | None:
    """The menu closed."""
    return v.t._("Settings closed. Send /settings to open them again."), None


ADMIN_SCREENS: dict[str, Callable[[Viewer, int, int], Awaitable[View | None]]] = {
    "main": main_menu,
    "log": change_log,
    "biz": business_screen,
    "contact": contact_screen,
    "svcs": services_screen,
    "svc": service_screen,
    "svcstaff": service_staff_screen,
    "svcarch": archive_screen,
    "staff": staff_list_screen,
    "member": member_screen,
    "memsvcs": member_services_screen,
    "memdeact": deactivate_screen,
    "memreas": reassign_screen,
    "bookings": bookings_screen,
    "events": events_screen,
    "admins": admins_screen,
}
STAFF_SCREENS = {"hours": hours_screen, "daysoff": days_off_screen, "close": closed}


async def build(v: Viewer, name: str, item: int = 0, page: int = 0) -> View | None:
    """The screen `name` for `item`, or None if it does not exist or is not for this user."""
    if name in STAFF_SCREENS:
        return await STAFF_SCREENS[name](v, item, page)
    if name in ADMIN_SCREENS and v.is_admin:
        return await ADMIN_SCREENS[name](v, item, page)
    return None
