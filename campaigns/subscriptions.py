"""Subscriptions of residents and the audience of a campaign.

Audience of a campaign (``Audience``):
- ``everyone``: every subscriber, whatever they subscribed to.
- otherwise the campaign *concerns* a set of cells ``C``: the explicit ``cells`` plus, when ``kinds``
  and/or ``units`` are given, every non-retired cell whose kind is in ``kinds`` (if given) and whose
  unit is in ``units`` (if given) -- so ``kinds`` and ``units`` together mean "markets in 澄江街道".
  Its *kinds* are ``kinds`` plus the kinds of the cells in ``C``; its *units* are ``units`` plus the
  units of the cells in ``C``.

A subscription matches a campaign when it is
- ``all``: always (the resident wants everything);
- ``cell`` c: c is in ``C`` (explicitly named or selected by kind/unit, and not retired);
- ``kind`` k: k is among the campaign's kinds;
- ``unit`` u: u is among the campaign's units.

Recipients are the users with at least one matching subscription, each counted once, minus those who
blocked the bot. A blocked user keeps their subscriptions: when they come back (``blocked_bot`` goes
false again) they are recipients again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, delete, exists, false, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from campaigns.models import Cell, CellKind, Subscription, Target
from core.models import User
from core.units import all_units
from core.upsert import insert_or_ignore


class SubscriptionError(ValueError):
    """An invalid subscription target or value."""


@dataclass(frozen=True, slots=True)
class SubscriptionInfo:
    target: Target
    value: str  # kind name, unit code, cell id as text, "" for ALL


@dataclass(frozen=True, slots=True)
class Audience:
    everyone: bool = False
    kinds: frozenset[CellKind] = field(default_factory=frozenset)
    units: frozenset[str] = field(default_factory=frozenset)
    cells: frozenset[int] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kinds", frozenset(CellKind(k) for k in self.kinds))
        object.__setattr__(self, "units", frozenset(self.units))
        object.__setattr__(self, "cells", frozenset(int(c) for c in self.cells))

    @property
    def empty(self) -> bool:
        return not (self.everyone or self.kinds or self.units or self.cells)

    def to_json(self) -> dict[str, Any]:
        return {
            "everyone": self.everyone,
            "kinds": sorted(k.value for k in self.kinds),
            "units": sorted(self.units),
            "cells": sorted(self.cells),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Audience:
        data = data or {}
        return cls(
            everyone=bool(data.get("everyone")),
            kinds=frozenset(data.get("kinds") or ()),
            units=frozenset(data.get("units") or ()),
            cells=frozenset(data.get("cells") or ()),
        )


@dataclass(frozen=True, slots=True)
class Recipient:
    user_id: int
    language: str  # the user's language ('zh' | 'en')


@dataclass(frozen=True, slots=True)
class AudiencePreview:
    count: int
    by_language: dict[str, int]
    cells: int  # how many cells the campaign concerns (0 for everyone)


async def _normalise_target(session: AsyncSession, target: Target | str, value: Any) -> tuple[Target, str]:
    try:
        target = Target(target)
    except ValueError:
        raise SubscriptionError(f"unknown target {target!r}") from None
    if target is Target.ALL:
        return target, ""
    if target is Target.KIND:
        try:
            return target, CellKind(value).value
        except ValueError:
            raise SubscriptionError(f"unknown cell kind {value!r}") from None
    if target is Target.UNIT:
        if value not in {u.code for u in all_units()}:
            raise SubscriptionError(f"unknown unit {value!r}")
        return target, str(value)
    try:
        cell_id = int(value)
    except (TypeError, ValueError):
        raise SubscriptionError(f"not a cell id: {value!r}") from None
    return target, str(cell_id)


async def subscribe(session: AsyncSession, user_id: int, target: Target | str, value: Any = None) -> bool:
    """Subscribe; False if the subscription already existed. The user row must exist. Commits.

    Subscribing to a retired or unknown cell is refused.
    """
    target, value = await _normalise_target(session, target, value)
    if target is Target.CELL:
        cell = await session.get(Cell, int(value))
        if cell is None or cell.retired:
            raise SubscriptionError(f"no active cell {value}")
    inserted = await insert_or_ignore(
        session,
        Subscription,
        {"user_id": user_id, "target": target.value, "value": value},
        key=["user_id", "target", "value"],
    )
    await session.commit()
    return bool(inserted)


async def unsubscribe(session: AsyncSession, user_id: int, target: Target | str, value: Any = None) -> bool:
    """Remove one subscription; False if there was none. Commits."""
    target, value = await _normalise_target(session, target, value)
    result = await session.exec(
        delete(Subscription).where(
            col(Subscription.user_id) == user_id,
            col(Subscription.target) == target.value,
            Subscription.value == value,
        )
    )
    await session.commit()
    return bool(result.rowcount)


async def unsubscribe_all(session: AsyncSession, user_id: int) -> int:
    result = await session.exec(delete(Subscription).where(col(Subscription.user_id) == user_id))
    await session.commit()
    return result.rowcount


async def list_subscriptions(session: AsyncSession, user_id: int) -> list[SubscriptionInfo]:
    rows = (
        await session.exec(
            select(Subscription).where(col(Subscription.user_id) == user_id).order_by(col(Subscription.id))
        )
    ).all()
    return [SubscriptionInfo(Target(r.target), r.value) for r in rows]


# --- audience resolution -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Scope:
    cell_ids: frozenset[int]
    kinds: frozenset[str]
    units: frozenset[str]


async def _scope(session: AsyncSession, audience: Audience) -> _Scope:
    cell_ids: set[int] = set()
    kinds = {k.value for k in audience.kinds}
    units = set(audience.units)
    if audience.cells:
        rows = (
            await session.exec(
                select(Cell.id, Cell.kind, Cell.unit_code).where(
                    col(Cell.id).in_(sorted(audience.cells)),
                    col(Cell.retired) == False,  # noqa: E712
                )
            )
        ).all()
        for cell_id, kind, unit in rows:
            cell_ids.add(cell_id)
            kinds.add(kind)
            units.add(unit)
    if audience.kinds or audience.units:
        stmt = select(Cell.id, Cell.kind, Cell.unit_code).where(Cell.retired == False)  # noqa: E712
        if audience.kinds:
            stmt = stmt.where(col(Cell.kind).in_(sorted(k.value for k in audience.kinds)))
        if audience.units:
            stmt = stmt.where(col(Cell.unit_code).in_(sorted(audience.units)))
        for cell_id, kind, unit in (await session.exec(stmt)).all():
            cell_ids.add(cell_id)
            kinds.add(kind)
            units.add(unit)
    return _Scope(frozenset(cell_ids), frozenset(kinds), frozenset(units))


async def concerned_scope(session: AsyncSession, audience: Audience) -> _Scope:
    """The cells (not retired), kinds and towns/streets a campaign of ``audience`` concerns."""
    return await _scope(session, audience)


def _matching(scope: _Scope):
    clauses = [col(Subscription.target) == Target.ALL.value]
    if scope.cell_ids:
        clauses.append(
            and_(
                col(Subscription.target) == Target.CELL.value,
                col(Subscription.value).in_(sorted(str(c) for c in scope.cell_ids)),
            )
        )
    if scope.kinds:
        clauses.append(
            and_(col(Subscription.target) == Target.KIND.value, col(Subscription.value).in_(sorted(scope.kinds)))
        )
    if scope.units:
        clauses.append(
            and_(col(Subscription.target) == Target.UNIT.value, col(Subscription.value).in_(sorted(scope.units)))
        )
    return or_(*clauses)


async def recipients_select(session: AsyncSession, audience: Audience) -> Select | None:
    """``SELECT users.id, users.language`` of the recipients of ``audience`` (blocked users excluded,
    each user once), for the caller to order, chunk or ``INSERT … SELECT``; None for an empty
    audience. Resolving the campaign's cells reads the (few) cells; no recipient is loaded here."""
    if audience.empty:
        return None
    matching = select(Subscription.id).where(Subscription.user_id == User.id)
    if not audience.everyone:
        matching = matching.where(_matching(await _scope(session, audience)))
    return select(User.id, User.language).where(User.blocked_bot == false(), exists(matching))


async def resolve_audience(session: AsyncSession, audience: Audience) -> list[Recipient]:
    """The recipients of ``audience``, by user id, blocked users excluded."""
    stmt = await recipients_select(session, audience)
    if stmt is None:
        return []
    return [
        Recipient(user_id, language) for user_id, language in (await session.exec(stmt.order_by(col(User.id)))).all()
    ]


async def preview_audience(session: AsyncSession, audience: Audience) -> AudiencePreview:
    """How many residents a campaign would reach now (for the staff's preview), counted in SQL."""
    stmt = await recipients_select(session, audience)
    by_language: dict[str, int] = {}
    if stmt is not None:
        recipients = stmt.subquery()
        rows = await session.exec(select(recipients.c.language, func.count()).group_by(recipients.c.language))
        by_language = {language: count for language, count in rows.all()}
    cells = 0 if audience.everyone else len((await _scope(session, audience)).cell_ids)
    return AudiencePreview(count=sum(by_language.values()), by_language=by_language, cells=cells)
