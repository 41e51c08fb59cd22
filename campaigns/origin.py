"""Where an announcement comes from, and what its reader can unsubscribe from.

Every announcement names its sender: the waste-free cells the campaign concerns (the explicit
places, plus those its kinds/towns select), or the programme itself when it goes to every
subscriber. It also carries a button to stop what brought it to this reader: the reader's most
specific subscription that matched the campaign (a place before a town/street before a kind before
"everything"). For an audience of every subscriber, any subscription matched: the button removes
it when the reader has only one, else it offers to stop all announcements.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from campaigns.cells import CellInfo
from campaigns.models import Campaign, Cell, Subscription, Target
from campaigns.subscriptions import Audience, SubscriptionInfo, concerned_scope

# Most specific first: the subscription a reader most likely wants to drop.
_SPECIFICITY = (Target.CELL, Target.UNIT, Target.KIND, Target.ALL)


@dataclass(frozen=True, slots=True)
class Origin:
    """Who sent a campaign: its cells (none when it goes to every subscriber), and its scope."""

    audience: Audience
    cells: tuple[CellInfo, ...]
    kinds: frozenset[str]
    units: frozenset[str]

    @property
    def programme(self) -> bool:
        """True when the programme itself speaks (every subscriber, or no cell named)."""
        return self.audience.everyone or not self.cells

    def matches(self, sub: SubscriptionInfo) -> bool:
        if self.audience.everyone or sub.target is Target.ALL:
            return True
        if sub.target is Target.CELL:
            return any(str(c.id) == sub.value for c in self.cells)
        if sub.target is Target.KIND:
            return sub.value in self.kinds
        return sub.value in self.units


async def campaign_origin(session: AsyncSession, campaign_id: int) -> Origin | None:
    """The origin of a campaign (None if it is gone); cells ordered by id."""
    campaign = await session.get(Campaign, campaign_id)
    return None if campaign is None else await audience_origin(session, Audience.from_json(campaign.audience))


async def audience_origin(session: AsyncSession, audience: Audience) -> Origin:
    """The origin of a campaign to ``audience`` (also of a draft, for the staff's preview)."""
    if audience.everyone:
        return Origin(audience, (), frozenset(), frozenset())
    scope = await concerned_scope(session, audience)
    rows = (
        await session.exec(select(Cell).where(col(Cell.id).in_(sorted(scope.cell_ids))).order_by(col(Cell.id)))
    ).all()
    return Origin(audience, tuple(CellInfo.of(r) for r in rows), scope.kinds, scope.units)


async def matched_subscription(session: AsyncSession, user_id: int, origin: Origin) -> SubscriptionInfo | None:
    """The subscription that brought the campaign to this reader (most specific first); None when
    only "stop all" makes sense (every subscriber, and the reader follows several things)."""
    rows = (
        await session.exec(select(Subscription.target, Subscription.value).where(Subscription.user_id == user_id))
    ).all()
    mine = [SubscriptionInfo(Target(target), value) for target, value in rows]
    if origin.audience.everyone:
        return mine[0] if len(mine) == 1 else None
    matching = [s for s in mine if origin.matches(s)]
    matching.sort(key=lambda s: (_SPECIFICITY.index(s.target), s.value))
    return matching[0] if matching else None
