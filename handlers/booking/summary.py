"""The booking summary: everything chosen, the cancellation policy, Confirm, a change
button for each choice (day, time, staff, name, phone, e-mail) and Cancel."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardMarkup, Update

from handlers import callbacks as cb
from handlers import render
from handlers.booking.draft import load_draft, save_draft
from handlers.booking.menu import CONFIRM, CONVERSATION, staff_label, start_over
from handlers.common import send, show
from handlers.context import BotContext
from handlers.keyboards import button
from handlers.language import texts_of
from handlers.limits import shorten
from handlers.localized import service_for
from handlers.prompt import State
from handlers.routing import stop_expecting

ADDRESS_LIMIT = 300
SUMMARY_FIELD = 3  # AskField value that shows the summary again (the others: cb.*_FIELD)


async def show_summary(update: Update, context: BotContext, *, note: str = "") -> State:
    """Show the summary of the draft (or start over if its choice is gone); `note` first."""
    t = await texts_of(update, context)
    draft = load_draft(context)
    booking = context.services.booking
    if draft.service_id is None or draft.start is None or draft.key is None:
        return await start_over(update, context)
    service = await service_for(context.services, t, await booking.service(draft.service_id))
    staff = cb.StaffChoice(draft.staff_id)
    who = await staff_label(t, context, draft.service_id, staff)
    if service is None or who is None:
        return await start_over(update, context)
    draft.returning = True  # a change made from here comes back here
    save_draft(context, draft)
    business = await booking.business()
    tz = business.tz
    lines = [
        *([note, ""] if note else []),
        t._("<b>Please check your booking</b>"),
        "",
        render.service_with(t, service, who),
        f"🗓 {render.when_in_zone(t, draft.start, tz)}",
        f"👤 {escape(draft.name or '')}",
    ]
    if draft.phone:
        lines.append(f"📱 {escape(draft.phone)}")
    if draft.email:
        lines.append(f"✉️ {escape(draft.email)}")
    if business.address:
        lines.append(f"📍 {escape(shorten(business.address, ADDRESS_LIMIT))}")
    lines += [
        "",
        render.cancellation_policy(
            t, draft.start, business.cancellation_cutoff, context.services.clock.now(), tz
        ),
    ]
    day = draft.start.astimezone(tz).date()
    change_when = [
        button(t._("🗓 Change the day"), cb.ShowWeek(draft.service_id, staff, day)),
        button(t._("🕐 Change the time"), cb.DayPart(draft.service_id, staff, day, 0)),
    ]
    change_who = []
    if len(await booking.staff_for(draft.service_id)) > 1:
        change_who.append(
            button(t._("👩‍🔧 Change the staff member"), cb.PickService(draft.service_id))
        )
    change_who.append(button(t._("✏️ Change the name"), cb.AskField(cb.NAME_FIELD)))
    contact_row = []
    if business.ask_phone != "no":
        contact_row.append(button(t._("📱 Change the phone number"), cb.AskField(cb.PHONE_FIELD)))
    if business.ask_email != "no":
        contact_row.append(button(t._("✉️ Change the e-mail"), cb.AskField(cb.EMAIL_FIELD)))
    rows = [[button(t._("✅ Confirm booking"), cb.Confirm(cb.Token(draft.key)))], change_when]
    rows += [change_who] + ([contact_row] if contact_row else [])
    rows.append([button(t._("✖ Stop booking"), cb.Abort())])
    keyboard = InlineKeyboardMarkup(rows)
    # The summary asks for no text: a question another conversation waits on gets it again.
    stop_expecting(context, CONVERSATION)
    if update.callback_query is not None:
        await show(update, context, "\n".join(lines), keyboard)
    else:
        await send(update, context, "\n".join(lines), keyboard)
    return CONFIRM
