"""Roles: admins added in chat next to ADMIN_IDS; never the last admin removed, never an
ADMIN_IDS one in chat; every change in the audit log."""

from __future__ import annotations

from dataclasses import replace

from bot.admin.roles import (
    AdminAdded,
    AdminRemoved,
    AlreadyAdmin,
    FromEnvironment,
    LastAdmin,
    NotAdmin,
    Role,
    Roles,
    ToEveryAdmin,
)
from bot.clock import ManualClock
from bot.notices import GoogleAccessLost, GoogleConnected, Notice
from storage.admins import AdminRepository
from storage.audit import AuditRepository
from storage.catalog import CatalogRepository
from storage.db import Database


def _roles(db: Database, clock: ManualClock, environment: frozenset[int]) -> Roles:
    return Roles(
        environment_admins=environment,
        admins=AdminRepository(db),
        catalog=CatalogRepository(db),
        audit=AuditRepository(db),
        clock=clock,
    )


async def test_the_last_admin_stays(db: Database, clock: ManualClock) -> None:
    roles = _roles(db, clock, frozenset())
    assert isinstance(await roles.add_admin(1, 7, "Dee"), AdminAdded)
    assert isinstance(await roles.add_admin(7, 7, "Dee"), AlreadyAdmin)
    assert isinstance(await roles.remove_admin(7, 7), LastAdmin)
    assert await roles.role(7) is Role.ADMIN
    assert isinstance(await roles.add_admin(7, 8, "Eve"), AdminAdded)
    assert isinstance(await roles.remove_admin(8, 7), AdminRemoved)
    assert await roles.role(7) is Role.CUSTOMER
    assert isinstance(await roles.remove_admin(8, 7), NotAdmin)
    changes = await AuditRepository(db).recent(10)
    assert [(c.what, c.old, c.new, c.actor) for c in changes] == [
        ("admin 7", "admin", None, 8),
        ("admin 8", None, "Eve", 7),
        ("admin 7", None, "Dee", 1),
    ]


async def test_environment_admins_are_not_removed_in_chat(db: Database, clock: ManualClock) -> None:
    roles = _roles(db, clock, frozenset({1}))
    assert isinstance(await roles.remove_admin(2, 1), FromEnvironment)
    assert isinstance(await roles.add_admin(2, 1, "Ann"), AlreadyAdmin)
    assert isinstance(await roles.add_admin(1, 5, "Fay"), AdminAdded)
    assert isinstance(await roles.remove_admin(1, 5), AdminRemoved)  # ADMIN_IDS one remains
    assert [a.telegram_user_id for a in await roles.admins()] == [1]


class _Recorded:
    def __init__(self) -> None:
        self.notices: list[Notice] = []

    async def notify(self, notice: Notice) -> None:
        self.notices.append(notice)


async def test_admin_notices_reach_admins_added_in_chat(db: Database, clock: ManualClock) -> None:
    roles = _roles(db, clock, frozenset({1}))
    await roles.add_admin(1, 5, "Fay")
    inner = _Recorded()
    notices = ToEveryAdmin(inner, AdminRepository(db))
    lost = GoogleAccessLost(
        staff_name="Anna", staff_chat_id=None, reconnect_url=None, admin_chat_ids=(1,)
    )
    await notices.notify(lost)
    connected = GoogleConnected(staff_chat_id=9, email="anna@example.com", missing=())
    await notices.notify(connected)
    assert inner.notices == [replace(lost, admin_chat_ids=(1, 5)), connected]
