"""The configuration as a setup document: read from the database, exported as TOML that
loads back to the same configuration, and `load-config` changes recorded in the audit log."""

from __future__ import annotations

import tomllib
from pathlib import Path

from bot import service_texts
from bot.admin.config import apply_audited
from bot.admin.document import new_slug, read_document, to_toml
from bot.business import BusinessSettings
from bot.clock import ManualClock
from bot.setup_file import load_setup_file, read_setup_file
from storage.audit import AuditRepository
from storage.catalog import CatalogRepository
from storage.db import Database
from storage.migrate import migrate
from storage.settings_store import SettingsRepository
from tests.conftest import SALON


async def _document(db: Database) -> dict[str, object]:
    stored = await SettingsRepository(db).all()
    business = BusinessSettings.from_store(stored, default_timezone="UTC")
    return await read_document(CatalogRepository(db), business, await service_texts.load(db))


async def test_export_round_trip(db: Database, tmp_path: Path) -> None:
    await load_setup_file(SALON, db, default_timezone="UTC")
    await SettingsRepository(db).put_many({"business.reminder_offsets": [90, 1440]})
    document = await _document(db)
    assert document["business"]["reminder_offsets_hours"] == [1.5, 24]  # type: ignore[index]
    text = to_toml(document)
    assert tomllib.loads(text)["business"]["name"] == "Test Salon"
    path = tmp_path / "export.toml"
    path.write_text(text, encoding="utf-8")
    other = await Database.open(tmp_path / "other.db")
    try:
        await migrate(other)
        await load_setup_file(path, other, default_timezone="UTC")
        assert await _document(other) == document
    finally:
        await other.close()
    assert not await load_setup_file(path, db, default_timezone="UTC")


async def test_load_config_is_audited(db: Database, clock: ManualClock) -> None:
    setup = read_setup_file(SALON)
    await apply_audited(setup, db, default_timezone="UTC", now=clock.now())
    first = await AuditRepository(db).recent(500)
    assert first and all(entry.actor is None for entry in first)
    assert any(e.what == "business.name" and e.new == "Test Salon" for e in first)
    assert any(e.what == 'service "cut".price' and e.new == "45.00" for e in first)
    await apply_audited(setup, db, default_timezone="UTC", now=clock.now())
    assert len(await AuditRepository(db).recent(500)) == len(first)  # nothing changed


def test_new_ids_from_names() -> None:
    assert new_slug("Hair Colour", [], "service") == "hair-colour"
    assert new_slug("Hair Colour", ["hair-colour"], "service") == "hair-colour-2"
    assert new_slug("Маникюр", [], "service") == "service"
    assert new_slug("Café crème", [], "service") == "cafe-creme"
