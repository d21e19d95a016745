"""Texts of the messages the bot sends outside a conversation, one renderer per notice.

`render(notice)` turns an event from `bot.notices` into `bot.outbound` messages (recipient
and content as plain data); the composition root sends them.
"""

from __future__ import annotations

from html import escape

from bot.notices import GoogleAccessLost, GoogleConnected, GoogleSignInFailed, Notice
from bot.outbound import Button, OutboundMessage
from handlers import callbacks as cb


def render(notice: Notice) -> list[OutboundMessage]:
    """The messages that tell everyone concerned about `notice`."""
    if isinstance(notice, GoogleConnected):
        return [_connected(notice)]
    if isinstance(notice, GoogleSignInFailed):
        return [
            OutboundMessage(
                chat_id=notice.staff_chat_id,
                html=f"❌ Google sign-in failed: {escape(notice.reason)}",
            )
        ]
    return _access_lost(notice)


def _connected(notice: GoogleConnected) -> OutboundMessage:
    text = f"✅ Google Calendar connected as <b>{escape(notice.email)}</b>."
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
            html=f"⚠️ {escape(notice.staff_name)}'s Google Calendar connection stopped "
            f"working; {told}.",
        )
        for admin in notice.admin_chat_ids
    ]
    return messages
