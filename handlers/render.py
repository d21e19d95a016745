"""Texts the bot sends about services and bookings: translated, HTML-escaped, times in the
business zone; a screen names the zone once ("Helsinki time"), not after every time."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from bot.business import BusinessSettings
from bot.domain.money import format_money
from handlers.i18n import N_, Texts
from handlers.limits import shorten
from storage.records import BookingRecord, ServiceRecord

NAME_LIMIT = 100
DESCRIPTION_LIMIT = 1500
LIST_DESCRIPTION = 300
ADDRESS_LIMIT = 300
CONTACT_LIMIT = 100

HELP = N_(
    "<b>What I can do</b>\n"
    "/start – book an appointment\n"
    "/mybookings – see, cancel or reschedule your bookings\n"
    "/language – choose the language I speak\n"
    "/cancel – stop what we are doing\n"
    "/help – this message"
)
STAFF_HELP = N_(
    "<b>For staff</b>\n"
    "/hours – your weekly hours\n"
    "/dayoff – take a day or some days off\n"
    "/connect – link your Google Calendar\n"
    "/calendars – choose where bookings go and which calendars block your time\n"
    "/disconnect – sign out from Google\n"
    "/agenda – your bookings today, tomorrow or this week, and your daily agenda"
)
ADMIN_HELP = N_(
    "<b>For admins</b>\n/settings – run the business: services, staff, hours, admins\n"
    "/invite &lt;staff name&gt; – a link for a staff member\n"
    "/links – a link to each service, to share"
)


def money(minor: int, currency: str) -> str:
    """4500, 'EUR' -> '45.00 EUR' (language-neutral, for logs and tests of money parsing)."""
    return format_money(minor, currency)


def when(t: Texts, moment: datetime, tz: ZoneInfo) -> str:
    """'Tue, Nov 24, 2026, 13:00' in the business zone (name the zone once per screen)."""
    return t.when(moment, tz)


def when_in_zone(t: Texts, moment: datetime, tz: ZoneInfo) -> str:
    """'Tue, Nov 24, 2026, 13:00 (Helsinki time)', for a text with one time in it."""
    return f"{t.when(moment, tz)} ({t.zone(tz)})"


def short_when(t: Texts, moment: datetime, tz: ZoneInfo) -> str:
    """'Tue, Nov 24, 13:00' for buttons and lists."""
    return t.when(moment, tz, year=False)


def service_name(t: Texts, service: ServiceRecord) -> str:
    """The service's name (as the setup file gives it)."""
    return service.name


def service_line(
    t: Texts, service: ServiceRecord, *, description_limit: int = DESCRIPTION_LIMIT
) -> str:
    """'<b>Haircut</b> · 1 h · €45.00' and the description, both shortened to fit."""
    line = (
        f"<b>{escape(shorten(service_name(t, service), NAME_LIMIT))}</b> · "
        f"{t.duration(service.duration)} · {t.price(service.price_minor, service.currency)}"
    )
    description = service.description.strip()
    if description:
        line += f"\n<i>{escape(shorten(description, description_limit))}</i>"
    return line


def service_with(t: Texts, service: ServiceRecord, who: str) -> str:
    """The service line, then who does it on a line of its own (a description ending in a
    dot never runs into the staff name)."""
    return service_line(t, service) + "\n" + t._("👩‍🔧 with {name}", name=escape(who))


def booking_details(t: Texts, booking: BookingRecord, tz: ZoneInfo, *, address: str = "") -> str:
    """The details block of a booking."""
    lines = [
        t._(
            "<b>{service}</b> with {staff}",
            service=escape(shorten(booking.service_name, NAME_LIMIT)),
            staff=escape(shorten(booking.staff_name, NAME_LIMIT)),
        ),
        f"🗓 {when_in_zone(t, booking.start, tz)}",
        f"⏱ {t.duration(booking.end - booking.start)} · "
        f"{t.price(booking.price_minor, booking.currency)}",
        f"👤 {escape(shorten(booking.customer_name, NAME_LIMIT))}",
    ]
    if booking.customer_phone:
        lines.append(f"📱 {escape(booking.customer_phone)}")
    if booking.customer_email:
        lines.append(f"✉️ {escape(booking.customer_email)}")
    if address:
        lines.append(f"📍 {escape(shorten(address, ADDRESS_LIMIT))}")
    return "\n".join(lines)


def business_contact(t: Texts, business: BusinessSettings) -> str:
    """How to reach the business ('☎️ Contact us: +358 40 123 4567 · @salon · hi@salon.fi'),
    or '' if nothing is set."""
    ways = []
    if business.contact_phone:
        ways.append(escape(shorten(business.contact_phone, CONTACT_LIMIT)))
    if business.contact_telegram:
        ways.append("@" + escape(shorten(business.contact_telegram, CONTACT_LIMIT)))
    if business.contact_email:
        ways.append(escape(shorten(business.contact_email, CONTACT_LIMIT)))
    return t._("☎️ Contact us: {ways}", ways=" · ".join(ways)) if ways else ""


def cutoff_text(t: Texts, cutoff: timedelta, business: BusinessSettings | None = None) -> str:
    """Why a booking cannot be changed any more, and how to reach the business."""
    text = t._(
        "Bookings can be changed or cancelled up to {duration} before they start. "
        "Please contact us directly to change this one.",
        duration=t.duration(cutoff),
    )
    contact = business_contact(t, business) if business is not None else ""
    return f"{text}\n{contact}" if contact else text


def cancellation_policy(
    t: Texts, start: datetime, cutoff: timedelta, now: datetime, tz: ZoneInfo
) -> str:
    """'Free cancellation until Sun, Nov 29, 09:30', or that this booking is already inside
    the cutoff."""
    if not cutoff:
        return t._("You can cancel or change it any time before it starts.")
    until = start - cutoff
    if until <= now:
        return t._(
            "⚠️ This time is less than {duration} away: once booked, it cannot be "
            "cancelled or changed here.",
            duration=t.duration(cutoff),
        )
    return t._("Free cancellation until {when}.", when=short_when(t, until, tz))
