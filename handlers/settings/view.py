"""What every settings screen is made of: who looks (`Viewer`), the screen (`View`: text
and keyboard), Back/Close rows, paging, fitting Telegram's limits, and shared lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.business import BusinessSettings
from bot.services import Services
from handlers.i18n import N_, Texts
from handlers.keyboards import button
from handlers.limits import MAX_MESSAGE, shorten, visible_len
from handlers.settings.keys import screen
from storage.records import BookingRecord, StaffRecord

NAME_LIMIT = 60
TEXT_LIMIT = 300
PER_PAGE = 8
RECENT_CHANGES = 12
DAYS_LISTED = 10
BOOKING_BUTTONS = 20
WEEKDAY_NAMES = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)
CONTACT_CHOICES = {"no": N_("off"), "optional": N_("optional"), "required": N_("required")}
SEND_UPDATES = {
    "none": N_("none"),
    "externalOnly": N_("to guests outside your domain"),
    "all": N_("to all guests"),
}
View = tuple[str, InlineKeyboardMarkup | None]


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who looks at a screen, in which language."""

    services: Services
    t: Texts
    user_id: int
    is_admin: bool
    own_staff_id: int | None  # the staff member this user is linked to, if any
    bot_username: str

    def may_edit_staff(self, staff_id: int) -> bool:
        """Admins edit everyone's hours; staff only their own."""
        return self.is_admin or self.own_staff_id == staff_id


def name_html(text: str) -> str:
    return escape(shorten(text, NAME_LIMIT))


def nav_row(v: Viewer, back: str | None, item: int = 0) -> list[InlineKeyboardButton]:
    row = []
    if back is not None:
        row.append(button(v.t._("« Back"), screen(back, item)))
    row.append(button(v.t._("✖ Close"), screen("close")))
    return row


def markup(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([r for r in rows if r])


def on_off(t: Texts, value: bool) -> str:
    """'on' / 'off'."""
    return t._("on") if value else t._("off")


def fit(lines: list[str]) -> str:
    """Lines joined, dropping the last ones (with '…') when over Telegram's limit."""
    text = "\n".join(lines)
    while visible_len(text) > MAX_MESSAGE - 200 and len(lines) > 1:
        lines = [*lines[:-2], "…"]
        text = "\n".join(lines)
    return text


def minutes_of(value: timedelta) -> int:
    return int(value.total_seconds() // 60)


def page_of(items: list[object], page: int) -> tuple[int, int]:
    pages = max(1, -(-len(items) // PER_PAGE))
    number = min(max(page, 0), pages - 1)
    return number, pages


def pager_row(v: Viewer, name: str, number: int, pages: int) -> list[InlineKeyboardButton]:
    row = []
    if number > 0:
        row.append(button(v.t._("◀ Previous"), screen(name, 0, number - 1)))
    if number + 1 < pages:
        row.append(button(v.t._("Next ▶"), screen(name, 0, number + 1)))
    return row


async def active_member(v: Viewer, staff_id: int) -> StaffRecord | None:
    member = await v.services.booking.catalog.staff_member(staff_id)
    return member if member is not None and member.active else None


def booking_line(t: Texts, b: BookingRecord, business: BusinessSettings) -> str:
    """'• Tue, Nov 24, 2026, 1:00 PM · Haircut · Ann'."""
    return t._(
        "• {when} · {service} · {customer}",
        when=t.datetime(b.start, business.tz, "medium"),
        service=name_html(b.service_name),
        customer=name_html(b.customer_name),
    )
