"""What the settings buttons change (a choice, a switch, a move, archive, deactivate, remove
an admin, export): each returns the note to show and the screen to show it on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from html import escape

from bot.admin.config import Gone, Invalid, Outcome, Saved, days_between
from bot.admin.roles import AdminRemoved, FromEnvironment, LastAdmin
from handlers.settings.view import Viewer
from storage.reassign import Reassigned
from storage.records import BookingRecord

SEND_UPDATES_CYCLE = ("none", "externalOnly", "all")


@dataclass(frozen=True, slots=True)
class Acted:
    """What a button did: an outcome or a note, the screen to show next, whose menu changed."""

    outcome: Outcome | None
    screen: str
    item: int = 0
    note: str = ""
    role_changed: int | None = None
    cancelled: tuple[BookingRecord, ...] = ()  # bookings whose customers are to be told
    reassigned: tuple[Reassigned, ...] = ()  # likewise


Action = Callable[[Viewer, int, str], Awaitable[Acted | None]]


def _day(value: str) -> date:
    return datetime.strptime(value, "%Y%m%d").date()  # noqa: DTZ007 - a plain date


async def _contact(v: Viewer, item: int, value: str) -> Acted | None:
    if item not in (0, 1) or value not in ("no", "optional", "required"):
        return None
    key = "ask_phone" if item == 0 else "ask_email"
    return Acted(await v.services.config.set_business(v.user_id, key, value), "biz")


def _move(kind: str, back: str) -> Action:
    async def act(v: Viewer, item: int, value: str) -> Acted | None:
        if value not in ("up", "down"):
            return None
        delta = -1 if value == "up" else 1
        return Acted(await v.services.config.move(v.user_id, kind, item, delta), back, item)

    return act


async def _service_staff(v: Viewer, item: int, value: str) -> Acted | None:
    outcome = await v.services.config.toggle_staff_service(v.user_id, int(value), item)
    return Acted(outcome, "svcstaff", item)


async def _member_service(v: Viewer, item: int, value: str) -> Acted | None:
    outcome = await v.services.config.toggle_staff_service(v.user_id, item, int(value))
    return Acted(outcome, "memsvcs", item)


async def _archive(v: Viewer, item: int, value: str) -> Acted | None:
    return Acted(await v.services.config.archive_service(v.user_id, item), "svcs")


async def _deactivate(v: Viewer, item: int, value: str) -> Acted | None:
    if value not in ("keep", "cancel"):
        return None
    config = v.services.config
    member = await v.services.booking.catalog.staff_member(item)
    outcome = await config.deactivate_staff(v.user_id, item)
    if not isinstance(outcome, Saved):
        return Acted(outcome, "member", item)
    cancelled: list[BookingRecord] = []
    if value == "cancel":
        for booking in await config.upcoming_for_staff(item):
            done = await config.cancel_booking(v.user_id, booking.id)
            if done is not None:
                cancelled.append(done)
    note = outcome_note(v, outcome)
    if cancelled:
        note += "\n" + v.t.n_(
            "{n} booking cancelled; the customer was told.",
            "{n} bookings cancelled; the customers were told.",
            len(cancelled),
        )
    linked = member.telegram_user_id if member is not None else None
    return Acted(outcome, "staff", note=note, role_changed=linked, cancelled=tuple(cancelled))


async def _reassign(v: Viewer, item: int, value: str) -> Acted | None:
    """Deactivate a staff member, handing their coming bookings to `value` where that staff
    member is free; the others stay with them."""
    config = v.services.config
    member = await v.services.booking.catalog.staff_member(item)
    target = await v.services.booking.catalog.staff_member(int(value))
    if member is None or target is None or not target.active or target.id == item:
        return None
    moved: list[Reassigned] = []
    kept = 0
    for booking in await config.upcoming_for_staff(item):
        result = await config.reassign_booking(v.user_id, booking.id, target.id)
        if result is None:
            kept += 1
        else:
            moved.append(result)
    outcome = await config.deactivate_staff(v.user_id, item)
    t = v.t
    note = outcome_note(v, outcome)
    if moved:
        note += "\n" + t.n_(
            "{n} booking handed to {name}; the customer was told.",
            "{n} bookings handed to {name}; the customers were told.",
            len(moved),
            name=escape(target.name),
        )
    if kept:
        note += "\n" + t.n_(
            "{n} booking stays with {name}: {other} is not free then.",
            "{n} bookings stay with {name}: {other} is not free then.",
            kept,
            name=escape(member.name),
            other=escape(target.name),
        )
    linked = member.telegram_user_id if isinstance(outcome, Saved) else None
    return Acted(outcome, "staff", note=note, role_changed=linked, reassigned=tuple(moved))


async def _undo_day(v: Viewer, item: int, value: str) -> Acted | None:
    outcome = await v.services.config.set_special_day(v.user_id, item, _day(value), [])
    return Acted(outcome, "daysoff", item)


async def _days_off(v: Viewer, item: int, value: str) -> Acted | None:
    first_text, _, last_text = value.partition("-")
    first, last = _day(first_text), _day(last_text)
    if last < first or (last - first).days > 366:
        return None
    outcome = await v.services.config.add_days_off(v.user_id, item, days_between(first, last))
    return Acted(outcome, "daysoff", item)


def _switch(key: str) -> Action:
    async def act(v: Viewer, item: int, value: str) -> Acted | None:
        business = await v.services.booking.business()
        current = bool(getattr(business, key))
        return Acted(await v.services.config.set_business(v.user_id, key, not current), "events")

    return act


async def _mails(v: Viewer, item: int, value: str) -> Acted | None:
    business = await v.services.booking.business()
    index = SEND_UPDATES_CYCLE.index(business.event_send_updates)
    following = SEND_UPDATES_CYCLE[(index + 1) % len(SEND_UPDATES_CYCLE)]
    outcome = await v.services.config.set_business(v.user_id, "event_send_updates", following)
    return Acted(outcome, "events")


async def _remove_admin(v: Viewer, item: int, value: str) -> Acted | None:
    t = v.t
    user_id = int(value)
    result = await v.services.roles.remove_admin(v.user_id, user_id)
    if isinstance(result, AdminRemoved):
        return Acted(None, "admins", note=t._("Removed."), role_changed=user_id)
    if isinstance(result, FromEnvironment):
        note = t._("Admins listed in ADMIN_IDS are removed by changing ADMIN_IDS, not here.")
    elif isinstance(result, LastAdmin):
        note = t._("That is the last admin: add another admin first.")
    else:
        note = t._("They are not an admin.")
    return Acted(None, "admins", note="⚠️ " + note)


ACTIONS: dict[str, tuple[Action, bool]] = {
    # action: (what it does, whether staff may do it for themselves)
    "contact": (_contact, False),
    "svcmove": (_move("services", "svc"), False),
    "staffmove": (_move("staff", "member"), False),
    "svcstaff": (_service_staff, False),
    "memsvc": (_member_service, False),
    "svcarch": (_archive, False),
    "deact": (_deactivate, False),
    "reassign": (_reassign, False),
    "undayoff": (_undo_day, True),
    "dayoffok": (_days_off, True),
    "meet": (_switch("event_meet"), False),
    "attendee": (_switch("event_invite_customer"), False),
    "mails": (_mails, False),
    "unadmin": (_remove_admin, False),
}


def outcome_note(v: Viewer, outcome: Outcome | None) -> str:
    """'✅ Saved.', 'Nothing changed.', or why not."""
    t = v.t
    if isinstance(outcome, Saved):
        return t._("✅ Saved.") if outcome.changes else t._("Nothing changed.")
    if isinstance(outcome, Invalid):
        return t._("⚠️ Not saved: {problems}", problems=escape("; ".join(outcome.problems)))
    if isinstance(outcome, Gone):
        return t._("⚠️ That no longer exists.")
    return ""
