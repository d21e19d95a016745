"""Browsing buttons of the booking conversation: service -> staff -> day -> time.

Every choice travels in typed callback data and is re-validated on every press, so an old
button still works while its choice is valid (and takes the customer back to that step).
"⚡ First available" picks the earliest free time in one tap; a service one person offers
skips the staff step. The day and time screens also understand typed text (see
`handlers.booking.times`); the screen last shown is remembered for that. Picking a time
starts the draft (see `handlers.booking.contact`).
"""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers import callbacks as cb
from handlers import render
from handlers.booking.draft import load_draft, save_draft
from handlers.booking.menu import (
    CHOOSING,
    SERVICE_PAYLOAD,
    business_name,
    services_screen,
    staff_label,
)
from handlers.booking.times import day_parts, part_label
from handlers.common import answer, send, show
from handlers.context import BotContext
from handlers.i18n import Texts
from handlers.keyboards import (
    alternatives_keyboard,
    button,
    slots_keyboard,
    staff_keyboard,
    week_keyboard,
    week_start,
)
from handlers.language import texts_of
from handlers.localized import service_for
from handlers.prompt import State

SCREEN_KEY = "screen"  # the day or time screen last shown, for typed answers


def remember_screen(context: BotContext, kind: str, choice: cb.Callback | None) -> None:
    """Note the screen shown (`kind` 'day' or 'time' with its callback), or forget it."""
    data = context.user_data
    if data is None:
        return
    if choice is None:
        data.pop(SCREEN_KEY, None)
    else:
        data[SCREEN_KEY] = {"kind": kind, "data": choice.pack()}


def shown_screen(context: BotContext) -> tuple[str, cb.Callback] | None:
    """The day or time screen last shown, if any."""
    data = context.user_data
    stored: Any = data.get(SCREEN_KEY) if data is not None else None
    if not isinstance(stored, dict):
        return None
    parsed = cb.parse(stored.get("data"))
    kind = stored.get("kind")
    return (kind, parsed) if isinstance(kind, str) and parsed is not None else None


async def start(update: Update, context: BotContext) -> State:
    """/start, optionally with a `svc_<service link>` deep link (contact details already
    given in this chat are kept for the new choice)."""
    draft = load_draft(context)
    draft.forget_choice()
    save_draft(context, draft)
    remember_screen(context, "", None)
    t = await texts_of(update, context)
    args = context.args or []
    if args and args[0].startswith(SERVICE_PAYLOAD):
        linked = await context.services.booking.service_by_link(
            args[0].removeprefix(SERVICE_PAYLOAD)
        )
        if linked is not None:
            return await open_service(update, context, linked.id)
        await send(update, context, t._("That link is not valid any more – here is what we offer."))
    user = update.effective_user
    business = await context.services.booking.business()
    if user is not None and user.first_name:
        greeting = t._(
            "Hi {name}! 👋 I take bookings for <b>{business}</b>.\n"
            "Pick a service to see free times:",
            name=escape(user.first_name),
            business=business_name(business.name),
        )
    else:
        greeting = t._(
            "Hi! 👋 I take bookings for <b>{business}</b>.\nPick a service to see free times:",
            business=business_name(business.name),
        )
    return await services_screen(update, context, greeting)


async def pick_service(update: Update, context: BotContext) -> State:
    """A service button."""
    await answer(update, context)
    data = cb.unpack(update, cb.PickService)
    return await open_service(update, context, data.service_id)


async def first_free_button(
    t: Texts, context: BotContext, service_id: int, staff: cb.StaffChoice
) -> InlineKeyboardButton | None:
    """'⚡ First available: Tue, Nov 24, 09:00 (Helsinki time)', the earliest free time
    (None if there is none)."""
    booking = context.services.booking
    days = await booking.free_days(service_id, staff.staff_id)
    if not days:
        return None
    slots = await booking.free_slots(service_id, staff.staff_id, days[0])
    if not slots:
        return None
    tz = (await booking.business()).tz
    when = f"{render.short_when(t, slots[0], tz)} ({t.zone(tz)})"
    label = t._("⚡ First available: {when}", when=when)
    return button(label, cb.PickSlot(service_id, staff, slots[0]))


async def open_service(update: Update, context: BotContext, service_id: int) -> State:
    """The staff choice for a service (skipped when one person offers it)."""
    t = await texts_of(update, context)
    booking = context.services.booking
    service = await service_for(context.services, t, await booking.service(service_id))
    if service is None:
        await send(update, context, t._("Sorry, that service is not available any more."))
        return await services_screen(update, context)
    staff = await booking.staff_for(service_id)
    if not staff:
        await show(update, context, t._("Nobody offers this service right now, sorry."))
        return await services_screen(update, context)
    if len(staff) == 1:
        return await week_screen(update, context, service_id, cb.StaffChoice(staff[0].id), None)
    remember_screen(context, "", None)
    first = await first_free_button(t, context, service_id, cb.ANYONE)
    text = f"{render.service_line(t, service)}\n\n" + t._("Who would you like to see?")
    await show(update, context, text, staff_keyboard(t, service_id, staff, first=first))
    return CHOOSING


async def pick_staff(update: Update, context: BotContext) -> State:
    """A staff button (or 'Anyone available')."""
    await answer(update, context)
    data = cb.unpack(update, cb.PickStaff)
    return await week_screen(update, context, data.service_id, data.staff, None)


async def show_week(update: Update, context: BotContext) -> State:
    """Week paging of the day picker."""
    await answer(update, context)
    data = cb.unpack(update, cb.ShowWeek)
    return await week_screen(update, context, data.service_id, data.staff, data.day)


async def week_screen(
    update: Update,
    context: BotContext,
    service_id: int,
    staff: cb.StaffChoice,
    around: date | None,
    *,
    note: str = "",
) -> State:
    """The day picker, one week at a time (`note` goes first, e.g. why a typed day failed)."""
    t = await texts_of(update, context)
    booking = context.services.booking
    service = await service_for(context.services, t, await booking.service(service_id))
    who = await staff_label(t, context, service_id, staff)
    if service is None or who is None:
        await show(update, context, t._("That choice is not available any more."))
        return await services_screen(update, context)
    days = await booking.free_days(service_id, staff.staff_id)
    # With one staff member the staff step is skipped, so "back" goes to the services.
    several = len(await booking.staff_for(service_id)) > 1
    back = (
        button(t._("« Back to staff"), cb.PickService(service_id))
        if several
        else button(t._("« Back to services"), cb.ShowServices())
    )
    heading = render.service_with(t, service, who)
    if not days:
        business = await booking.business()
        remember_screen(context, "", None)
        await show(
            update,
            context,
            f"{heading}\n\n"
            + t.n_(
                "No free times in the next {n} day, sorry.",
                "No free times in the next {n} days, sorry.",
                business.horizon_days,
            ),
            InlineKeyboardMarkup([[back]]),
        )
        return CHOOSING
    week = week_start(days[0])
    if around is not None and week_start(around) >= week:
        week = min(week_start(around), week_start(days[-1]))
    remember_screen(context, "day", cb.ShowWeek(service_id, staff, week))
    text = (
        (f"{note}\n\n" if note else "")
        + f"{heading}\n\n"
        + t._(
            "Pick a day in the week of {day} (or type one, like “tomorrow” or “friday”):",
            day=t.day(week, year=True),
        )
    )
    keyboard = week_keyboard(
        t,
        week=week,
        free_days=days,
        pick=lambda d: cb.PickDay(service_id, staff, d),
        page=lambda d: cb.ShowWeek(service_id, staff, d),
        back=back,
    )
    if not several and around is None:
        first = await first_free_button(t, context, service_id, staff)
        if first is not None:
            keyboard = InlineKeyboardMarkup([[first], *keyboard.inline_keyboard])
    await show(update, context, text, keyboard)
    return CHOOSING


async def pick_day(update: Update, context: BotContext) -> State:
    """A day of the week calendar."""
    await answer(update, context)
    data = cb.unpack(update, cb.PickDay)
    return await day_screen(update, context, data.service_id, data.staff, data.day, 0)


async def pick_day_part(update: Update, context: BotContext) -> State:
    """A part of the day's times (morning, afternoon, evening, or the next page)."""
    await answer(update, context)
    data = cb.unpack(update, cb.DayPart)
    return await day_screen(update, context, data.service_id, data.staff, data.day, data.part)


async def day_screen(
    update: Update,
    context: BotContext,
    service_id: int,
    staff: cb.StaffChoice,
    day: date,
    part: int,
    *,
    note: str = "",
) -> State:
    """The free times of a day, at most PART_SIZE at once; `note` goes first."""
    t = await texts_of(update, context)
    booking = context.services.booking
    slots = await booking.free_slots(service_id, staff.staff_id, day)
    if not slots:
        return await week_screen(
            update,
            context,
            service_id,
            staff,
            day,
            note=t._("That day has no free times any more – please pick another."),
        )
    tz = (await booking.business()).tz
    parts = day_parts(t, slots, tz)
    part = min(max(part, 0), len(parts) - 1)
    others = [
        button(part_label(t, p), cb.DayPart(service_id, staff, day, i))
        for i, p in enumerate(parts)
        if i != part
    ]
    keyboard = slots_keyboard(
        t,
        parts[part].slots,
        tz,
        pick=lambda s: cb.PickSlot(service_id, staff, s),
        back=button(t._("« Back to days"), cb.ShowWeek(service_id, staff, day)),
        extra=[others] if others else [],
    )
    remember_screen(context, "time", cb.DayPart(service_id, staff, day, part))
    shown = parts[part].label
    heading = t._("Free times on {day} ({zone}):", day=t.long_day(day), zone=t.zone(tz))
    if shown:
        heading += f"\n<b>{shown}</b>"
    hint = t._("Tap a time, or type one like 11:00.")
    text = (f"{note}\n\n" if note else "") + f"{heading}\n\n{hint}"
    await show(update, context, text, keyboard)
    return CHOOSING


async def slot_gone(
    update: Update,
    context: BotContext,
    service_id: int,
    staff: cb.StaffChoice,
    wanted: datetime,
) -> State:
    """The picked time is taken: offer the nearest free ones."""
    nearest = await context.services.booking.alternatives(service_id, staff.staff_id, wanted)
    return await offer_alternatives(update, context, service_id, staff, nearest, wanted)


async def offer_alternatives(
    update: Update,
    context: BotContext,
    service_id: int,
    staff: cb.StaffChoice,
    alternatives: list[datetime],
    wanted: datetime,
) -> State:
    """'Sorry, that time was just taken' with the given alternatives."""
    t = await texts_of(update, context)
    tz = (await context.services.booking.business()).tz
    local_day = wanted.astimezone(tz).date()
    other = button(t._("🗓 Pick another day"), cb.ShowWeek(service_id, staff, local_day))
    taken = render.when_in_zone(t, wanted, tz)
    if not alternatives:
        text = t._("Sorry, {when} was just taken and nothing else is free soon.", when=taken)
    else:
        text = t._("Sorry, {when} was just taken. The nearest free times are:", when=taken)
    keyboard = alternatives_keyboard(
        t, alternatives, tz, pick=lambda s: cb.PickSlot(service_id, staff, s), other=other
    )
    remember_screen(context, "", None)
    await show(update, context, text, keyboard)
    return CHOOSING
