"""Users, staff roles and the audit log, as plain services over an ``AsyncSession``."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import notifications
from core.clock import utcnow
from core.models import AuditEntry, Role, RoleGrant, User
from core.upsert import insert_or_ignore

LOCALES = ("zh", "en")
# ``last_seen_at`` is a day-level fact (who is active): written at most this often per user.
LAST_SEEN_EVERY = timedelta(minutes=10)


class ChangeListener(Protocol):
    def forget(self, user_id: int) -> None: ...


_listeners: weakref.WeakSet[ChangeListener] = weakref.WeakSet()


def on_change(listener: ChangeListener) -> None:
    """``listener.forget(user_id)`` is called after every committed change of a user's row or roles
    made through this module, in this process (caches of users and roles register here)."""
    _listeners.add(listener)


def _changed(*user_ids: int) -> None:
    for listener in list(_listeners):
        for user_id in user_ids:
            listener.forget(user_id)


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: int
    display_name: str
    username: str | None
    language: str
    language_chosen: bool
    home_unit: str | None
    blocked_bot: bool

    @classmethod
    def of(cls, row: User) -> UserInfo:
        return cls(
            id=row.id,
            display_name=row.display_name,
            username=row.username,
            language=row.language,
            language_chosen=row.language_chosen,
            home_unit=row.home_unit,
            blocked_bot=row.blocked_bot,
        )


@dataclass(frozen=True, slots=True)
class Grant:
    user_id: int
    role: Role
    unit_code: str = ""


class Roles(frozenset):
    """The grants of one user, with the questions handlers ask."""

    def has(self, role: Role) -> bool:
        return any(g.role == role for g in self) or (role != Role.ADMIN and any(g.role == Role.ADMIN for g in self))

    def units(self) -> frozenset[str]:
        return frozenset(g.unit_code for g in self if g.role == Role.UNIT_HANDLER)

    @property
    def is_staff(self) -> bool:
        return bool(self)


def locale_for(language_code: str | None, default: str) -> str:
    """Telegram's ``language_code`` (``zh-hans``, ``en-US``) mapped to one of our locales."""
    if language_code:
        base = language_code.split("-")[0].lower()
        if base in LOCALES:
            return base
    return default


async def touch_user(
    session: AsyncSession,
    user_id: int,
    *,
    display_name: str,
    username: str | None,
    language_code: str | None,
    default_locale: str,
) -> UserInfo:
    """Insert the user on first contact; afterwards refresh names, ``blocked_bot`` and
    ``last_seen_at`` in one UPDATE, only when something changed or last-seen is stale. Commits
    what it writes."""
    now = utcnow()
    display_name = display_name[:256]
    row = await session.get(User, user_id)
    if row is None:
        await insert_or_ignore(
            session,
            User,
            {
                "id": user_id,
                "display_name": display_name,
                "username": username,
                "language": locale_for(language_code, default_locale),
                "language_chosen": False,
                "created_at": now,
                "last_seen_at": now,
                "blocked_bot": False,
            },
            key=["id"],
        )
        await session.commit()
        row = await session.get_one(User, user_id)
    seen = row.last_seen_at
    stale = seen is None or (seen if seen.tzinfo else seen.replace(tzinfo=now.tzinfo)) <= now - LAST_SEEN_EVERY
    info = UserInfo.of(row)
    if stale or row.display_name != display_name or row.username != username or row.blocked_bot:
        # Someone who writes to the bot has not blocked it (any more).
        await session.exec(
            update(User)
            .where(col(User.id) == user_id)
            .values(display_name=display_name, username=username, last_seen_at=now, blocked_bot=False)
            .execution_options(synchronize_session=False)
        )
        await session.commit()
        info = UserInfo(user_id, display_name, username, info.language, info.language_chosen, info.home_unit, False)
    return info


async def get_user(session: AsyncSession, user_id: int) -> UserInfo | None:
    row = await session.get(User, user_id)
    return UserInfo.of(row) if row else None


async def find_user(session: AsyncSession, ref: str) -> UserInfo | None:
    """A user by Telegram id or @username."""
    ref = ref.strip()
    if ref.lstrip("-").isdigit():
        return await get_user(session, int(ref))
    name = ref.removeprefix("@")
    if not name:
        return None
    row = (await session.exec(select(User).where(func.lower(User.username) == name.lower()))).first()
    return UserInfo.of(row) if row else None


async def set_language(session: AsyncSession, user_id: int, language: str) -> None:
    if language not in LOCALES:
        raise ValueError(language)
    row = await session.get_one(User, user_id)
    row.language = language
    row.language_chosen = True
    await session.commit()
    _changed(user_id)


async def set_blocked(session: AsyncSession, user_id: int, blocked: bool) -> None:
    row = await session.get(User, user_id)
    if row is not None and row.blocked_bot != blocked:
        row.blocked_bot = blocked
        await session.commit()
        _changed(user_id)


async def roles_of(session: AsyncSession, user_id: int) -> Roles:
    rows = (await session.exec(select(RoleGrant).where(RoleGrant.user_id == user_id))).all()
    return Roles(Grant(r.user_id, Role(r.role), r.unit_code) for r in rows)


async def audit(
    session: AsyncSession,
    actor_id: int | None,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    *,
    commit: bool = True,
) -> None:
    session.add(AuditEntry(actor_id=actor_id, action=action, target=target, details=details))
    if commit:
        await session.commit()


WELCOME = "role.welcome"  # the outbox's kind for the message to someone granted a role


async def grant(session: AsyncSession, actor_id: int | None, user_id: int, role: Role, unit_code: str = "") -> bool:
    """Give ``role`` to ``user_id``; False if they had it already. Audited."""
    existing = (
        await session.exec(
            select(RoleGrant).where(
                RoleGrant.user_id == user_id,
                RoleGrant.role == role.value,
                RoleGrant.unit_code == unit_code,
            )
        )
    ).first()
    if existing:
        return False
    session.add(RoleGrant(user_id=user_id, role=role.value, unit_code=unit_code, granted_by=actor_id))
    # The new staff member hears what they can do now (sent by the bot's outbox after the commit).
    notifications.enqueue(
        session,
        WELCOME,
        lane=notifications.user_lane(user_id),
        chat_id=user_id,
        unit_code=unit_code or None,
        payload={"role": role.value},
    )
    await audit(session, actor_id, "role.grant", str(user_id), {"role": role.value, "unit": unit_code or None})
    _changed(user_id)
    return True


async def revoke(
    session: AsyncSession, actor_id: int | None, user_id: int, role: Role, unit_code: str | None = None
) -> int:
    """Take ``role`` (for one unit, or all) from ``user_id``; returns how many grants went. Audited."""
    stmt = delete(RoleGrant).where(col(RoleGrant.user_id) == user_id, col(RoleGrant.role) == role.value)
    if unit_code is not None:
        stmt = stmt.where(col(RoleGrant.unit_code) == unit_code)
    result = await session.exec(stmt)
    if result.rowcount:
        await audit(session, actor_id, "role.revoke", str(user_id), {"role": role.value, "unit": unit_code})
        _changed(user_id)
    else:
        await session.rollback()
    return result.rowcount


async def sync_config_admins(session: AsyncSession, admin_ids: list[int]) -> None:
    """Admins listed in the configuration get the admin role; config admins no longer listed lose it.

    Admin grants made by another admin (``granted_by`` set) are left alone.
    """
    wanted = set(admin_ids)
    rows = (
        await session.exec(
            select(RoleGrant).where(col(RoleGrant.role) == Role.ADMIN.value, col(RoleGrant.granted_by).is_(None))
        )
    ).all()
    have = {r.user_id for r in rows}
    for user_id in wanted - have:
        session.add(RoleGrant(user_id=user_id, role=Role.ADMIN.value, granted_by=None))
        await audit(session, None, "role.grant", str(user_id), {"role": "admin", "source": "config"}, commit=False)
    for user_id in have - wanted:
        await session.exec(
            delete(RoleGrant).where(
                col(RoleGrant.user_id) == user_id,
                col(RoleGrant.role) == Role.ADMIN.value,
                col(RoleGrant.granted_by).is_(None),
            )
        )
        await audit(session, None, "role.revoke", str(user_id), {"role": "admin", "source": "config"}, commit=False)
    await session.commit()
    _changed(*(wanted ^ have))


@dataclass(frozen=True, slots=True)
class StaffMember:
    user_id: int
    display_name: str
    username: str | None
    grants: tuple[Grant, ...]


async def list_staff(session: AsyncSession) -> list[StaffMember]:
    rows = (
        await session.exec(
            select(RoleGrant, User)
            .join(User, col(User.id) == col(RoleGrant.user_id), isouter=True)
            .order_by(col(RoleGrant.user_id), col(RoleGrant.role), col(RoleGrant.unit_code))
        )
    ).all()
    staff: dict[int, StaffMember] = {}
    for grant_row, user in rows:
        member = staff.get(grant_row.user_id)
        item = Grant(grant_row.user_id, Role(grant_row.role), grant_row.unit_code)
        if member is None:
            staff[grant_row.user_id] = StaffMember(
                grant_row.user_id,
                user.display_name if user else "",
                user.username if user else None,
                (item,),
            )
        else:
            staff[grant_row.user_id] = StaffMember(
                member.user_id, member.display_name, member.username, member.grants + (item,)
            )
    return list(staff.values())


@dataclass(frozen=True, slots=True)
class AuditView:
    at: Any
    actor_id: int | None
    action: str
    target: str | None
    details: dict | None


async def recent_audit(session: AsyncSession, limit: int = 20) -> list[AuditView]:
    rows = (await session.exec(select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit))).all()
    return [AuditView(r.at, r.actor_id, r.action, r.target, r.details) for r in rows]


async def holders(session: AsyncSession, role: Role) -> list[int]:
    """Everyone who has ``role`` (any unit), in grant order."""
    rows = (
        await session.exec(select(RoleGrant.user_id).where(RoleGrant.role == role.value).order_by(col(RoleGrant.id)))
    ).all()
    return list(dict.fromkeys(rows))
