"""The Google event a booking is written as: times in the business zone, the business address,
title and description from the business's templates, the customer as attendee and a Meet link
when switched on, and a private extended property that marks the event as the bot's."""

from __future__ import annotations

from typing import Any

from bot.business import BusinessSettings
from bot.domain import event_template
from bot.domain.money import format_money
from storage.records import BookingRecord

OWNER_KEY = "bookbot_booking"
"""``extendedProperties.private`` key holding the booking id of an event the bot wrote."""


def template_values(booking: BookingRecord) -> dict[str, str]:
    """What each template placeholder stands for, for this booking."""
    return {
        "service": booking.service_name,
        "customer_name": booking.customer_name,
        "customer_phone": booking.customer_phone or "",
        "customer_email": booking.customer_email or "",
        "staff": booking.staff_name,
        "booking_ref": booking.id,
        "price": format_money(booking.price_minor, booking.currency) if booking.price_minor else "",
        "notes": "",  # bookings have no notes yet; the placeholder renders empty
    }


def event_fields(booking: BookingRecord, business: BusinessSettings) -> dict[str, Any]:
    """The fields the bot owns on the event (sent on insert and on every patch)."""
    tz = business.tz
    values = template_values(booking)
    fields: dict[str, Any] = {
        "summary": event_template.render(business.event_title, values) or booking.service_name,
        "description": event_template.render(business.event_description, values),
        "start": {"dateTime": booking.start.astimezone(tz).isoformat(), "timeZone": tz.key},
        "end": {"dateTime": booking.end.astimezone(tz).isoformat(), "timeZone": tz.key},
        "extendedProperties": {"private": {OWNER_KEY: booking.id}},
    }
    if business.address:
        fields["location"] = business.address
    if business.event_invite_customer and booking.customer_email:
        fields["attendees"] = [
            {"email": booking.customer_email, "displayName": booking.customer_name}
        ]
    return fields


def new_event(booking: BookingRecord, business: BusinessSettings) -> dict[str, Any]:
    """The whole event for ``events.insert``: its id is the booking id (base32hex), and with
    Meet on a ``createRequest`` whose request id is derived from the booking (a retried insert
    asks for the same conference, not a second one)."""
    event = {"id": booking.id, **event_fields(booking, business)}
    if business.event_meet:
        event["conferenceData"] = {
            "createRequest": {
                "requestId": f"bookbot-{booking.id}",
                "conferenceSolutionKey": {"type": "hangoutsMeet"},
            }
        }
    return event
