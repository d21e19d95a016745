"""Who is what: admins (ADMIN_IDS plus those added in chat), staff (linked Telegram accounts
of active staff members), everyone else a customer. Adding and removing admins is recorded
in the audit log; the last admin and the ADMIN_IDS admins cannot be removed in chat."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum

from bot.clock import Clock
from bot.notices import CalendarWriteFailed, GoogleAccessLost, Notice, Notices
from storage.admins import AdminRepository
from storage.audit import AuditRepository, Change
from storage.catalog import CatalogRepository
from storage.records import StaffRecord


class Role(Enum):
    """What a Telegram user can do with the bot (the highest role counts)."""

    CUSTOMER = "customer"
    STAFF = "staff"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Admin:
    """An admin; `from_environment` ones are in ADMIN_IDS and not removable in chat."""

    telegram_user_id: int
    name: str
    from_environment: bool


@dataclass(frozen=True, slots=True)
class AdminAdded:
    """The user is an admin now."""


@dataclass(frozen=True, slots=True)
class AlreadyAdmin:
    """The user was an admin already."""


@dataclass(frozen=True, slots=True)
class AdminRemoved:
    """The user is no longer an admin."""


@dataclass(frozen=True, slots=True)
class FromEnvironment:
    """An ADMIN_IDS admin: removed only by changing the environment."""


@dataclass(frozen=True, slots=True)
class LastAdmin:
    """The only admin left: the business would have nobody to run it."""


@dataclass(frozen=True, slots=True)
class NotAdmin:
    """The user was not an admin."""


class Roles:
    """Admins and staff, by Telegram user id."""

    def __init__(
        self,
        *,
        environment_admins: frozenset[int],
        admins: AdminRepository,
        catalog: CatalogRepository,
        audit: AuditRepository,
        clock: Clock,
    ) -> None:
        self._environment = environment_admins
        self._admins = admins
        self._catalog = catalog
        self._audit = audit
        self._clock = clock

    async def is_admin(self, telegram_user_id: int) -> bool:
        """Whether the user is an admin."""
        return telegram_user_id in self._environment or await self._admins.contains(
            telegram_user_id
        )

    async def staff_member(self, telegram_user_id: int) -> StaffRecord | None:
        """The active staff member linked to this Telegram account."""
        member = await self._catalog.staff_by_telegram_id(telegram_user_id)
        return member if member is not None and member.active else None

    async def role(self, telegram_user_id: int) -> Role:
        """The user's highest role."""
        if await self.is_admin(telegram_user_id):
            return Role.ADMIN
        if await self.staff_member(telegram_user_id) is not None:
            return Role.STAFF
        return Role.CUSTOMER

    async def admins(self) -> list[Admin]:
        """Every admin: ADMIN_IDS first, then those added in chat."""
        listed = [Admin(i, "", True) for i in sorted(self._environment)]
        listed += [
            Admin(a.telegram_user_id, a.name, False)
            for a in await self._admins.all()
            if a.telegram_user_id not in self._environment
        ]
        return listed

    async def with_roles(self) -> list[int]:
        """Everyone whose menu is not the customers' (admins, linked active staff)."""
        ids = {a.telegram_user_id for a in await self.admins()}
        ids |= {
            m.telegram_user_id
            for m in await self._catalog.all_staff()
            if m.active and m.telegram_user_id is not None
        }
        return sorted(ids)

    async def add_admin(
        self, actor: int, telegram_user_id: int, name: str
    ) -> AdminAdded | AlreadyAdmin:
        """Make a user an admin."""
        if telegram_user_id in self._environment:
            return AlreadyAdmin()
        now = self._clock.now()
        if not await self._admins.add(telegram_user_id, name=name, added_by=actor, now=now):
            return AlreadyAdmin()
        change = Change(what=f"admin {telegram_user_id}", old=None, new=name or "admin")
        await self._audit.record([change], actor=actor, now=now)
        return AdminAdded()

    async def remove_admin(
        self, actor: int, telegram_user_id: int
    ) -> AdminRemoved | FromEnvironment | LastAdmin | NotAdmin:
        """Take a user's admin role away (never the last admin's, never an ADMIN_IDS one's)."""
        if telegram_user_id in self._environment:
            return FromEnvironment()
        admins = await self.admins()
        if not any(a.telegram_user_id == telegram_user_id for a in admins):
            return NotAdmin()
        if len(admins) <= 1:
            return LastAdmin()
        if not await self._admins.remove(telegram_user_id):
            return NotAdmin()
        change = Change(what=f"admin {telegram_user_id}", old="admin", new=None)
        await self._audit.record([change], actor=actor, now=self._clock.now())
        return AdminRemoved()


class ToEveryAdmin:
    """`Notices` that reach the admins added in chat too: a notice for admins (a revoked
    Google account, a change Google refused for good) names ADMIN_IDS where it is made."""

    def __init__(self, inner: Notices, admins: AdminRepository) -> None:
        self._inner = inner
        self._admins = admins

    async def notify(self, notice: Notice) -> None:
        if isinstance(notice, GoogleAccessLost | CalendarWriteFailed):
            added = [a.telegram_user_id for a in await self._admins.all()]
            everyone = tuple(dict.fromkeys((*notice.admin_chat_ids, *added)))
            notice = dataclasses.replace(notice, admin_chat_ids=everyone)
        await self._inner.notify(notice)
