"""Staff link Telegram and Google: invite, consent, calendars, disconnect, revoked tokens; the
Google accounts part: sessions keyed by staff member, revocation handled once for every caller."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from bot.app import BotRuntime
from bot.clock import ManualClock
from bot.crypto import TokenCipher
from bot.doctor import run_doctor
from bot.google.oauth import GrantedTokens
from bot.google_accounts import NotConnected
from tests.e2e.flows import say, tap
from tests.e2e.google_harness import (
    consent_url_of,
    invite_link,
    open_consent,
    query_of,
    visit,
)
from tests.e2e.harness import ADMIN_ID, buttons
from tests.fakes.google import Account, FakeGoogle
from tests.fakes.telegram import FakeTelegram, FakeUser


@pytest.fixture
def admin(tg: FakeTelegram) -> FakeUser:
    return tg.user(ADMIN_ID, first_name="Boss")


@pytest.fixture
def anna_google(google: FakeGoogle) -> Account:
    account = google.add_account("anna@example.com", name="Anna")
    google.add_calendar(account, "Personal")
    google.add_calendar(account, "Team holidays", access_role="reader")
    return account


async def link_staff(tg: FakeTelegram, admin: FakeUser, staff: FakeUser) -> dict[str, object]:
    """Admin invites Anna; the staff member opens the link; returns the sign-in message."""
    payload = await invite_link(tg, admin, "Anna")
    return await say(tg, staff, f"/start {payload}")


async def connect(
    tg: FakeTelegram,
    google: FakeGoogle,
    staff: FakeUser,
    account: Account,
    message: dict[str, object],
    grant: object = None,
) -> dict[str, object]:
    """Consent in the browser; returns the callback page and the bot's Telegram message."""
    google.set_consent(account, grant=grant)
    callback_url = await open_consent(consent_url_of(message))
    mark = tg.mark()
    page = await visit(callback_url)
    told = await tg.next_message(staff.id, since=mark)
    return {"page": page, "told": told, "callback_url": callback_url}


async def _stored_tokens(bot: BotRuntime) -> GrantedTokens:
    """The staff member's tokens as stored (decrypted with the bot's key)."""
    assert bot.db is not None
    async with bot.db.reader.execute("SELECT tokens FROM google_accounts") as cur:
        row = await cur.fetchone()
    assert row is not None
    key = bot.settings.token_encryption_key
    assert key is not None
    return GrantedTokens.from_json(TokenCipher(key.get_secret_value()).decrypt(row[0]))


async def _dump(bot: BotRuntime) -> str:
    assert bot.db is not None
    lines = [line async for line in bot.db.reader.iterdump()]
    return "\n".join(lines)


async def test_staff_connects_chooses_calendars_and_disconnects(
    tg: FakeTelegram,
    google: FakeGoogle,
    gbot: BotRuntime,
    admin: FakeUser,
    anna_google: Account,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    staff = tg.user(801, first_name="Anna")
    welcome = await link_staff(tg, admin, staff)
    assert "linked as staff" in welcome["text"]  # type: ignore[operator]
    consent = query_of(consent_url_of(welcome))
    assert consent["access_type"] == "offline" and consent["prompt"] == "consent"
    assert consent["include_granted_scopes"] == "true"
    assert consent["code_challenge_method"] == "S256" and len(consent["code_challenge"]) >= 43
    assert len(consent["state"]) >= 32

    result = await connect(tg, google, staff, anna_google, welcome)
    page = result["page"]
    assert page.status == 200 and "Connected as anna@example.com" in page.page  # type: ignore[attr-defined]
    told = result["told"]
    assert "connected as anna@example.com" in told["text"]  # type: ignore[index]

    picker = await tap(tg, staff, told, "📅 Choose calendars")  # type: ignore[arg-type]
    assert "📅 anna@example.com (primary)" in buttons(picker)
    assert "📅 Personal" in buttons(picker)
    assert not any("Team holidays" in b for b in buttons(picker))  # read-only: cannot receive
    blocking = await tap(tg, staff, picker, "➕ New calendar “Test Salon bookings”")
    assert "Test Salon bookings" in blocking["text"]
    assert "✅ anna@example.com: blocks my time" in buttons(
        blocking
    ) and "▫️ Team holidays: does not block" in buttons(blocking)
    blocking = await tap(tg, staff, blocking, "▫️ Team holidays: does not block")
    saved = await tap(tg, staff, blocking, "💾 Save the calendars")
    assert "Saved" in saved["text"]
    assert gbot.db is not None
    async with gbot.db.reader.execute(
        "SELECT name, is_destination, blocks_time FROM staff_calendars ORDER BY name"
    ) as cur:
        rows = [tuple(r) for r in await cur.fetchall()]
    assert rows == [
        ("Team holidays", 0, 1),
        ("Test Salon bookings", 1, 1),
        ("anna@example.com", 0, 1),
    ]
    assert any(c.summary == "Test Salon bookings" for c in google.store.calendars.values())

    dump = await _dump(gbot)
    secrets = list(google.oauth.refresh_tokens) + list(google.oauth.access_tokens)
    assert secrets
    for secret in [*secrets, google.client_secret]:
        assert secret not in dump
        assert secret not in caplog.text
        assert secret not in page.page  # type: ignore[attr-defined]

    bye = await say(tg, staff, "/disconnect")
    assert "Signed out from Google" in bye["text"] and "/connect" in bye["text"]
    assert google.calls_of("oauth.revoke")
    assert all(t.revoked for t in google.oauth.refresh_tokens.values())
    async with gbot.db.reader.execute("SELECT tokens, status FROM google_accounts") as cur:
        assert [tuple(r) for r in await cur.fetchall()] == [(None, "disconnected")]
    again = await say(tg, staff, "/disconnect")
    assert "not connected" in again["text"]

    reconnect = await say(tg, staff, "/connect")
    result = await connect(tg, google, staff, anna_google, reconnect)
    assert result["page"].status == 200  # type: ignore[attr-defined]


async def test_granular_consent_names_missing_features(
    tg: FakeTelegram, google: FakeGoogle, gbot: BotRuntime, admin: FakeUser, anna_google: Account
) -> None:
    staff = tg.user(802, first_name="Anna")
    welcome = await link_staff(tg, admin, staff)
    granted = {
        "openid",
        "https://www.googleapis.com/auth/userinfo.email",
        "https://www.googleapis.com/auth/calendar.events",
        "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
    }
    result = await connect(tg, google, staff, anna_google, welcome, grant=granted)
    assert "not granted" in result["page"].page  # type: ignore[attr-defined]
    text = result["told"]["text"]  # type: ignore[index]
    assert "busy" in text.lower() and "/connect" in text


async def test_bad_callbacks_store_nothing(
    tg: FakeTelegram,
    google: FakeGoogle,
    gbot: BotRuntime,
    admin: FakeUser,
    anna_google: Account,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    staff = tg.user(803, first_name="Anna")
    welcome = await link_staff(tg, admin, staff)
    base = gbot.settings.oauth_redirect_uri

    for url in (base, f"{base}?code=abc", f"{base}?state=nonsense&code=abc"):
        page = await visit(url)
        assert page.status == 400 and "Not connected" in page.page

    google.set_consent(anna_google, deny=True)
    denied_url = await open_consent(consent_url_of(welcome))
    assert query_of(denied_url)["error"] == "access_denied"
    mark = tg.mark()
    page = await visit(denied_url)
    assert page.status == 400 and "declined" in page.page
    assert "declined" in (await tg.next_message(staff.id, since=mark))["text"]

    fresh = await say(tg, staff, "/connect")
    google.set_consent(anna_google)
    callback_url = await open_consent(consent_url_of(fresh))
    clock.advance(timedelta(minutes=11))
    mark = tg.mark()
    page = await visit(callback_url)
    assert page.status == 400 and "expired" in page.page
    assert "expired" in (await tg.next_message(staff.id, since=mark))["text"]

    fresh = await say(tg, staff, "/connect")
    callback_url = await open_consent(consent_url_of(fresh))
    google.fail_next("oauth.token", 500)
    page = await visit(callback_url)
    assert page.status == 400 and "did not accept" in page.page
    replay = await visit(callback_url)
    assert replay.status == 400 and "already used" in replay.page

    # Another staff member's code with this state: PKCE makes the exchange fail.
    other = await say(tg, staff, "/connect")
    mine = await say(tg, staff, "/connect")
    other_callback = await open_consent(consent_url_of(other))
    mine_callback = await open_consent(consent_url_of(mine))
    swapped = (
        f"{base}?state={query_of(mine_callback)['state']}&code={query_of(other_callback)['code']}"
    )
    page = await visit(swapped)
    assert page.status == 400

    assert gbot.db is not None
    async with gbot.db.reader.execute("SELECT count(*) FROM google_accounts") as cur:
        assert (await cur.fetchone())[0] == 0  # type: ignore[index]
    for secret in [*google.oauth.refresh_tokens, *google.oauth.access_tokens, *google.oauth.codes]:
        assert secret not in caplog.text


async def test_invites_are_single_use_expiring_and_admin_only(
    tg: FakeTelegram, gbot: BotRuntime, admin: FakeUser, clock: ManualClock
) -> None:
    customer = tg.user(810, first_name="Eve")
    unknown = (await say(tg, customer, "/nosuchcommand"))["text"]
    refused = await say(tg, customer, "/invite Anna")
    assert refused["text"] == unknown  # nothing shows that the command exists
    forged = await say(tg, customer, "/start connect_forgedtoken123")
    assert "not valid" in forged["text"]
    no_name = await say(tg, admin, "/invite Zed")
    assert "No staff member called" in no_name["text"] and "Anna" in no_name["text"]

    payload = await invite_link(tg, admin, "Anna")
    first = tg.user(811, first_name="Anna")
    assert "linked as staff" in (await say(tg, first, f"/start {payload}"))["text"]
    second = tg.user(812, first_name="Mallory")
    assert "already used" in (await say(tg, second, f"/start {payload}"))["text"]

    expiring = await invite_link(tg, admin, "Ben")
    clock.advance(timedelta(days=7, seconds=1))
    assert "expired" in (await say(tg, second, f"/start {expiring}"))["text"]
    not_staff = await say(tg, second, "/connect")
    assert not_staff["text"] == unknown


async def test_revoked_access_tells_staff_and_admins_once(
    tg: FakeTelegram, google: FakeGoogle, gbot: BotRuntime, admin: FakeUser, anna_google: Account
) -> None:
    staff = tg.user(820, first_name="Anna")
    welcome = await link_staff(tg, admin, staff)
    await connect(tg, google, staff, anna_google, welcome)
    google.revoke_account(anna_google)

    mark = tg.mark()
    await tg.send_text(staff, "/calendars")
    warning = await tg.wait_for(
        "sendMessage",
        chat_id=staff.id,
        since=mark,
        predicate=lambda c: "stopped working" in str(c.params.get("text", "")),
    )
    assert "Sign in with Google again" in str(warning.params.get("reply_markup"))
    told_admin = await tg.wait_for("sendMessage", chat_id=ADMIN_ID, since=mark)
    assert "Anna" in str(told_admin.params["text"])

    mark = tg.mark()
    await tg.send_text(staff, "/calendars")
    again = await tg.next_message(staff.id, since=mark)
    assert "not connected" in again["text"]
    warnings = [
        c
        for c in tg.calls("sendMessage", chat_id=ADMIN_ID)
        if "stopped working" in str(c.params["text"])
    ]
    assert len(warnings) == 1  # told once, not on every retry


async def test_testing_mode_refresh_expiry_is_detected(
    tg: FakeTelegram,
    google: FakeGoogle,
    gbot: BotRuntime,
    admin: FakeUser,
    anna_google: Account,
    clock: ManualClock,
) -> None:
    google.testing_mode = True
    staff = tg.user(830, first_name="Anna")
    welcome = await link_staff(tg, admin, staff)
    await connect(tg, google, staff, anna_google, welcome)
    assert gbot.db is not None
    before = await _stored_tokens(gbot)
    clock.advance(timedelta(hours=2))  # the access token expired: a refresh is needed
    picker = await say(tg, staff, "/calendars")
    assert "Where should new bookings go?" in picker["text"]
    after = await _stored_tokens(gbot)
    assert after.access_token != before.access_token  # the refreshed token was persisted
    assert after.expiry > before.expiry
    assert after.refresh_token == before.refresh_token
    assert after.access_token in google.oauth.access_tokens
    clock.advance(timedelta(days=7, hours=1))  # the refresh token of a Testing app died
    mark = tg.mark()
    await tg.send_text(staff, "/calendars")
    await tg.wait_for(
        "sendMessage",
        chat_id=staff.id,
        since=mark,
        predicate=lambda c: "stopped working" in str(c.params.get("text", "")),
    )
    async with gbot.db.reader.execute("SELECT status, tokens FROM google_accounts") as cur:
        assert [tuple(r) for r in await cur.fetchall()] == [("revoked", None)]


async def test_google_outage_is_explained_and_recorded(
    tg: FakeTelegram, google: FakeGoogle, gbot: BotRuntime, admin: FakeUser, anna_google: Account
) -> None:
    staff = tg.user(840, first_name="Anna")
    welcome = await link_staff(tg, admin, staff)
    await connect(tg, google, staff, anna_google, welcome)
    google.fail_next("calendar.calendarList.list", 503, times=5)
    reply = await say(tg, staff, "/calendars")
    assert "busy or unavailable" in reply["text"]
    assert gbot.db is not None
    async with gbot.db.reader.execute("SELECT status, last_error FROM google_accounts") as cur:
        row = await cur.fetchone()
    assert row is not None
    assert row[0] == "connected" and "Transient" in row[1]


async def test_doctor_reports_each_staff_connection(
    tg: FakeTelegram, google: FakeGoogle, gbot: BotRuntime, admin: FakeUser, anna_google: Account
) -> None:
    staff = tg.user(850, first_name="Anna")
    welcome = await link_staff(tg, admin, staff)
    await connect(tg, google, staff, anna_google, welcome)
    lines = [c.line() for c in await run_doctor(gbot.settings)]
    anna = next(line for line in lines if line.startswith("✔ Anna: Google connected"))
    assert "anna@example.com" in anna and "calendar.events" in anna and "openid" in anna
    assert any(line.startswith("✘ Ben: not linked to Telegram") for line in lines)


async def _staff_id(bot: BotRuntime, name: str) -> int:
    assert bot.services is not None
    staff = await bot.services.booking.catalog.staff_by_name(name)
    return staff[0].id


async def _tokens_of(bot: BotRuntime, staff_id: int) -> GrantedTokens:
    assert bot.services is not None and bot.db is not None
    async with bot.db.reader.execute(
        "SELECT tokens FROM google_accounts WHERE staff_id = ?", (staff_id,)
    ) as cur:
        row = await cur.fetchone()
    assert row is not None
    key = bot.settings.token_encryption_key
    assert key is not None
    return GrantedTokens.from_json(TokenCipher(key.get_secret_value()).decrypt(row[0]))


async def _link_and_connect(
    tg: FakeTelegram,
    google: FakeGoogle,
    admin: FakeUser,
    name: str,
    user: FakeUser,
    account: Account,
) -> None:
    payload = await invite_link(tg, admin, name)
    welcome = await say(tg, user, f"/start {payload}")
    await connect(tg, google, user, account, welcome)


async def test_refresh_is_stored_for_the_staff_member_whose_session_refreshed(
    tg: FakeTelegram,
    google: FakeGoogle,
    gbot: BotRuntime,
    admin: FakeUser,
    anna_google: Account,
    clock: ManualClock,
) -> None:
    # Anna and Ben sign in with the same Google account: two grants, one e-mail address.
    anna, ben = tg.user(861, first_name="Anna"), tg.user(862, first_name="Ben")
    await _link_and_connect(tg, google, admin, "Anna", anna, anna_google)
    await _link_and_connect(tg, google, admin, "Ben", ben, anna_google)
    anna_id, ben_id = await _staff_id(gbot, "Anna"), await _staff_id(gbot, "Ben")
    ben_before = await _tokens_of(gbot, ben_id)
    anna_before = await _tokens_of(gbot, anna_id)
    assert anna_before.email == ben_before.email

    clock.advance(timedelta(hours=2))  # both access tokens expired
    assert gbot.services is not None
    session = await gbot.services.google_accounts.session(anna_id)
    calendars = await session.list_calendars()
    assert any(c.primary for c in calendars)

    anna_after = await _tokens_of(gbot, anna_id)
    assert anna_after.access_token != anna_before.access_token
    assert anna_after.refresh_token == anna_before.refresh_token
    assert await _tokens_of(gbot, ben_id) == ben_before  # Ben's grant untouched


async def test_revocation_seen_by_several_callers_is_told_once(
    tg: FakeTelegram,
    google: FakeGoogle,
    gbot: BotRuntime,
    admin: FakeUser,
    anna_google: Account,
    clock: ManualClock,
) -> None:
    anna = tg.user(863, first_name="Anna")
    await _link_and_connect(tg, google, admin, "Anna", anna, anna_google)
    anna_id = await _staff_id(gbot, "Anna")
    assert gbot.services is not None
    accounts = gbot.services.google_accounts
    # Three callers (a sync worker would be one) hold sessions when the grant dies.
    sessions = [await accounts.session(anna_id) for _ in range(3)]
    google.revoke_account(anna_google)
    clock.advance(timedelta(hours=2))  # a refresh is needed: Google answers invalid_grant
    mark = tg.mark()
    start, end = clock.now(), clock.now() + timedelta(days=1)
    outcomes = await asyncio.gather(
        *(s.free_busy([anna_google.email], start, end) for s in sessions),
        return_exceptions=True,
    )
    assert all(isinstance(o, NotConnected) for o in outcomes)
    with pytest.raises(NotConnected):
        await accounts.session(anna_id)
    warning = await tg.wait_for(
        "sendMessage",
        chat_id=anna.id,
        since=mark,
        predicate=lambda c: "stopped working" in str(c.params.get("text", "")),
    )
    assert "Sign in with Google again" in str(warning.params.get("reply_markup"))
    await tg.wait_for("sendMessage", chat_id=ADMIN_ID, since=mark)
    await asyncio.sleep(0.2)
    told_staff = [
        c
        for c in tg.calls("sendMessage", chat_id=anna.id)
        if "stopped working" in str(c.params.get("text", ""))
    ]
    told_admin = [
        c
        for c in tg.calls("sendMessage", chat_id=ADMIN_ID)
        if "stopped working" in str(c.params.get("text", ""))
    ]
    assert len(told_staff) == 1 and len(told_admin) == 1
    status = await accounts.status(anna_id)
    assert status is not None and status.status == "revoked"
