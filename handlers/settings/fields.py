"""Every value typed in the settings: its question (current value and an example), how the
answer is read (`handlers.settings.parse`) and the change it makes. A wrong answer raises
ValueError with the reason, and the admin stays on the question.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

from telegram import InlineKeyboardMarkup, Message, MessageOriginHiddenUser, MessageOriginUser

from bot.admin.config import Gone, Outcome, Saved, days_between
from bot.admin.roles import AdminAdded
from bot.business import (
    MAX_ACTIVE_BOOKINGS_LIMIT,
    MAX_HORIZON_DAYS,
    MAX_REMINDER_OFFSET,
    MAX_REMINDERS,
    MIN_REMINDER_OFFSET,
)
from bot.domain.event_template import PLACEHOLDERS
from bot.setup_file import MAX_BUFFER_MINUTES, MAX_DAY_MINUTES, WEEKDAYS
from handlers.keyboards import button
from handlers.limits import shorten
from handlers.settings import parse
from handlers.settings.keys import do, screen
from handlers.settings.view import WEEKDAY_NAMES, View, Viewer, booking_line
from storage.records import ServiceRecord, StaffRecord

NAME_LIMIT = 60
MAX_USER_ID = 2**53


@dataclass(frozen=True, slots=True)
class Done:
    """What a typed answer did: the outcome to report and the screen to show next (or a
    `view` of its own, e.g. bookings a day off clashes with)."""

    outcome: Outcome | None
    screen: str
    item: int = 0
    view: View | None = None
    note: str = ""
    role_changed: int | None = None  # a user whose command menu changes


Prompt = Callable[[Viewer, int], Awaitable[str | None]]
Save = Callable[[Viewer, int, Message], Awaitable[Done]]


@dataclass(frozen=True, slots=True)
class Field:
    """A typed value: its question, and what an answer does."""

    prompt: Prompt
    save: Save
    back: str  # the screen a Cancel goes back to (for the same item)
    staff_may: bool = False  # staff may answer it for themselves (hours, days off)


def _text(message: Message) -> str:
    return message.text or ""


def _name(text: str) -> str:
    return escape(shorten(text, NAME_LIMIT))


# --- business --------------------------------------------------------------------------


def _business_field(
    question: Callable[[Viewer], Awaitable[str]],
    read: Callable[[Viewer, str], object],
    key: str,
) -> Field:
    async def prompt(v: Viewer, item: int) -> str | None:
        return await question(v)

    async def save(v: Viewer, item: int, message: Message) -> Done:
        value = read(v, _text(message))
        return Done(await v.services.config.set_business(v.user_id, key, value), "biz")

    return Field(prompt, save, "biz")


def _minutes_now(v: Viewer, value: timedelta) -> str:
    return parse.minutes_text(v.t, int(value.total_seconds() // 60))


async def _q_name(v: Viewer) -> str:
    b = await v.services.booking.business()
    return v.t._(
        "Type the business name (now: {value}).\nExample: Studio Bella", value=_name(b.name)
    )


async def _q_address(v: Viewer) -> str:
    b = await v.services.booking.business()
    return v.t._(
        "Type the address; it is the location of the calendar events (now: {value}).\n"
        "Example: Main street 1, Helsinki. Type - to remove it.",
        value=escape(shorten(b.address, 200)) or "—",
    )


async def _q_contact_phone(v: Viewer) -> str:
    b = await v.services.booking.business()
    return v.t._(
        "Type the phone number customers can call (now: {value}).\n"
        "Example: +358 40 123 4567. Type - to remove it.",
        value=escape(b.contact_phone) or "—",
    )


async def _q_contact_telegram(v: Viewer) -> str:
    b = await v.services.booking.business()
    return v.t._(
        "Type the Telegram username customers can write to (now: {value}).\n"
        "Example: @studio_bella. Type - to remove it.",
        value=escape("@" + b.contact_telegram if b.contact_telegram else "—"),
    )


async def _q_contact_email(v: Viewer) -> str:
    b = await v.services.booking.business()
    return v.t._(
        "Type the e-mail address customers can write to; it is also the organizer of the "
        "calendar files (now: {value}).\nExample: hello@studio.example. Type - to remove it.",
        value=escape(b.contact_email) or "—",
    )


def _contact_detail(v: Viewer, text: str) -> str:
    value = parse.text_value(v.t, text, most=64)
    return "" if value == "-" else value


async def _q_zone(v: Viewer) -> str:
    b = await v.services.booking.business()
    return v.t._("Type the time zone (now: {value}).\nExample: Europe/Helsinki", value=b.timezone)


async def _q_horizon(v: Viewer) -> str:
    b = await v.services.booking.business()
    return v.t._(
        "How many days ahead can customers book (now: {n})?\nExample: 30", n=b.horizon_days
    )


async def _q_notice(v: Viewer) -> str:
    b = await v.services.booking.business()
    return v.t._(
        "How long before the start must a booking be made (now: {value})?\n"
        "Examples: 2h, 90m, 1d, 0",
        value=_minutes_now(v, b.min_notice),
    )


async def _q_step(v: Viewer) -> str:
    b = await v.services.booking.business()
    return v.t._(
        "How often can a slot start (now: every {value})?\nExamples: 15m, 30, 1h",
        value=_minutes_now(v, b.slot_step),
    )


async def _q_cutoff(v: Viewer) -> str:
    b = await v.services.booking.business()
    return v.t._(
        "Until how long before the start can customers cancel or move a booking "
        "(now: {value})?\nExamples: 24h, 2d, 90m, 0",
        value=_minutes_now(v, b.cancellation_cutoff),
    )


async def _q_maxbook(v: Viewer) -> str:
    b = await v.services.booking.business()
    return v.t._(
        "At most how many upcoming bookings may one customer hold (now: {n})?\nExample: 5",
        n=b.max_active_bookings,
    )


async def _q_language(v: Viewer) -> str:
    b = await v.services.booking.business()
    return v.t._(
        "Which language do customers get when theirs is not available (now: {value})?\n"
        "Examples: en, es, ru",
        value=escape(b.default_language),
    )


async def _q_reminders(v: Viewer) -> str:
    b = await v.services.booking.business()
    now = ", ".join(_minutes_now(v, o) for o in b.reminder_offsets) or v.t._("off")
    return v.t._(
        "How long before an appointment are customers reminded (now: {value})? At most five "
        "times, or off.\nExamples: 24h, 2h or 1d, 3h, 30m",
        value=now,
    )


def _reminder_hours(v: Viewer, text: str) -> list[int | float]:
    minutes = parse.reminder_offsets(
        v.t,
        text,
        least=int(MIN_REMINDER_OFFSET.total_seconds() // 60),
        most=int(MAX_REMINDER_OFFSET.total_seconds() // 60),
        count=MAX_REMINDERS,
    )
    return [m // 60 if m % 60 == 0 else m / 60 for m in minutes]


def _address(v: Viewer, text: str) -> str:
    value = parse.text_value(v.t, text, most=300)
    return "" if value == "-" else value


def _cutoff_hours(v: Viewer, text: str) -> int | float:
    minutes = parse.duration_minutes(v.t, text, least=0, most=MAX_HORIZON_DAYS * MAX_DAY_MINUTES)
    return minutes // 60 if minutes % 60 == 0 else minutes / 60


# --- services --------------------------------------------------------------------------


async def _service(v: Viewer, item: int) -> ServiceRecord | None:
    service = await v.services.booking.catalog.service(item)
    return service if service is not None and service.active else None


def _service_field(
    question: Callable[[Viewer, ServiceRecord], str],
    apply: Callable[[Viewer, int, ServiceRecord, str], Awaitable[Outcome]],
) -> Field:
    async def prompt(v: Viewer, item: int) -> str | None:
        service = await _service(v, item)
        return None if service is None else question(v, service)

    async def save(v: Viewer, item: int, message: Message) -> Done:
        service = await _service(v, item)
        if service is None:
            return Done(Gone(), "svcs")
        return Done(await apply(v, item, service, _text(message)), "svc", item)

    return Field(prompt, save, "svc")


def _q_svcname(v: Viewer, s: ServiceRecord) -> str:
    return v.t._("Type the new name of {name}.\nExample: Haircut", name=_name(s.name))


def _q_svcdesc(v: Viewer, s: ServiceRecord) -> str:
    return v.t._(
        "Type the description of {name} that customers see.\n"
        "Example: Wash, cut and style. Type - to remove it.",
        name=_name(s.name),
    )


def _q_svcdur(v: Viewer, s: ServiceRecord) -> str:
    return v.t._("How long does {name} take?\nExamples: 45m, 1h30, 90", name=_name(s.name))


def _q_svcprice(v: Viewer, s: ServiceRecord) -> str:
    return v.t._(
        "What does {name} cost (in {currency})?\n"
        "Examples: 25, 25.50, 25,50; 25 USD changes the currency too; 0 makes it free.",
        name=_name(s.name),
        currency=s.currency,
    )


def _q_buffer(before: bool) -> Callable[[Viewer, ServiceRecord], str]:
    def question(v: Viewer, s: ServiceRecord) -> str:
        if before:
            return v.t._(
                "How much free time does {name} need before it (preparation)?\n"
                "Examples: 0, 10m, 15",
                name=_name(s.name),
            )
        return v.t._(
            "How much free time does {name} need after it (cleaning up)?\nExamples: 0, 10m, 15",
            name=_name(s.name),
        )

    return question


async def _set_name(v: Viewer, item: int, s: ServiceRecord, text: str) -> Outcome:
    name = parse.text_value(v.t, text, most=parse.MAX_NAME)
    return await v.services.config.set_service(v.user_id, item, "name", name)


async def _set_desc(v: Viewer, item: int, s: ServiceRecord, text: str) -> Outcome:
    value = parse.text_value(v.t, text, most=parse.MAX_TEXT)
    return await v.services.config.set_service(
        v.user_id, item, "description", "" if value == "-" else value
    )


async def _set_duration(v: Viewer, item: int, s: ServiceRecord, text: str) -> Outcome:
    minutes = parse.duration_minutes(v.t, text, least=5, most=MAX_DAY_MINUTES)
    return await v.services.config.set_service(v.user_id, item, "duration_minutes", minutes)


async def _set_price(v: Viewer, item: int, s: ServiceRecord, text: str) -> Outcome:
    amount, currency = parse.price(v.t, text, str(s.currency))
    return await v.services.config.set_service_price(v.user_id, item, amount, currency)


def _set_buffer(key: str) -> Callable[[Viewer, int, ServiceRecord, str], Awaitable[Outcome]]:
    async def apply(v: Viewer, item: int, s: ServiceRecord, text: str) -> Outcome:
        minutes = parse.duration_minutes(v.t, text, least=0, most=MAX_BUFFER_MINUTES)
        return await v.services.config.set_service(v.user_id, item, key, minutes)

    return apply


async def _q_svcnew(v: Viewer, item: int) -> str | None:
    return v.t._("What is the new service called?\nExample: Haircut")


async def _new_service(v: Viewer, item: int, message: Message) -> Done:
    name = parse.text_value(v.t, _text(message), most=parse.MAX_NAME)
    outcome = await v.services.config.add_service(v.user_id, name)
    if isinstance(outcome, Saved) and outcome.item_id is not None:
        note = v.t._("Now set its duration, price and who offers it.")
        return Done(outcome, "svc", outcome.item_id, note=note)
    return Done(outcome, "svcs")


# --- staff -----------------------------------------------------------------------------


async def _member(v: Viewer, item: int) -> StaffRecord | None:
    member = await v.services.booking.catalog.staff_member(item)
    if member is None or not member.active or not v.may_edit_staff(member.id):
        return None
    return member


async def _q_staffnew(v: Viewer, item: int) -> str | None:
    return v.t._("What is the new staff member's name?\nExample: Anna")


async def _new_staff(v: Viewer, item: int, message: Message) -> Done:
    name = parse.text_value(v.t, _text(message), most=parse.MAX_NAME)
    outcome = await v.services.config.add_staff(v.user_id, name)
    if isinstance(outcome, Saved) and outcome.item_id is not None:
        note = v.t._(
            "They offer every service for now. Set their hours, then send them their invite link."
        )
        return Done(outcome, "member", outcome.item_id, note=note)
    return Done(outcome, "staff")


async def _q_staffname(v: Viewer, item: int) -> str | None:
    member = await _member(v, item)
    if member is None:
        return None
    return v.t._("Type the new name of {name}.\nExample: Anna", name=_name(member.name))


async def _rename_staff(v: Viewer, item: int, message: Message) -> Done:
    name = parse.text_value(v.t, _text(message), most=parse.MAX_NAME)
    return Done(await v.services.config.rename_staff(v.user_id, item, name), "member", item)


def _hours_field(weekday: int) -> Field:
    async def prompt(v: Viewer, item: int) -> str | None:
        member = await _member(v, item)
        if member is None:
            return None
        table = await v.services.config.staff_table(item) or {}
        now = ", ".join(table.get("hours", {}).get(WEEKDAYS[weekday], [])) or v.t._("off")
        return v.t._(
            "Hours of {name} on {day} (now: {ranges}).\n"
            "Examples: 09:00-13:00, 14:00-18:00 or 9-17; off for no work that day.",
            name=_name(member.name),
            day=v.t._(WEEKDAY_NAMES[weekday]),
            ranges=now,
        )

    async def save(v: Viewer, item: int, message: Message) -> Done:
        if await _member(v, item) is None:
            return Done(Gone(), "staff")
        ranges = parse.day_ranges(v.t, _text(message))
        outcome = await v.services.config.set_weekday_hours(v.user_id, item, weekday, ranges)
        return Done(outcome, "hours", item)

    return Field(prompt, save, "hours", staff_may=True)


async def _q_dayoff(v: Viewer, item: int) -> str | None:
    member = await _member(v, item)
    if member is None:
        return None
    return v.t._(
        "Which day off for {name}? A date or a range.\nExamples: 2026-12-24, 24.12., 24.12.-26.12.",
        name=_name(member.name),
    )


async def _day_off(v: Viewer, item: int, message: Message) -> Done:
    if await _member(v, item) is None:
        return Done(Gone(), "staff")
    today = await v.services.config.today()
    first, last = parse.date_range(v.t, _text(message), today)
    return await days_off_or_clashes(v, item, first, last)


async def days_off_or_clashes(v: Viewer, item: int, first: date, last: date) -> Done:
    """Add days off at once, or first list the bookings they would clash with."""
    clashes = await v.services.config.bookings_between(item, first, last)
    if clashes:
        t = v.t
        business = await v.services.booking.business()
        lines = [
            t.n_(
                "{n} booking falls on those days:",
                "{n} bookings fall on those days:",
                len(clashes),
            ),
            *[booking_line(t, b, business) for b in clashes[:30]],
            "",
            t._("Take the days off anyway? The bookings stay; tell the customers or move them."),
        ]
        value = f"{first:%Y%m%d}-{last:%Y%m%d}"
        markup = InlineKeyboardMarkup(
            [
                [button(t._("🏖 Take the days off"), do("dayoffok", item, value))],
                [button(t._("« Back"), screen("daysoff", item))],
            ]
        )
        return Done(None, "daysoff", item, view=("\n".join(lines), markup))
    outcome = await v.services.config.add_days_off(v.user_id, item, days_between(first, last))
    return Done(outcome, "daysoff", item)


async def _q_special(v: Viewer, item: int) -> str | None:
    member = await _member(v, item)
    if member is None:
        return None
    return v.t._(
        "Other hours on one date for {name}: the date, then the hours.\n"
        "Examples: 2026-12-24 10:00-14:00, 24.12. 9-13",
        name=_name(member.name),
    )


async def _special(v: Viewer, item: int, message: Message) -> Done:
    if await _member(v, item) is None:
        return Done(Gone(), "staff")
    day, ranges = parse.special_day(v.t, _text(message), await v.services.config.today())
    if not ranges:
        return await days_off_or_clashes(v, item, day, day)
    outcome = await v.services.config.set_special_day(v.user_id, item, day, ranges)
    return Done(outcome, "daysoff", item)


# --- events ----------------------------------------------------------------------------


def _template_field(key: str) -> Field:
    async def prompt(v: Viewer, item: int) -> str | None:
        b = await v.services.booking.business()
        now = b.event_title if key == "event_title" else b.event_description
        known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
        if key == "event_title":
            return v.t._(
                "Type the title of the calendar events (now: {value}).\n"
                "Placeholders: {known}\nExample: {example}",
                value=escape(now),
                known=escape(known),
                example=escape("{service}: {customer_name}"),
            )
        current = "<pre>" + escape(shorten(now, 1500)) + "</pre>"
        return v.t._(
            "Type the description of the calendar events (now below). Lines whose "
            "placeholders are all empty are left out.\nPlaceholders: {known}\n"
            "Example: {example}\n\n{value}",
            value=current,
            known=escape(known),
            example=escape("Customer: {customer_name}, {customer_phone}"),
        )

    async def save(v: Viewer, item: int, message: Message) -> Done:
        value = parse.template(v.t, _text(message))
        if key == "event_title" and not value:
            raise ValueError(v.t._("The title cannot be empty."))
        return Done(await v.services.config.set_business(v.user_id, key, value), "events")

    return Field(prompt, save, "events")


# --- admins ----------------------------------------------------------------------------


async def _q_admin(v: Viewer, item: int) -> str | None:
    return v.t._(
        "Forward me any message from the person to make admin, or type their Telegram user "
        "id.\nExample: 123456789"
    )


async def _add_admin(v: Viewer, item: int, message: Message) -> Done:
    t = v.t
    origin = message.forward_origin
    if isinstance(origin, MessageOriginUser):
        user = origin.sender_user
        user_id, name = user.id, user.full_name
        if user.is_bot:
            raise ValueError(t._("That message is from a bot; a bot cannot be an admin."))
    elif isinstance(origin, MessageOriginHiddenUser):
        raise ValueError(
            t._(
                "Their privacy settings hide who they are in forwarded messages. Ask them for "
                "their user id (e.g. from @userinfobot) and type it."
            )
        )
    elif origin is not None:
        raise ValueError(t._("That message is not from a person. Forward one of theirs."))
    else:
        text = _text(message).strip()
        if not text.isdigit() or not 0 < int(text) < MAX_USER_ID:
            raise ValueError(
                t._(
                    "“{text}” is not a Telegram user id (digits only, e.g. 123456789).",
                    text=shorten(text, 40),
                )
            )
        user_id, name = int(text), ""
    result = await v.services.roles.add_admin(v.user_id, user_id, name)
    note = (
        t._("{name} is an admin now.", name=_name(name or str(user_id)))
        if isinstance(result, AdminAdded)
        else t._("{name} was an admin already.", name=_name(name or str(user_id)))
    )
    changed = user_id if isinstance(result, AdminAdded) else None
    return Done(None, "admins", note=note, role_changed=changed)


FIELDS: dict[str, Field] = {
    "name": _business_field(
        _q_name, lambda v, s: parse.text_value(v.t, s, most=parse.MAX_NAME), "name"
    ),
    "address": _business_field(_q_address, _address, "address"),
    "bizphone": _business_field(_q_contact_phone, _contact_detail, "contact_phone"),
    "biztelegram": _business_field(_q_contact_telegram, _contact_detail, "contact_telegram"),
    "bizemail": _business_field(_q_contact_email, _contact_detail, "contact_email"),
    "zone": _business_field(_q_zone, lambda v, s: parse.time_zone(v.t, s), "timezone"),
    "horizon": _business_field(
        _q_horizon,
        lambda v, s: parse.whole_number(v.t, s, least=1, most=MAX_HORIZON_DAYS),
        "horizon_days",
    ),
    "notice": _business_field(
        _q_notice,
        lambda v, s: parse.duration_minutes(
            v.t, s, least=0, most=MAX_HORIZON_DAYS * MAX_DAY_MINUTES
        ),
        "min_notice_minutes",
    ),
    "step": _business_field(
        _q_step,
        lambda v, s: parse.duration_minutes(v.t, s, least=5, most=MAX_DAY_MINUTES),
        "slot_step_minutes",
    ),
    "cutoff": _business_field(_q_cutoff, _cutoff_hours, "cancellation_cutoff_hours"),
    "maxbook": _business_field(
        _q_maxbook,
        lambda v, s: parse.whole_number(v.t, s, least=1, most=MAX_ACTIVE_BOOKINGS_LIMIT),
        "max_active_bookings",
    ),
    "reminders": _business_field(_q_reminders, _reminder_hours, "reminder_offsets_hours"),
    "language": _business_field(
        _q_language, lambda v, s: parse.language(v.t, s), "default_language"
    ),
    "svcnew": Field(_q_svcnew, _new_service, "svcs"),
    "svcname": _service_field(_q_svcname, _set_name),
    "svcdesc": _service_field(_q_svcdesc, _set_desc),
    "svcdur": _service_field(_q_svcdur, _set_duration),
    "svcprice": _service_field(_q_svcprice, _set_price),
    "svcbefore": _service_field(_q_buffer(True), _set_buffer("buffer_before_minutes")),
    "svcafter": _service_field(_q_buffer(False), _set_buffer("buffer_after_minutes")),
    "staffnew": Field(_q_staffnew, _new_staff, "staff"),
    "staffname": Field(_q_staffname, _rename_staff, "member"),
    **{f"hours{i}": _hours_field(i) for i in range(7)},
    "dayoff": Field(_q_dayoff, _day_off, "daysoff", staff_may=True),
    "special": Field(_q_special, _special, "daysoff", staff_may=True),
    "title": _template_field("event_title"),
    "desc": _template_field("event_description"),
    "admin": Field(_q_admin, _add_admin, "admins"),
}
