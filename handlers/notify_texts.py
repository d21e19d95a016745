"""Texts of queued messages (reminders, agendas, staff messages, confirmations, notices),
rendered when they are sent, in the recipient's language and from the data as it is then.

`QueueRenderer` implements `bot.notify.dispatcher.Renderer`. A reminder of a booking that was
cancelled, or moved (its new time has reminders of its own), renders to `Drop`; so does an
agenda the staff member does not want (turned off, or "only when I have bookings" on an
empty day).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from html import escape
from zoneinfo import ZoneInfo

from bot.business import BusinessSettings
from bot.notify import notice_codec
from bot.notify.dispatcher import Drop
from bot.notify.planner import staff_zone
from bot.outbound import Button, OutboundMessage
from bot.services import Services
from handlers import callbacks as cb
from handlers import notices as notice_texts
from handlers import render
from handlers.agenda_callbacks import AgendaSettings, ShowAgenda
from handlers.i18n import N_, Texts
from handlers.language import texts_for_chat
from handlers.limits import MAX_MESSAGE, shorten, visible_len
from handlers.outputs import calendar_url, ics_attachment
from storage.notifications import Notification
from storage.records import BookingRecord, from_epoch

NAME_LIMIT = 60
CONTACT_LIMIT = 120
# Room kept for the heading and the "… and N more" line of a long agenda.
AGENDA_RESERVE = 300

WHO: dict[str, str] = {
    "customer": N_("Made by the customer."),
    "admin": N_("Made by an admin."),
    "staff": N_("Made by staff."),
    "google": N_("Made in Google Calendar."),
    "system": N_("Made by the bot."),
}


def when(t: Texts, moment: datetime, tz: ZoneInfo) -> str:
    """A moment in the zone `tz`, the zone named: 'Tue, Nov 24, 2026, 14:30 (Helsinki time)'."""
    return render.when_in_zone(t, moment, tz)


def zone_note(t: Texts, tz: ZoneInfo, business_zone: ZoneInfo) -> str:
    """The line under an agenda's heading naming the staff member's own zone ('' when the
    agenda is in the business's zone, as it always was)."""
    if tz.key == business_zone.key:
        return ""
    return "\n" + t._("🌍 All times are {zone}.", zone=t.zone(tz))


def _contact(t: Texts, booking: BookingRecord) -> str:
    lines = [t._("Customer: {name}", name=escape(shorten(booking.customer_name, NAME_LIMIT)))]
    if booking.customer_phone:
        phone = escape(shorten(booking.customer_phone, CONTACT_LIMIT))
        lines.append(t._("Phone: {phone}", phone=phone))
    if booking.customer_email:
        email = escape(shorten(booking.customer_email, CONTACT_LIMIT))
        lines.append(t._("E-mail: {email}", email=email))
    return "\n".join(lines)


def _span(t: Texts, booking: BookingRecord, tz: ZoneInfo) -> str:
    return t._(
        "{start}–{end}",
        start=t.clock(booking.start, tz),
        end=t.clock(booking.end, tz),
    )


def agenda_text(
    t: Texts, heading: str, days: Sequence[tuple[date, Sequence[BookingRecord]]], tz: ZoneInfo
) -> str:
    """A staff member's bookings day by day, in order, with the gaps between them and each
    customer's contact; cut with "… and N more" to fit one message."""
    parts = [heading]
    used = visible_len(heading)
    total = sum(len(bookings) for _, bookings in days)
    shown = 0
    for day, bookings in days:
        block = ["", f"<b>{escape(t.date(day, 'full'))}</b>"]
        if not bookings:
            block.append(t._("No bookings."))
        previous_end: datetime | None = None
        for booking in bookings:
            if previous_end is not None and booking.start > previous_end:
                block.append(
                    t._(
                        "☕ free {start}–{end}",
                        start=t.clock(previous_end, tz),
                        end=t.clock(booking.start, tz),
                    )
                )
            previous_end = max(previous_end or booking.end, booking.end)
            line = t._(
                "🕘 <b>{span}</b> {service}",
                span=_span(t, booking, tz),
                service=escape(shorten(booking.service_name, NAME_LIMIT)),
            )
            entry = line + "\n" + _contact(t, booking)
            size = visible_len(entry) + visible_len("\n".join(block)) + 2
            if used + size > MAX_MESSAGE - AGENDA_RESERVE:
                parts.extend(block)
                more = total - shown
                parts.append(t.n_("… and {n} more booking", "… and {n} more bookings", more))
                return "\n".join(parts)
            block.append(entry)
            shown += 1
        text = "\n".join(block)
        used += visible_len(text) + 1
        parts.append(text)
    return "\n".join(parts)


def agenda_keyboard(t: Texts) -> tuple[tuple[Button, ...], ...]:
    """Today, Tomorrow, This week, and the daily agenda's settings."""
    return (
        (
            Button(text=t._("Today"), callback_data=ShowAgenda(cb.Token("today")).pack()),
            Button(text=t._("Tomorrow"), callback_data=ShowAgenda(cb.Token("tomorrow")).pack()),
            Button(text=t._("This week"), callback_data=ShowAgenda(cb.Token("week")).pack()),
        ),
        (Button(text=t._("⚙️ Daily agenda"), callback_data=AgendaSettings().pack()),),
    )


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[local midnight, next local midnight) of a day, DST-correct."""
    start = datetime.combine(day, time(), tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)


class QueueRenderer:
    """`bot.notify.dispatcher.Renderer` over the bot's services."""

    def __init__(self, services: Services) -> None:
        self._services = services

    async def render(self, item: Notification) -> Sequence[OutboundMessage] | Drop:
        assert item.chat_id is not None
        t = await texts_for_chat(self._services, item.chat_id)
        business = await self._services.booking.business()
        if item.kind == "notice":
            return await self._notice(item, t)
        if item.kind == "agenda":
            return await self._agenda(item, t, business)
        booking = (
            await self._services.booking.bookings.get(item.booking_id) if item.booking_id else None
        )
        if booking is None:
            return Drop("no booking")
        if item.kind == "reminder":
            return await self._reminder(item, t, business, booking)
        if item.kind == "confirmation":
            return self._confirmation(item, t, business, booking)
        if item.kind == "staff_change":
            tz = await self._staff_zone(booking.staff_id, business)
            return [self._staff_change(item, t, tz, booking)]
        return Drop("unknown kind")

    async def _reminder(
        self, item: Notification, t: Texts, business: BusinessSettings, booking: BookingRecord
    ) -> Sequence[OutboundMessage] | Drop:
        if not booking.is_active:
            return Drop("cancelled")
        planned = item.payload.get("start")
        if planned != int(booking.start.timestamp()):
            return Drop("moved")  # the booking's new time has reminders of its own
        tz = business.tz
        text = t._(
            "⏰ <b>Reminder</b>: {service} with {staff}, {when}.",
            service=escape(shorten(booking.service_name, NAME_LIMIT)),
            staff=escape(shorten(booking.staff_name, NAME_LIMIT)),
            when=when(t, booking.start, tz),
        )
        if business.address:
            address = escape(shorten(business.address, 300))
            text += "\n" + t._("Address: {address}", address=address)
        bid = cb.BookingId(booking.id)
        too_late = await self._services.booking.can_change(booking)
        buttons: tuple[tuple[Button, ...], ...]
        if too_late is None:
            day = booking.start.astimezone(tz).date()
            buttons = (
                (
                    Button(text=t._("🔁 Reschedule"), callback_data=cb.MoveWeek(bid, day).pack()),
                    Button(text=t._("❌ Cancel"), callback_data=cb.AskCancel(bid).pack()),
                ),
            )
        else:
            hours = int(too_late.cutoff.total_seconds() // 3600)
            text += "\n\n" + t.n_(
                "It can no longer be changed here (changes close {n} hour before); "
                "please contact us directly.",
                "It can no longer be changed here (changes close {n} hours before); "
                "please contact us directly.",
                hours,
            )
            buttons = (
                (Button(text=t._("📋 My bookings"), callback_data=cb.ShowMyBookings().pack()),),
            )
        return [OutboundMessage(chat_id=booking.customer_telegram_id, html=text, buttons=buttons)]

    def _confirmation(
        self, item: Notification, t: Texts, business: BusinessSettings, booking: BookingRecord
    ) -> Sequence[OutboundMessage] | Drop:
        if not booking.is_active:
            return Drop("cancelled")
        details = render.booking_details(t, booking, business.tz, address=business.address)
        url = calendar_url(t, booking, business)
        return [
            OutboundMessage(
                chat_id=booking.customer_telegram_id,
                html=t._("✅ <b>You're booked!</b>") + "\n\n" + details,
                buttons=(
                    (Button(text=t._("📅 Add to Google Calendar"), url=url),),
                    (Button(text=t._("📋 My bookings"), callback_data=cb.ShowMyBookings().pack()),),
                ),
                attachment=ics_attachment(t, booking, business, "PUBLISH"),
            )
        ]

    async def _staff_zone(self, staff_id: int, business: BusinessSettings) -> ZoneInfo:
        preference = await self._services.notifications.agenda_preference(staff_id)
        return staff_zone(preference, business.tz)

    def _staff_change(
        self, item: Notification, t: Texts, tz: ZoneInfo, booking: BookingRecord
    ) -> OutboundMessage:
        """A staff member's message about their booking, in their zone."""
        action = item.payload.get("action")
        service = escape(shorten(booking.service_name, NAME_LIMIT))
        previous = item.payload.get("previous_start")
        if action == "rescheduled" and isinstance(previous, int):
            headline = t._(
                "🔁 <b>Booking moved</b>: {service}, from {old} to {new}.",
                service=service,
                old=when(t, from_epoch(previous), tz),
                new=when(t, booking.start, tz),
            )
        elif action == "cancelled":
            headline = t._(
                "❌ <b>Booking cancelled</b>: {service}, {when}.",
                service=service,
                when=when(t, booking.start, tz),
            )
        else:
            headline = t._(
                "🆕 <b>New booking</b>: {service}, {when}.",
                service=service,
                when=when(t, booking.start, tz),
            )
        who = t._(WHO.get(str(item.payload.get("origin")), WHO["system"]))
        return OutboundMessage(
            chat_id=item.chat_id or 0,
            html=f"{headline}\n{_contact(t, booking)}\n{who}",
            buttons=(
                (
                    Button(
                        text=t._("📅 Today's agenda"),
                        callback_data=ShowAgenda(cb.Token("today")).pack(),
                    ),
                ),
            ),
        )

    async def _agenda(
        self, item: Notification, t: Texts, business: BusinessSettings
    ) -> Sequence[OutboundMessage] | Drop:
        services = self._services
        staff_id = item.payload.get("staff_id")
        day_text = item.payload.get("day")
        if not isinstance(staff_id, int) or not isinstance(day_text, str):
            return Drop("bad payload")
        staff = await services.booking.catalog.staff_member(staff_id)
        if staff is None or not staff.active or staff.telegram_user_id != item.chat_id:
            return Drop("not linked")
        preference = await services.notifications.agenda_preference(staff_id)
        if preference.mode == "off":
            return Drop("off")
        day = date.fromisoformat(day_text)
        tz = staff_zone(preference, business.tz)
        bookings = await services.booking.bookings.of_staff(staff_id, *day_bounds(day, tz))
        if not bookings and preference.mode == "busy":
            return Drop("no bookings")
        heading = t.n_(
            "☀️ <b>Good morning!</b> {n} booking today.",
            "☀️ <b>Good morning!</b> {n} bookings today.",
            len(bookings),
        )
        heading += zone_note(t, tz, business.tz)
        return [
            OutboundMessage(
                chat_id=item.chat_id or 0,
                html=agenda_text(t, heading, [(day, bookings)], tz),
                buttons=agenda_keyboard(t),
            )
        ]

    async def _notice(self, item: Notification, t: Texts) -> Sequence[OutboundMessage] | Drop:
        services = self._services
        notice = await notice_codec.decode(
            item.payload, booking=services.booking.bookings.get, business=services.booking.business
        )
        if notice is None:
            return Drop("notice gone")
        rendered = notice_texts.render(notice, lambda chat: t)  # one row, one chat
        messages = [m for m in rendered if m.chat_id == item.chat_id]
        return messages or Drop("no message")
