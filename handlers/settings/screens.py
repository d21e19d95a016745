"""Every settings screen: its text (current values shown) and its keyboard (Back and Close on
each). `build` returns the screen for a name and item; an item that is gone, or a screen the
user may not see, gives None (the caller answers as for an expired button).

Staff (who are not admins) see only their own hours and days off, without Back to the admin
menus.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.business import BusinessSettings
from bot.domain.event_template import PLACEHOLDERS
from bot.domain.money import decimals
from bot.services import Services
from bot.setup_file import WEEKDAYS
from bot.sync.event_content import event_fields
from handlers.callbacks import BookingId, Token
from handlers.i18n import N_, Texts
from handlers.keyboards import button
from handlers.limits import MAX_MESSAGE, shorten, visible_len
from handlers.settings.keys import BookingAct, ask, do, screen
from handlers.settings.parse import minutes_text
from storage.records import BookingRecord, ServiceRecord, StaffRecord

NAME_LIMIT = 60
TEXT_LIMIT = 300
PER_PAGE = 8
RECENT_CHANGES = 12
DAYS_LISTED = 10
BOOKING_BUTTONS = 20
WEEKDAY_NAMES = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)
CONTACT_CHOICES = {"no": N_("off"), "optional": N_("optional"), "required": N_("required")}
SEND_UPDATES = {
    "none": N_("none"),
    "externalOnly": N_("to guests outside your domain"),
    "all": N_("to all guests"),
}
View = tuple[str, InlineKeyboardMarkup | None]


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who looks at a screen, in which language."""

    services: Services
    t: Texts
    user_id: int
    is_admin: bool
    own_staff_id: int | None  # the staff member this user is linked to, if any
    bot_username: str

    def may_edit_staff(self, staff_id: int) -> bool:
        """Admins edit everyone's hours; staff only their own."""
        return self.is_admin or self.own_staff_id == staff_id


def _name(text: str) -> str:
    return escape(shorten(text, NAME_LIMIT))


def _nav(v: Viewer, back: str | None, item: int = 0) -> list[InlineKeyboardButton]:
    row = []
    if back is not None:
        row.append(button(v.t._("« Back"), screen(back, item)))
    row.append(button(v.t._("✖ Close"), screen("close")))
    return row


def _markup(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([r for r in rows if r])


def on_off(t: Texts, value: bool) -> str:
    """'on' / 'off'."""
    return t._("on") if value else t._("off")


def _fit(lines: list[str]) -> str:
    """Lines joined, dropping the last ones (with '…') when over Telegram's limit."""
    text = "\n".join(lines)
    while visible_len(text) > MAX_MESSAGE - 200 and len(lines) > 1:
        lines = [*lines[:-2], "…"]
        text = "\n".join(lines)
    return text


# --- main ------------------------------------------------------------------------------


async def main_menu(v: Viewer, item: int, page: int) -> View | None:
    """The top of /settings, with the last changes."""
    t = v.t
    business = await v.services.booking.business()
    lines = [t._("⚙️ <b>Settings of {name}</b>", name=_name(business.name)), ""]
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
        _nav(v, None),
    ]
    return _fit(lines), _markup(rows)


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
    return _fit(lines), _markup([_nav(v, "main")])


# --- business --------------------------------------------------------------------------


async def business_screen(v: Viewer, item: int, page: int) -> View | None:
    """Name, address, zone, booking rules, contact fields, language."""
    t = v.t
    b = await v.services.booking.business()
    lines = [
        t._("🏢 <b>Business</b>"),
        "",
        t._("Name: {value}", value=_name(b.name)),
        t._("Address: {value}", value=escape(shorten(b.address, TEXT_LIMIT)) or "—"),
        t._("Time zone: {value}", value=escape(b.timezone)),
        t._("Booking horizon: {n} days", n=b.horizon_days),
        t._("Minimum notice: {value}", value=minutes_text(t, _minutes(b.min_notice))),
        t._("Slot step: {value}", value=minutes_text(t, _minutes(b.slot_step))),
        t._(
            "Cancel or move until: {value} before",
            value=minutes_text(t, _minutes(b.cancellation_cutoff)),
        ),
        t._("Phone: {value}", value=t._(CONTACT_CHOICES[b.ask_phone])),
        t._("E-mail: {value}", value=t._(CONTACT_CHOICES[b.ask_email])),
        t._("Upcoming bookings per customer: at most {n}", n=b.max_active_bookings),
        t._("Default language: {value}", value=escape(b.default_language)),
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
        [button(t._("Default language"), ask("language"))],
        _nav(v, "main"),
    ]
    return "\n".join(lines), _markup(rows)


def _minutes(value: timedelta) -> int:
    return int(value.total_seconds() // 60)


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
        _nav(v, "biz"),
    ]
    return title, _markup(rows)


# --- services --------------------------------------------------------------------------


def _page(items: list[object], page: int) -> tuple[int, int]:
    pages = max(1, -(-len(items) // PER_PAGE))
    number = min(max(page, 0), pages - 1)
    return number, pages


def _pager(v: Viewer, name: str, number: int, pages: int) -> list[InlineKeyboardButton]:
    row = []
    if number > 0:
        row.append(button(v.t._("◀ Previous"), screen(name, 0, number - 1)))
    if number + 1 < pages:
        row.append(button(v.t._("Next ▶"), screen(name, 0, number + 1)))
    return row


async def services_screen(v: Viewer, item: int, page: int) -> View | None:
    """The services, a page at a time; add one."""
    t = v.t
    services = await v.services.config.active_services()
    number, pages = _page(list(services), page)
    shown = services[number * PER_PAGE : (number + 1) * PER_PAGE]
    lines = [t._("💇 <b>Services</b>"), ""]
    if not services:
        lines.append(t._("No services yet."))
    lines += [_service_line(t, s) for s in shown]
    if pages > 1:
        lines += ["", t._("Page {n} of {count}", n=number + 1, count=pages)]
    rows = [[button(shorten(s.name, NAME_LIMIT), screen("svc", s.id))] for s in shown]
    rows += [_pager(v, "svcs", number, pages), [button(t._("➕ Add a service"), ask("svcnew"))]]
    rows.append(_nav(v, "main"))
    return "\n".join(lines), _markup(rows)


def _service_line(t: Texts, s: ServiceRecord) -> str:
    return t._(
        "• {name} · {duration} · {price}",
        name=_name(s.name),
        duration=minutes_text(t, _minutes(s.duration)),
        price=_price(t, s),
    )


def _price(t: Texts, s: ServiceRecord) -> str:
    if not s.price_minor:
        return t._("free")
    return escape(t.money(Decimal(s.price_minor).scaleb(-decimals(s.currency)), s.currency))


async def service_screen(v: Viewer, item: int, page: int) -> View | None:
    """One service: all its values, who offers it, its share link."""
    t = v.t
    service = await v.services.booking.catalog.service(item)
    if service is None or not service.active:
        return None
    staff = await v.services.booking.catalog.staff_for_service(service.id)
    services = await v.services.config.active_services()
    link = f"https://t.me/{v.bot_username}?start=svc_{service.slug}"
    lines = [
        t._("💇 <b>{name}</b>", name=_name(service.name)),
        "",
        t._("Description: {value}", value=escape(shorten(service.description, TEXT_LIMIT)) or "—"),
        t._("Duration: {value}", value=minutes_text(t, _minutes(service.duration))),
        t._("Price: {value}", value=_price(t, service)),
        t._(
            "Buffers: {before} before, {after} after",
            before=minutes_text(t, _minutes(service.buffer_before)),
            after=minutes_text(t, _minutes(service.buffer_after)),
        ),
        t._(
            "Offered by: {names}",
            names=", ".join(_name(m.name) for m in staff) or t._("nobody yet"),
        ),
        t._("Position: {n} of {count}", n=_position(services, service.id), count=len(services)),
        "",
        t._("Share link: {link}", link=escape(link)),
    ]
    rows = [
        [
            button(t._("Name"), ask("svcname", item)),
            button(t._("Description"), ask("svcdesc", item)),
        ],
        [button(t._("Duration"), ask("svcdur", item)), button(t._("Price"), ask("svcprice", item))],
        [
            button(t._("Buffer before"), ask("svcbefore", item)),
            button(t._("Buffer after"), ask("svcafter", item)),
        ],
        [button(t._("👥 Who offers it"), screen("svcstaff", item))],
        [
            button(t._("⬆ Up"), do("svcmove", item, "up")),
            button(t._("⬇ Down"), do("svcmove", item, "down")),
        ],
        [button(t._("🗄 Archive"), screen("svcarch", item))],
        _nav(v, "svcs"),
    ]
    return "\n".join(lines), _markup(rows)


def _position(items: list[ServiceRecord], item_id: int) -> int:
    return next((i + 1 for i, s in enumerate(items) if s.id == item_id), 0)


async def service_staff_screen(v: Viewer, item: int, page: int) -> View | None:
    """Which staff offer a service: a switch each."""
    t = v.t
    service = await v.services.booking.catalog.service(item)
    if service is None or not service.active:
        return None
    offering = {m.id for m in await v.services.booking.catalog.staff_for_service(item)}
    staff = [m for m in await v.services.booking.catalog.all_staff() if m.active]
    rows = [
        [
            button(
                ("✅ " if m.id in offering else "⬜ ") + shorten(m.name, NAME_LIMIT),
                do("svcstaff", item, m.id),
            )
        ]
        for m in staff[:90]
    ]
    rows.append(_nav(v, "svc", item))
    text = t._("Who offers <b>{name}</b>? Tap to switch.", name=_name(service.name))
    return text, _markup(rows)


async def archive_screen(v: Viewer, item: int, page: int) -> View | None:
    """Confirm archiving a service."""
    t = v.t
    service = await v.services.booking.catalog.service(item)
    if service is None or not service.active:
        return None
    text = t._(
        "Archive <b>{name}</b>? Customers can no longer book it; its bookings stay as they are.",
        name=_name(service.name),
    )
    rows = [[button(t._("🗄 Archive it"), do("svcarch", item, "yes"))], _nav(v, "svc", item)]
    return text, _markup(rows)


# --- staff -----------------------------------------------------------------------------


async def staff_list_screen(v: Viewer, item: int, page: int) -> View | None:
    """The active staff; add one."""
    t = v.t
    staff = [m for m in await v.services.booking.catalog.all_staff() if m.active]
    number, pages = _page(list(staff), page)
    shown = staff[number * PER_PAGE : (number + 1) * PER_PAGE]
    lines = [t._("👥 <b>Staff</b>"), ""]
    if not staff:
        lines.append(t._("No staff yet."))
    for m in shown:
        linked = t._("linked") if m.telegram_user_id is not None else t._("not linked yet")
        lines.append(t._("• {name} ({linked})", name=_name(m.name), linked=linked))
    if pages > 1:
        lines += ["", t._("Page {n} of {count}", n=number + 1, count=pages)]
    rows = [[button(shorten(m.name, NAME_LIMIT), screen("member", m.id))] for m in shown]
    rows += [
        _pager(v, "staff", number, pages),
        [button(t._("➕ Add a staff member"), ask("staffnew"))],
    ]
    rows.append(_nav(v, "main"))
    return "\n".join(lines), _markup(rows)


async def _active_member(v: Viewer, staff_id: int) -> StaffRecord | None:
    member = await v.services.booking.catalog.staff_member(staff_id)
    return member if member is not None and member.active else None


async def member_screen(v: Viewer, item: int, page: int) -> View | None:
    """One staff member: services, hours, days off, Telegram link and Google status."""
    t = v.t
    member = await _active_member(v, item)
    if member is None:
        return None
    catalog = v.services.booking.catalog
    services = [
        s
        for s in await v.services.config.active_services()
        if member.id in {m.id for m in await catalog.staff_for_service(s.id)}
    ]
    lines = [
        t._("👤 <b>{name}</b>", name=_name(member.name)),
        "",
        t._("Offers: {names}", names=", ".join(_name(s.name) for s in services) or "—"),
        t._(
            "Telegram: {value}",
            value=t._("linked") if member.telegram_user_id else t._("not linked yet"),
        ),
        await _google_line(v, member),
        "",
        t._("<b>Weekly hours</b>"),
        *await _hours_lines(v, member),
    ]
    rows = [
        [
            button(t._("Rename"), ask("staffname", item)),
            button(t._("Services"), screen("memsvcs", item)),
        ],
        [
            button(t._("🕘 Hours"), screen("hours", item)),
            button(t._("🏖 Days off"), screen("daysoff", item)),
        ],
        [button(t._("🔗 Invite link"), do("invite", item, "new"))],
        [
            button(t._("⬆ Up"), do("staffmove", item, "up")),
            button(t._("⬇ Down"), do("staffmove", item, "down")),
        ],
        [button(t._("🚫 Deactivate"), screen("memdeact", item))],
        _nav(v, "staff"),
    ]
    return _fit(lines), _markup(rows)


async def _google_line(v: Viewer, member: StaffRecord) -> str:
    t = v.t
    if not v.services.google_accounts.enabled:
        return t._("Google Calendar: not set up for this bot")
    status = await v.services.google_accounts.status(member.id)
    if status is None:
        return t._("Google Calendar: not connected")
    lines = [
        t._(
            "Google Calendar: {email} ({status})",
            email=escape(status.email),
            status=escape(status.status),
        )
    ]
    if status.last_error:
        lines.append(t._("Last error: {error}", error=escape(shorten(status.last_error, 200))))
    detail = await v.services.config.google_detail(member.id)
    business = await v.services.booking.business()
    synced = {s.calendar_id: s for s in detail.sync}
    for calendar in detail.calendars[:10]:
        uses = []
        if calendar.is_destination:
            uses.append(t._("bookings go here"))
        if calendar.blocks_time:
            uses.append(t._("blocks time"))
        state = synced.get(calendar.calendar_id)
        if state is not None:
            uses.append(
                t._("last synced {when}", when=t.datetime(state.updated_at, business.tz, "short"))
            )
        lines.append(
            t._(
                "• {calendar}: {uses}",
                calendar=escape(shorten(calendar.name or calendar.calendar_id, 60)),
                uses=", ".join(uses) or "—",
            )
        )
    if detail.waiting:
        lines.append(
            t.n_(
                "{n} booking change waits to be written to Google.",
                "{n} booking changes wait to be written to Google.",
                detail.waiting,
            )
        )
    return "\n".join(lines)


async def _hours_lines(v: Viewer, member: StaffRecord) -> list[str]:
    t = v.t
    document = await v.services.config.staff_table(member.id)
    hours: dict[str, list[str]] = document.get("hours", {}) if document else {}
    return [
        t._(
            "{day}: {ranges}",
            day=t._(WEEKDAY_NAMES[i]),
            ranges=", ".join(hours.get(day, [])) or t._("off"),
        )
        for i, day in enumerate(WEEKDAYS)
    ]


async def member_services_screen(v: Viewer, item: int, page: int) -> View | None:
    """Which services a staff member offers: a switch each."""
    t = v.t
    member = await _active_member(v, item)
    if member is None:
        return None
    catalog = v.services.booking.catalog
    rows = []
    for s in (await v.services.config.active_services())[:90]:
        offered = member.id in {m.id for m in await catalog.staff_for_service(s.id)}
        rows.append(
            [
                button(
                    ("✅ " if offered else "⬜ ") + shorten(s.name, NAME_LIMIT),
                    do("memsvc", item, s.id),
                )
            ]
        )
    rows.append(_nav(v, "member", item))
    return t._(
        "Which services does <b>{name}</b> offer? Tap to switch.", name=_name(member.name)
    ), _markup(rows)


async def hours_screen(v: Viewer, item: int, page: int) -> View | None:
    """A staff member's weekly hours: a button per weekday."""
    t = v.t
    member = await _active_member(v, item)
    if member is None or not v.may_edit_staff(member.id):
        return None
    lines = [t._("🕘 <b>Weekly hours of {name}</b>", name=_name(member.name)), ""]
    lines += await _hours_lines(v, member)
    lines += ["", t._("Tap a day to change its hours.")]
    rows = [
        [button(t._(WEEKDAY_NAMES[i]), ask(f"hours{i}", item)) for i in range(j, min(j + 4, 7))]
        for j in (0, 4)
    ]
    rows.append([button(t._("🏖 Days off"), screen("daysoff", item))])
    rows.append(_nav(v, "member" if v.is_admin else None, item))
    return "\n".join(lines), _markup(rows)


async def days_off_screen(v: Viewer, item: int, page: int) -> View | None:
    """A staff member's coming days off and special days; add or remove them."""
    t = v.t
    member = await _active_member(v, item)
    if member is None or not v.may_edit_staff(member.id):
        return None
    today = await v.services.config.today()
    table = await v.services.config.staff_table(member.id) or {}
    days_off = [d for d in table.get("days_off", []) if d >= today]
    special = {
        date.fromisoformat(d): r
        for d, r in table.get("special_hours", {}).items()
        if date.fromisoformat(d) >= today
    }
    lines = [t._("🏖 <b>Days off and special days of {name}</b>", name=_name(member.name)), ""]
    rows: list[list[InlineKeyboardButton]] = []
    for day in days_off[:DAYS_LISTED]:
        lines.append(t._("{day}: day off", day=t.date(day, "full")))
        rows.append(
            [
                button(
                    t._("↩ Work on {day}", day=t.date(day, "short")),
                    do("undayoff", item, day.strftime("%Y%m%d")),
                )
            ]
        )
    for day, ranges in sorted(special.items())[:DAYS_LISTED]:
        lines.append(t._("{day}: {ranges}", day=t.date(day, "full"), ranges=", ".join(ranges)))
        rows.append(
            [
                button(
                    t._("↩ Usual hours on {day}", day=t.date(day, "short")),
                    do("undayoff", item, day.strftime("%Y%m%d")),
                )
            ]
        )
    if not days_off and not special:
        lines.append(t._("None coming."))
    rows.append(
        [
            button(t._("➕ Day off"), ask("dayoff", item)),
            button(t._("➕ Special day"), ask("special", item)),
        ]
    )
    rows.append([button(t._("🕘 Hours"), screen("hours", item))])
    rows.append(_nav(v, "member" if v.is_admin else None, item))
    return _fit(lines), _markup(rows)


async def deactivate_screen(v: Viewer, item: int, page: int) -> View | None:
    """Confirm deactivating a staff member, their coming bookings listed first."""
    t = v.t
    member = await _active_member(v, item)
    if member is None:
        return None
    bookings = await v.services.config.upcoming_for_staff(member.id)
    business = await v.services.booking.business()
    lines = [
        t._(
            "Deactivate <b>{name}</b>? Customers can no longer book them.",
            name=_name(member.name),
        ),
        "",
    ]
    if bookings:
        lines.append(
            t.n_(
                "They have {n} coming booking:",
                "They have {n} coming bookings:",
                len(bookings),
            )
        )
        lines += [booking_line(t, b, business) for b in bookings[:20]]
    else:
        lines.append(t._("They have no coming bookings."))
    rows = [[button(t._("🚫 Deactivate, keep the bookings"), do("deact", item, "keep"))]]
    if bookings:
        label = t._("🚫 Deactivate, cancel them and tell the customers")
        rows.append([button(label, do("deact", item, "cancel"))])
        label = t._("🚫 Deactivate, hand them to someone else")
        rows.append([button(label, screen("memreas", item))])
    rows.append(_nav(v, "member", item))
    return _fit(lines), _markup(rows)


async def reassign_screen(v: Viewer, item: int, page: int) -> View | None:
    """Whom to hand a staff member's coming bookings to, before deactivating them."""
    t = v.t
    member = await _active_member(v, item)
    if member is None:
        return None
    others = [m for m in await v.services.booking.catalog.all_staff() if m.active and m.id != item]
    text = t._(
        "Hand the coming bookings of <b>{name}</b> to whom? Each booking goes where that "
        "person offers the service and is free; the others stay with {name}. Then {name} is "
        "deactivated.",
        name=_name(member.name),
    )
    rows = [[button(shorten(m.name, NAME_LIMIT), do("reassign", item, m.id))] for m in others[:90]]
    rows.append(_nav(v, "memdeact", item))
    return text, _markup(rows)


def booking_line(t: Texts, b: BookingRecord, business: BusinessSettings) -> str:
    """'• Tue, Nov 24, 2026, 1:00 PM · Haircut · Ann'."""
    return t._(
        "• {when} · {service} · {customer}",
        when=t.datetime(b.start, business.tz, "medium"),
        service=_name(b.service_name),
        customer=_name(b.customer_name),
    )


# --- bookings --------------------------------------------------------------------------


async def bookings_screen(v: Viewer, item: int, page: int) -> View | None:
    """Coming bookings: pick a staff member (item 0), then their list."""
    t = v.t
    business = await v.services.booking.business()
    staff = [m for m in await v.services.booking.catalog.all_staff() if m.active]
    if item == 0:
        rows = [[button(shorten(m.name, NAME_LIMIT), screen("bookings", m.id))] for m in staff[:90]]
        rows.append(_nav(v, "main"))
        return t._("📋 <b>Bookings</b>: whose?"), _markup(rows)
    member = await _active_member(v, item)
    if member is None:
        return None
    config = v.services.config
    today = await config.today()
    earlier_today = [
        b
        for b in await config.bookings_between(member.id, today, today)
        if b.start <= v.services.clock.now()
    ]
    bookings = await config.upcoming_for_staff(member.id)
    lines = [t._("📋 <b>Bookings of {name}</b>", name=_name(member.name)), ""]
    if earlier_today:
        lines.append(t._("Earlier today:"))
        lines += [booking_line(t, b, business) for b in earlier_today[:20]]
        lines += ["", t._("Coming:")]
    lines += [booking_line(t, b, business) for b in bookings[:40]] or [t._("None coming.")]
    rows = [
        [
            button(
                t._(
                    "{when} {customer}",
                    when=t.datetime(b.start, business.tz, "short"),
                    customer=shorten(b.customer_name, 30),
                ),
                BookingAct(Token("ask"), member.id, BookingId(b.id)),
            )
        ]
        for b in bookings[:BOOKING_BUTTONS]
    ]
    if bookings:
        lines += ["", t._("Tap a booking to cancel or move it for the customer (they are told).")]
    rows.append(_nav(v, "bookings"))
    return _fit(lines), _markup(rows)


async def booking_view(v: Viewer, staff_id: int, booking_id: str) -> View | None:
    """One booking of the admin's list: cancel it or move it for the customer."""
    t = v.t
    booking = await v.services.booking.bookings.get(booking_id)
    if booking is None or not booking.is_active or booking.staff_id != staff_id:
        return None
    business = await v.services.booking.business()
    text = "\n".join(
        [
            booking_line(t, booking, business),
            "",
            t._("Cancel or move it? The customer gets a message and an updated .ics file."),
        ]
    )
    rows = [
        [
            button(
                t._("❌ Cancel the booking"),
                BookingAct(Token("yes"), staff_id, BookingId(booking_id)),
            )
        ],
        [button(t._("🕘 Move it"), BookingAct(Token("move"), staff_id, BookingId(booking_id)))],
        _nav(v, "bookings", staff_id),
    ]
    return text, _markup(rows)


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
        _nav(v, "main"),
    ]
    return _fit(lines), _markup(rows)


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
    rows.append(_nav(v, "main"))
    return _fit(lines), _markup(rows)


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
