"""Sign-in links and sessions of the staff dashboard (``bot/dashboard``).

Rules:
- A sign-in link carries a random token (``secrets.token_urlsafe``); only its SHA-256 is stored.
  It opens one session, once, before it expires (10 minutes): redeeming is one
  ``UPDATE … SET used_at WHERE token_hash AND used_at IS NULL AND expires_at > now``, so two tabs
  racing on the same link open one session between them.
- A session is opened by a spent link or, when the dashboard has a public https address, by
  Telegram's Login Widget (``bot/dashboard/telegram_login.py`` checks its signature first).
- A session is a row keyed by the SHA-256 of the cookie's random value; it holds the staff
  member's Telegram id and the CSRF token every state-changing request must echo. Roles are not
  copied into it: the dashboard reads them on every request, so a revoked role ends access at once.
- Times come from the caller's clock (``now``), never from here.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Column, delete, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

LINK_TTL = timedelta(minutes=10)
SESSION_TTL = timedelta(hours=12)


class WebLogin(SQLModel, table=True):
    __tablename__ = "web_logins"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = Field(default=None)


class WebSession(SQLModel, table=True):
    __tablename__ = "web_sessions"

    id_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    csrf: str = Field(max_length=64)
    created_at: datetime
    expires_at: datetime = Field(index=True)


@dataclass(frozen=True, slots=True)
class Opened:
    """A session just opened: ``cookie`` goes to the browser, never into the database."""

    cookie: str
    user_id: int
    csrf: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class SessionInfo:
    user_id: int
    csrf: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_link(session: AsyncSession, user_id: int, now: datetime, ttl: timedelta = LINK_TTL) -> str:
    """A one-time sign-in token for ``user_id``, valid for ``ttl``; committed."""
    token = secrets.token_urlsafe(32)
    session.add(WebLogin(token_hash=_hash(token), user_id=user_id, created_at=now, expires_at=now + ttl))
    await session.commit()
    return token


async def redeem(session: AsyncSession, token: str, now: datetime, ttl: timedelta = SESSION_TTL) -> Opened | None:
    """Spend a sign-in token and open a session; ``None`` when it is unknown, used or expired."""
    if not token or len(token) > 128:
        return None
    token_hash = _hash(token)
    spent = await session.exec(
        update(WebLogin)
        .where(col(WebLogin.token_hash) == token_hash, col(WebLogin.used_at).is_(None), col(WebLogin.expires_at) > now)
        .values(used_at=now)
    )
    if spent.rowcount != 1:
        await session.rollback()
        return None
    user_id = (await session.exec(select(WebLogin.user_id).where(WebLogin.token_hash == token_hash))).one()
    return await open_session(session, user_id, now, ttl)


async def open_session(session: AsyncSession, user_id: int, now: datetime, ttl: timedelta = SESSION_TTL) -> Opened:
    """A new session for ``user_id``, committed (the caller has proved who it is: a spent link,
    or a login widget payload signed by Telegram)."""
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    session.add(WebSession(id_hash=_hash(cookie), user_id=user_id, csrf=csrf, created_at=now, expires_at=now + ttl))
    await session.commit()
    return Opened(cookie, user_id, csrf, now + ttl)


async def current(session: AsyncSession, cookie: str | None, now: datetime) -> SessionInfo | None:
    """The live session of a cookie value, if any (ends its read transaction)."""
    if not cookie or len(cookie) > 128:
        return None
    try:
        row = (
            await session.exec(
                select(WebSession).where(WebSession.id_hash == _hash(cookie), WebSession.expires_at > now)
            )
        ).first()
        return SessionInfo(row.user_id, row.csrf) if row is not None else None
    finally:
        await session.rollback()


async def close(session: AsyncSession, cookie: str | None) -> None:
    """Sign out: the session row goes."""
    if cookie:
        await session.exec(delete(WebSession).where(col(WebSession.id_hash) == _hash(cookie)))
        await session.commit()


async def purge(session: AsyncSession, now: datetime) -> None:
    """Expired links and sessions go."""
    await session.exec(delete(WebLogin).where(col(WebLogin.expires_at) <= now))
    await session.exec(delete(WebSession).where(col(WebSession.expires_at) <= now))
    await session.commit()
