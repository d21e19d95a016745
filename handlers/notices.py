"""Texts of the messages the bot sends outside a conversation, one renderer per notice.

`render(notice)` turns an event from `bot.notices` into `bot.outbound` messages (recipient
and content as plain data); the composition root sends them.
"""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from bot.notices import (
    BookingCancelledInGoogle,
    BookingMovedInGoogle,
    CalendarWriteFailed,
    GoogleAccessLost,
    GoogleConnected,
    GoogleMoveRefused,
    GoogleSignInFailed,
    Notice,
    VideoLinkReady,
)
from bot.outbound import Button, OutboundMessage
from bot.staff_link import RefusalReason, Refused
from handlers import callbacks as cb
from handlers.limits import shorten
from handlers.outputs import ics_attachment
from handlers.render import booking_details
from handlers.render import when as wall_time

_AGAIN = " Nothing was stored. Use /connect to try again."
_NEW_INVITE = " Please ask the admin for a new one."
_RESTART = " Please start again with /connect."
_REFUSALS: dict[RefusalReason, str] = {
    "invite_unknown": "This invite link is not valid." + _NEW_INVITE,
    "invite_used": "This invite link was already used." + _NEW_INVITE,
    "invite_expired": "This invite link has expired." + _NEW_INVITE,
    "invite_taken": "Your Telegram account is already linked to another staff member.",
    "google_off": "Google sign-in is not set up on this bot.",
    "no_state": "The sign-in response has no state; please start again from Telegram.",
    "state_unknown": "This sign-in link is not valid." + _RESTART,
    "state_used": "This sign-in link was already used." + _RESTART,
    "state_expired": "This sign-in link has expired (they last 10 minutes)." + _RESTART,
    "staff_gone": "This staff member no longer exists.",
    "declined": "You declined access to Google Calendar." + _AGAIN,
    "google_problem": "Google reported a problem with the sign-in." + _AGAIN,
    "no_code": "The sign-in response has no code. Use /connect to try again.",
    "exchange_failed": "Google did not accept the sign-in (the code may have expired)." + _AGAIN,
    "no_offline_access": "Google did not grant offline access, so bookings could not sync "
    "later. Use /connect to try again.",
}


# Bounds for what people typed or named, so every message stays far below Telegram's 4096
# characters even after HTML escaping (which can make a text up to 5x longer).
_QUERY_CHARS = 60
_NAMES_CHARS = 600


def refusal_text(refused: Refused) -> str:
    """Why a staff-linking request was refused, in plain text (escape it for HTML)."""
    query = shorten(refused.query, _QUERY_CHARS)
    if refused.reason == "no_such_staff":
        names = shorten(", ".join(refused.staff_names), _NAMES_CHARS) or "none yet"
        return f"No staff member called “{query}”. Staff: {names}."
    if refused.reason == "several_staff":
        return f"Several staff members match “{query}”; use their id instead."
    return _REFUSALS[refused.reason]


def render(notice: Notice) -> list[OutboundMessage]:
    """The messages that tell everyone concerned about `notice`."""
    if isinstance(notice, GoogleConnected):
        return [_connected(notice)]
    if isinstance(notice, GoogleSignInFailed):
        return [
            OutboundMessage(
                chat_id=notice.staff_chat_id,
                html="❌ Google sign-in failed: "
                + escape(refusal_text(Refused(reason=notice.reason))),
            )
        ]
    if isinstance(notice, CalendarWriteFailed):
        return _write_failed(notice)
    if isinstance(notice, VideoLinkReady):
        return [_video_link(notice)]
    if isinstance(notice, GoogleMoveRefused):
        return _move_refused(notice)
    if isinstance(notice, BookingMovedInGoogle):
        return _moved(notice)
    if isinstance(notice, BookingCancelledInGoogle):
        return _cancelled(notice)
    return _access_lost(notice)


def _video_link(notice: VideoLinkReady) -> OutboundMessage:
    zone = ZoneInfo(notice.timezone)
    when = notice.start.astimezone(zone).strftime("%a %d %b %Y, %H:%M")
    url = shorten(notice.url, 500)
    # Only a plain https link becomes a button: Telegram refuses a message whose button URL
    # it cannot use, and the link comes from outside.
    https = notice.url == url and url.startswith("https://") and " " not in url
    return OutboundMessage(
        chat_id=notice.customer_chat_id,
        html=(
            f"🎥 The video call link for {escape(shorten(notice.service_name, 100))} on {when} "
            f"({escape(notice.timezone)}):\n{escape(url)}"
        ),
        buttons=((Button(text="Join the video call", url=url),),) if https else (),
    )


def _write_failed(notice: CalendarWriteFailed) -> list[OutboundMessage]:
    when = notice.start.astimezone(ZoneInfo(notice.timezone)).strftime("%a %d %b %H:%M")
    what = "cancellation" if notice.cancelled else "booking"
    text = (
        f"⚠️ A {what} could not be written to {escape(shorten(notice.staff_name, _QUERY_CHARS))}'s "
        f"Google Calendar and will not be retried: {escape(shorten(notice.service_name, 100))}, "
        f"{when} (ref <code>{escape(notice.booking_id)}</code>).\n"
        f"Google said: {escape(shorten(notice.reason, 300))}\n"
        "Please check the calendar by hand; <code>bookbot doctor</code> lists these."
    )
    return [OutboundMessage(chat_id=admin, html=text) for admin in notice.admin_chat_ids]


def _move_refused(notice: GoogleMoveRefused) -> list[OutboundMessage]:
    if notice.staff_chat_id is None:
        return []
    booking, tz = notice.booking, notice.business.tz
    return [
        OutboundMessage(
            chat_id=notice.staff_chat_id,
            html=f"⚠️ {escape(shorten(booking.service_name, 60))} with "
            f"{escape(shorten(booking.customer_name, 60))} was not moved to "
            f"{escape(wall_time(notice.wanted_start, tz))}: another booking holds that time. "
            f"It stays at {escape(wall_time(booking.start, tz))}, and its event in Google "
            "Calendar is being put back there. The customer was not told anything.",
        )
    ]


def _moved(notice: BookingMovedInGoogle) -> list[OutboundMessage]:
    booking, business = notice.booking, notice.business
    details = booking_details(booking, business.tz, address=business.address)
    messages = []
    if booking.customer_telegram_id is not None:
        messages.append(
            OutboundMessage(
                chat_id=booking.customer_telegram_id,
                html="🔁 <b>Your booking was moved</b> to "
                f"{escape(wall_time(booking.start, business.tz))}.\n\n{details}",
                buttons=(
                    (Button(text="📋 My bookings", callback_data=cb.ShowMyBookings().pack()),),
                ),
                attachment=ics_attachment(booking, business, "PUBLISH"),
            )
        )
    if notice.staff_chat_id is not None:
        messages.append(
            OutboundMessage(
                chat_id=notice.staff_chat_id,
                html=f"✅ Moved in Google Calendar: {escape(shorten(booking.service_name, 60))} "
                f"with {escape(shorten(booking.customer_name, 60))} is now at "
                f"{escape(wall_time(booking.start, business.tz))}. The customer was told.",
            )
        )
    return messages


def _cancelled(notice: BookingCancelledInGoogle) -> list[OutboundMessage]:
    booking, business = notice.booking, notice.business
    details = booking_details(booking, business.tz, address=business.address)
    messages = []
    if booking.customer_telegram_id is not None:
        messages.append(
            OutboundMessage(
                chat_id=booking.customer_telegram_id,
                html="❌ <b>Your booking was cancelled</b> by "
                f"{escape(shorten(booking.staff_name, 60))}.\n\n{details}"
                "\n\nYou are welcome to book another time.",
                buttons=((Button(text="📅 Book again", callback_data=cb.ShowServices().pack()),),),
                attachment=ics_attachment(booking, business, "CANCEL"),
            )
        )
    if notice.staff_chat_id is not None:
        messages.append(
            OutboundMessage(
                chat_id=notice.staff_chat_id,
                html=f"✅ Deleted in Google Calendar: {escape(shorten(booking.service_name, 60))} "
                f"with {escape(shorten(booking.customer_name, 60))} at "
                f"{escape(wall_time(booking.start, business.tz))} is cancelled. "
                "The customer was told.",
            )
        )
    return messages


def _connected(notice: GoogleConnected) -> OutboundMessage:
    text = f"✅ Google Calendar connected as <b>{escape(shorten(notice.email, 320))}</b>."
    if notice.missing:
        text += (
            "\n\n⚠️ Some permissions were not granted, so these will not work:\n"
            + "\n".join(f"• {escape(m)}" for m in notice.missing)
            + "\nSend /connect to grant them."
        )
    text += "\n\nNext: choose where bookings go and which calendars block your time."
    choose = Button(text="📅 Choose calendars", callback_data=cb.CalStart().pack())
    return OutboundMessage(chat_id=notice.staff_chat_id, html=text, buttons=((choose,),))


def _access_lost(notice: GoogleAccessLost) -> list[OutboundMessage]:
    messages = []
    if notice.staff_chat_id is not None:
        buttons = (
            ((Button(text="Sign in with Google again", url=notice.reconnect_url),),)
            if notice.reconnect_url
            else ()
        )
        messages.append(
            OutboundMessage(
                chat_id=notice.staff_chat_id,
                html="⚠️ Your Google Calendar connection stopped working (access was revoked or "
                "expired). New bookings will not reach your calendar until you sign in again.",
                buttons=buttons,
            )
        )
    told = (
        "they were sent a new sign-in link"
        if notice.staff_chat_id is not None
        else "they are not linked in Telegram yet: /invite them, then they /connect"
    )
    messages += [
        OutboundMessage(
            chat_id=admin,
            html=f"⚠️ {escape(shorten(notice.staff_name, _QUERY_CHARS))}'s Google Calendar "
            f"connection stopped working; {told}.",
        )
        for admin in notice.admin_chat_ids
    ]
    return messages
