"""Notices survive the queue: encoded to JSON and decoded with their booking read again."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.business import BusinessSettings
from bot.notices import BookingMovedInGoogle, CalendarWriteFailed, GoogleAccessLost, Notice
from bot.notify.notice_codec import decode, encode
from storage.records import BookingRecord
from tests.week import TUESDAY, helsinki

BUSINESS = BusinessSettings(name="Salon", timezone="Europe/Helsinki")


def _booking(start_hour: int) -> BookingRecord:
    start = helsinki(TUESDAY, start_hour)
    return BookingRecord(
        id="abcde12345",
        customer_id=1,
        customer_telegram_id=501,
        staff_id=1,
        staff_name="Anna",
        service_id=1,
        service_name="Haircut",
        start=start,
        end=start + timedelta(hours=1),
        blocked_start=start,
        blocked_end=start + timedelta(hours=1),
        status="confirmed",
        customer_name="Ann",
        customer_phone=None,
        customer_email=None,
        price_minor=4500,
        currency="EUR",
        sequence=1,
        created_at=start,
        updated_at=start,
    )


async def _business() -> BusinessSettings:
    return BUSINESS


async def test_plain_notices_round_trip() -> None:
    notices: list[Notice] = [
        GoogleAccessLost(
            staff_name="Anna", staff_chat_id=None, reconnect_url=None, admin_chat_ids=(1, 2)
        ),
        CalendarWriteFailed(
            booking_id="abcde12345",
            staff_name="Anna",
            service_name="Haircut",
            start=helsinki(TUESDAY, 13),
            timezone="Europe/Helsinki",
            cancelled=False,
            reason="400",
            admin_chat_ids=(9001,),
        ),
    ]

    async def no_booking(_: str) -> BookingRecord | None:
        raise AssertionError("not asked")

    for notice in notices:
        data = json.loads(json.dumps(encode(notice)))
        assert await decode(data, booking=no_booking, business=_business) == notice


async def test_a_booking_is_read_again_and_a_gone_one_drops_the_notice() -> None:
    notice = BookingMovedInGoogle(
        booking=_booking(13),
        previous_start=helsinki(TUESDAY, 10),
        business=BUSINESS,
        staff_chat_id=7001,
    )
    data = json.loads(json.dumps(encode(notice)))
    assert "Haircut" not in json.dumps(data)  # only the booking's id is kept
    moved_again = _booking(15)

    async def current(booking_id: str) -> BookingRecord | None:
        return moved_again if booking_id == "abcde12345" else None

    decoded = await decode(data, booking=current, business=_business)
    assert decoded == BookingMovedInGoogle(
        booking=moved_again,
        previous_start=helsinki(TUESDAY, 10),
        business=BUSINESS,
        staff_chat_id=7001,
    )

    async def gone(_: str) -> BookingRecord | None:
        return None

    assert await decode(data, booking=gone, business=_business) is None
    assert (
        await decode({"type": "NoSuchNotice", "fields": {}}, booking=gone, business=_business)
        is None
    )
