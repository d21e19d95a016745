"""The port for messages that are not direct replies (OAuth results, revoked accounts, and
later reminders, agenda and staff notices): one message = recipient + rendered content.

Everything in a message is plain data (no PTB objects), so a durable queue can store it and
send it later through the same `Outbound.send`. The composition root implements the port
over PTB's Bot; texts are rendered in `handlers/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class Button:
    """An inline button: opens `url`, or sends `callback_data` back to the bot."""

    text: str
    url: str | None = None
    callback_data: str | None = None

    def __post_init__(self) -> None:
        if (self.url is None) == (self.callback_data is None):
            raise ValueError("a button has either a url or callback data")


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    """A file sent after the message's text (e.g. a booking's .ics)."""

    filename: str
    data: bytes
    caption: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboundMessage:
    """A rendered message for one chat (HTML text, rows of inline buttons, an optional file)."""

    chat_id: int
    html: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    attachment: Attachment | None = None


class Outbound(Protocol):
    """Sends a message that is not a direct reply."""

    async def send(self, message: OutboundMessage) -> bool:
        """Send it; False (logged, not raised) if it could not be delivered."""
        ...
