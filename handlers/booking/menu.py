"""The booking conversation's states and its home screen: the paged list of services,
where /start, Back and an expired step lead."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from handlers import callbacks as cb
from handlers import render
from handlers.booking.draft import load_draft, save_draft
from handlers.common import answer, send, show
from handlers.context import BotContext
from handlers.i18n import Texts
from handlers.keyboards import button, services_keyboard
from handlers.language import texts_of
from handlers.limits import MAX_MESSAGE, paginate, shorten, visible_len
from handlers.localized import services_for
from handlers.prompt import State

CONVERSATION = "booking"
CHOOSING, NAME, PHONE, EMAIL, CONFIRM = "choosing", "name", "phone", "email", "confirm"
END = ConversationHandler.END
SERVICE_PAYLOAD = "svc_"
SERVICES_PER_PAGE = 8
NAME_LIMIT = 100


def business_name(name: str) -> str:
    """The business name for a message, escaped and shortened."""
    return escape(shorten(name, NAME_LIMIT))


async def limit_reached_screen(update: Update, context: BotContext, limit: int) -> State:
    """The customer already holds as many bookings as one may: say so, offer theirs."""
    t = await texts_of(update, context)
    await show(
        update,
        context,
        t.n_(
            "You already have {n} upcoming booking, the most one customer can hold. "
            "Cancel it first, or move it to the time you want.",
            "You already have {n} upcoming bookings, the most one customer can hold. "
            "Cancel one first, or move one to the time you want.",
            limit,
        ),
        InlineKeyboardMarkup([[button(t._("📋 My bookings"), cb.ShowMyBookings())]]),
    )
    return END


async def services_screen(
    update: Update, context: BotContext, greeting: str = "", page: int = 0
) -> State:
    """The list of services, a page at a time so any catalogue fits one message; a customer
    who already holds the most bookings allowed is told so at once, not at Confirm."""
    t = await texts_of(update, context)
    user = update.effective_user
    limit = await context.services.booking.limit_reached(user.id) if user else None
    if limit is not None:
        return await limit_reached_screen(update, context, limit)
    services = await services_for(
        context.services, t, await context.services.booking.active_services()
    )
    business = await context.services.booking.business()
    if not services:
        text = t._("We are not taking bookings right now. Please check back later.")
        contact = render.business_contact(t, business)
        await show(update, context, f"{text}\n{contact}" if contact else text)
        return END
    intro = greeting or t._(
        "What would you like to book at <b>{business}</b>?",
        business=business_name(business.name),
    )
    lines = [render.service_line(t, s, description_limit=render.LIST_DESCRIPTION) for s in services]
    footer_room = 40  # "Page 2 of 3"
    shown = paginate(
        list(zip(services, lines, strict=True)),
        [visible_len(line) + 1 for line in lines],
        budget=MAX_MESSAGE - visible_len(intro) - footer_room,
        max_items=SERVICES_PER_PAGE,
        number=page,
    )
    body = [intro, "", *(line for _, line in shown.items)]
    if shown.count > 1:
        body += ["", t._("Page {page} of {count}", page=shown.number + 1, count=shown.count)]
    keyboard = services_keyboard(
        t,
        [service for service, _ in shown.items],
        previous=shown.number - 1 if shown.has_previous else None,
        next_page=shown.number + 1 if shown.has_next else None,
    )
    await show(update, context, "\n".join(body), keyboard)
    return CHOOSING


async def show_services(update: Update, context: BotContext) -> State:
    """The list of services (a page of it)."""
    await answer(update, context)
    data = cb.unpack(update, cb.ShowServices)
    return await services_screen(update, context, page=data.page)


async def start_over(update: Update, context: BotContext) -> State:
    """A step that is no longer valid (expired, or its draft is gone): say so, show the menu."""
    t = await texts_of(update, context)
    draft = load_draft(context)
    draft.forget_choice()
    save_draft(context, draft)
    await send(update, context, t._("That booking step has expired. Let's start again:"))
    return await services_screen(update, context)


async def staff_label(
    t: Texts, context: BotContext, service_id: int, staff: cb.StaffChoice
) -> str | None:
    """'anyone available', or the staff member's name if they still offer the service."""
    if staff.anyone:
        return t._("anyone available")
    for member in await context.services.booking.staff_for(service_id):
        if member.id == staff.staff_id:
            return shorten(member.name, NAME_LIMIT)
    return None
