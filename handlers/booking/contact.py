"""The contact steps of a booking: picking a time starts the draft, then name, phone and
e-mail are asked (each a `TextStep`) unless known from an earlier booking."""

from __future__ import annotations

import secrets
from html import escape

from telegram import (
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from bot.business import BusinessSettings
from bot.domain.contact import (
    InvalidName,
    InvalidPhone,
    clean_name,
    normalize_email,
    normalize_phone,
)
from handlers import callbacks as cb
from handlers.booking.browse import slot_gone
from handlers.booking.draft import Draft, load_draft, save_draft
from handlers.booking.menu import CONVERSATION, EMAIL, NAME, PHONE, start_over
from handlers.booking.summary import show_summary
from handlers.common import answer, send
from handlers.context import BotContext
from handlers.keyboards import button
from handlers.limits import shorten
from handlers.prompt import State, TextStep

SKIP_TEXT = "Skip"


async def pick_slot(update: Update, context: BotContext) -> State:
    """A time button: start a draft, then collect contact details or show the summary."""
    await answer(update, context)
    data = cb.unpack(update, cb.PickSlot)
    booking = context.services.booking
    business = await booking.business()
    day = data.start.astimezone(business.tz).date()
    if data.start not in await booking.free_slots(data.service_id, data.staff.staff_id, day):
        return await slot_gone(update, context, data.service_id, data.staff, data.start)
    previous = load_draft(context)
    draft = Draft(
        service_id=data.service_id,
        staff_id=data.staff.staff_id,
        start=data.start,
        key=secrets.token_urlsafe(9),
    )
    user = update.effective_user
    assert user is not None
    known = await booking.customer(user.id)
    if previous.name:
        draft.name, draft.phone, draft.email = previous.name, previous.phone, previous.email
    elif known is not None:
        draft.name, draft.phone, draft.email = known.name, known.phone, known.email
    else:
        save_draft(context, draft)
        return await ask_name(update, context)
    save_draft(context, draft)
    return await complete_contact(update, context)


async def complete_contact(
    update: Update, context: BotContext, *, remove_keyboard: bool = False
) -> State:
    """Known contact details: ask only for what the settings require and they lack (the
    settings may have changed since they were saved), then the summary."""
    business = await context.services.booking.business()
    draft = load_draft(context)
    draft.returning = True
    save_draft(context, draft)
    missing = missing_required(business, draft)
    if missing == "phone":
        return await ask_phone(update, context)
    if missing == "email":
        return await ask_email(update, context, remove_keyboard=remove_keyboard)
    return await show_summary(update, context, remove_keyboard=remove_keyboard)


def missing_required(business: BusinessSettings, draft: Draft) -> str | None:
    """The first contact field the settings require that the draft lacks."""
    if business.ask_phone == "required" and not draft.phone:
        return "phone"
    if business.ask_email == "required" and not draft.email:
        return "email"
    return None


async def _draft_gone(update: Update, context: BotContext) -> State | None:
    """Text arrived for a step whose draft is gone (a restart mid-upgrade, a cleared draft)."""
    if load_draft(context).has_slot:
        return None
    return await start_over(update, context)


# --- name ------------------------------------------------------------------------------


async def _valid_name(context: BotContext, text: str) -> str:
    return clean_name(text)


async def _got_name(update: Update, context: BotContext, name: str) -> State:
    draft = load_draft(context)
    draft.name = name
    save_draft(context, draft)
    return await ask_phone(update, context)


NAME_STEP = TextStep(
    conversation=CONVERSATION,
    state=NAME,
    validate=_valid_name,
    retry="Please type your name again.",
    then=_got_name,
    guard=_draft_gone,
)


async def ask_name(update: Update, context: BotContext) -> State:
    """Ask for the booking's name, offering the Telegram profile name."""
    user = update.effective_user
    suggestion = (user.full_name if user else "").strip()
    draft = load_draft(context)
    rows = []
    if suggestion:
        draft.suggested_name = suggestion[:64]
        save_draft(context, draft)
        rows.append([button(f"Use “{shorten(suggestion, 40)}”", cb.UseName())])
    rows.append([button("✖ Cancel", cb.Abort())])
    text = "What name should the booking be under? Type it, or use the button."
    return await NAME_STEP.ask(update, context, text, InlineKeyboardMarkup(rows))


async def use_name(update: Update, context: BotContext) -> State:
    """Keep the name from the Telegram profile."""
    await answer(update, context)
    draft = load_draft(context)
    try:
        name = clean_name(draft.suggested_name or "")
    except InvalidName:
        return await NAME_STEP.ask(update, context, "Please type the name for the booking.")
    return await _got_name(update, context, name)


# --- phone -----------------------------------------------------------------------------


async def _valid_phone(context: BotContext, text: str) -> str | None:
    """A phone number, or None for Skip where the settings allow it."""
    text = text.strip()
    if text.lower() == SKIP_TEXT.lower():
        if (await context.services.booking.business()).ask_phone == "required":
            raise ValueError("We need a phone number for bookings, sorry.")
        return None
    return normalize_phone(text)


async def _got_phone(update: Update, context: BotContext, phone: str | None) -> State:
    draft = load_draft(context)
    draft.phone = phone
    save_draft(context, draft)
    if draft.returning:
        return await complete_contact(update, context, remove_keyboard=True)
    return await ask_email(update, context, remove_keyboard=True)


PHONE_STEP = TextStep(
    conversation=CONVERSATION,
    state=PHONE,
    validate=_valid_phone,
    retry="Or use the button below.",
    then=_got_phone,
    guard=_draft_gone,
)


async def ask_phone(update: Update, context: BotContext) -> State:
    """Ask for a phone number with a 'Share my phone number' button (unless not asked)."""
    business = await context.services.booking.business()
    if business.ask_phone == "no":
        draft = load_draft(context)
        draft.phone = None
        save_draft(context, draft)
        return await ask_email(update, context)
    rows = [[KeyboardButton("📱 Share my phone number", request_contact=True)]]
    if business.ask_phone == "optional":
        rows.append([KeyboardButton(SKIP_TEXT)])
    optional = " (optional – or tap Skip)" if business.ask_phone == "optional" else ""
    text = (
        f"Your phone number{optional}: tap the button below to share it, or type it "
        "with the country code."
    )
    markup = ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
    return await PHONE_STEP.ask(update, context, text, markup)


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
        phone = normalize_phone(message.contact.phone_number)
    except InvalidPhone as err:
        await send(update, context, escape(str(err)))
        return PHONE
    return await _got_phone(update, context, phone)


# --- e-mail ----------------------------------------------------------------------------


async def _valid_email(context: BotContext, text: str) -> str:
    return normalize_email(text)


async def _got_email(update: Update, context: BotContext, email: str | None) -> State:
    draft = load_draft(context)
    draft.email = email
    save_draft(context, draft)
    return await show_summary(update, context)


EMAIL_STEP: TextStep[str | None] = TextStep(
    conversation=CONVERSATION,
    state=EMAIL,
    validate=_valid_email,
    retry="Please type it again.",
    then=_got_email,
    guard=_draft_gone,
)


async def ask_email(update: Update, context: BotContext, *, remove_keyboard: bool = False) -> State:
    """Ask for an e-mail address; `remove_keyboard`: the phone step's keyboard still shows."""
    business = await context.services.booking.business()
    if business.ask_email == "no":
        draft = load_draft(context)
        draft.email = None
        save_draft(context, draft)
        return await show_summary(update, context, remove_keyboard=remove_keyboard)
    if remove_keyboard:
        await send(update, context, "Thanks!", ReplyKeyboardRemove())
    rows = [[button("Skip", cb.SkipField())]] if business.ask_email == "optional" else []
    rows.append([button("✖ Cancel", cb.Abort())])
    optional = " (optional)" if business.ask_email == "optional" else ""
    text = f"Your e-mail address{optional}, for the confirmation:"
    return await EMAIL_STEP.ask(update, context, text, InlineKeyboardMarkup(rows))


async def skip_email(update: Update, context: BotContext) -> State:
    """Skip the optional e-mail."""
    await answer(update, context)
    business = await context.services.booking.business()
    if business.ask_email == "required":
        await send(update, context, "We need an e-mail address for bookings, sorry.")
        return EMAIL
    return await _got_email(update, context, None)


async def edit_contact(update: Update, context: BotContext) -> State:
    """Change name/phone/e-mail before confirming."""
    await answer(update, context)
    draft = load_draft(context)
    draft.forget_contact()
    save_draft(context, draft)
    return await ask_name(update, context)
