"""The customer's booking in progress: a typed record kept in PTB user data.

PTB persistence here is JSON (bot/persistence.py stores user data as JSON in SQLite), so the
draft is stored as a plain dict under `user_data["draft"]` with stable keys, and read back
into `Draft`. Drafts stored by earlier versions (the same keys, `staff` 0 for "anyone") load
unchanged, so a customer halfway through a booking continues after an upgrade too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from handlers.context import BotContext

DRAFT_KEY = "draft"


@dataclass
class Draft:
    """What the customer has chosen so far; contact details outlive a finished booking."""

    service_id: int | None = None
    staff_id: int | None = None  # None: anyone available
    start: datetime | None = None
    key: str | None = None  # the summary's Confirm token
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    returning: bool = False  # contact details are complete (an earlier booking, the summary)
    suggested_name: str | None = None

    @property
    def has_slot(self) -> bool:
        """Whether a service, staff choice and time are chosen (the text steps need one)."""
        return self.service_id is not None and self.start is not None and self.key is not None

    def forget_choice(self) -> None:
        """Drop the chosen slot; keep the contact details (and whether they are complete) for
        the next booking."""
        self.service_id = self.staff_id = self.start = self.key = self.suggested_name = None

    def forget_contact(self) -> None:
        """Drop the contact details (to ask for them again)."""
        self.name = self.phone = self.email = None
        self.returning = False

    def to_json(self) -> dict[str, Any]:
        """The JSON-friendly form stored in user data (unset fields left out)."""
        data: dict[str, Any] = {
            "service": self.service_id,
            "staff": self.staff_id,
            "start": int(self.start.timestamp()) if self.start is not None else None,
            "key": self.key,
            "name": self.name,
            "phone": self.phone,
            "email": self.email,
            "returning": self.returning or None,
            "suggested_name": self.suggested_name,
        }
        return {k: v for k, v in data.items() if v is not None}

    @classmethod
    def from_json(cls, data: object) -> Draft:
        """Read a stored draft; anything malformed reads as unset."""
        if not isinstance(data, dict):
            return cls()
        start = _int(data.get("start"))
        staff = _int(data.get("staff"))
        return cls(
            service_id=_int(data.get("service")),
            staff_id=staff or None,
            start=datetime.fromtimestamp(start, UTC) if start is not None else None,
            key=_str(data.get("key")),
            name=_str(data.get("name")),
            phone=_str(data.get("phone")),
            email=_str(data.get("email")),
            returning=data.get("returning") is True,
            suggested_name=_str(data.get("suggested_name")),
        )


def _int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value < 2**53 else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def load_draft(context: BotContext) -> Draft:
    """The draft of the user behind this update."""
    data = context.user_data
    return Draft.from_json(data.get(DRAFT_KEY) if data is not None else None)


def save_draft(context: BotContext, draft: Draft) -> None:
    """Store the draft (persisted by PTB after the update)."""
    data = context.user_data
    assert data is not None
    stored = draft.to_json()
    if stored:
        data[DRAFT_KEY] = stored
    else:
        data.pop(DRAFT_KEY, None)
