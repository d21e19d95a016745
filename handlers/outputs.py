"""What a customer receives about a booking: details, 'Add to Google Calendar', an .ics file."""

from __future__ import annotations

from typing import Literal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update

from bot.business import BusinessSettings
from bot.domain.calendar_links import google_calendar_url
from bot.domain.ics import IcsEvent, booking_ics, ics_filename
from bot.outbound import Attachment
from handlers import callbacks as cb
from handlers import render
from handlers.common import show
from handlers.context import BotContext
from handlers.keyboards import button
from storage.records import BookingRecord

ICS_DOMAIN = "bookbot"


def _ics_event(booking: BookingRecord, business: BusinessSettings) -> IcsEvent:
    title = f"{booking.service_name} – {business.name}"
    return IcsEvent(
        uid=f"{booking.id}@{ICS_DOMAIN}",
        sequence=booking.sequence,
        start=booking.start,
        end=booking.end,
        summary=title,
        description=f"{booking.service_name} with {booking.staff_name}",
        location=business.address,
        organizer_name=business.name,
        dtstamp=booking.updated_at,
        status="CONFIRMED" if booking.is_active else "CANCELLED",
    )


def ics_attachment(
    booking: BookingRecord, business: BusinessSettings, method: Literal["PUBLISH", "CANCEL"]
) -> Attachment:
    """The booking as an .ics file (same UID every time, so calendars update it)."""
    caption = (
        "Open this file to add the booking to your calendar."
        if method == "PUBLISH"
        else "Open this file to remove the booking from your calendar."
    )
    return Attachment(
        filename=ics_filename(booking.service_name, booking.start),
        data=booking_ics(_ics_event(booking, business), method=method),
        caption=caption,
    )


async def send_ics(
    context: BotContext,
    chat_id: int,
    booking: BookingRecord,
    business: BusinessSettings,
    method: Literal["PUBLISH", "CANCEL"],
) -> None:
    """Send the booking as an .ics file (same UID every time, so calendars update it)."""
    attachment = ics_attachment(booking, business, method)
    await context.bot.send_document(
        chat_id,
        InputFile(attachment.data, filename=attachment.filename),
        caption=attachment.caption,
    )


def calendar_button(booking: BookingRecord, business: BusinessSettings) -> InlineKeyboardButton:
    """The 'Add to Google Calendar' URL button."""
    url = google_calendar_url(
        title=f"{booking.service_name} – {business.name}",
        start=booking.start,
        end=booking.end,
        details=f"{booking.service_name} with {booking.staff_name}. Booked via Telegram.",
        location=business.address,
    )
    return InlineKeyboardButton("📅 Add to Google Calendar", url=url)


async def send_confirmation(update: Update, context: BotContext, booking: BookingRecord) -> None:
    """The confirmation message and its .ics file."""
    await send_booking_message(update, context, booking, "✅ <b>You're booked!</b>", "PUBLISH")


async def send_booking_message(
    update: Update,
    context: BotContext,
    booking: BookingRecord,
    headline: str,
    method: Literal["PUBLISH", "CANCEL"],
) -> None:
    """A headline with the booking details and buttons (replacing the pressed message), then
    the matching .ics file."""
    chat = update.effective_chat
    assert chat is not None
    business = await context.services.booking.business()
    rows = []
    if method == "PUBLISH":
        rows.append([calendar_button(booking, business)])
    rows.append([button("📋 My bookings", cb.ShowMyBookings())])
    text = f"{headline}\n\n{render.booking_details(booking, business.tz, address=business.address)}"
    await show(update, context, text, InlineKeyboardMarkup(rows))
    await send_ics(context, chat.id, booking, business, method)
