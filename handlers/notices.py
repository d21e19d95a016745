"""Texts of the messages the bot sends outside a conversation, one renderer per notice.

`render(notice, texts)` turns an event from `bot.notices` into `bot.outbound` messages
(recipient and content as plain data), each in its recipient's language (`texts(chat_id)`,
English by default); the composition root sends them.
"""

from __future__ import annotations

from collections.abc import Callable
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
from handlers.i18n import N_, Texts, texts_for
from handlers.limits import shorten
from handlers.outputs import ics_attachment
from handlers.render import booking_details, when_in_zone

ENGLISH = texts_for("en")
TextsOf = Callable[[int], Texts]
_REFUSALS: dict[RefusalReason, str] = {
    "invite_unknown": N_("This invite link is not valid. Please ask the admin for a new one."),
    "invite_used": N_("This invite link was already used. Please ask the admin for a new one."),
    "invite_expired": N_("This invite link has expired. Please ask the admin for a new one."),
    "invite_taken": N_("Your Telegram account is already linked to another staff member."),
    "google_off": N_("Google sign-in is not set up on this bot."),
    "no_state": N_("The sign-in response has no state; please start again from Telegram."),
    "state_unknown": N_("This sign-in link is not valid. Please start again with /connect."),
    "state_used": N_("This sign-in link was already used. Please start again with /connect."),
    "state_expired": N_(
        "This sign-in link has expired (they last 10 minutes). Please start again with /connect."
    ),
    "staff_gone": N_("This staff member no longer exists."),
    "declined": N_(
        "You declined access to Google Calendar. Nothing was stored. Use /connect to try again."
    ),
    "google_problem": N_(
        "Google reported a problem with the sign-in. Nothing was stored. Use /connect to try again."
    ),
    "no_code": N_("The sign-in response has no code. Use /connect to try again."),
    "exchange_failed": N_(
        "Google did not accept the sign-in (the code may have expired). Nothing was stored. "
        "Use /connect to try again."
    ),
    "no_offline_access": N_(
        "Google did not grant offline access, so bookings could not sync later. "
        "Use /connect to try again."
    ),
}


def _english(chat_id: int) -> Texts:
    return ENGLISH


# Bounds for what people typed or named, so every message stays far below Telegram's 4096
# characters even after HTML escaping (which can make a text up to 5x longer).
_QUERY_CHARS = 60
_NAMES_CHARS = 600


def refusal_text(refused: Refused, t: Texts = ENGLISH) -> str:
    """Why a staff-linking request was refused, in plain text (escape it for HTML)."""
    query = shorten(refused.query, _QUERY_CHARS)
    if refused.reason == "no_such_staff":
        names = shorten(", ".join(refused.staff_names), _NAMES_CHARS) or t._("none yet")
        return t._("No staff member called “{query}”. Staff: {names}.", query=query, names=names)
    if refused.reason == "several_staff":
        return t._("Several staff members match “{query}”; use their id instead.", query=query)
    return t._(_REFUSALS[refused.reason])


def render(notice: Notice, texts: TextsOf = _english) -> list[OutboundMessage]:
    """The messages that tell everyone concerned about `notice`, each in its recipient's
    language (`texts(chat_id)`)."""
    if isinstance(notice, GoogleConnected):
        return [_connected(notice, texts(notice.staff_chat_id))]
    if isinstance(notice, GoogleSignInFailed):
        t = texts(notice.staff_chat_id)
        return [
            OutboundMessage(
                chat_id=notice.staff_chat_id,
                html=t._(
                    "❌ Google sign-in failed: {reason}",
                    reason=escape(refusal_text(Refused(reason=notice.reason), t)),
                ),
            )
        ]
    if isinstance(notice, CalendarWriteFailed):
        return _write_failed(notice, texts)
    if isinstance(notice, VideoLinkReady):
        return [_video_link(notice, texts(notice.customer_chat_id))]
    if isinstance(notice, GoogleMoveRefused):
        return _move_refused(notice, texts)
    if isinstance(notice, BookingMovedInGoogle):
        return _moved(notice, texts)
    if isinstance(notice, BookingCancelledInGoogle):
        return _cancelled(notice, texts)
    return _access_lost(notice, texts)


def recipients(notice: Notice) -> set[int]:
    """Every chat a notice goes to (to look up their languages before rendering)."""
    return {message.chat_id for message in render(notice)}


def _video_link(notice: VideoLinkReady, t: Texts) -> OutboundMessage:
    zone = ZoneInfo(notice.timezone)
    url = shorten(notice.url, 500)
    # Only a plain https link becomes a button: Telegram refuses a message whose button URL
    # it cannot use, and the link comes from outside.
    https = notice.url == url and url.startswith("https://") and " " not in url
    return OutboundMessage(
        chat_id=notice.customer_chat_id,
        html=t._(
            "🎥 The video call link for {service} on {when}:\n{url}",
            service=escape(shorten(notice.service_name, 100)),
            when=when_in_zone(t, notice.start, zone),
            url=escape(url),
        ),
        buttons=((Button(text=t._("Join the video call"), url=url),),) if https else (),
    )


def _write_failed(notice: CalendarWriteFailed, texts: TextsOf) -> list[OutboundMessage]:
    zone = ZoneInfo(notice.timezone)
    messages = []
    for admin in notice.admin_chat_ids:
        t = texts(admin)
        params = {
            "staff": escape(shorten(notice.staff_name, _QUERY_CHARS)),
            "service": escape(shorten(notice.service_name, 100)),
            "when": when_in_zone(t, notice.start, zone),
            "ref": escape(notice.booking_id),
            "reason": escape(shorten(notice.reason, 300)),
        }
        text = (
            t._(
                "⚠️ A cancellation could not be written to {staff}'s Google Calendar and will "
                "not be retried: {service}, {when} (ref <code>{ref}</code>).\n"
                "Google said: {reason}\n"
                "Please check the calendar by hand; <code>bookbot doctor</code> lists these.",
                **params,
            )
            if notice.cancelled
            else t._(
                "⚠️ A booking could not be written to {staff}'s Google Calendar and will not "
                "be retried: {service}, {when} (ref <code>{ref}</code>).\n"
                "Google said: {reason}\n"
                "Please check the calendar by hand; <code>bookbot doctor</code> lists these.",
                **params,
            )
        )
        messages.append(OutboundMessage(chat_id=admin, html=text))
    return messages


def _move_refused(notice: GoogleMoveRefused, texts: TextsOf) -> list[OutboundMessage]:
    if notice.staff_chat_id is None:
        return []
    t = texts(notice.staff_chat_id)
    booking, tz = notice.booking, notice.business.tz
    return [
        OutboundMessage(
            chat_id=notice.staff_chat_id,
            html=t._(
                "⚠️ {service} with {customer} was not moved to {wanted}: another booking holds "
                "that time. It stays at {when}, and its event in Google Calendar is being put "
                "back there. The customer was not told anything.",
                service=escape(shorten(booking.service_name, 60)),
                customer=escape(shorten(booking.customer_name, 60)),
                wanted=when_in_zone(t, notice.wanted_start, tz),
                when=when_in_zone(t, booking.start, tz),
            ),
        )
    ]


def _moved(notice: BookingMovedInGoogle, texts: TextsOf) -> list[OutboundMessage]:
    booking, business = notice.booking, notice.business
    messages = []
    if booking.customer_telegram_id is not None:
        t = texts(booking.customer_telegram_id)
        details = booking_details(t, booking, business.tz, address=business.address)
        messages.append(
            OutboundMessage(
                chat_id=booking.customer_telegram_id,
                html=t._(
                    "🔁 <b>Your booking was moved</b> to {when}.",
                    when=when_in_zone(t, booking.start, business.tz),
                )
                + f"\n\n{details}",
                buttons=(
                    (Button(text=t._("📋 My bookings"), callback_data=cb.ShowMyBookings().pack()),),
                ),
                attachment=ics_attachment(t, booking, business, "PUBLISH"),
            )
        )
    if notice.staff_chat_id is not None:
        t = texts(notice.staff_chat_id)
        messages.append(
            OutboundMessage(
                chat_id=notice.staff_chat_id,
                html=t._(
                    "✅ Moved in Google Calendar: {service} with {customer} is now at {when}. "
                    "The customer was told.",
                    service=escape(shorten(booking.service_name, 60)),
                    customer=escape(shorten(booking.customer_name, 60)),
                    when=when_in_zone(t, booking.start, business.tz),
                ),
            )
        )
    return messages


def _cancelled(notice: BookingCancelledInGoogle, texts: TextsOf) -> list[OutboundMessage]:
    booking, business = notice.booking, notice.business
    messages = []
    if booking.customer_telegram_id is not None:
        t = texts(booking.customer_telegram_id)
        details = booking_details(t, booking, business.tz, address=business.address)
        messages.append(
            OutboundMessage(
                chat_id=booking.customer_telegram_id,
                html=t._(
                    "❌ <b>Your booking was cancelled</b> by {staff}.",
                    staff=escape(shorten(booking.staff_name, 60)),
                )
                + f"\n\n{details}\n\n"
                + t._("You are welcome to book another time."),
                buttons=(
                    (Button(text=t._("📅 Book again"), callback_data=cb.ShowServices().pack()),),
                ),
                attachment=ics_attachment(t, booking, business, "CANCEL"),
            )
        )
    if notice.staff_chat_id is not None:
        t = texts(notice.staff_chat_id)
        messages.append(
            OutboundMessage(
                chat_id=notice.staff_chat_id,
                html=t._(
                    "✅ Deleted in Google Calendar: {service} with {customer} at {when} is "
                    "cancelled. The customer was told.",
                    service=escape(shorten(booking.service_name, 60)),
                    customer=escape(shorten(booking.customer_name, 60)),
                    when=when_in_zone(t, booking.start, business.tz),
                ),
            )
        )
    return messages


def _connected(notice: GoogleConnected, t: Texts) -> OutboundMessage:
    text = t._(
        "✅ Google Calendar connected as <b>{email}</b>.",
        email=escape(shorten(notice.email, 320)),
    )
    if notice.missing:
        text += "\n\n" + t._(
            "⚠️ Some permissions were not granted, so these will not work:\n{missing}\n"
            "Send /connect to grant them.",
            missing="\n".join(f"• {escape(m)}" for m in notice.missing),
        )
    text += "\n\n" + t._("Next: choose where bookings go and which calendars block your time.")
    choose = Button(text=t._("📅 Choose calendars"), callback_data=cb.CalStart().pack())
    return OutboundMessage(chat_id=notice.staff_chat_id, html=text, buttons=((choose,),))


def _access_lost(notice: GoogleAccessLost, texts: TextsOf) -> list[OutboundMessage]:
    messages = []
    if notice.staff_chat_id is not None:
        t = texts(notice.staff_chat_id)
        buttons = (
            ((Button(text=t._("Sign in with Google again"), url=notice.reconnect_url),),)
            if notice.reconnect_url
            else ()
        )
        messages.append(
            OutboundMessage(
                chat_id=notice.staff_chat_id,
                html=t._(
                    "⚠️ Your Google Calendar connection stopped working (access was revoked or "
                    "expired). New bookings will not reach your calendar until you sign in again."
                ),
                buttons=buttons,
            )
        )
    for admin in notice.admin_chat_ids:
        t = texts(admin)
        staff = escape(shorten(notice.staff_name, _QUERY_CHARS))
        html = (
            t._(
                "⚠️ {staff}'s Google Calendar connection stopped working; they were sent a new "
                "sign-in link.",
                staff=staff,
            )
            if notice.staff_chat_id is not None
            else t._(
                "⚠️ {staff}'s Google Calendar connection stopped working; they are not linked "
                "in Telegram yet: /invite them, then they /connect.",
                staff=staff,
            )
        )
        messages.append(OutboundMessage(chat_id=admin, html=html))
    return messages
