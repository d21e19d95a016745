"""The customer's booking conversation: service -> staff -> day -> time -> contact -> confirm.

Choices travel in typed callback data and are re-validated on every press, so an old button
still works when its choice is still valid. Text steps (name, phone, e-mail) are conversation
states persisted in SQLite: a customer halfway through continues after a restart.
"""

from __future__ import annotations

import secrets
import warnings
from datetime import UTC, date, datetime
from html import escape
from typing import Any

from telegram import (
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.booking import Contact, SlotUnavailable, Unavailable
from bot.business import BusinessSettings
from bot.domain.contact import (
    InvalidEmail,
    InvalidName,
    InvalidPhone,
    clean_name,
    normalize_email,
    normalize_phone,
)
from handlers import callbacks as cb
from handlers import render
from handlers.common import answer, send, show
from handlers.context import BotContext
from handlers.keyboards import (
    alternatives_keyboard,
    button,
    services_keyboard,
    slots_keyboard,
    staff_keyboard,
    week_keyboard,
    week_start,
)
from handlers.outputs import send_confirmation
from storage.bookings import AlreadyBooked, Booked

CHOOSING, NAME, PHONE, EMAIL, CONFIRM = "choosing", "name", "phone", "email", "confirm"
State = str | int  # a state name, or ConversationHandler.END
END = ConversationHandler.END
SKIP_TEXT = "Skip"
SERVICE_PAYLOAD = "svc_"


def _parsed(update: Update) -> cb.Callback | None:
    query = update.callback_query
    return cb.parse(query.data if query else None)


async def _services_screen(update: Update, context: BotContext, greeting: str = "") -> State:
    services = await context.services.booking.services()
    business = await context.services.booking.business()
    if not services:
        await show(
            update, context, "We are not taking bookings right now. Please check back later."
        )
        return END
    intro = greeting or f"What would you like to book at <b>{escape(business.name)}</b>?"
    lines = [intro, ""] + [render.service_line(s) for s in services]
    await show(update, context, "\n".join(lines), services_keyboard(services))
    return CHOOSING


async def start(update: Update, context: BotContext) -> State:
    """/start, optionally with a `svc_<service id>` deep link."""
    context.draft.clear()
    args = context.args or []
    if args and args[0].startswith(SERVICE_PAYLOAD):
        linked = await context.services.booking.service_by_link(
            args[0].removeprefix(SERVICE_PAYLOAD)
        )
        if linked is not None:
            return await _open_service(update, context, linked.id)
        await send(update, context, "That link is not valid any more – here is what we offer.")
    user = update.effective_user
    name = escape(user.first_name) if user else "there"
    business = await context.services.booking.business()
    greeting = (
        f"Hi {name}! 👋 I take bookings for <b>{escape(business.name)}</b>.\n"
        "Pick a service to see free times:"
    )
    return await _services_screen(update, context, greeting)


async def show_services(update: Update, context: BotContext) -> State:
    """The list of services."""
    await answer(update, context)
    return await _services_screen(update, context)


async def pick_service(update: Update, context: BotContext) -> State:
    """A service button."""
    await answer(update, context)
    data = cb.unpack(update, cb.PickService)
    return await _open_service(update, context, data.service_id)


async def _open_service(update: Update, context: BotContext, service_id: int) -> State:
    booking = context.services.booking
    service = await booking.service(service_id)
    if service is None:
        await send(update, context, "Sorry, that service is not available any more.")
        return await _services_screen(update, context)
    staff = await booking.staff_for(service_id)
    if not staff:
        await show(update, context, "Nobody offers this service right now, sorry.")
        return await _services_screen(update, context)
    if len(staff) == 1:
        return await _week_screen(update, context, service_id, staff[0].id, None)
    text = f"{render.service_line(service)}\n\nWho would you like to see?"
    await show(update, context, text, staff_keyboard(service_id, staff))
    return CHOOSING


async def pick_staff(update: Update, context: BotContext) -> State:
    """A staff button (or 'Anyone available')."""
    await answer(update, context)
    data = cb.unpack(update, cb.PickStaff)
    return await _week_screen(update, context, data.service_id, data.staff_id, None)


async def show_week(update: Update, context: BotContext) -> State:
    """Week paging of the day picker."""
    await answer(update, context)
    data = cb.unpack(update, cb.ShowWeek)
    return await _week_screen(update, context, data.service_id, data.staff_id, data.day)


async def _staff_label(context: BotContext, service_id: int, staff_id: int) -> str | None:
    if staff_id == cb.ANYONE:
        return "anyone available"
    for member in await context.services.booking.staff_for(service_id):
        if member.id == staff_id:
            return member.name
    return None


async def _week_screen(
    update: Update, context: BotContext, service_id: int, staff_id: int, around: date | None
) -> State:
    booking = context.services.booking
    service = await booking.service(service_id)
    who = await _staff_label(context, service_id, staff_id)
    if service is None or who is None:
        await show(update, context, "That choice is not available any more.")
        return await _services_screen(update, context)
    staff_arg = None if staff_id == cb.ANYONE else staff_id
    days = await booking.free_days(service_id, staff_arg)
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
        week = week_start(around)
    text = (
        f"{render.service_line(service)} with {escape(who)}\n\n"
        f"Pick a day – week of {week:%d %b %Y}:"
    )
    keyboard = week_keyboard(
        week=week,
        free_days=days,
        pick=lambda d: cb.PickDay(service_id, staff_id, d),
        page=lambda d: cb.ShowWeek(service_id, staff_id, d),
        back=back,
    )
    await show(update, context, text, keyboard)
    return CHOOSING


async def pick_day(update: Update, context: BotContext) -> State:
    """A day of the week calendar."""
    await answer(update, context)
    data = cb.unpack(update, cb.PickDay)
    booking = context.services.booking
    staff_arg = None if data.staff_id == cb.ANYONE else data.staff_id
    slots = await booking.free_slots(data.service_id, staff_arg, data.day)
    if not slots:
        await send(update, context, "That day has just filled up – please pick another.")
        return await _week_screen(update, context, data.service_id, data.staff_id, data.day)
    tz = (await booking.business()).tz
    keyboard = slots_keyboard(
        slots,
        tz,
        pick=lambda s: cb.PickSlot(data.service_id, data.staff_id, s),
        back=button("« Other days", cb.ShowWeek(data.service_id, data.staff_id, data.day)),
    )
    await show(update, context, f"Free times on {data.day:%A %d %B} ({tz.key}):", keyboard)
    return CHOOSING


async def pick_slot(update: Update, context: BotContext) -> State:
    """A time button: start a draft, then collect contact details or show the summary."""
    await answer(update, context)
    data = cb.unpack(update, cb.PickSlot)
    booking = context.services.booking
    business = await booking.business()
    staff_arg = None if data.staff_id == cb.ANYONE else data.staff_id
    day = data.start.astimezone(business.tz).date()
    if data.start not in await booking.free_slots(data.service_id, staff_arg, day):
        return await _slot_gone(update, context, data.service_id, data.staff_id, data.start)
    draft = context.draft
    previous_contact: dict[str, Any] = {
        k: draft[k] for k in ("name", "phone", "email") if k in draft
    }
    draft.clear()
    draft.update(
        service=data.service_id,
        staff=data.staff_id,
        start=int(data.start.timestamp()),
        key=secrets.token_urlsafe(9),
    )
    user = update.effective_user
    assert user is not None
    known = await booking.customer(user.id)
    if previous_contact.get("name"):
        draft.update(previous_contact)
        return await _complete_contact(update, context)
    if known is not None:
        draft.update(name=known.name, phone=known.phone, email=known.email)
        return await _complete_contact(update, context)
    return await _ask_name(update, context)


async def _complete_contact(
    update: Update, context: BotContext, *, remove_keyboard: bool = False
) -> State:
    """Known contact details: ask only for what the settings require and they lack (the
    settings may have changed since they were saved), then the summary."""
    business = await context.services.booking.business()
    context.draft["returning"] = True
    missing = _missing_required(business, context.draft)
    if missing == "phone":
        return await _ask_phone(update, context)
    if missing == "email":
        return await _ask_email(update, context, remove_keyboard=remove_keyboard)
    return await _summary(update, context, remove_keyboard=remove_keyboard)


def _missing_required(business: BusinessSettings, draft: dict[str, Any]) -> str | None:
    """The first contact field the settings require that the draft lacks."""
    if business.ask_phone == "required" and not draft.get("phone"):
        return "phone"
    if business.ask_email == "required" and not draft.get("email"):
        return "email"
    return None


async def _after_phone(update: Update, context: BotContext) -> State:
    if context.draft.get("returning"):
        return await _complete_contact(update, context, remove_keyboard=True)
    return await _ask_email(update, context, remove_keyboard=True)


async def _slot_gone(
    update: Update, context: BotContext, service_id: int, staff_id: int, wanted: datetime
) -> State:
    booking = context.services.booking
    tz = (await booking.business()).tz
    staff_arg = None if staff_id == cb.ANYONE else staff_id
    days = await booking.free_days(service_id, staff_arg)
    nearby: list[datetime] = []
    for day in sorted(days, key=lambda d: abs((d - wanted.astimezone(tz).date()).days))[:3]:
        nearby += await booking.free_slots(service_id, staff_arg, day)
    nearest = sorted(sorted(nearby, key=lambda s: abs(s - wanted))[:3])
    return await _offer_alternatives(update, context, service_id, staff_id, nearest, wanted)


async def _offer_alternatives(
    update: Update,
    context: BotContext,
    service_id: int,
    staff_id: int,
    alternatives: list[datetime],
    wanted: datetime,
) -> State:
    tz = (await context.services.booking.business()).tz
    local_day = wanted.astimezone(tz).date()
    other = button("🗓 Pick another day", cb.ShowWeek(service_id, staff_id, local_day))
    if not alternatives:
        text = f"Sorry, {render.when(wanted, tz)} was just taken and nothing else is free soon."
    else:
        text = f"Sorry, {render.when(wanted, tz)} was just taken. The nearest free times are:"
    keyboard = alternatives_keyboard(
        alternatives, tz, pick=lambda s: cb.PickSlot(service_id, staff_id, s), other=other
    )
    await show(update, context, text, keyboard)
    return CHOOSING


async def _ask_name(update: Update, context: BotContext) -> State:
    user = update.effective_user
    suggestion = (user.full_name if user else "").strip()
    rows = []
    if suggestion:
        context.draft["suggested_name"] = suggestion[:64]
        rows.append([button(f"Use “{suggestion[:40]}”", cb.UseName())])
    rows.append([button("✖ Cancel", cb.Abort())])
    await show(
        update,
        context,
        "What name should the booking be under? Type it, or use the button.",
        InlineKeyboardMarkup(rows),
    )
    return NAME


async def use_name(update: Update, context: BotContext) -> State:
    """Keep the name from the Telegram profile."""
    await answer(update, context)
    suggestion = context.draft.get("suggested_name") or ""
    try:
        context.draft["name"] = clean_name(suggestion)
    except InvalidName:
        await send(update, context, "Please type the name for the booking.")
        return NAME
    return await _ask_phone(update, context)


async def got_name(update: Update, context: BotContext) -> State:
    """A typed name."""
    assert update.message is not None
    assert update.message.text is not None
    if not context.draft.get("start"):
        return await _expired_draft(update, context)
    try:
        context.draft["name"] = clean_name(update.message.text)
    except InvalidName as err:
        await send(update, context, f"{escape(str(err))} Please type your name again.")
        return NAME
    return await _ask_phone(update, context)


async def _ask_phone(update: Update, context: BotContext) -> State:
    business = await context.services.booking.business()
    if business.ask_phone == "no":
        context.draft["phone"] = None
        return await _ask_email(update, context)
    rows = [[KeyboardButton("📱 Share my phone number", request_contact=True)]]
    if business.ask_phone == "optional":
        rows.append([KeyboardButton(SKIP_TEXT)])
    optional = " (optional – or tap Skip)" if business.ask_phone == "optional" else ""
    await send(
        update,
        context,
        f"Your phone number{optional}: tap the button below to share it, or type it "
        "with the country code.",
        ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True),
    )
    return PHONE


async def got_contact(update: Update, context: BotContext) -> State:
    """A shared contact in the phone step."""
    message = update.message
    assert message is not None
    assert message.contact is not None
    user = update.effective_user
    if (
        message.contact.user_id is not None
        and user is not None
        and (message.contact.user_id != user.id)
    ):
        await send(update, context, "Please share your own number with the button below.")
        return PHONE
    try:
        context.draft["phone"] = normalize_phone(message.contact.phone_number)
    except InvalidPhone as err:
        await send(update, context, escape(str(err)))
        return PHONE
    return await _after_phone(update, context)


async def got_phone_text(update: Update, context: BotContext) -> State:
    """Typed text in the phone step: 'Skip' or a number."""
    assert update.message is not None
    assert update.message.text is not None
    if not context.draft.get("start"):
        return await _expired_draft(update, context)
    text = update.message.text.strip()
    business = await context.services.booking.business()
    if text.lower() == SKIP_TEXT.lower():
        if business.ask_phone == "required":
            await send(update, context, "We need a phone number for bookings, sorry.")
            return PHONE
        context.draft["phone"] = None
        return await _after_phone(update, context)
    try:
        context.draft["phone"] = normalize_phone(text)
    except InvalidPhone as err:
        await send(update, context, f"{escape(str(err))} Or use the button below.")
        return PHONE
    return await _after_phone(update, context)


async def _ask_email(
    update: Update, context: BotContext, *, remove_keyboard: bool = False
) -> State:
    """`remove_keyboard`: the phone step's reply keyboard is still showing."""
    business = await context.services.booking.business()
    if business.ask_email == "no":
        context.draft["email"] = None
        return await _summary(update, context, remove_keyboard=remove_keyboard)
    if remove_keyboard:
        await send(update, context, "Thanks!", ReplyKeyboardRemove())
    rows = [[button("Skip", cb.SkipField())]] if business.ask_email == "optional" else []
    rows.append([button("✖ Cancel", cb.Abort())])
    optional = " (optional)" if business.ask_email == "optional" else ""
    await send(
        update,
        context,
        f"Your e-mail address{optional}, for the confirmation:",
        InlineKeyboardMarkup(rows),
    )
    return EMAIL


async def got_email(update: Update, context: BotContext) -> State:
    """A typed e-mail address."""
    assert update.message is not None
    assert update.message.text is not None
    if not context.draft.get("start"):
        return await _expired_draft(update, context)
    try:
        context.draft["email"] = normalize_email(update.message.text)
    except InvalidEmail as err:
        await send(update, context, f"{escape(str(err))} Please type it again.")
        return EMAIL
    return await _summary(update, context)


async def skip_email(update: Update, context: BotContext) -> State:
    """Skip the optional e-mail."""
    await answer(update, context)
    business = await context.services.booking.business()
    if business.ask_email == "required":
        await send(update, context, "We need an e-mail address for bookings, sorry.")
        return EMAIL
    context.draft["email"] = None
    return await _summary(update, context)


async def _summary(update: Update, context: BotContext, *, remove_keyboard: bool = False) -> State:
    draft = context.draft
    booking = context.services.booking
    service = await booking.service(int(draft["service"]))
    who = await _staff_label(context, int(draft["service"]), int(draft["staff"]))
    if service is None or who is None:
        return await _expired_draft(update, context)
    business = await booking.business()
    start = datetime.fromtimestamp(int(draft["start"]), UTC)
    if remove_keyboard:
        await send(update, context, "Thanks!", ReplyKeyboardRemove())
    lines = [
        "<b>Please check your booking</b>",
        "",
        f"{render.service_line(service)}",
        f"👩‍🔧 {escape(who)}",
        f"🗓 {render.when(start, business.tz)}",
        f"👤 {escape(draft.get('name') or '')}",
    ]
    if draft.get("phone"):
        lines.append(f"📱 {escape(draft['phone'])}")
    if draft.get("email"):
        lines.append(f"✉️ {escape(draft['email'])}")
    if business.address:
        lines.append(f"📍 {escape(business.address)}")
    keyboard = InlineKeyboardMarkup(
        [
            [button("✅ Confirm booking", cb.Confirm(cb.Token(draft["key"])))],
            [button("✏️ Change my details", cb.EditContact())],
            [button("✖ Cancel", cb.Abort())],
        ]
    )
    if update.callback_query is not None:
        await show(update, context, "\n".join(lines), keyboard)
    else:
        await send(update, context, "\n".join(lines), keyboard)
    return CONFIRM


async def edit_contact(update: Update, context: BotContext) -> State:
    """Change name/phone/e-mail before confirming."""
    await answer(update, context)
    for key in ("name", "phone", "email", "returning"):
        context.draft.pop(key, None)
    return await _ask_name(update, context)


async def confirm(update: Update, context: BotContext) -> State:
    """Book it."""
    await answer(update, context)
    data = cb.unpack(update, cb.Confirm)
    draft = context.draft
    if draft.get("key") != data.key or not draft.get("name"):
        return await confirm_outside(update, context)
    if _missing_required(await context.services.booking.business(), draft):
        return await _complete_contact(update, context)
    user = update.effective_user
    assert user is not None
    service_id, staff_id = int(draft["service"]), int(draft["staff"])
    start = datetime.fromtimestamp(int(draft["start"]), UTC)
    outcome = await context.services.booking.book(
        contact=Contact(
            telegram_user_id=user.id,
            name=draft["name"],
            phone=draft.get("phone"),
            email=draft.get("email"),
        ),
        service_id=service_id,
        staff_id=None if staff_id == cb.ANYONE else staff_id,
        start=start,
        request_key=f"{user.id}:{data.key}",
    )
    if isinstance(outcome, Booked | AlreadyBooked):
        contact_kept = {k: draft.get(k) for k in ("name", "phone", "email")}
        draft.clear()
        draft.update({k: v for k, v in contact_kept.items() if v})
        await send_confirmation(update, context, outcome.booking)
        return END
    if isinstance(outcome, SlotUnavailable):
        return await _offer_alternatives(
            update, context, service_id, staff_id, outcome.alternatives, start
        )
    assert isinstance(outcome, Unavailable)
    await show(update, context, escape(outcome.reason))
    return await _services_screen(update, context)


async def confirm_outside(update: Update, context: BotContext) -> State:
    """A Confirm button outside its summary: a double tap, or an old summary."""
    await answer(update, context)
    data = _parsed(update)
    user = update.effective_user
    if isinstance(data, cb.Confirm) and user is not None:
        earlier = await context.services.booking.bookings.by_request_key(f"{user.id}:{data.key}")
        if earlier is not None:
            tz = (await context.services.booking.business()).tz
            await send(
                update,
                context,
                f"✅ This booking is already confirmed: {render.when(earlier.start, tz)}. "
                "See /mybookings.",
            )
            return END
    return await _expired_draft(update, context)


async def _expired_draft(update: Update, context: BotContext) -> State:
    context.draft.clear()
    await send(update, context, "That booking step has expired. Let's start again:")
    return await _services_screen(update, context)


async def abort(update: Update, context: BotContext) -> State:
    """/cancel or the Cancel button: leave the booking flow."""
    await answer(update, context)
    for key in ("service", "staff", "start", "key", "suggested_name"):
        context.draft.pop(key, None)
    await send(update, context, "Okay, nothing was booked.", ReplyKeyboardRemove())
    await send(
        update,
        context,
        "Tap /start whenever you want to book.",
        InlineKeyboardMarkup([[button("🗓 Book an appointment", cb.ShowServices())]]),
    )
    return END


def _hint(text: str, state: str) -> Any:
    """A handler for stray text or media: say what this step expects, stay in the step."""

    async def hint(update: Update, context: BotContext) -> State:
        await send(update, context, text)
        return state

    return hint


hint_buttons = _hint("Please choose with the buttons above, or /cancel to stop.", CHOOSING)
hint_name = _hint("Please type your name as text, or /cancel to stop.", NAME)
hint_phone = _hint("Please share your phone number with the button, or type it.", PHONE)
hint_email = _hint("Please type your e-mail address, or /cancel to stop.", EMAIL)
hint_confirm = _hint("Tap ✅ Confirm booking above, or /cancel to stop.", CONFIRM)


def _cq(callback: Any, kind: type[cb.Callback]) -> CallbackQueryHandler[BotContext, Any]:
    return CallbackQueryHandler(callback, pattern=cb.pattern(kind))


def booking_conversation() -> ConversationHandler[BotContext]:
    """The persistent booking conversation."""
    choosing = [
        _cq(show_services, cb.ShowServices),
        _cq(pick_service, cb.PickService),
        _cq(pick_staff, cb.PickStaff),
        _cq(show_week, cb.ShowWeek),
        _cq(pick_day, cb.PickDay),
        _cq(pick_slot, cb.PickSlot),
    ]
    anything = filters.ALL & ~filters.COMMAND
    abort_button = _cq(abort, cb.Abort)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=[CommandHandler("start", start), *choosing],
            states={
                CHOOSING: [MessageHandler(anything, hint_buttons)],
                NAME: [
                    _cq(use_name, cb.UseName),
                    MessageHandler(filters.TEXT & ~filters.COMMAND, got_name),
                    MessageHandler(anything, hint_name),
                ],
                PHONE: [
                    MessageHandler(filters.CONTACT, got_contact),
                    MessageHandler(filters.TEXT & ~filters.COMMAND, got_phone_text),
                    MessageHandler(anything, hint_phone),
                ],
                EMAIL: [
                    _cq(skip_email, cb.SkipField),
                    MessageHandler(filters.TEXT & ~filters.COMMAND, got_email),
                    MessageHandler(anything, hint_email),
                ],
                CONFIRM: [
                    _cq(confirm, cb.Confirm),
                    _cq(edit_contact, cb.EditContact),
                    MessageHandler(anything, hint_confirm),
                ],
            },
            fallbacks=[CommandHandler("cancel", abort), abort_button],
            allow_reentry=True,
            persistent=True,
            name="booking",
        )
