"""What the dispatcher asks of Telegram, and what can come back: the port it sends through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.outbound import Attachment, OutboundMessage


@dataclass(frozen=True, slots=True)
class Delivered:
    """Telegram took the message."""


@dataclass(frozen=True, slots=True)
class FloodWait:
    """429: wait `seconds`, then try again (https://core.telegram.org/bots/api#responseparameters)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class BlockedByUser:
    """403: the user blocked the bot (or never started it, or the account is gone)."""


@dataclass(frozen=True, slots=True)
class Refused:
    """A permanent refusal (400: chat not found, bad markup...): never retried."""

    reason: str


@dataclass(frozen=True, slots=True)
class Unreachable:
    """A temporary failure (network, 5xx): retried later."""

    reason: str


SendResult = Delivered | FloodWait | BlockedByUser | Refused | Unreachable


class Sender(Protocol):
    """Sends one Bot API call of a queued message, classifying the outcome (never raises)."""

    async def send_text(self, message: OutboundMessage) -> SendResult: ...

    async def send_file(self, chat_id: int, attachment: Attachment) -> SendResult: ...
