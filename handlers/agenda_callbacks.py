"""Typed callback data of /agenda's buttons (see `handlers.callbacks`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from handlers import callbacks as cb


@cb.register
@dataclass(frozen=True, slots=True)
class ShowAgenda(cb.Callback):
    """Show the agenda of `which`: today, tomorrow or week."""

    prefix: ClassVar[str] = "agenda"
    which: cb.Token


@cb.register
@dataclass(frozen=True, slots=True)
class AgendaSettings(cb.Callback):
    """Show the daily agenda's choices."""

    prefix: ClassVar[str] = "agendaset"


@cb.register
@dataclass(frozen=True, slots=True)
class AgendaTime(cb.Callback):
    """Send the daily agenda at `minute` after local midnight."""

    prefix: ClassVar[str] = "agendatime"
    minute: int


@cb.register
@dataclass(frozen=True, slots=True)
class AgendaModeChoice(cb.Callback):
    """Every day, only with bookings, or off."""

    prefix: ClassVar[str] = "agendamode"
    mode: cb.Token


@cb.register
@dataclass(frozen=True, slots=True)
class AgendaZoneAsk(cb.Callback):
    """Ask the staff member to type their time zone."""

    prefix: ClassVar[str] = "agendatz"


@cb.register
@dataclass(frozen=True, slots=True)
class AgendaZoneReset(cb.Callback):
    """Use the business's time zone again."""

    prefix: ClassVar[str] = "agendatzbiz"
