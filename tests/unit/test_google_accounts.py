"""The Google accounts part without Google: what it says when Google is off, or when an
account was never connected or was revoked."""

from __future__ import annotations

import pytest

from bot.clock import ManualClock
from bot.config import Settings
from bot.crypto import generate_key
from bot.google_accounts import GoogleAccounts, GoogleNotConfigured, NotConnected
from bot.notices import NoNotices
from storage.catalog import CatalogRepository
from storage.db import Database
from storage.staff_links import StaffLinkRepository


def _accounts(db: Database, clock: ManualClock, **settings: object) -> GoogleAccounts:
    return GoogleAccounts(
        settings=Settings(_env_file=None, **settings),  # type: ignore[call-arg, arg-type]
        clock=clock,
        catalog=CatalogRepository(db),
        links=StaffLinkRepository(db),
        notices=NoNotices(),
    )


async def _anna(db: Database) -> int:
    (anna,) = await CatalogRepository(db).staff_by_name("Anna")
    return anna.id


async def test_without_google_nothing_is_offered(salon_db: Database, clock: ManualClock) -> None:
    accounts = _accounts(salon_db, clock)
    assert not accounts.enabled
    with pytest.raises(GoogleNotConfigured):
        await accounts.consent_url(await _anna(salon_db))
    with pytest.raises(GoogleNotConfigured):
        await accounts.session(await _anna(salon_db))
    assert await accounts.disconnect(await _anna(salon_db)) is False
    await accounts.close()


async def test_status_and_sessions_of_stored_accounts(
    salon_db: Database, clock: ManualClock
) -> None:
    accounts = _accounts(
        salon_db,
        clock,
        google_client_id="id.apps.googleusercontent.com",
        google_client_secret="secret",
        token_encryption_key=generate_key(),
    )
    anna = await _anna(salon_db)
    assert await accounts.status(anna) is None
    with pytest.raises(NotConnected):
        await accounts.session(anna)
    links = StaffLinkRepository(salon_db)
    await links.save_account(
        staff_id=anna,
        email="anna@example.com",
        tokens=b"not used here",
        scopes=frozenset({"openid"}),
        now=clock.now(),
    )
    await links.mark_revoked(staff_id=anna, error="invalid_grant", now=clock.now())
    status = await accounts.status(anna)
    assert status is not None
    assert (status.email, status.status, status.last_error) == (
        "anna@example.com",
        "revoked",
        "invalid_grant",
    )
    assert status.missing  # only openid was granted
    with pytest.raises(NotConnected):
        await accounts.session(anna)  # a revoked account hands out no session
    await accounts.close()
