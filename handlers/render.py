"""Texts the bot sends: HTML-escaped, times in the business zone with the zone named."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from bot.domain.money import format_money
from handlers.limits import shorten
from storage.records import BookingRecord, ServiceRecord

NAME_LIMIT = 100
DESCRIPTION_LIMIT = 1500
LIST_DESCRIPTION = 300

HELP = (
    "<b>What I can do</b>\n"
    "/start – book an appointment\n"
    "/mybookings – see, cancel or reschedule your bookings\n"
    "/cancel – stop what we are doing\n"
    "/help – this message"
)
STAFF_HELP = (
    "\n\n<b>For staff</b>\n"
    "/hours – your weekly hours\n"
    "/dayoff – take a day or some days off\n"
    "/connect – link your Google Calendar\n"
    "/calendars – choose where bookings go and which calendars block your time\n"
    "/disconnect – sign out from Google\n"
    "/agenda – your bookings today, tomorrow or this week, and your daily agenda"
)
ADMIN_HELP = (
    "\n\n<b>For admins</b>\n/settings – run the business: services, staff, hours, admins\n"
    "/invite &lt;staff name&gt; – a link for a staff member\n"
    "/links – a link to each service, to share"
)


def money(minor: int, currency: str) -> str:
    """4500, 'EUR' -> '45.00 EUR'; 4500, 'JPY' -> '4500 JPY' (the currency's own decimals)."""
    return format_money(minor, currency)


def duration(value: timedelta) -> str:
    """timedelta(minutes=90) -> '1 h 30 min'."""
    minutes = int(value.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def when(moment: datetime, tz: ZoneInfo) -> str:
    """'Tue 24 Nov 2026, 14:30 (Europe/Helsinki)'."""
    local = moment.astimezone(tz)
    return f"{local:%a %d %b %Y, %H:%M} ({tz.key})"


def short_when(moment: datetime, tz: ZoneInfo) -> str:
    """'Tue 24 Nov 14:30' for buttons."""
    return f"{moment.astimezone(tz):%a %d %b %H:%M}"


def clock_time(moment: datetime, tz: ZoneInfo) -> str:
    """'14:30' in the business zone."""
    return f"{moment.astimezone(tz):%H:%M}"


def service_line(service: ServiceRecord, *, description_limit: int = DESCRIPTION_LIMIT) -> str:
    """'<b>Haircut</b> · 45 min · 45.00 EUR' and the description, both shortened to fit."""
    line = (
        f"<b>{escape(shorten(service.name, NAME_LIMIT))}</b> · {duration(service.duration)} · "
        f"{money(service.price_minor, service.currency)}"
    )
    if service.description:
        line += f"\n<i>{escape(shorten(service.description, description_limit))}</i>"
    return line


def booking_details(booking: BookingRecord, tz: ZoneInfo, *, address: str = "") -> str:
    """The details block of a booking."""
    lines = [
        f"<b>{escape(shorten(booking.service_name, NAME_LIMIT))}</b> with "
        f"{escape(shorten(booking.staff_name, NAME_LIMIT))}",
        f"🗓 {when(booking.start, tz)}",
        f"⏱ {duration(booking.end - booking.start)} · "
        f"{money(booking.price_minor, booking.currency)}",
        f"👤 {escape(shorten(booking.customer_name, NAME_LIMIT))}",
    ]
    if booking.customer_phone:
        lines.append(f"📱 {escape(booking.customer_phone)}")
    if booking.customer_email:
        lines.append(f"✉️ {escape(booking.customer_email)}")
    if address:
        lines.append(f"📍 {escape(shorten(address, 300))}")
    return "\n".join(lines)


def cutoff_text(cutoff: timedelta) -> str:
    """Why a booking cannot be changed any more."""
    return (
        f"Bookings can be changed or cancelled up to {duration(cutoff)} before they start. "
        "Please contact us directly to change this one."
    )
