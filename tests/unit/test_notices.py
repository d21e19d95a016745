"""Notices render to messages within Telegram's limits, escaped, for the right people."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_args

from bot.notices import (
    CalendarWriteFailed,
    GoogleAccessLost,
    GoogleConnected,
    GoogleSignInFailed,
    VideoLinkReady,
)
from bot.staff_link import RefusalReason, Refused
from handlers import callbacks as cb
from handlers.notices import refusal_text, render

LONG = "<&>" * 2000  # 6,000 characters that triple when escaped


def test_access_lost_tells_staff_with_a_link_and_each_admin() -> None:
    messages = render(
        GoogleAccessLost(
            staff_name=LONG,
            staff_chat_id=5,
            reconnect_url="https://accounts.example/consent",
            admin_chat_ids=(1, 2),
        )
    )
    assert [m.chat_id for m in messages] == [5, 1, 2]
    staff, *admins = messages
    assert staff.buttons[0][0].url == "https://accounts.example/consent"
    assert "stopped working" in staff.html
    for message in admins:
        assert "&lt;&amp;&gt;" in message.html and "<&>" not in message.html
        assert "sent a new sign-in link" in message.html
    assert all(len(m.html) <= 4096 for m in messages)


def test_access_lost_of_a_staff_member_not_in_telegram_tells_admins_what_to_do() -> None:
    messages = render(
        GoogleAccessLost(
            staff_name="Ben", staff_chat_id=None, reconnect_url=None, admin_chat_ids=(1,)
        )
    )
    assert [m.chat_id for m in messages] == [1]
    assert "/invite" in messages[0].html


def test_connected_offers_the_calendar_picker_and_names_missing_features() -> None:
    (message,) = render(
        GoogleConnected(staff_chat_id=5, email="a@example.com", missing=("busy times",))
    )
    assert "a@example.com" in message.html and "• busy times" in message.html
    assert message.buttons[0][0].callback_data == cb.CalStart().pack()


def test_every_refusal_has_words_within_limits() -> None:
    for reason in get_args(RefusalReason):
        text = refusal_text(Refused(reason=reason, query=LONG, staff_names=(LONG,) * 50))
        assert text and len(text) <= 1000
    (failed,) = render(GoogleSignInFailed(staff_chat_id=5, reason="declined"))
    assert "declined" in failed.html and failed.chat_id == 5


def test_calendar_write_failed_tells_each_admin_escaped_and_within_limits() -> None:
    messages = render(
        CalendarWriteFailed(
            booking_id="abc123",
            staff_name=LONG,
            service_name=LONG,
            start=datetime(2026, 3, 3, 7, 0, tzinfo=UTC),
            timezone="Europe/Helsinki",
            cancelled=False,
            reason=LONG,
            admin_chat_ids=(1, 2),
        )
    )
    assert [m.chat_id for m in messages] == [1, 2]
    for message in messages:
        assert "could not be written" in message.html and "09:00" in message.html
        assert "abc123" in message.html and "<&>" not in message.html
        assert len(message.html) <= 4096


def _video(url: str, service: str = "Haircut") -> VideoLinkReady:
    return VideoLinkReady(
        customer_chat_id=7,
        service_name=service,
        start=datetime(2026, 3, 3, 7, 0, tzinfo=UTC),
        timezone="Europe/Helsinki",
        url=url,
    )


def test_video_link_goes_to_the_customer_with_a_button_only_for_a_plain_https_link() -> None:
    (message,) = render(_video("https://meet.google.com/abc-defg-hij"))
    assert message.chat_id == 7 and "Tue, Mar 3, 2026, 09:00 (Helsinki time)" in message.html
    assert message.buttons[0][0].url == "https://meet.google.com/abc-defg-hij"
    for odd in ("javascript:alert(1)", "https://meet.example/a b", "https://x/" + "y" * 2000):
        (text_only,) = render(_video(odd, service=LONG))
        assert text_only.buttons == ()
        assert "<&>" not in text_only.html and len(text_only.html) <= 4096
