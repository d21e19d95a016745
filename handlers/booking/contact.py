"""The contact steps of a booking: picking a time starts the draft; the name comes from the
Telegram profile (shown on the summary, where it can be changed); one "Share my contact" tap
gives the phone number (and the name on the contact); the e-mail is asked when the settings
want it. Details known from an earlier booking are not asked again. Every step has Back.
"""

from __future__ import annotations

import contextlib
import secrets
from datetime import datetime
from html import escape
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import filters

from bot.business import BusinessSettings
from bot.domain.contact import (
    InvalidName,
    InvalidPhone,
    clean_name,
    normalize_email,
    normalize_phone,
)
from handlers import callbacks as cb
from handlers.booking.browse import day_screen, remember_screen, slot_gone
from handlers.booking.draft import Draft, load_draft, save_draft
from handlers.booking.menu import CONVERSATION, EMAIL, NAME, PHONE, start_over
from handlers.booking.summary import SUMMARY_FIELD, show_summary
from handlers.common import answer, send
from handlers.context import BotContext
from handlers.i18n import N_, Texts, available_languages, texts_for
from handlers.keyboards import button
from handlers.language import texts_of
from handlers.limits import shorten
from handlers.prompt import State, TextStep

SKIP_TEXT = N_("Skip")
BACK_TO_TIMES = N_("« Back to times")
BACK_TO_SUMMARY = N_("« Back to the summary")
BACK_TEXTS = (BACK_TO_TIMES, BACK_TO_SUMMARY)
SHARE_TEXT = N_("📱 Share my contact")


def _in_any_language(*messages: str) -> set[str]:
    """Reply-keyboard labels as they read in every shipped language (lower-case)."""
    return {
        texts_for(code)._(message).lower() for code in available_languages() for message in messages
    }


class ReplyLabel(filters.MessageFilter):
    """Text that is one of these reply-keyboard labels, in any shipped language."""

    def __init__(self, *messages: str) -> None:
        super().__init__(name=f"ReplyLabel{messages}")
        self._messages = messages

    def filter(self, message: Any) -> bool:
        text = getattr(message, "text", None)
        return isinstance(text, str) and text.strip().lower() in _in_any_language(*self._messages)


async def pick_slot(update: Update, context: BotContext) -> State:
    """A time button: start a draft, then collect contact details or show the summary."""
    await answer(update, context)
    data = cb.unpack(update, cb.PickSlot)
    return await choose_slot(update, context, data.service_id, data.staff, data.start)


async def choose_slot(
    update: Update,
    context: BotContext,
    service_id: int,
    staff: cb.StaffChoice,
    start: datetime,
) -> State:
    """A time was chosen (tapped or typed): the contact details still missing, or the summary."""
    booking = context.services.booking
    business = await booking.business()
    day = start.astimezone(business.tz).date()
    if start not in await booking.free_slots(service_id, staff.staff_id, day):
        return await slot_gone(update, context, service_id, staff, start)
    remember_screen(context, "", None)
    previous = load_draft(context)
    draft = Draft(
        service_id=service_id, staff_id=staff.staff_id, start=start, key=secrets.token_urlsafe(9)
    )
    user = update.effective_user
    assert user is not None
    known = await booking.customer(user.id)
    if previous.name and (previous.returning or known is not None):
        draft.name, draft.phone, draft.email = previous.name, previous.phone, previous.email
    elif known is not None:
        draft.name, draft.phone, draft.email = known.name, known.phone, known.email
    else:
        try:
            draft.name = previous.name or clean_name(user.full_name or "")
        except InvalidName:
            save_draft(context, draft)
            return await ask_name(update, context)
        save_draft(context, draft)
        return await ask_phone(update, context)
    save_draft(context, draft)
    return await complete_contact(update, context)


async def complete_contact(update: Update, context: BotContext) -> State:
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
        return await ask_email(update, context)
    return await show_summary(update, context)


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


def _back_to_times(t: Texts, draft: Draft, tz: Any) -> InlineKeyboardButton | None:
    if draft.service_id is None or draft.start is None:
        return None
    day = draft.start.astimezone(tz).date()
    return button(
        t._("« Back to times"),
        cb.DayPart(draft.service_id, cb.StaffChoice(draft.staff_id), day, 0),
    )


# --- name ------------------------------------------------------------------------------


async def _valid_name(context: BotContext, text: str) -> str:
    return clean_name(text)


async def _got_name(update: Update, context: BotContext, name: str) -> State:
    draft = load_draft(context)
    draft.name = name
    save_draft(context, draft)
    if draft.returning:
        return await complete_contact(update, context)
    return await ask_phone(update, context)


NAME_STEP = TextStep(
    conversation=CONVERSATION,
    state=NAME,
    validate=_valid_name,
    retry=N_("Please type your name again."),
    then=_got_name,
    guard=_draft_gone,
)


async def ask_name(update: Update, context: BotContext, *, note: str = "") -> State:
    """Ask for the booking's name, offering the Telegram profile name; `note` first."""
    t = await texts_of(update, context)
    user = update.effective_user
    suggestion = (user.full_name if user else "").strip()
    draft = load_draft(context)
    rows = []
    if suggestion and suggestion != draft.name:
        draft.suggested_name = suggestion[:64]
        save_draft(context, draft)
        rows.append([button(t._("Use “{name}”", name=shorten(suggestion, 40)), cb.UseName())])
    if draft.returning and draft.name:
        rows.append([button(t._("« Back to the summary"), cb.AskField(SUMMARY_FIELD))])
    else:
        business = await context.services.booking.business()
        back = _back_to_times(t, draft, business.tz)
        if back is not None:
            rows.append([back])
    rows.append([button(t._("✖ Stop booking"), cb.Abort())])
    text = t._("What name should the booking be under? Type it below.")
    text = f"{note}\n\n{text}" if note else text
    return await NAME_STEP.ask(update, context, text, InlineKeyboardMarkup(rows))


async def use_name(update: Update, context: BotContext) -> State:
    """Keep the name from the Telegram profile."""
    await answer(update, context)
    t = await texts_of(update, context)
    draft = load_draft(context)
    try:
        name = clean_name(draft.suggested_name or "")
    except InvalidName:
        return await NAME_STEP.ask(update, context, t._("Please type the name for the booking."))
    return await _got_name(update, context, name)


# --- phone -----------------------------------------------------------------------------


async def _valid_phone(context: BotContext, text: str) -> str | None:
    """A phone number, or None for Skip where the settings allow it."""
    text = text.strip()
    if text.lower() in _in_any_language(SKIP_TEXT):
        if (await context.services.booking.business()).ask_phone == "required":
            raise ValueError(N_("We need a phone number for bookings, sorry."))
        return None
    return normalize_phone(text)


async def _got_phone(update: Update, context: BotContext, phone: str | None) -> State:
    t = await texts_of(update, context)
    draft = load_draft(context)
    draft.phone = phone
    save_draft(context, draft)
    said = (
        t._("📱 Your phone number: {phone}", phone=escape(phone))
        if phone
        else t._("Okay, no phone number.")
    )
    await send(update, context, said, ReplyKeyboardRemove())
    if draft.returning:
        return await complete_contact(update, context)
    return await ask_email(update, context)


PHONE_STEP = TextStep(
    conversation=CONVERSATION,
    state=PHONE,
    validate=_valid_phone,
    retry=N_("Or use the button below."),
    then=_got_phone,
    guard=_draft_gone,
)


async def ask_phone(update: Update, context: BotContext) -> State:
    """Ask for a phone number with one 'Share my contact' button (unless not asked)."""
    t = await texts_of(update, context)
    business = await context.services.booking.business()
    if business.ask_phone == "no":
        draft = load_draft(context)
        draft.phone = None
        save_draft(context, draft)
        return await ask_email(update, context)
    draft = load_draft(context)
    back = KeyboardButton(t._(BACK_TO_SUMMARY if draft.returning else BACK_TO_TIMES))
    rows = [[KeyboardButton(t._(SHARE_TEXT), request_contact=True)]]
    if business.ask_phone == "optional":
        rows.append([KeyboardButton(t._(SKIP_TEXT)), back])
        text = t._(
            "Your phone number (optional), so we can reach you about the booking: tap "
            "“Share my contact” below, type it with the country code, or tap Skip."
        )
    else:
        rows.append([back])
        text = t._(
            "Your phone number, so we can reach you about the booking: tap “Share my "
            "contact” below, or type it with the country code."
        )
    markup = ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
    return await PHONE_STEP.ask(update, context, text, markup)


async def got_contact(update: Update, context: BotContext) -> State:
    """A shared contact in the phone step: its number, and its name for a new customer."""
    t = await texts_of(update, context)
    message = update.message
    assert message is not None
    assert message.contact is not None
    user = update.effective_user
    contact = message.contact
    if contact.user_id is not None and user is not None and (contact.user_id != user.id):
        await send(update, context, t._("Please share your own number with the button below."))
        return PHONE
    try:
        phone = normalize_phone(contact.phone_number)
    except InvalidPhone as err:
        await send(update, context, escape(t._(str(err))))
        return PHONE
    draft = load_draft(context)
    if not draft.returning:
        full = " ".join(n for n in (contact.first_name, contact.last_name) if n)
        with contextlib.suppress(InvalidName):
            draft.name = clean_name(full) if full.strip() else draft.name
        save_draft(context, draft)
    return await _got_phone(update, context, phone)


async def phone_back(update: Update, context: BotContext) -> State:
    """Back on the phone step: the summary for a change, else the day's times."""
    t = await texts_of(update, context)
    draft = load_draft(context)
    if not draft.has_slot:
        return await start_over(update, context)
    await send(update, context, t._("Okay, going back."), ReplyKeyboardRemove())
    if draft.returning and draft.name:
        return await show_summary(update, context)
    assert draft.service_id is not None
    assert draft.start is not None
    tz = (await context.services.booking.business()).tz
    staff = cb.StaffChoice(draft.staff_id)
    return await day_screen(
        update, context, draft.service_id, staff, draft.start.astimezone(tz).date(), 0
    )


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
    retry=N_("Please type it again."),
    then=_got_email,
    guard=_draft_gone,
)


async def ask_email(update: Update, context: BotContext, *, note: str = "") -> State:
    """Ask for an e-mail address (unless the settings do not want one); `note` first."""
    t = await texts_of(update, context)
    business = await context.services.booking.business()
    draft = load_draft(context)
    if business.ask_email == "no":
        draft.email = None
        save_draft(context, draft)
        return await show_summary(update, context)
    rows = (
        [[button(t._("Skip the e-mail"), cb.SkipField())]]
        if business.ask_email == "optional"
        else []
    )
    if draft.returning and draft.name:
        rows.append([button(t._("« Back to the summary"), cb.AskField(SUMMARY_FIELD))])
    elif business.ask_phone != "no":
        rows.append([button(t._("« Back to the phone number"), cb.AskField(cb.PHONE_FIELD))])
    else:
        back = _back_to_times(t, draft, business.tz)
        if back is not None:
            rows.append([back])
    rows.append([button(t._("✖ Stop booking"), cb.Abort())])
    text = (
        t._("Your e-mail address (optional), for the confirmation – type it below:")
        if business.ask_email == "optional"
        else t._("Your e-mail address, for the confirmation – type it below:")
    )
    text = f"{note}\n\n{text}" if note else text
    return await EMAIL_STEP.ask(update, context, text, InlineKeyboardMarkup(rows))


async def skip_email(update: Update, context: BotContext) -> State:
    """Skip the optional e-mail."""
    await answer(update, context)
    business = await context.services.booking.business()
    if business.ask_email == "required":
        t = await texts_of(update, context)
        await send(update, context, t._("We need an e-mail address for bookings, sorry."))
        return EMAIL
    if not load_draft(context).has_slot:
        return await start_over(update, context)
    return await _got_email(update, context, None)


async def edit_contact(update: Update, context: BotContext) -> State:
    """'Change my details' on an older summary: ask the name again, then the rest."""
    await answer(update, context)
    draft = load_draft(context)
    if not draft.has_slot:
        return await start_over(update, context)
    draft.forget_contact()
    save_draft(context, draft)
    return await ask_name(update, context)


async def ask_field(update: Update, context: BotContext) -> State:
    """A Back or Change button of the contact steps and the summary: go to that step
    (the summary comes back after it)."""
    await answer(update, context)
    data = cb.unpack(update, cb.AskField)
    draft = load_draft(context)
    if not draft.has_slot:
        return await start_over(update, context)
    if data.field == SUMMARY_FIELD:
        return await show_summary(update, context)
    if data.field == cb.NAME_FIELD:
        return await ask_name(update, context)
    if data.field == cb.PHONE_FIELD:
        return await ask_phone(update, context)
    return await ask_email(update, context)
