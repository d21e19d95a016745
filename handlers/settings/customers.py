"""Messages to customers about changes the business made to their bookings (cancelled,
moved, handed to another staff member), in the customer's language, with the `.ics` files
that update their calendar."""

from __future__ import annotations

import logging
from html import escape

from telegram.constants import ParseMode
from telegram.error import TelegramError

from handlers.context import BotContext
from handlers.language import texts_for_chat
from handlers.limits import shorten
from handlers.outputs import send_ics
from handlers.render import booking_details
from storage.reassign import Reassigned
from storage.records import BookingRecord

log = logging.getLogger(__name__)


async def tell_moved(context: BotContext, booking: BookingRecord) -> None:
    """Tell the customer the business moved their booking, with the updated .ics."""
    services = context.services
    business = await services.booking.business()
    t = await texts_for_chat(services, booking.customer_telegram_id)
    text = t._(
        "🕘 <b>Your booking was moved</b> by {business}.\n\n{details}",
        business=escape(shorten(business.name, 100)),
        details=booking_details(t, booking, business.tz, address=business.address),
    )
    try:
        chat = booking.customer_telegram_id
        await context.bot.send_message(chat, text, parse_mode=ParseMode.HTML)
        await send_ics(context, chat, booking, business, "PUBLISH")
    except TelegramError as err:
        log.info("could not tell a customer about a move: %s", err)


async def tell_reassigned(context: BotContext, handed: Reassigned) -> None:
    """Tell the customer who now takes their booking: the old entry's cancelling .ics, then
    the new one."""
    services = context.services
    business = await services.booking.business()
    booking = handed.booking
    t = await texts_for_chat(services, booking.customer_telegram_id)
    text = t._(
        "👤 <b>Your booking is now with {staff}</b> (same time).\n\n{details}",
        staff=escape(shorten(booking.staff_name, 60)),
        details=booking_details(t, booking, business.tz, address=business.address),
    )
    try:
        chat = booking.customer_telegram_id
        await context.bot.send_message(chat, text, parse_mode=ParseMode.HTML)
        await send_ics(context, chat, handed.cancelled, business, "CANCEL")
        await send_ics(context, chat, booking, business, "PUBLISH")
    except TelegramError as err:
        log.info("could not tell a customer about a new staff member: %s", err)


async def tell_cancelled(context: BotContext, booking: BookingRecord) -> None:
    """Tell the customer the business cancelled their booking, with a cancelling .ics."""
    services = context.services
    business = await services.booking.business()
    t = await texts_for_chat(services, booking.customer_telegram_id)
    text = t._(
        "❌ <b>Your booking was cancelled</b> by {business}. We are sorry.\n\n{details}\n\n"
        "You are welcome to book another time with /start.",
        business=escape(shorten(business.name, 100)),
        details=booking_details(t, booking, business.tz, address=business.address),
    )
    try:
        await context.bot.send_message(
            booking.customer_telegram_id, text, parse_mode=ParseMode.HTML
        )
        await send_ics(context, booking.customer_telegram_id, booking, business, "CANCEL")
    except TelegramError as err:
        log.info("could not tell a customer about a cancellation: %s", err)
