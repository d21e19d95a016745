"""Button data of the settings screens (typed, strictly parsed, see `handlers.callbacks`).

`Screen` shows a screen, `Ask` starts a typed answer, `Do` makes a change from a button.
Items are database ids (a service's, a staff member's, a user's), so a button keeps working
after a restart and a stale one finds its item gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from handlers.callbacks import BookingId, Callback, Token, register


@register
@dataclass(frozen=True, slots=True)
class Screen(Callback):
    """Show the settings screen `name` for `item` (page `page` of a list)."""

    prefix: ClassVar[str] = "cfg"
    name: Token
    item: int = 0
    page: int = 0


@register
@dataclass(frozen=True, slots=True)
class Ask(Callback):
    """Ask for the typed value `field` of `item`."""

    prefix: ClassVar[str] = "cfgask"
    field: Token
    item: int = 0


@register
@dataclass(frozen=True, slots=True)
class Do(Callback):
    """Make the change `action` on `item` with `value` (a choice, a toggle, a move)."""

    prefix: ClassVar[str] = "cfgdo"
    action: Token
    item: int
    value: Token


@register
@dataclass(frozen=True, slots=True)
class BookingAct(Callback):
    """A booking of staff member `staff` in the admin's list: `ask` to cancel it, `yes` to."""

    prefix: ClassVar[str] = "cfgbk"
    action: Token
    staff: int
    booking: BookingId


def screen(name: str, item: int = 0, page: int = 0) -> Screen:
    """A Screen button's data."""
    return Screen(Token(name), item, page)


def ask(field: str, item: int = 0) -> Ask:
    """An Ask button's data."""
    return Ask(Token(field), item)


def do(action: str, item: int, value: str | int) -> Do:
    """A Do button's data."""
    return Do(Token(action), item, Token(str(value)))
