"""Reports in the bot, at the dispatcher level: staff buttons (role and status re-checked),
notifications, reminders and the follow-up, lists and statistics, limits, the Open311 mount."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    SendLocation,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
)
from aiogram.types import Chat, Message, Update
from aiohttp.test_utils import TestClient, TestServer
from apscheduler.events import EVENT_JOB_EXECUTED

from bot.app import create_app
from bot.features.reports import REMINDER_JOB
from bot.handlers.reports.details import clean_plate
from bot.keyboards.reports import FlowCb, FollowupCb, StaffCb
from core import accounts
from core.clock import Clock, utcnow
from core.models import Role
from reports import service as svc
from tests.conftest import ADMIN_ID, make_settings
from tests.support.clock import FakeClock
from tests.support.fakebot import BOT_USER, Client, FakeSession, texts, toast

pytestmark = pytest.mark.dates

CHENGJIANG = (31.91102, 120.26302)
CHENGJIANG_CODE = "320281001"
QINGYANG_CODE = "320281103"
GROUP = Chat(id=-100_555, type="supergroup", title="澄江街道 staff")
_ids = itertools.count(5000)


def _bot_message(chat: Chat, text: str = "card") -> Message:
    return Message(message_id=next(_ids), date=datetime.now(UTC), chat=chat, from_user=BOT_USER, text=text)


def with_media(fake: FakeSession) -> FakeSession:
    """Staff posts send photos, albums and pins."""
    fake.responders[SendPhoto] = lambda m: _bot_message(Chat(id=int(m.chat_id), type="private"))
    fake.responders[SendLocation] = lambda m: _bot_message(Chat(id=int(m.chat_id), type="private"))
    fake.responders[SendMediaGroup] = lambda m: [_bot_message(Chat(id=int(m.chat_id), type="private")) for _ in m.media]
    return fake


@pytest.fixture
def client(client):
    with_media(client.session)
    return client


def photo(n: int = 0) -> svc.PhotoIn:
    sha = f"{n:064x}"
    return svc.PhotoIn(sha, f"originals/{sha}.jpg", f"public/{sha}.jpg", 10, 10, file_id=f"file{n}")


async def seed(app, reporter_id: int, *, photos: int = 1, anonymous: bool = True, **kw) -> svc.ReportInfo:
    new = svc.NewReport(
        lat=kw.pop("lat", CHENGJIANG[0]),
        lon=kw.pop("lon", CHENGJIANG[1]),
        location_source="telegram",
        waste_type="construction",
        amount="bags",
        anonymous=anonymous,
        **kw,
    )
    async with app.sessions() as session:
        created = await svc.create_report(session, reporter_id, new, [photo(i) for i in range(photos)])
    await app.outbox.drained()  # the receipt, the unit's post
    return created.report


async def confirm_step_draft(app, user_id: int, now: datetime | None = None) -> None:
    """A complete draft waiting for the reporter's "Send the report"."""
    data = {
        "photos": [dataclasses.asdict(photo(1))],
        "lat": CHENGJIANG[0],
        "lon": CHENGJIANG[1],
        "location_source": "telegram",
        "waste_type": "household",
        "amount": "car",
        "anonymous": True,
        "route_unit": CHENGJIANG_CODE,
    }
    async with app.sessions() as session:
        await svc.save_draft(session, user_id, data, "ReportFlow:confirm", now=now)


async def staff(client, app, unit: str = CHENGJIANG_CODE, name: str = "Hank"):
    handler = client.person(name, "en")
    await handler.send("/start")
    async with app.sessions() as session:
        await accounts.grant(session, ADMIN_ID, handler.tg.id, Role.UNIT_HANDLER, unit)
    return handler


async def bind(app, unit: str = CHENGJIANG_CODE, chat: Chat = GROUP) -> None:
    async with app.sessions() as session:
        await svc.bind_unit_chat(session, unit, chat.id, ADMIN_ID)


async def run_reminders(app, now: datetime) -> svc.DueReminders:
    """What the reminder job does at ``now``, and what the outbox then sends."""
    async with app.sessions() as session:
        due = await svc.claim_due_reminders(session, now=now)
    await app.outbox.drained()
    return due


async def status_of(app, report_id: int) -> str:
    async with app.sessions() as session:
        return (await svc.get(session, report_id)).status


def press(report: svc.ReportInfo, action: str, status: str | None = None, x: str = "") -> str:
    return StaffCb(a=action, r=report.id, s=status or report.status.value, x=x).pack()


def sent_to(calls, chat_id: int) -> list:
    return [c for c in calls if isinstance(c, (SendMessage, SendPhoto)) and int(c.chat_id) == chat_id]


def alerts(calls) -> list[str]:
    return [c.text for c in calls if isinstance(c, AnswerCallbackQuery) and c.show_alert]


async def test_accept_reject_and_reopen_notify_the_reporter_and_refresh_the_card(client, app):
    await bind(app)
    hank = await staff(client, app)
    alice = client.person("Alice", "en")
    await alice.send("/start")
    report = await seed(app, alice.tg.id)
    card = _bot_message(GROUP)

    calls = await hank.press(press(report, "acc"), card)
    assert await status_of(app, report.id) == "accepted"
    assert any(isinstance(c, EditMessageText) and report.ticket in c.text for c in calls)
    note = sent_to(calls, alice.tg.id)
    assert len(note) == 1 and "Accepted" in note[0].text and "Your report" in note[0].text

    calls = await hank.press(press(report, "rej", "accepted"), card)
    assert any(isinstance(c, EditMessageReplyMarkup) for c in calls)  # the four reasons
    calls = await hank.press(press(report, "rjr", "accepted", "not_dumping"), card)
    assert await status_of(app, report.id) == "rejected"
    assert "Not illegal dumping" in sent_to(calls, alice.tg.id)[0].text

    calls = await hank.press(press(report, "reo", "rejected"), card)
    assert await status_of(app, report.id) == "submitted"
    assert "reopened" in sent_to(calls, alice.tg.id)[0].text and "reopened" in toast(calls)
    # The card keeps the whole history, in local time, the reopening named as such.
    edited = [c for c in calls if isinstance(c, EditMessageText)][-1].text
    history = edited.split("\n\n", 1)[1].splitlines()
    assert [line.split("：", 1)[1] for line in history] == ["👷 已受理", "❌ 已驳回", "🔁 重新打开，🆕 已提交"], edited
    async with app.sessions() as session:
        events = (await svc.events(session, report.id))[1:]
    zone = ZoneInfo(app.settings.timezone)  # local times, in WUFEI_TIMEZONE
    assert [line.split(" · ")[0] for line in history] == [
        "🕒 " + e.at.astimezone(zone).strftime("%m-%d %H:%M") for e in events
    ]


async def test_a_stale_button_is_refused_and_the_card_refreshed(client, app):
    await bind(app)
    hank = await staff(client, app)
    wang = await staff(client, app, name="Wang")
    report = await seed(app, 4242)
    card = _bot_message(GROUP)
    await hank.press(press(report, "acc"), card)
    calls = await wang.press(press(report, "acc", "submitted"), card)  # drawn before Hank's press
    assert alerts(calls) == ["Already handled by someone else: it is now 👷 Accepted."]
    refreshed = [c for c in calls if isinstance(c, EditMessageText)]
    assert refreshed and "rs:prog" in str(refreshed[0].reply_markup)


async def test_malformed_forged_and_impossible_buttons_get_a_friendly_answer(client, app):
    await bind(app)
    hank = await staff(client, app)
    report = await seed(app, 4242)
    card = _bot_message(GROUP)
    expired = "This button has expired. Send /start to begin again."
    for data in (
        f"rs:rjr:{report.id}:submitted:not_a_reason",
        "rs:acc:99999999999999999999:submitted:",
        f"rs:zap:{report.id}:submitted:",
        f"rs:acc:{report.id}:nonsense:",
        f"rs:rau:{report.id}:submitted:999",
    ):
        calls = await hank.press(data, card)
        assert alerts(calls) == [expired], data
    assert await status_of(app, report.id) == "submitted"
    # Rejected: a forged "resolved" is refused before anyone is asked for an after photo.
    await hank.press(press(report, "rjr", x="not_dumping"), card)
    calls = await hank.press(press(report, "res", "rejected"), card)
    assert alerts(calls) == ["That is not possible in the report's current state."]
    assert not [c for c in calls if isinstance(c, SendMessage)] and await status_of(app, report.id) == "rejected"


async def test_staff_actions_are_audited(client, app):
    await bind(app)
    hank = await staff(client, app)
    report = await seed(app, 4242)
    card = _bot_message(GROUP)
    await hank.press(press(report, "acc"), card)
    await hank.press(press(report, "rauok", "accepted", QINGYANG_CODE), card)
    async with app.sessions() as session:
        entries = await accounts.recent_audit(session, limit=10)
    mine = [(e.action, e.target, e.details.get("to")) for e in entries if e.actor_id == hank.tg.id]
    assert ("reports.status", report.ticket, "accepted") in mine
    assert any(action == "reports.reassign" and target == report.ticket for action, target, _ in mine)


async def test_only_the_units_handlers_and_admins_may_press(client, app):
    await bind(app)
    report = await seed(app, 4242)
    card = _bot_message(GROUP)
    other_unit = await staff(client, app, unit=QINGYANG_CODE, name="Qing")
    resident = client.person("Res", "en")
    for person in (resident, other_unit):
        calls = await person.press(press(report, "acc"), card)
        assert alerts(calls) and "Only the handlers of" in alerts(calls)[0]
    assert await status_of(app, report.id) == "submitted"
    admin = client.person("Ada", "en", user_id=ADMIN_ID)
    await admin.press(press(report, "acc"), card)
    assert await status_of(app, report.id) == "accepted"


async def test_reassign_posts_to_the_new_unit_and_tells_the_reporter(client, app):
    await bind(app)
    qingyang_group = Chat(id=-100_777, type="supergroup", title="青阳镇 staff")
    await bind(app, QINGYANG_CODE, qingyang_group)
    hank = await staff(client, app)
    report = await seed(app, 4343)
    calls = await hank.press(press(report, "ras"), _bot_message(GROUP))
    markup = [c for c in calls if isinstance(c, EditMessageReplyMarkup)][0].reply_markup
    assert len([b for row in markup.inline_keyboard for b in row]) == 18  # 17 other units + back
    calls = await hank.press(press(report, "rau", x=QINGYANG_CODE), _bot_message(GROUP))
    assert await status_of(app, report.id) == "submitted" and toast(calls) == f"Move {report.ticket} to Qingyang Town?"
    async with app.sessions() as session:
        assert (await svc.get(session, report.id)).unit_code == CHENGJIANG_CODE  # not before the ✅
    confirm = [c for c in calls if isinstance(c, EditMessageReplyMarkup)][0].reply_markup
    buttons = {b.text: b.callback_data for row in confirm.inline_keyboard for b in row}
    assert list(buttons) == [f"✅ 确认把 {report.ticket} 转给青阳镇", "✖ 不转，留在本单位"]  # the card's language
    calls = await hank.press(buttons[f"✅ 确认把 {report.ticket} 转给青阳镇"], _bot_message(GROUP))
    async with app.sessions() as session:
        moved = await svc.get(session, report.id)
    assert moved.unit_code == QINGYANG_CODE and moved.staff_chat_id == qingyang_group.id
    assert any(isinstance(c, SendMessage) and int(c.chat_id) == qingyang_group.id for c in calls)
    assert "青阳镇" in sent_to(calls, 4343)[0].text


async def test_the_reminder_job_runs_on_the_apps_clock(tmp_path, sqlite_url, kb):
    """Reminders are a job on the app's scheduler: a day after a report arrived on the app's clock
    (a year ahead of the machine's), the unit's group is reminded without anyone calling anything."""
    clock = FakeClock(datetime.now(UTC) + timedelta(days=400))
    fake = with_media(FakeSession())
    app = create_app(make_settings(tmp_path, sqlite_url), bot_session=fake, kb=kb, clock=clock)
    await app.prepare()
    try:
        assert app.jobs.leader and app.jobs.scheduler.get_job(REMINDER_JOB) is not None
        await bind(app)
        async with app.sessions() as session:
            report = (
                await svc.create_report(
                    session,
                    4242,
                    svc.NewReport(
                        lat=CHENGJIANG[0],
                        lon=CHENGJIANG[1],
                        location_source="telegram",
                        waste_type="household",
                        amount="car",
                    ),
                    [photo(1)],
                    now=clock(),
                    clock=clock,
                )
            ).report
        runs: asyncio.Queue = asyncio.Queue()
        app.jobs.scheduler.add_listener(
            lambda event: event.job_id == REMINDER_JOB and runs.put_nowait(event.job_id), EVENT_JOB_EXECUTED
        )

        def reminders():
            return [
                c
                for c in sent_to(fake.calls, GROUP.id)
                if "Reminder" in (getattr(c, "text", None) or "") or "提醒" in (getattr(c, "text", None) or "")
            ]

        clock.advance(hours=23)  # the job runs (it runs every minute), but nothing is due yet
        assert await asyncio.wait_for(runs.get(), 10) == REMINDER_JOB
        await app.outbox.drained()
        assert not reminders()
        clock.advance(hours=2)
        assert await asyncio.wait_for(runs.get(), 10) == REMINDER_JOB
        await app.outbox.drained()
        [reminder] = reminders()
        assert report.ticket in reminder.text and ("Reminder" in reminder.text or "提醒" in reminder.text)
    finally:
        await app.stop()


async def test_reminders_escalation_and_the_followup_answer(client, app):
    await bind(app)
    hank = await staff(client, app)
    alice = client.person("Alice", "en")
    await alice.send("/start")
    report = await seed(app, alice.tg.id)
    before = len(client.session.calls)
    due = await run_reminders(app, now=utcnow() + timedelta(days=8))
    calls = client.session.calls[before:]
    assert [r.id for r in due.remind_unit] == [report.id] and [r.id for r in due.escalate] == [report.id]
    assert any("Reminder" in c.text or "提醒" in c.text for c in sent_to(calls, GROUP.id))
    assert sent_to(calls, ADMIN_ID)
    assert not await run_reminders(app, now=utcnow() + timedelta(days=8))  # each goes out once

    card = _bot_message(GROUP)
    await hank.press(press(report, "acc"), card)
    await hank.press(press(report, "res", "accepted"), card)
    async with app.sessions() as session:
        await svc.transition(session, report.id, hank.tg.id, "resolved", comment="done")
    await app.outbox.drained()
    before = len(client.session.calls)
    due = await run_reminders(app, now=utcnow() + timedelta(days=4))
    ask = sent_to(client.session.calls[before:], alice.tg.id)
    assert [r.id for r in due.ask_followup] == [report.id] and "clean now" in ask[0].text

    calls = await alice.press(FollowupCb(r=report.id, clean=False).pack())
    assert await status_of(app, report.id) == "accepted"
    assert any("open again" in t for t in texts(calls))
    assert any("rs:res" in str(c.reply_markup) for c in sent_to(calls, GROUP.id))  # the unit hears of it
    calls = await alice.press(FollowupCb(r=report.id, clean=False).pack())
    assert alerts(calls)


async def test_resolve_in_the_group_takes_a_comment(client, app):
    await bind(app)
    hank = await staff(client, app)
    report = await seed(app, 4545)
    card = _bot_message(GROUP)
    await hank.press(press(report, "acc"), card)
    calls = await hank.press(press(report, "res", "accepted"), card)
    assert "reply to this message" in texts(calls)[-1]
    group_text = Message(
        message_id=next(_ids), date=datetime.now(UTC), chat=GROUP, from_user=hank.tg, text="Cleared by the street team"
    )
    calls = await client.feed(Update(update_id=client.next_update_id(), message=group_text))
    async with app.sessions() as session:
        done = await svc.get(session, report.id)
        history = await svc.events(session, report.id)
    assert done.status == "resolved" and history[-1].comment == "Cleared by the street team"
    assert "Cleared by the street team" in sent_to(calls, 4545)[0].text


async def test_lists_and_statistics(client, app):
    await bind(app)
    hank = await staff(client, app)
    alice = client.person("Alice", "en")
    await alice.send("/start")
    mine = await seed(app, alice.tg.id)
    await seed(app, 777, lat=31.76525, lon=120.25188)  # 青阳镇: not Hank's
    assert mine.ticket in texts(await alice.send("/myreports"))[0]
    listing = texts(await hank.send("/reports"))[0]
    assert mine.ticket in listing and listing.count("JY-") == 1
    assert "No reports" in texts(await hank.send("/reports resolved"))[0]
    assert "staff only" in texts(await alice.send("/reports"))[0]
    assert "staff only" in texts(await hank.send("/stats"))[0]
    stats = texts(await client.person("Ada", "en", user_id=ADMIN_ID).send("/stats"))[0]
    assert "2" in stats and "Qingyang Town: 1" in stats and "Chengjiang Subdistrict: 1" in stats  # English reader


async def test_daily_limit_and_double_tap_on_confirm(client, app, settings):
    alice = client.person("Alice", "en")
    await alice.send("/start")
    await confirm_step_draft(app, alice.tg.id)
    ok = FlowCb(a="ok").pack()
    first = await alice.press(ok)
    second = await alice.press(ok)
    assert any("Thank you" in t for t in texts(first)) and not any("Thank you" in t for t in texts(second))
    assert sent_to(first, ADMIN_ID)  # no staff chat bound: the admins get it
    async with app.sessions() as session:
        assert len(await svc.my_reports(session, alice.tg.id)) == 1
    for _ in range(settings.report_daily_limit - 1):
        await seed(app, alice.tg.id)
    assert "daily limit" in texts(await alice.send("/report"))[0]


async def test_bindunit_needs_the_units_handler(client, app):
    qing = await staff(client, app, unit=QINGYANG_CODE, name="Qing")

    def in_group(person, text):
        return Update(
            update_id=client.next_update_id(),
            message=Message(message_id=next(_ids), date=datetime.now(UTC), chat=GROUP, from_user=person.tg, text=text),
        )

    calls = await client.feed(in_group(qing, "/bindunit 澄江街道"))
    assert "Only the handlers" in texts(calls)[0]
    calls = await client.feed(in_group(qing, "/bindunit"))
    assert "Qingyang Town" in texts(calls)[0]  # Qing reads English
    async with app.sessions() as session:
        assert await svc.unit_chat(session, QINGYANG_CODE) == GROUP.id
        assert await svc.unit_chat(session, CHENGJIANG_CODE) is None
    calls = await client.feed(in_group(client.person("Res", "en"), "/bindunit 青阳镇"))
    assert "staff only" in texts(calls)[0]


@pytest.mark.parametrize(
    "text, plate",
    [
        ("苏B12345", "苏B12345"),
        ("苏b·d1234", "苏BD1234"),
        ("沪A 1234学", "沪A1234学"),
        ("hello", None),
        ("12", None),
        ("苏BBBBBB", None),
    ],
)
def test_plates_are_validated_loosely(text, plate):
    assert clean_plate(text) == plate


async def test_open311_is_mounted_under_open311_v2(app):
    from sandbox.driver import make_image

    runtime = app.reports
    stored = runtime.media.save(make_image())
    async with app.sessions() as session:
        created = await svc.create_report(
            session, 1, svc.NewReport(*CHENGJIANG, "telegram", "bulky", amount="car"), [svc.PhotoIn.of(stored)]
        )
    async with TestClient(TestServer(app.web_app())) as http:
        assert (await http.get("/open311/v2/services.json")).status == 200
        assert (await http.get("/open311/v2/discovery.json")).status == 200
        one = await (await http.get(f"/open311/v2/requests/{created.ticket}.json")).json()
        media = one[0]["media_url"]
        assert media.endswith(f"/open311/media/public/{stored.sha256}.jpg")
        assert (await http.get(f"/open311/media/public/{stored.sha256}.jpg")).status == 200
        assert (await http.get("/healthz")).status == 200


async def test_unit_chat_binding_storage(db_url):
    from core import db

    engine = db.make_engine(db_url)
    await db.upgrade(engine)
    sessions = db.make_session_factory(engine)
    try:
        async with sessions() as session:
            assert await svc.bind_unit_chat(session, CHENGJIANG_CODE, -1, 7) is None
            assert await svc.bind_unit_chat(session, CHENGJIANG_CODE, -2, 8) == -1  # rebinding moves it
            await svc.bind_unit_chat(session, QINGYANG_CODE, -2, 8)
            assert await svc.unit_chat(session, CHENGJIANG_CODE) == -2
            assert await svc.units_of_chat(session, -2) == [CHENGJIANG_CODE, QINGYANG_CODE]
            with pytest.raises(svc.ReportError):
                await svc.bind_unit_chat(session, "nowhere", -3, 8)
            await session.rollback()
            assert await svc.unbind_chat(session, -2, QINGYANG_CODE) == 1
            assert await svc.units_of_chat(session, -2) == [CHENGJIANG_CODE]
    finally:
        await engine.dispose()


async def test_without_a_staff_chat_admins_get_the_card_and_can_resolve_in_private(client, app):
    """A unit with no chat: the admins get the card (with its buttons) and the report waits; when a
    group is bound, the waiting report is posted there."""
    admin = client.person("Ada", "en", user_id=ADMIN_ID)
    report = await seed(app, 4646)
    await app.outbox.drained()
    card = [c for c in client.session.calls if isinstance(c, SendMessage) and int(c.chat_id) == ADMIN_ID][-1]
    assert "/bindunit" in card.text and "rs:acc" in str(card.reply_markup)
    assert not [c for c in client.session.calls if isinstance(c, SendMessage) and int(c.chat_id) == GROUP.id]
    await bind(app)
    await app.outbox.drained()
    [posted] = [c for c in client.session.calls if isinstance(c, SendMessage) and int(c.chat_id) == GROUP.id]
    assert report.ticket in posted.text and "rs:acc" in str(posted.reply_markup)
    private_card = _bot_message(admin.chat)
    await admin.press(press(report, "acc"), private_card)
    calls = await admin.press(press(report, "res", "accepted"), private_card)
    assert "reply to this message" in texts(calls)[-1]
    calls = await admin.send("Swept and bagged")
    assert await status_of(app, report.id) == "resolved"
    assert "Swept and bagged" in sent_to(calls, 4646)[0].text


async def test_open311_report_from_city_systems_reaches_the_unit_group(client, app):
    import asyncio

    app.settings.open311_api_keys = ["city-key"]
    await bind(app)
    http = TestClient(TestServer(app.web_app()))
    await http.start_server()
    try:
        response = await http.post(
            "/open311/v2/requests.json?api_key=city-key",
            data={
                "service_code": "construction",
                "lat": str(CHENGJIANG[0]),
                "long": str(CHENGJIANG[1]),
                "description": "渣土堆在路边",
            },
        )
        assert response.status == 201
        ticket = (await response.json())[0]["service_request_id"]
        for _ in range(100):
            cards = [c for c in client.session.calls if isinstance(c, SendMessage) and c.chat_id == GROUP.id]
            if cards:
                break
            await asyncio.sleep(0.02)
        assert cards and ticket in cards[0].text and "渣土堆在路边" in cards[0].text
        assert any(isinstance(c, SendLocation) and c.chat_id == GROUP.id for c in client.session.calls)
    finally:
        await http.close()


@pytest.mark.parametrize(
    ("zone", "year_offset", "limited"), [("Asia/Shanghai", 0, False), ("America/New_York", -1, True)]
)
async def test_ticket_year_and_daily_limit_follow_wufei_timezone(tmp_path, sqlite_url, kb, zone, year_offset, limited):
    """00:30 on New Year's Day in Shanghai is 11:30 on 31 December in New York: the ticket's year and
    what counts as "today" for the daily limit are those of WUFEI_TIMEZONE."""
    year = Clock().today().year + 1
    clock = FakeClock(datetime(year, 1, 1, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai")), tz=zone)
    settings = make_settings(tmp_path, sqlite_url, timezone=zone, report_daily_limit=2)
    fake = with_media(FakeSession())
    fake.responders[SendMessage] = lambda m: _bot_message(Chat(id=int(m.chat_id), type="private"), m.text)
    app = create_app(settings, bot_session=fake, kb=kb, clock=clock)
    await app.prepare()
    try:
        client = Client(app.dp, app.bot, fake, settle=app.outbox.drained)
        alice = client.person("Alice", "en")
        await alice.send("/start")
        await confirm_step_draft(app, alice.tg.id, now=clock())
        done = [t for t in texts(await alice.press(FlowCb(a="ok").pack())) if "Thank you" in t]
        assert len(done) == 1 and f"JY-{year + year_offset}-" in done[0]
        # One more, an hour earlier: the day before in Shanghai, the same day in New York.
        async with app.sessions() as session:
            await svc.create_report(
                session,
                alice.tg.id,
                svc.NewReport(
                    lat=CHENGJIANG[0],
                    lon=CHENGJIANG[1],
                    location_source="telegram",
                    waste_type="household",
                    amount="car",
                ),
                [photo(2)],
                now=clock() - timedelta(hours=1),
                clock=clock,
            )
        answer = texts(await alice.send("/report"))[0]
        assert ("daily limit" in answer) is limited
    finally:
        await app.stop()
