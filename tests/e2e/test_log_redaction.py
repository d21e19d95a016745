"""With LOG_LEVEL=DEBUG the log holds no secret and no personal contact: the real bot, set up
by the same logging setup as `bookbot run`, takes a booking with a shared and a typed phone
number and an e-mail address, an admin's /invite, a staff member's Google sign-in, /connect
and /calendars; then no record holds the bot token, an invite payload, an OAuth state or code,
a Google token or secret, a phone number or an e-mail address; with updates by long polling
and by webhook.

Two views of the same records: as they leave the loggers (a plain handler added before the
bot's: what the libraries' own loggers let through, i.e. the fixes at the source), and as the
bot's handler writes them (after its redacting filter)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.logging_setup import configure_logging, secrets_of
from tests.conftest import SALON
from tests.e2e.flows import WAIT, confirm, full_name, reach_step, reach_summary, say, tap
from tests.e2e.google_harness import (
    consent_url_of,
    free_port,
    google_settings,
    invite_link,
    open_consent,
    query_of,
    visit,
)
from tests.e2e.harness import ADMIN_ID, load_business, running_bot
from tests.fakes.google import FakeGoogle
from tests.fakes.telegram import FakeTelegram
from tests.week import TUESDAY, day_button

SHARED_PHONE = "+358401234567"
TYPED_PHONE = "+44 20 7946 0958"
CUSTOMER_EMAIL = "ann.customer@example.org"
STAFF_EMAIL = "anna.staff@example.com"
DAY = day_button(TUESDAY)  # the day button's label


class _Records(logging.Handler):
    """Keeps each record's full text (message, traceback, stack) as it is emitted."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []
        self.names: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        text = f"{record.name} {record.getMessage()}"
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        if record.stack_info:
            text += "\n" + record.stack_info
        self.texts.append(text)
        self.names.add(record.name)


@pytest.fixture
def restored_root_logger() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)


@pytest.mark.parametrize("webhook", [False, True], ids=["long-polling", "webhook"])
async def test_debug_log_holds_no_secret_and_no_contact(
    tg: FakeTelegram,
    google: FakeGoogle,
    db_path: Path,
    clock: ManualClock,
    restored_root_logger: logging.Logger,
    webhook: bool,
) -> None:
    await load_business(db_path, SALON)
    settings = google_settings(tg, google, db_path, free_port())
    settings = settings.model_copy(update={"telegram_webhook": webhook})
    google.register_redirect_uri(settings.oauth_redirect_uri)
    anna = google.add_account(STAFF_EMAIL, name="Anna")
    google.add_calendar(anna, "Personal")

    at_source = _Records()
    restored_root_logger.addHandler(at_source)
    written = io.StringIO()
    configure_logging("DEBUG", secrets=secrets_of(settings), stream=written)

    states: list[str] = []
    async with running_bot(settings, clock):
        ann = tg.user(601, first_name="Ann")
        await confirm(tg, ann, await reach_summary(tg, ann, day=DAY, email=CUSTOMER_EMAIL))

        bob = tg.user(602, first_name="Bob")
        phone_prompt = await reach_step(tg, bob, "phone", day=DAY, time="15:00")
        assert "phone" in phone_prompt["text"].lower()
        mark = tg.mark()
        await tg.send_text(bob, TYPED_PHONE)
        email_prompt = await tg.next_message(
            bob.id, since=mark, predicate=lambda m: "e-mail" in m.get("text", ""), timeout=WAIT
        )
        summary = await tap(tg, bob, email_prompt, "Skip the e-mail")
        assert full_name(bob) in summary["text"] and "+442079460958" in summary["text"]
        await confirm(tg, bob, summary)

        admin = tg.user(ADMIN_ID, first_name="Boss")
        payload = await invite_link(tg, admin, "Anna")
        staff = tg.user(801, first_name="Anna")
        welcome = await say(tg, staff, f"/start {payload}")
        google.set_consent(anna)
        callback_url = await open_consent(consent_url_of(welcome))
        states.append(query_of(callback_url)["state"])
        mark = tg.mark()
        page = await visit(callback_url)
        assert page.status == 200
        await tg.next_message(staff.id, since=mark, timeout=WAIT)
        picker = await say(tg, staff, "/calendars")
        assert "Where should new bookings go?" in picker["text"]
        again = await say(tg, staff, "/connect")
        states.append(query_of(consent_url_of(again))["state"])
    assert bool(tg.calls("setWebhook")) == webhook

    never = [
        tg.token,
        tg.token.split(":", 1)[1],
        payload,
        payload.removeprefix("connect_"),
        *states,
        *google.oauth.codes,
        *google.oauth.access_tokens,
        *google.oauth.refresh_tokens,
        google.client_secret,
        *secrets_of(settings),
        SHARED_PHONE,
        SHARED_PHONE.removeprefix("+"),
        TYPED_PHONE,
        "442079460958",
        CUSTOMER_EMAIL,
        STAFF_EMAIL,
    ]
    assert all(len(value) >= 8 for value in never)
    # The log is not empty: PTB, aiosqlite and the web server did log at DEBUG.
    assert {"telegram.ext.ExtBot", "telegram.ext.Application", "aiosqlite"} <= at_source.names
    assert any("Calling Bot API endpoint `sendMessage`" in text for text in at_source.texts)
    assert len(written.getvalue().splitlines()) >= len(at_source.texts)

    leaks = [
        (value, text)
        for text in [*at_source.texts, written.getvalue()]
        for value in never
        if value in text
    ]
    assert not leaks, leaks[:5]
