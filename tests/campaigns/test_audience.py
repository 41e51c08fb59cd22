"""Cells, deep links, QR codes, subscriptions and who a campaign reaches."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time

import pytest
from PIL import Image
from sqlmodel import select

from campaigns import cells, outbox, service, subscriptions
from campaigns.models import Campaign, CampaignRun, CellKind, OutboxRow, ScheduleKind, Target
from campaigns.schedule import Schedule
from campaigns.subscriptions import Audience, SubscriptionError
from core import accounts
from tests.campaigns.conftest import add_users

CHENGJIANG = "320281001"  # 澄江街道
NANZHA = "320281004"  # 南闸街道
HUASHI = "320281107"  # 华士镇


async def make_campaign(sessions, clock, text_en=None, **audience):
    async with sessions() as session:
        return await service.create_campaign(
            session,
            author_id=500,
            audience=Audience(**audience),
            text_zh="垃圾分类宣传周",
            text_en=text_en,
            schedule=Schedule(ScheduleKind.DAILY, time=time(10, 0)),
            now=clock(),
        )


async def test_cells_create_edit_retire_and_list(sessions):
    async with sessions() as session:
        school = await cells.create_cell(
            session, name=" 澄江中学 ", kind="school", unit_code=CHENGJIANG, address="人民路1号", created_by=500
        )
        market = await cells.create_cell(session, name="南闸菜场", kind=CellKind.MARKET, unit_code=NANZHA)
        assert school.name == "澄江中学" and school.kind is CellKind.SCHOOL and not school.retired
        with pytest.raises(cells.CellError):
            await cells.create_cell(session, name="x", kind="zoo", unit_code=CHENGJIANG)
        with pytest.raises(cells.CellError):
            await cells.create_cell(session, name="x", kind="school", unit_code="999")
        with pytest.raises(cells.CellError):
            await cells.create_cell(session, name="  ", kind="school", unit_code=CHENGJIANG)
        edited = await cells.edit_cell(session, market.id, name="南闸农贸市场", unit_code=HUASHI, clear_address=True)
        assert (edited.name, edited.unit_code, edited.kind) == ("南闸农贸市场", HUASHI, CellKind.MARKET)
        retired = await cells.retire_cell(session, school.id)
        assert retired.retired
        assert [c.id for c in await cells.list_cells(session)] == [market.id]
        assert {c.id for c in await cells.list_cells(session, include_retired=True)} == {school.id, market.id}
        assert [c.id for c in await cells.list_cells(session, kind="market", unit_code=HUASHI)] == [market.id]
        assert (await cells.get_cell(session, school.id)).address == "人民路1号"
        assert await cells.get_cell(session, 9999) is None
        with pytest.raises(cells.CellError):
            await cells.retire_cell(session, 9999)


def test_deep_link_payloads_and_qr_code():
    assert cells.build_payload(12) == "cell-12"
    assert cells.parse_payload("cell-12") == 12
    for bad in (None, "", "cell-", "cell-0", "cell-01", "cell-x", "report-3", "cell-12 extra", "cell--1"):
        assert cells.parse_payload(bad) is None, bad
    assert cells.deep_link("@WufeiBot", 7) == "https://t.me/WufeiBot?start=cell-7"
    png = cells.cell_qr_png("WufeiBot", 7)
    assert png.startswith(b"\x89PNG")
    image = Image.open(io.BytesIO(png))
    assert image.size[0] == image.size[1] >= 200
    with pytest.raises(cells.CellError):
        cells.build_payload(0)


async def test_subscribe_unsubscribe_list(sessions):
    await add_users(sessions, [1])
    async with sessions() as session:
        cell = await cells.create_cell(session, name="华士菜场", kind="market", unit_code=HUASHI)
        assert await subscriptions.subscribe(session, 1, Target.KIND, "school")
        assert not await subscriptions.subscribe(session, 1, "kind", CellKind.SCHOOL)  # already
        assert await subscriptions.subscribe(session, 1, Target.UNIT, HUASHI)
        assert await subscriptions.subscribe(session, 1, Target.CELL, cell.id)
        assert await subscriptions.subscribe(session, 1, Target.ALL)
        assert not await subscriptions.subscribe(session, 1, Target.ALL, "ignored")
        for target, value in (
            (Target.KIND, "zoo"),
            (Target.UNIT, "1"),
            (Target.CELL, "x"),
            ("bogus", 1),
            (Target.CELL, 999),
        ):
            with pytest.raises(SubscriptionError):
                await subscriptions.subscribe(session, 1, target, value)
        listed = await subscriptions.list_subscriptions(session, 1)
        assert [(s.target, s.value) for s in listed] == [
            (Target.KIND, "school"), (Target.UNIT, HUASHI), (Target.CELL, str(cell.id)), (Target.ALL, ""),
        ]  # fmt: skip
        assert await subscriptions.unsubscribe(session, 1, Target.CELL, cell.id)
        assert not await subscriptions.unsubscribe(session, 1, Target.CELL, cell.id)
        await cells.retire_cell(session, cell.id)
        with pytest.raises(SubscriptionError):
            await subscriptions.subscribe(session, 1, Target.CELL, cell.id)
        assert await subscriptions.unsubscribe_all(session, 1) == 3
        assert await subscriptions.list_subscriptions(session, 1) == []


async def _outbox_ids(sessions, audience: Audience) -> set[int]:
    """The users a run's outbox gets for ``audience``, written by the database in chunks of 2."""
    now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    async with sessions() as session:
        campaign = Campaign(
            author_id=500, audience=audience.to_json(), text_zh="垃圾分类宣传周", schedule_kind="once", run_at=now
        )
        session.add(campaign)
        await session.flush()
        run = CampaignRun(campaign_id=campaign.id, scheduled_for=now)
        session.add(run)
        await session.commit()
    while True:  # every chunk, as the sender writes them during a run
        async with sessions() as session:
            if await outbox.extend_outbox(session, run.id, audience, has_en=False, size=2):
                break
    async with sessions() as session:
        rows = (await session.exec(select(OutboxRow).where(OutboxRow.run_id == run.id))).all()
    assert all((r.status, r.attempts, r.language) == ("pending", 0, "zh") for r in rows)
    users = [r.user_id for r in rows]
    assert len(users) == len(set(users))
    return set(users)


async def _ids(sessions, **audience) -> set[int]:
    """Who ``audience`` reaches; the outbox the database writes for it holds exactly them."""
    async with sessions() as session:
        resolved = {r.user_id for r in await subscriptions.resolve_audience(session, Audience(**audience))}
    assert await _outbox_ids(sessions, Audience(**audience)) == resolved
    return resolved


async def test_audience_matching_rules(sessions):
    """One user per kind of subscription; each audience reaches exactly the expected ones."""
    await add_users(sessions, range(1, 13))
    async with sessions() as session:
        cj_school = await cells.create_cell(session, name="澄江中学", kind="school", unit_code=CHENGJIANG)
        await cells.create_cell(session, name="澄江菜场", kind="market", unit_code=CHENGJIANG)
        nz_market = await cells.create_cell(session, name="南闸菜场", kind="market", unit_code=NANZHA)
        hs_factory = await cells.create_cell(session, name="华士工厂", kind="factory", unit_code=HUASHI)
        old = await cells.create_cell(session, name="旧小区", kind="community", unit_code=HUASHI)
        subs = {
            1: (Target.ALL, None),
            2: (Target.KIND, "school"),
            3: (Target.KIND, "market"),
            4: (Target.UNIT, CHENGJIANG),
            5: (Target.UNIT, NANZHA),
            6: (Target.CELL, cj_school.id),
            7: (Target.CELL, nz_market.id),
            8: (Target.CELL, old.id),  # retired below
            9: (Target.KIND, "community"),
            10: (Target.UNIT, HUASHI),
            # 11: subscribed to nothing; 12: everything but blocked
        }
        for user_id, (target, value) in subs.items():
            await subscriptions.subscribe(session, user_id, target, value)
        await subscriptions.subscribe(session, 12, Target.ALL)
        await subscriptions.subscribe(session, 12, Target.KIND, "market")
        await accounts.set_blocked(session, 12, True)
        await cells.retire_cell(session, old.id)

    # Everyone: every subscriber (not the user without subscriptions, not the blocked one).
    assert await _ids(sessions, everyone=True) == set(range(1, 11))
    # One cell: its subscribers, its kind, its unit, and "all".
    assert await _ids(sessions, cells={cj_school.id}) == {1, 2, 4, 6}
    # A kind city-wide: concerns every market, hence their units too.
    assert await _ids(sessions, kinds={CellKind.MARKET}) == {1, 3, 4, 5, 7}
    # Kind and unit together: markets of 澄江 only.
    assert await _ids(sessions, kinds={"market"}, units={CHENGJIANG}) == {1, 3, 4}
    # A unit: its cells' subscribers and the kinds present there.
    assert await _ids(sessions, units={NANZHA}) == {1, 3, 5, 7}
    # A kind with no (active) cells still reaches its subscribers; the retired cell's do not get it.
    assert await _ids(sessions, kinds={"community"}) == {1, 9}
    # Retired cells are not part of a unit's campaign either.
    assert await _ids(sessions, units={HUASHI}) == {1, 10}
    assert hs_factory.kind is CellKind.FACTORY
    # Empty audience reaches nobody (refused at creation too).
    assert await _ids(sessions) == set()

    async with sessions() as session:
        preview = await subscriptions.preview_audience(session, Audience(kinds={"market"}))
        assert (preview.count, preview.cells) == (5, 2)
        assert preview.by_language == {"zh": 5}


async def test_blocked_users_keep_subscriptions_and_come_back(sessions):
    await add_users(sessions, [1, 2])
    async with sessions() as session:
        await subscriptions.subscribe(session, 1, Target.ALL)
        await subscriptions.subscribe(session, 2, Target.KIND, "school")
        await accounts.set_blocked(session, 2, True)
    assert await _ids(sessions, kinds={"school"}) == {1}
    async with sessions() as session:
        assert len(await subscriptions.list_subscriptions(session, 2)) == 1
        await accounts.set_blocked(session, 2, False)
    assert await _ids(sessions, kinds={"school"}) == {1, 2}


async def test_campaign_validation(sessions, clock):
    async with sessions() as session:
        cell = await cells.create_cell(session, name="澄江中学", kind="school", unit_code=CHENGJIANG)
        await cells.retire_cell(session, cell.id)
    with pytest.raises(service.CampaignError):
        await make_campaign(sessions, clock)  # empty audience
    with pytest.raises(service.CampaignError):
        await make_campaign(sessions, clock, cells={cell.id})  # retired
    with pytest.raises(service.CampaignError):
        await make_campaign(sessions, clock, cells={999})
    async with sessions() as session:
        with pytest.raises(service.CampaignError):
            await service.create_campaign(
                session, author_id=1, audience=Audience(everyone=True), text_zh="  ",
                schedule=Schedule(ScheduleKind.DAILY, time=time(9)), now=clock(),
            )  # fmt: skip
        with pytest.raises(service.CampaignError):
            await service.create_campaign(
                session, author_id=1, audience=Audience(everyone=True), text_zh="x" * 1025, photo="file",
                schedule=Schedule(ScheduleKind.DAILY, time=time(9)), now=clock(),
            )  # fmt: skip
        with pytest.raises(service.CampaignError):  # in the past
            await service.create_campaign(
                session, author_id=1, audience=Audience(everyone=True), text_zh="x",
                schedule=Schedule(ScheduleKind.ONCE, at=clock() - __import__("datetime").timedelta(hours=1)),
                now=clock(),
            )  # fmt: skip
    info = await make_campaign(sessions, clock, text_en="Sorting week", everyone=True, kinds={"school"})
    assert info.audience == Audience(everyone=True, kinds={CellKind.SCHOOL})
    assert info.schedule.quiet is not None and info.next_run_at > clock()
