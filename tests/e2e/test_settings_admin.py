"""/settings end to end: calendar-event templates with their preview, admins added by a
forwarded message or an id and removed (never an ADMIN_IDS one, never the last), command
menus following the roles, and the TOML export that `bookbot load-config` loads back to the
same configuration."""

from __future__ import annotations

from pathlib import Path

from bot import service_texts
from bot.admin.document import read_document
from bot.app import BotRuntime
from bot.business import BusinessSettings
from bot.setup_file import load_setup_file
from storage.catalog import CatalogRepository
from storage.db import Database
from storage.migrate import migrate
from storage.settings_store import SettingsRepository
from tests.e2e.flows import WAIT, say, tap
from tests.e2e.harness import ADMIN_ID, buttons
from tests.e2e.test_settings_catalog import answer, screen_of
from tests.fakes.telegram import FakeTelegram
from tests.week import TUESDAY

JSON = dict[str, object]


def chat_menu(tg: FakeTelegram, user_id: int) -> list[str]:
    """The commands set for one private chat."""
    return [c["command"] for c in tg.commands({"type": "chat", "chat_id": user_id})]


async def test_event_templates_preview_and_switches(tg: FakeTelegram, bot: BotRuntime) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    events = await screen_of(tg, admin, "📅 Calendar events")
    text = str(events["text"])
    assert "{customer_phone}" in text and "Haircut: Maria Garcia" in text
    question = await tap(tg, admin, events, "Title")
    assert "Placeholders: {service}" in str(question["text"])
    refused = await say(tg, admin, "{service} for {customer}")
    assert "{customer} is not a placeholder. You can use:" in str(refused["text"])
    refused = await say(tg, admin, "{service")
    assert "A brace is not closed" in str(refused["text"])
    saved = await say(tg, admin, "{customer_name} – {service} ({staff})")
    assert "Maria Garcia – Haircut (Anna)" in str(saved["text"])
    saved = await answer(tg, admin, saved, "Description", "Call {customer_phone}\nNotes: {notes}")
    # The preview drops the line whose placeholders are all empty (no notes).
    assert (
        "Call +358401234567" in str(saved["text"])
        and "Notes:" not in str(saved["text"]).split("Preview")[1]
    )
    switched = await tap(tg, admin, saved, "Meet: off")
    assert "Google Meet link: on" in str(switched["text"])
    switched = await tap(tg, admin, switched, "Attendee: off")
    assert "Customer as attendee: on" in str(switched["text"])
    switched = await tap(tg, admin, switched, "E-mails: none")
    assert "E-mails: to guests outside your domain" in buttons(switched)
    assert bot.services is not None
    business = await bot.services.booking.business()
    assert business.event_meet and business.event_invite_customer
    assert business.event_title == "{customer_name} – {service} ({staff})"
    assert business.event_send_updates == "externalOnly"


async def test_admins_added_and_removed_with_their_menus(tg: FakeTelegram, bot: BotRuntime) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    bea = tg.user(7501, first_name="Bea", last_name="Stone")
    carl = tg.user(7502, first_name="Carl")
    await say(tg, bea, "/start")
    unknown = (await say(tg, bea, "/nosuchcommand"))["text"]
    assert (await say(tg, bea, "/settings"))["text"] == unknown
    # The ADMIN_IDS admin had not started the bot when it started: their menu comes with
    # their first update.
    assert chat_menu(tg, ADMIN_ID) == []
    admins = await screen_of(tg, admin, "🔑 Admins")
    assert "settings" in chat_menu(tg, ADMIN_ID)
    assert "(ADMIN_IDS, not removable here)" in str(admins["text"])
    assert not any(b.startswith("Remove") for b in buttons(admins))
    await tap(tg, admin, admins, "➕ Add an admin")
    refused = await say(tg, admin, "bea")
    assert "is not a Telegram user id" in str(refused["text"])
    mark = tg.mark()
    await tg.send_forwarded(admin, None)
    hidden = await tg.next_message(admin.id, since=mark, timeout=WAIT)
    assert "privacy settings hide" in str(hidden["text"])
    mark = tg.mark()
    await tg.send_forwarded(admin, bea, "Hi, it's Bea")
    added = await tg.next_message(admin.id, since=mark, timeout=WAIT)
    assert "Bea Stone is an admin now." in str(added["text"])
    assert "settings" in chat_menu(tg, bea.id)
    assert "Settings of Test Salon" in str((await say(tg, bea, "/settings"))["text"])
    # Carl by user id, who has never written to the bot: his menu comes with his first update.
    added = await answer(tg, admin, added, "➕ Add an admin", str(carl.id))
    assert f"{carl.id} is an admin now." in str(added["text"])
    assert chat_menu(tg, carl.id) == []
    await say(tg, carl, "/start")
    assert "settings" in chat_menu(tg, carl.id)
    # Bea removes herself; the environment admin stays whatever happens.
    bea_admins = await screen_of(tg, bea, "🔑 Admins")
    removed = await tap(tg, bea, bea_admins, "Remove Bea Stone")
    assert "Removed." in str(removed["text"])
    assert chat_menu(tg, bea.id) == []
    assert (await say(tg, bea, "/settings"))["text"] == unknown
    # A forged button to remove the ADMIN_IDS admin is refused with the reason.
    mark = tg.mark()
    await tg.press_raw(admin, int(str(removed["message_id"])), f"cfgdo:unadmin:0:{ADMIN_ID}")
    refusal = await tg.next_message(admin.id, since=mark, timeout=WAIT)
    assert "changing ADMIN_IDS" in str(refusal["text"])


async def test_export_loads_back_to_the_same_configuration(
    tg: FakeTelegram, bot: BotRuntime, tmp_path: Path
) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    # Change something of every kind first, so the export is not just the loaded file.
    member = await screen_of(tg, admin, "👥 Staff", "Ben", "🏖 Days off")
    await answer(tg, admin, member, "➕ Special day", f"{TUESDAY.isoformat()} 12-14, 15-16")
    services = await screen_of(tg, admin, "💇 Services")
    added = await answer(tg, admin, services, "➕ Add a service", "Manicure")
    await answer(tg, admin, added, "Price", "12.5 USD")
    business = await screen_of(tg, admin, "🏢 Business")
    await answer(tg, admin, business, "Address", 'Quote "street" 5')
    main = await say(tg, admin, "/settings")
    mark = tg.mark()
    await tg.press(admin, main, text="📤 Export")
    await tg.wait_for("sendDocument", chat_id=admin.id, since=mark, timeout=WAIT)
    exported = tg.documents(admin.id)[-1]
    assert exported.file_name == "bookbot-config.toml"
    path = tmp_path / "exported.toml"
    path.write_bytes(exported.data)
    assert bot.services is not None
    in_bot = await bot.services.config.document()
    fresh = await Database.open(tmp_path / "fresh.db")
    try:
        await migrate(fresh)
        await load_setup_file(path, fresh, default_timezone="UTC")
        stored = await SettingsRepository(fresh).all()
        business_settings = BusinessSettings.from_store(stored, default_timezone="UTC")
        translations = await service_texts.load(fresh)
        loaded = await read_document(CatalogRepository(fresh), business_settings, translations)
    finally:
        await fresh.close()
    assert loaded == in_bot
    assert 'address = "Quote \\"street\\" 5"' in exported.data.decode()
    assert 'price = "12.50"' in exported.data.decode()
    # Loading it into the bot's own database changes nothing.
    result = await load_setup_file(path, bot.services.db, default_timezone="UTC")
    assert not result


async def test_recent_changes_name_the_admin(tg: FakeTelegram, bot: BotRuntime) -> None:
    admin = tg.user(ADMIN_ID, first_name="Ada")
    bea = tg.user(7503, first_name="Bea")
    await say(tg, bea, "/start")
    admins = await screen_of(tg, admin, "🔑 Admins")
    await tap(tg, admin, admins, "➕ Add an admin")
    mark = tg.mark()
    await tg.send_forwarded(admin, bea)
    await tg.next_message(admin.id, since=mark, timeout=WAIT)
    business = await screen_of(tg, bea, "🏢 Business")
    await answer(tg, bea, business, "Horizon", "21")
    log = await screen_of(tg, admin, "🕘 Recent changes")
    text = str(log["text"])
    assert f"Bea ({bea.id})\nbusiness.horizon_days: 14 → 21" in text
    assert f"{ADMIN_ID}\nadmin {bea.id}: — → Bea" in text
