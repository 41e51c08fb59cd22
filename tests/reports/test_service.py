"""Reports service on SQLite and PostgreSQL: creation, state machine, concurrency, reminders, queries."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect

from core import db
from core.clock import Clock, utcnow
from reports import service as svc
from reports.models import Amount, EventKind, LocationSource, RejectReason, ReportStatus, WasteType
from reports.service import (
    Changed,
    Conflict,
    FollowResult,
    NewReport,
    NotAllowed,
    NotFound,
    PhotoIn,
    ReportError,
    ReportErrorCode,
)

pytestmark = pytest.mark.dates

CHENGJIANG = (31.91102, 120.26302)  # 澄江街道 seat
QINGYANG = (31.76525, 120.25188)  # 青阳镇 seat
SHANGHAI = (31.2304, 121.4737)
REPORTER, NEIGHBOUR, STAFF, STAFF2 = 1001, 1002, 2001, 2002


def photo(i: int = 0) -> PhotoIn:
    sha = f"{i:064x}"
    return PhotoIn(
        sha,
        f"originals/{sha[:2]}/{sha[2:4]}/{sha}.jpg",
        f"public/{sha}.jpg",
        800,
        600,
        file_id=f"F{i}",
        file_unique_id=f"U{i}",
    )


def new(lat_lon=CHENGJIANG, **kw) -> NewReport:
    values = dict(
        lat=lat_lon[0],
        lon=lat_lon[1],
        location_source=LocationSource.TELEGRAM,
        waste_type=WasteType.CONSTRUCTION,
        amount=Amount.TRUCK,
        description="一车建筑垃圾倒在河边",
    )
    values.update(kw)
    return NewReport(**values)


async def make(sessions, reporter=REPORTER, lat_lon=CHENGJIANG, now=None, **kw) -> svc.Created:
    async with sessions() as session:
        return await svc.create_report(session, reporter, new(lat_lon, **kw), [photo(1), photo(2)], now=now)


async def test_a_report_is_stored_with_photos_event_route_and_ticket(sessions):
    async with sessions() as session:
        await svc.save_draft(session, REPORTER, {"lat": CHENGJIANG[0]}, "photos")
    created = await make(sessions, plate=" 苏B 12345 ", witnessed=True)
    assert created.ticket == f"JY-{Clock().year()}-{created.report.id:06d}"
    assert created.report.unit_code == "320281001"  # nearest seat: 澄江街道
    assert created.report.status == ReportStatus.SUBMITTED and created.report.anonymous
    assert created.event.kind == EventKind.CREATED and created.event.actor_id == REPORTER

    async with sessions() as session:
        found = await svc.get(session, created.ticket.lower())
        assert found == await svc.get(session, created.report.id)
        assert [p.file_id for p in found.photos] == ["F1", "F2"]
        assert found.plate == "苏B12345" and found.witnessed
        assert await svc.load_draft(session, REPORTER) is None  # the draft went with the submission
        assert [e.kind for e in await svc.events(session, found.id)] == [EventKind.CREATED]
        assert await svc.get(session, "JY-2000-999999") is None


async def test_bad_reports_are_refused_with_a_code_and_nothing_is_stored(sessions):
    cases = [
        (dict(lat_lon=SHANGHAI), [photo()], ReportErrorCode.OUTSIDE_AREA),
        (dict(), [], ReportErrorCode.PHOTOS),
        (dict(), [photo(i) for i in range(6)], ReportErrorCode.PHOTOS),
        (dict(description="垃" * 501), [photo()], ReportErrorCode.DESCRIPTION_TOO_LONG),
        (dict(waste_type="nuclear"), [photo()], ReportErrorCode.BAD_WASTE_TYPE),
        (dict(amount=None), [photo()], ReportErrorCode.BAD_AMOUNT),
        (dict(unit_code="999"), [photo()], ReportErrorCode.BAD_UNIT),
    ]
    async with sessions() as session:
        for kwargs, photos, code in cases:
            with pytest.raises(ReportError) as error:
                await svc.create_report(session, REPORTER, new(**kwargs), photos)
            assert error.value.code == code
        assert await svc.my_reports(session, REPORTER) == []
        # Staff may file straight to a unit without a seat point.
        created = await svc.create_report(session, REPORTER, new(unit_code="320281400"), [photo()])
        assert created.report.unit_code == "320281400"


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York"])
async def test_daily_limit_counts_the_calendar_day_of_the_configured_zone(sessions, zone):
    clock = Clock(zone)
    # 23:30 yesterday in the configured zone; one hour later it is today there.
    late = clock.day_start() - timedelta(minutes=30)
    async with sessions() as session:
        for _ in range(2):
            await svc.create_report(session, REPORTER, new(), [photo()], daily_limit=2, now=late, clock=clock)
        with pytest.raises(ReportError) as error:
            await svc.create_report(session, REPORTER, new(), [photo()], daily_limit=2, now=late, clock=clock)
        assert error.value.code == ReportErrorCode.DAILY_LIMIT
        assert (await svc.daily_quota(session, REPORTER, 2, now=late, clock=clock)).remaining == 0
        await svc.create_report(session, NEIGHBOUR, new(), [photo()], daily_limit=2, now=late, clock=clock)
        nextday = late + timedelta(hours=1)
        await svc.create_report(session, REPORTER, new(), [photo()], daily_limit=2, now=nextday, clock=clock)


@pytest.mark.parametrize(("zone", "year_offset"), [("Asia/Shanghai", 0), ("America/New_York", -1), ("UTC", -1)])
async def test_the_ticket_year_is_the_year_in_the_configured_zone(sessions, zone, year_offset):
    year = Clock().today().year + 1
    new_year = datetime(year, 1, 1, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # 16:30 UTC, Dec 31
    async with sessions() as session:
        created = await svc.create_report(session, REPORTER, new(), [photo()], now=new_year, clock=Clock(zone))
    assert created.ticket == f"JY-{year + year_offset}-{created.report.id:06d}"


async def test_life_of_a_report_notifies_reporter_and_followers(sessions):
    created = await make(sessions)
    rid = created.report.id
    async with sessions() as session:
        assert await svc.follow(session, rid, NEIGHBOUR) == FollowResult.FOLLOWING
        assert await svc.follow(session, rid, NEIGHBOUR) == FollowResult.ALREADY
        assert await svc.follow(session, rid, REPORTER) == FollowResult.OWN_REPORT
        assert await svc.follow(session, 999_999, NEIGHBOUR) == FollowResult.NOT_FOUND

        accepted = await svc.transition(session, rid, STAFF, "accepted", expected_status="submitted")
        assert isinstance(accepted, Changed)
        assert accepted.report.status == ReportStatus.ACCEPTED and accepted.report.accepted_at is not None
        assert set(accepted.notify) == {REPORTER, NEIGHBOUR}
        assert accepted.event.old_status == ReportStatus.SUBMITTED and accepted.event.actor_id == STAFF

        # A button drawn for "submitted" is stale now.
        stale = await svc.transition(session, rid, STAFF2, "accepted", expected_status="submitted")
        assert stale == Conflict(ReportStatus.ACCEPTED, accepted.report.version)
        assert isinstance(await svc.transition(session, rid, STAFF, "submitted"), NotAllowed)
        assert await svc.transition(session, 999_999, STAFF, "accepted") == NotFound()

        assert isinstance(await svc.transition(session, rid, STAFF, "in_progress", "车已派出"), Changed)
        resolved = await svc.transition(session, rid, STAFF, "resolved", "已清运", photos=[photo(9)])
        assert resolved.report.status == ReportStatus.RESOLVED and resolved.report.resolved_at
        assert [p.kind.value for p in resolved.report.photos] == ["before", "before", "after"]
        assert resolved.event.comment == "已清运"

        # The reporter acting is not told about their own action.
        await svc.unfollow(session, rid, NEIGHBOUR)
        reopened = await svc.transition(session, rid, REPORTER, "accepted")
        assert reopened.notify == () and reopened.event.details == {"reopened": True}
        assert reopened.report.resolved_at is None

        no_reason = await svc.transition(session, rid, STAFF, "rejected")
        assert no_reason == NotAllowed(ReportStatus.ACCEPTED, "reason_required")
        rejected = await svc.transition(session, rid, STAFF, "rejected", reason=RejectReason.DUPLICATE)
        assert rejected.report.reject_reason == RejectReason.DUPLICATE and rejected.notify == (REPORTER,)
        back = await svc.transition(session, rid, STAFF, "submitted", "复核")
        assert back.report.status == ReportStatus.SUBMITTED and back.report.reject_reason is None

        history = await svc.events(session, rid)
        assert [(e.old_status, e.new_status) for e in history][1:] == [
            ("submitted", "accepted"),
            ("accepted", "in_progress"),
            ("in_progress", "resolved"),
            ("resolved", "accepted"),
            ("accepted", "rejected"),
            ("rejected", "submitted"),
        ]
        assert back.report.version == 7


@pytest.mark.parametrize("second", ["accepted", "rejected"])
async def test_two_handlers_pressing_at_once_one_wins_the_other_gets_conflict(sessions, monkeypatch, second):
    created = await make(sessions)
    rid = created.report.id
    # Make the race certain: both handlers have read "submitted" before either writes, so the
    # compare-and-set in the database (not the early status check) has to pick the winner.
    barrier = asyncio.Barrier(2)
    real_read = svc._read

    first_reads = [0]

    async def read_then_wait(session, report_id):
        info = await real_read(session, report_id)
        first_reads[0] += 1
        if first_reads[0] <= 2:  # the loser's re-read after the failed update must not wait
            await asyncio.wait_for(barrier.wait(), 5)
        return info

    monkeypatch.setattr(svc, "_read", read_then_wait)

    async def press(actor, status):
        async with sessions() as session:
            return await svc.transition(session, rid, actor, status, reason="not_dumping", expected_status="submitted")

    results = await asyncio.gather(press(STAFF, "accepted"), press(STAFF2, second))
    monkeypatch.setattr(svc, "_read", real_read)
    winners = [r for r in results if isinstance(r, Changed)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0] == Conflict(winners[0].report.status, 2)
    async with sessions() as session:
        report = await svc.get(session, rid)
        history = await svc.events(session, rid)
    assert report.status == winners[0].report.status and report.version == 2
    assert [e.actor_id for e in history if e.kind == EventKind.STATUS] == [winners[0].event.actor_id]
    if report.status == ReportStatus.REJECTED:
        assert report.reject_reason == RejectReason.NOT_DUMPING and report.accepted_at is None
    else:
        assert report.reject_reason is None


async def test_many_concurrent_presses_leave_a_consistent_history(sessions):
    created = await make(sessions)
    rid = created.report.id

    async def press(actor, status):
        async with sessions() as session:
            return await svc.transition(session, rid, actor, status, expected_status="submitted")

    results = await asyncio.gather(*(press(STAFF + i, "accepted") for i in range(6)))
    assert sum(isinstance(r, Changed) for r in results) == 1
    assert all(isinstance(r, (Changed, Conflict)) for r in results)
    async with sessions() as session:
        history = await svc.events(session, rid)
        assert len(history) == 2 and (await svc.get(session, rid)).version == 2


async def test_reassign_to_a_unit_without_seat_and_refusals(sessions):
    created = await make(sessions)
    rid = created.report.id
    async with sessions() as session:
        assert await svc.set_staff_message(session, rid, -100123, 55)
        moved = await svc.reassign(session, rid, STAFF, "320281404", "属临港")
        assert isinstance(moved, Changed)
        assert moved.report.unit_code == "320281404" and moved.report.status == ReportStatus.SUBMITTED
        assert moved.report.staff_message_id is None
        assert moved.event.kind == EventKind.REASSIGN
        assert moved.event.details["old_unit"] == "320281001" and moved.event.details["old_staff_message_id"] == 55
        assert (await svc.reassign(session, rid, STAFF, "320281404")).reason == "same_unit"
        assert (await svc.reassign(session, rid, STAFF, "nowhere")).reason == "bad_unit"
        await svc.transition(session, rid, STAFF, "rejected", reason="outside_area")
        assert (await svc.reassign(session, rid, STAFF, "320281103")).reason == "closed"
        assert [r.id for r in await svc.list_by(session, "320281404")] == [rid]


async def test_reminders_go_out_once_and_not_clean_reopens(sessions):
    t0 = utcnow() - timedelta(days=30)
    old = await make(sessions, now=t0)  # will sit unaccepted
    fixed = await make(sessions, lat_lon=QINGYANG, now=t0)  # will be resolved
    async with sessions() as session:
        await svc.transition(session, fixed.report.id, STAFF, "accepted", now=t0 + timedelta(hours=2))
        await svc.transition(session, fixed.report.id, STAFF, "resolved", now=t0 + timedelta(days=1))

        nothing = await svc.claim_due_reminders(session, now=t0 + timedelta(hours=23))
        assert not nothing
        due = await svc.claim_due_reminders(session, now=t0 + timedelta(hours=25))
        assert [r.id for r in due.remind_unit] == [old.report.id] and not due.escalate
        assert due.remind_unit[0].unit_reminded_at is not None
        assert not await svc.claim_due_reminders(session, now=t0 + timedelta(hours=26))

        later = t0 + timedelta(days=4, hours=1)
        due = await svc.claim_due_reminders(session, now=later)
        assert [r.id for r in due.ask_followup] == [fixed.report.id] and not due.remind_unit
        assert not await svc.claim_due_reminders(session, now=later)

        due = await svc.claim_due_reminders(session, now=t0 + timedelta(days=8))
        assert [r.id for r in due.escalate] == [old.report.id]
        assert not await svc.claim_due_reminders(session, now=t0 + timedelta(days=9))

        assert (await svc.answer_followup(session, fixed.report.id, NEIGHBOUR, False)).reason == "not_reporter"
        reopened = await svc.answer_followup(session, fixed.report.id, REPORTER, False, now=later)
        assert isinstance(reopened, Changed)
        assert reopened.report.status == ReportStatus.ACCEPTED
        assert reopened.event.kind == EventKind.FOLLOW and reopened.event.details["answer"] == "not_clean"
        # After the next resolution the reporter is asked again, and "clean" just closes the loop.
        await svc.transition(session, fixed.report.id, STAFF, "resolved", now=later)
        due = await svc.claim_due_reminders(session, now=later + timedelta(days=3, minutes=1))
        assert [r.id for r in due.ask_followup] == [fixed.report.id]
        clean = await svc.answer_followup(session, fixed.report.id, REPORTER, True)
        assert clean.report.status == ReportStatus.RESOLVED and clean.report.followup_answer == "clean"
        assert isinstance(await svc.answer_followup(session, old.report.id, REPORTER, True), Conflict)


async def test_queries_nearby_and_stats(sessions):
    now = utcnow()
    a = await make(sessions, now=now - timedelta(hours=5))
    near = (CHENGJIANG[0] + 0.001, CHENGJIANG[1])  # ~111 m north
    b = await make(
        sessions,
        reporter=NEIGHBOUR,
        lat_lon=near,
        now=now - timedelta(hours=4),
        waste_type=WasteType.HOUSEHOLD,
        amount=Amount.BAGS,
    )
    far = (CHENGJIANG[0] + 0.004, CHENGJIANG[1])  # ~445 m
    await make(sessions, lat_lon=far, now=now - timedelta(hours=3))
    await make(sessions, now=now - timedelta(days=8))  # too old to be a duplicate hint
    q = await make(sessions, lat_lon=QINGYANG, now=now - timedelta(hours=2))
    async with sessions() as session:
        await svc.transition(session, a.report.id, STAFF, "accepted", now=now - timedelta(hours=4))
        await svc.transition(session, a.report.id, STAFF, "resolved", now=now - timedelta(hours=1))
        await svc.transition(session, b.report.id, STAFF, "accepted", now=now - timedelta(hours=2))
        await svc.transition(session, q.report.id, STAFF, "rejected", reason="not_dumping", now=now)

        hints = await svc.nearby_open_reports(session, *CHENGJIANG, now=now)
        assert [h.report.id for h in hints] == [b.report.id]  # a is resolved, far is >250 m
        assert 100 < hints[0].distance_m < 120
        assert len(await svc.nearby_open_reports(session, *CHENGJIANG, radius_m=600, now=now)) == 2

        mine = await svc.my_reports(session, REPORTER)
        assert len(mine) == 4 and mine[0].id == q.report.id  # newest first
        await svc.follow(session, b.report.id, REPORTER)
        assert len(await svc.my_reports(session, REPORTER, include_followed=True)) == 5
        queue = await svc.list_by(session, "320281001", ["submitted", "accepted"])
        assert [r.id for r in queue][0] != q.report.id and all(r.unit_code == "320281001" for r in queue)
        assert [r.id for r in await svc.list_by(session, status="rejected")] == [q.report.id]

        st = await svc.stats(session)
        assert st.total == 5 and st.by_unit == {"320281001": 4, "320281103": 1}
        assert st.by_type == {"construction": 4, "household": 1}
        assert st.by_status == {"resolved": 1, "accepted": 1, "submitted": 2, "rejected": 1}
        assert st.median_accept_s == pytest.approx(1.5 * 3600)  # 1 h and 2 h
        assert st.median_resolve_s == pytest.approx(4 * 3600)
        assert st.open == 3
        assert (await svc.stats(session, unit_code="320281103")).total == 1


async def test_drafts_survive_a_restart(db_url):
    engine = db.make_engine(db_url)
    await db.upgrade(engine)
    sessions = db.make_session_factory(engine)
    async with sessions() as session:
        await svc.save_draft(session, REPORTER, {"photos": ["a"], "lat": 31.9}, "location")
        await svc.save_draft(session, REPORTER, {"photos": ["a", "b"], "lat": 31.9}, "type")
    await engine.dispose()

    engine = db.make_engine(db_url)  # "the bot restarted"
    sessions = db.make_session_factory(engine)
    try:
        async with sessions() as session:
            draft = await svc.load_draft(session, REPORTER)
            assert draft.step == "type" and draft.data == {"photos": ["a", "b"], "lat": 31.9}
            assert (
                await svc.load_draft(session, REPORTER, max_age=timedelta(hours=1), now=utcnow() + timedelta(hours=2))
                is None
            )
            assert await svc.load_draft(session, NEIGHBOUR) is None
            report = NewReport.from_draft({**draft.data, "lon": 120.263, "waste_type": "bulky", "amount": "car"})
            assert report.waste_type == "bulky" and report.anonymous
            assert await svc.clear_draft(session, REPORTER)
            assert await svc.load_draft(session, REPORTER) is None
    finally:
        await engine.dispose()


async def test_migration_round_trip(db_url):
    engine = db.make_engine(db_url)
    try:
        await db.upgrade(engine)
        await db.downgrade(engine, "reports@0001")
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert "reports" not in tables and "report_drafts" not in tables and "users" in tables
        await db.upgrade(engine)
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert {"reports", "report_photos", "report_events", "report_followers", "report_drafts"} <= tables
        sessions = db.make_session_factory(engine)
        async with sessions() as session:
            created = await svc.create_report(session, REPORTER, new(), [photo()])
            assert created.ticket.startswith("JY-")
    finally:
        await engine.dispose()


async def test_submitting_a_draft_twice_at_once_creates_one_report(sessions):
    from dataclasses import asdict

    data = {
        "lat": CHENGJIANG[0],
        "lon": CHENGJIANG[1],
        "location_source": "venue",
        "waste_type": "bulky",
        "amount": "car",
        "description": "旧沙发",
        "anonymous": False,
        "photos": [asdict(photo(1)), asdict(photo(2))],
    }
    async with sessions() as session:
        await svc.save_draft(session, REPORTER, data, "confirm")

    async def submit():
        async with sessions() as session:
            try:
                return await svc.submit_draft(session, REPORTER, daily_limit=5)
            except ReportError as error:
                return error.code

    results = await asyncio.gather(submit(), submit(), submit())
    created = [r for r in results if isinstance(r, svc.Created)]
    assert len(created) == 1 and results.count(ReportErrorCode.NO_DRAFT) == 2
    report = created[0].report
    assert report.waste_type == "bulky" and not report.anonymous and len(report.photos) == 2
    assert report.location_source == "venue"
    async with sessions() as session:
        assert len(await svc.my_reports(session, REPORTER)) == 1
        assert await svc.load_draft(session, REPORTER) is None
        # An invalid draft is refused and kept, so the user can fix it.
        await svc.save_draft(session, REPORTER, {**data, "lat": 31.23, "lon": 121.47}, "confirm")
        with pytest.raises(ReportError) as error:
            await svc.submit_draft(session, REPORTER)
        assert error.value.code == ReportErrorCode.OUTSIDE_AREA
        assert (await svc.load_draft(session, REPORTER)).step == "confirm"
