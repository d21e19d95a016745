"""Notices (`bot.notices`) as JSON for the queue, and back, so they are rendered at send time.

A booking inside a notice is stored by id and read again when the notice is sent (so the
message shows the booking as it stands); the business settings are read again too.
Datetimes are epoch seconds; tuples become lists.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, get_args

from bot.business import BusinessSettings
from bot.notices import Notice
from storage.records import BookingRecord, from_epoch, to_epoch

NOTICE_TYPES: dict[str, type[Any]] = {cls.__name__: cls for cls in get_args(Notice)}


def encode(notice: Notice) -> dict[str, Any]:
    """The notice as JSON-ready data."""
    fields: dict[str, Any] = {}
    for field in dataclasses.fields(notice):
        value = getattr(notice, field.name)
        if isinstance(value, BookingRecord):
            fields[field.name] = {"$booking": value.id}
        elif isinstance(value, BusinessSettings):
            fields[field.name] = {"$business": True}
        elif isinstance(value, datetime):
            fields[field.name] = {"$time": to_epoch(value)}
        elif isinstance(value, tuple):
            fields[field.name] = list(value)
        else:
            fields[field.name] = value
    return {"type": type(notice).__name__, "fields": fields}


async def decode(
    data: dict[str, Any],
    *,
    booking: Callable[[str], Awaitable[BookingRecord | None]],
    business: Callable[[], Awaitable[BusinessSettings]],
) -> Notice | None:
    """The notice again, with its booking and the business read now; None if the booking is
    gone or the data is not a notice this version knows."""
    cls = NOTICE_TYPES.get(str(data.get("type")))
    raw = data.get("fields")
    if cls is None or not isinstance(raw, dict):
        return None
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if isinstance(value, dict) and "$booking" in value:
            found = await booking(str(value["$booking"]))
            if found is None:
                return None
            values[name] = found
        elif isinstance(value, dict) and "$business" in value:
            values[name] = await business()
        elif isinstance(value, dict) and "$time" in value:
            values[name] = from_epoch(int(value["$time"]))
        elif isinstance(value, list):
            values[name] = tuple(value)
        else:
            values[name] = value
    try:
        notice: Notice = cls(**values)
    except TypeError:
        return None
    return notice
