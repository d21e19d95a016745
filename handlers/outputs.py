"""What a customer receives about a booking: details, 'Add to Google Calendar', an .ics file."""

from __future__ import annotations

from datetime import timedelta
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
from handlers.i18n import Texts
from handlers.keyboards import button
from handlers.language import texts_for_chat, texts_of
from handlers.localized import booking_for
from storage.records import BookingRecord

ICS_DOMAIN = "bookbot"
ICS_ALARMS = (timedelta(days=1), timedelta(hours=1))  # reminders in the customer's calendar


def _ics_event(t: Texts, booking: BookingRecord, business: BusinessSettings) -> IcsEvent:
    title = f"{booking.service_name} – {business.name}"
    return IcsEvent(
        uid=f"{booking.id}@{ICS_DOMAIN}",
        sequence=booking.sequence,
        start=booking.start,
        end=booking.end,
        summary=title,
        description=t._(
            "{service} with {staff}", service=booking.service_name, staff=booking.staff_name
        ),
        location=business.address,
        organizer_name=business.name,
        organizer_email=business.contact_email,
        dtstamp=booking.updated_at,
        status="CONFIRMED" if booking.is_active else "CANCELLED",
        alarms=ICS_ALARMS,
        alarm_text=t._("Reminder: {title}", title=title),
    )


def ics_attachment(
    t: Texts,
    booking: BookingRecord,
    business: BusinessSettings,
    method: Literal["PUBLISH", "CANCEL"],
) -> Attachment:
    """The booking as an .ics file (same UID every time, so calendars update it); its name
    says the local day and time."""
    caption = (
        t._("Open this file to add the booking to your calendar.")
        if method == "PUBLISH"
        else t._("Open this file to remove the booking from your calendar.")
    )
    return Attachment(
        filename=ics_filename(booking.service_name, booking.start.astimezone(business.tz)),
        data=booking_ics(_ics_event(t, booking, business), method=method),
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
    t = await texts_for_chat(context.services, chat_id)
    attachment = ics_attachment(t, booking, business, method)
    await context.bot.send_document(
        chat_id,
        InputFile(attachment.data, filename=attachment.filename),
        caption=attachment.caption,
    )


def calendar_url(t: Texts, booking: BookingRecord, business: BusinessSettings) -> str:
    """Google Calendar's "add this event" link for the booking."""
    return google_calendar_url(
        title=f"{booking.service_name} – {business.name}",
        start=booking.start,
        end=booking.end,
        details=t._(
            "{service} with {staff}. Booked via Telegram.",
            service=booking.service_name,
            staff=booking.staff_name,
        ),
        location=business.address,
    )


def calendar_button(
    t: Texts, booking: BookingRecord, business: BusinessSettings
) -> InlineKeyboardButton:
    """The 'Add to Google Calendar' URL button."""
    return InlineKeyboardButton(
        t._("📅 Add to Google Calendar"), url=calendar_url(t, booking, business)
    )


async def send_confirmation(update: Update, context: BotContext, booking: BookingRecord) -> None:
    """The confirmation message and its .ics file."""
    t = await texts_of(update, context)
    await send_booking_message(update, context, booking, t._("✅ <b>You're booked!</b>"), "PUBLISH")


async def send_booking_message(
    update: Update,
    context: BotContext,
    booking: BookingRecord,
    headline: str,
    method: Literal["PUBLISH", "CANCEL"],
) -> None:
    """A headline with the booking details and buttons (replacing the pressed message), then
    the matching .ics file."""
    t = await texts_of(update, context)
    chat = update.effective_chat
    assert chat is not None
    business = await context.services.booking.business()
    booking = await booking_for(context.services, t, booking)
    rows = []
    if method == "PUBLISH":
        rows.append([calendar_button(t, booking, business)])
    rows.append([button(t._("📋 My bookings"), cb.ShowMyBookings())])
    details = render.booking_details(t, booking, business.tz, address=business.address)
    await show(update, context, f"{headline}\n\n{details}", InlineKeyboardMarkup(rows))
    await send_ics(context, chat.id, booking, business, method)
