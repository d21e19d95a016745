"""The settings screens of the catalogue: services (list, one service, who offers it,
archive), staff (list, one member with their Google status, services, weekly hours, days off,
deactivation and handing their bookings over) and bookings (per staff member, one booking)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import escape

from telegram import InlineKeyboardButton

from bot.domain.money import decimals
from bot.setup_file import WEEKDAYS
from handlers.callbacks import BookingId, Token
from handlers.i18n import Texts
from handlers.keyboards import button
from handlers.limits import shorten
from handlers.settings.keys import BookingAct, ask, do, screen
from handlers.settings.parse import minutes_text
from handlers.settings.view import (
    BOOKING_BUTTONS,
    DAYS_LISTED,
    NAME_LIMIT,
    PER_PAGE,
    TEXT_LIMIT,
    WEEKDAY_NAMES,
    View,
    Viewer,
    active_member,
    booking_line,
    fit,
    markup,
    minutes_of,
    name_html,
    nav_row,
    page_of,
    pager_row,
)
from storage.records import ServiceRecord, StaffRecord

# --- services --------------------------------------------------------------------------


async def services_screen(v: Viewer, item: int, page: int) -> View | None:
    """The services, a page at a time; add one."""
    t = v.t
    services = await v.services.config.active_services()
    number, pages = page_of(list(services), page)
    shown = services[number * PER_PAGE : (number + 1) * PER_PAGE]
    lines = [t._("💇 <b>Services</b>"), ""]
    if not services:
        lines.append(t._("No services yet."))
    lines += [_service_line(t, s) for s in shown]
    if pages > 1:
        lines += ["", t._("Page {n} of {count}", n=number + 1, count=pages)]
    rows = [[button(shorten(s.name, NAME_LIMIT), screen("svc", s.id))] for s in shown]
    rows += [pager_row(v, "svcs", number, pages), [button(t._("➕ Add a service"), ask("svcnew"))]]
    rows.append(nav_row(v, "main"))
    return "\n".join(lines), markup(rows)


def _service_line(t: Texts, s: ServiceRecord) -> str:
    return t._(
        "• {name} · {duration} · {price}",
        name=name_html(s.name),
        duration=minutes_text(t, minutes_of(s.duration)),
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
        t._("💇 <b>{name}</b>", name=name_html(service.name)),
        "",
        t._("Description: {value}", value=escape(shorten(service.description, TEXT_LIMIT)) or "—"),
        t._("Duration: {value}", value=minutes_text(t, minutes_of(service.duration))),
        t._("Price: {value}", value=_price(t, service)),
        t._(
            "Buffers: {before} before, {after} after",
            before=minutes_text(t, minutes_of(service.buffer_before)),
            after=minutes_text(t, minutes_of(service.buffer_after)),
        ),
        t._(
            "Offered by: {names}",
            names=", ".join(name_html(m.name) for m in staff) or t._("nobody yet"),
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
        nav_row(v, "svcs"),
    ]
    return "\n".join(lines), markup(rows)


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
    rows.append(nav_row(v, "svc", item))
    text = t._("Who offers <b>{name}</b>? Tap to switch.", name=name_html(service.name))
    return text, markup(rows)


async def archive_screen(v: Viewer, item: int, page: int) -> View | None:
    """Confirm archiving a service."""
    t = v.t
    service = await v.services.booking.catalog.service(item)
    if service is None or not service.active:
        return None
    text = t._(
        "Archive <b>{name}</b>? Customers can no longer book it; its bookings stay as they are.",
        name=name_html(service.name),
    )
    rows = [[button(t._("🗄 Archive it"), do("svcarch", item, "yes"))], nav_row(v, "svc", item)]
    return text, markup(rows)


# --- staff -----------------------------------------------------------------------------


async def staff_list_screen(v: Viewer, item: int, page: int) -> View | None:
    """The active staff; add one."""
    t = v.t
    staff = [m for m in await v.services.booking.catalog.all_staff() if m.active]
    number, pages = page_of(list(staff), page)
    shown = staff[number * PER_PAGE : (number + 1) * PER_PAGE]
    lines = [t._("👥 <b>Staff</b>"), ""]
    if not staff:
        lines.append(t._("No staff yet."))
    for m in shown:
        linked = t._("linked") if m.telegram_user_id is not None else t._("not linked yet")
        lines.append(t._("• {name} ({linked})", name=name_html(m.name), linked=linked))
    if pages > 1:
        lines += ["", t._("Page {n} of {count}", n=number + 1, count=pages)]
    rows = [[button(shorten(m.name, NAME_LIMIT), screen("member", m.id))] for m in shown]
    rows += [
        pager_row(v, "staff", number, pages),
        [button(t._("➕ Add a staff member"), ask("staffnew"))],
    ]
    rows.append(nav_row(v, "main"))
    return "\n".join(lines), markup(rows)


async def member_screen(v: Viewer, item: int, page: int) -> View | None:
    """One staff member: services, hours, days off, Telegram link and Google status."""
    t = v.t
    member = await active_member(v, item)
    if member is None:
        return None
    catalog = v.services.booking.catalog
    services = [
        s
        for s in await v.services.config.active_services()
        if member.id in {m.id for m in await catalog.staff_for_service(s.id)}
    ]
    lines = [
        t._("👤 <b>{name}</b>", name=name_html(member.name)),
        "",
        t._("Offers: {names}", names=", ".join(name_html(s.name) for s in services) or "—"),
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
        nav_row(v, "staff"),
    ]
    return fit(lines), markup(rows)


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
    member = await active_member(v, item)
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
    rows.append(nav_row(v, "member", item))
    return t._(
        "Which services does <b>{name}</b> offer? Tap to switch.", name=name_html(member.name)
    ), markup(rows)


async def hours_screen(v: Viewer, item: int, page: int) -> View | None:
    """A staff member's weekly hours: a button per weekday."""
    t = v.t
    member = await active_member(v, item)
    if member is None or not v.may_edit_staff(member.id):
        return None
    lines = [t._("🕘 <b>Weekly hours of {name}</b>", name=name_html(member.name)), ""]
    lines += await _hours_lines(v, member)
    lines += ["", t._("Tap a day to change its hours.")]
    rows = [
        [button(t._(WEEKDAY_NAMES[i]), ask(f"hours{i}", item)) for i in range(j, min(j + 4, 7))]
        for j in (0, 4)
    ]
    rows.append([button(t._("🏖 Days off"), screen("daysoff", item))])
    rows.append(nav_row(v, "member" if v.is_admin else None, item))
    return "\n".join(lines), markup(rows)


async def days_off_screen(v: Viewer, item: int, page: int) -> View | None:
    """A staff member's coming days off and special days; add or remove them."""
    t = v.t
    member = await active_member(v, item)
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
    lines = [t._("🏖 <b>Days off and special days of {name}</b>", name=name_html(member.name)), ""]
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
    rows.append(nav_row(v, "member" if v.is_admin else None, item))
    return fit(lines), markup(rows)


async def deactivate_screen(v: Viewer, item: int, page: int) -> View | None:
    """Confirm deactivating a staff member, their coming bookings listed first."""
    t = v.t
    member = await active_member(v, item)
    if member is None:
        return None
    bookings = await v.services.config.upcoming_for_staff(member.id)
    business = await v.services.booking.business()
    lines = [
        t._(
            "Deactivate <b>{name}</b>? Customers can no longer book them.",
            name=name_html(member.name),
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
    rows.append(nav_row(v, "member", item))
    return fit(lines), markup(rows)


async def reassign_screen(v: Viewer, item: int, page: int) -> View | None:
    """Whom to hand a staff member's coming bookings to, before deactivating them."""
    t = v.t
    member = await active_member(v, item)
    if member is None:
        return None
    others = [m for m in await v.services.booking.catalog.all_staff() if m.active and m.id != item]
    text = t._(
        "Hand the coming bookings of <b>{name}</b> to whom? Each booking goes where that "
        "person offers the service and is free; the others stay with {name}. Then {name} is "
        "deactivated.",
        name=name_html(member.name),
    )
    rows = [[button(shorten(m.name, NAME_LIMIT), do("reassign", item, m.id))] for m in others[:90]]
    rows.append(nav_row(v, "memdeact", item))
    return text, markup(rows)


# --- bookings --------------------------------------------------------------------------


async def bookings_screen(v: Viewer, item: int, page: int) -> View | None:
    """Coming bookings: pick a staff member (item 0), then their list."""
    t = v.t
    business = await v.services.booking.business()
    staff = [m for m in await v.services.booking.catalog.all_staff() if m.active]
    if item == 0:
        rows = [[button(shorten(m.name, NAME_LIMIT), screen("bookings", m.id))] for m in staff[:90]]
        rows.append(nav_row(v, "main"))
        return t._("📋 <b>Bookings</b>: whose?"), markup(rows)
    member = await active_member(v, item)
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
    lines = [t._("📋 <b>Bookings of {name}</b>", name=name_html(member.name)), ""]
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
    rows.append(nav_row(v, "bookings"))
    return fit(lines), markup(rows)


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
        nav_row(v, "bookings", staff_id),
    ]
    return text, markup(rows)
