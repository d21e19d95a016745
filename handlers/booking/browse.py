"""Browsing buttons of the booking conversation: service -> staff -> day -> time.

Every choice travels in typed callback data and is re-validated on every press, so an old
button still works while its choice is valid. Picking a time starts the draft (see
`handlers.booking.contact`).
"""

from __future__ import annotations

from datetime import date, datetime
from html import escape

from telegram import InlineKeyboardMarkup, Update

from handlers import callbacks as cb
from handlers import render
from handlers.booking.draft import Draft, save_draft
from handlers.booking.menu import (
    CHOOSING,
    SERVICE_PAYLOAD,
    business_name,
    services_screen,
    staff_label,
)
from handlers.common import answer, send, show
from handlers.context import BotContext
from handlers.keyboards import (
    alternatives_keyboard,
    button,
    slots_keyboard,
    staff_keyboard,
    week_keyboard,
    week_start,
)
from handlers.prompt import State


async def start(update: Update, context: BotContext) -> State:
    """/start, optionally with a `svc_<service link>` deep link."""
    save_draft(context, Draft())
    args = context.args or []
    if args and args[0].startswith(SERVICE_PAYLOAD):
        linked = await context.services.booking.service_by_link(
            args[0].removeprefix(SERVICE_PAYLOAD)
        )
        if linked is not None:
            return await open_service(update, context, linked.id)
        await send(update, context, "That link is not valid any more – here is what we offer.")
    user = update.effective_user
    name = escape(user.first_name) if user else "there"
    business = await context.services.booking.business()
    greeting = (
        f"Hi {name}! 👋 I take bookings for <b>{business_name(business.name)}</b>.\n"
        "Pick a service to see free times:"
    )
    return await services_screen(update, context, greeting)


async def pick_service(update: Update, context: BotContext) -> State:
    """A service button."""
    await answer(update, context)
    data = cb.unpack(update, cb.PickService)
    return await open_service(update, context, data.service_id)


async def open_service(update: Update, context: BotContext, service_id: int) -> State:
    """The staff choice for a service (skipped when one person offers it)."""
    booking = context.services.booking
    service = await booking.service(service_id)
    if service is None:
        await send(update, context, "Sorry, that service is not available any more.")
        return await services_screen(update, context)
    staff = await booking.staff_for(service_id)
    if not staff:
        await show(update, context, "Nobody offers this service right now, sorry.")
        return await services_screen(update, context)
    if len(staff) == 1:
        return await week_screen(update, context, service_id, cb.StaffChoice(staff[0].id), None)
    text = f"{render.service_line(service)}\n\nWho would you like to see?"
    await show(update, context, text, staff_keyboard(service_id, staff))
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
) -> State:
    """The day picker, one week at a time."""
    booking = context.services.booking
    service = await booking.service(service_id)
    who = await staff_label(context, service_id, staff)
    if service is None or who is None:
        await show(update, context, "That choice is not available any more.")
        return await services_screen(update, context)
    days = await booking.free_days(service_id, staff.staff_id)
    # With one staff member the staff step is skipped, so "back" goes to the services.
    several = len(await booking.staff_for(service_id)) > 1
    back = button("« Back", cb.PickService(service_id) if several else cb.ShowServices())
    if not days:
        business = await booking.business()
        await show(
            update,
            context,
            f"{render.service_line(service)} with {escape(who)}\n\n"
            f"No free times in the next {business.horizon_days} days, sorry.",
            InlineKeyboardMarkup([[back], [button("« Services", cb.ShowServices())]]),
        )
        return CHOOSING
    week = week_start(days[0])
    if around is not None and week_start(around) >= week:
        week = min(week_start(around), week_start(days[-1]))
    text = (
        f"{render.service_line(service)} with {escape(who)}\n\n"
        f"Pick a day – week of {week:%d %b %Y}:"
    )
    keyboard = week_keyboard(
        week=week,
        free_days=days,
        pick=lambda d: cb.PickDay(service_id, staff, d),
        page=lambda d: cb.ShowWeek(service_id, staff, d),
        back=back,
    )
    await show(update, context, text, keyboard)
    return CHOOSING


async def pick_day(update: Update, context: BotContext) -> State:
    """A day of the week calendar."""
    await answer(update, context)
    data = cb.unpack(update, cb.PickDay)
    booking = context.services.booking
    slots = await booking.free_slots(data.service_id, data.staff.staff_id, data.day)
    if not slots:
        await send(update, context, "That day has just filled up – please pick another.")
        return await week_screen(update, context, data.service_id, data.staff, data.day)
    tz = (await booking.business()).tz
    keyboard = slots_keyboard(
        slots,
        tz,
        pick=lambda s: cb.PickSlot(data.service_id, data.staff, s),
        back=button("« Other days", cb.ShowWeek(data.service_id, data.staff, data.day)),
    )
    await show(update, context, f"Free times on {data.day:%A %d %B} ({tz.key}):", keyboard)
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
    tz = (await context.services.booking.business()).tz
    local_day = wanted.astimezone(tz).date()
    other = button("🗓 Pick another day", cb.ShowWeek(service_id, staff, local_day))
    if not alternatives:
        text = f"Sorry, {render.when(wanted, tz)} was just taken and nothing else is free soon."
    else:
        text = f"Sorry, {render.when(wanted, tz)} was just taken. The nearest free times are:"
    keyboard = alternatives_keyboard(
        alternatives, tz, pick=lambda s: cb.PickSlot(service_id, staff, s), other=other
    )
    await show(update, context, text, keyboard)
    return CHOOSING
