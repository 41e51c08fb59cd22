"""Campaigns in the bot, at the dispatcher level: subscriptions, deep links, cells, the
/newcampaign flow (preview, quiet hours, recurring runs), /campaigns, the send adapter and the
delivery wiring (language per recipient, statistics to the author)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import EditMessageText, SendDocument, SendMessage, SendPhoto
from aiogram.types import Chat, Message, PhotoSize
from sqlmodel import select

from bot.app import create_app
from bot.features import campaigns as feature
from bot.features.campaigns import map_send_error, parse_quiet
from bot.features.reports import REMINDER_JOB
from campaigns import cells as cells_service, outbox as chunks, service, subscriptions as subs
from campaigns.delivery import BadRequest, Blocked, RetryAfter, Transient, Uncertain
from campaigns.models import CampaignStatus, CellKind, OutboxRow, RunStatus, Target
from campaigns.schedule import Schedule
from core import accounts
from core.models import Role
from tests.conftest import ADMIN_ID, make_settings
from tests.support.clock import FakeClock
from tests.support.fakebot import BOT_USER, FakeSession, inline_data, last_message, texts, toast

pytestmark = pytest.mark.dates

CHENGJIANG = "320281001"  # 澄江街道
NANZHA = "320281004"  # 南闸街道


def _media(method) -> Message:
    return Message(
        message_id=4242,
        date=datetime.now(UTC),
        chat=Chat(id=int(method.chat_id), type="private"),
        from_user=BOT_USER,
        caption=method.caption,
        photo=[PhotoSize(file_id="ph", file_unique_id="u", width=1, height=1)],
    )


@pytest.fixture
def clock() -> FakeClock:
    # 2027-03-02 10:00 in Shanghai (a Tuesday) on the injected clock; every part (APScheduler too)
    # reads it, so the real date does not matter.
    return FakeClock(datetime(2027, 3, 2, 2, 0, tzinfo=UTC))


@pytest.fixture
def settings(tmp_path, sqlite_url):
    return make_settings(tmp_path, sqlite_url, flood_limit=1000)  # staff flows are many updates


@pytest.fixture
async def app(settings, kb, clock):
    session = FakeSession()
    session.responders[SendPhoto] = _media
    session.responders[SendDocument] = _media
    application = create_app(settings, bot_session=session, kb=kb, clock=clock)
    await application.prepare()
    session.calls.clear()
    yield application
    await application.stop()
    assert not session.unexpected, f"unexpected Bot API calls: {session.unexpected}"


@pytest.fixture
def runtime(app) -> feature.CampaignRuntime:
    return app.campaigns


async def make_cell(app, name="澄江实验小学", kind=CellKind.SCHOOL, unit=CHENGJIANG):
    async with app.sessions() as session:
        return await cells_service.create_cell(session, name=name, kind=kind, unit_code=unit)


def _last_markup_call(calls):
    return next(c for c in reversed(calls) if getattr(c, "reply_markup", None) is not None)


# --- residents ---------------------------------------------------------------------------------


async def test_subscribe_by_kind_unit_place_and_everything(client, app):
    cell = await make_cell(app)
    alice = client.person("Alice", "zh")
    menu = (await alice.send("/subscribe"))[0]
    assert "无废" in menu.text
    buttons = inline_data(menu)
    calls = await alice.press(buttons["🏫 无废校园"])
    assert "已订阅" in texts(calls)[0]
    # The menu shows the subscription with a tick, and a second tap removes it.
    assert "✅ 🏫 无废校园" in inline_data(_last_markup_call(calls))
    await alice.press(buttons["🥬 无废菜场"])
    calls = await alice.press(buttons["🥬 无废菜场"])
    assert "已取消订阅" in texts(calls)[0]

    units = await alice.press(buttons["📍 按街道/镇"])
    await alice.press(inline_data(_last_markup_call(units))["南闸街道"])
    places = await alice.press(buttons["📌 某个无废细胞"])
    in_unit = await alice.press(inline_data(_last_markup_call(places))["澄江街道 (1)"])
    await alice.press(inline_data(_last_markup_call(in_unit))["澄江实验小学"])
    await alice.press(buttons["🌐 全部"])

    async with app.sessions() as session:
        mine = await subs.list_subscriptions(session, alice.tg.id)
    assert {(s.target, s.value) for s in mine} == {
        (Target.KIND, "school"), (Target.UNIT, NANZHA), (Target.CELL, str(cell.id)), (Target.ALL, ""),
    }  # fmt: skip

    listing = (await alice.send("/subscriptions"))[0]
    assert "澄江实验小学" in listing.text and "南闸街道" in listing.text
    calls = await alice.press(inline_data(listing)["❌ 📍 南闸街道"])
    assert "南闸街道" not in last_message(calls).text
    async with app.sessions() as session:
        assert len(await subs.list_subscriptions(session, alice.tg.id)) == 3


async def test_menu_button_opens_the_subscriptions(client):
    calls = await client.person("Bob", "en").send("🔔 Subscriptions")
    assert "Waste-free news" in calls[0].text
    assert "🏫 Waste-free schools" in inline_data(calls[0])


async def test_deep_link_subscribes_in_one_tap(client, app):
    cell = await make_cell(app)
    tom = client.person("Tom", "en")
    reply = texts(await tom.send(f"/start cell-{cell.id}"))
    assert len(reply) == 1 and "澄江实验小学" in reply[0] and "waste-free school" in reply[0]
    assert "You now get the news" in reply[0]
    assert "already" in texts(await tom.send(f"/start cell-{cell.id}"))[0]
    async with app.sessions() as session:
        assert await subs.list_subscriptions(session, tom.tg.id) == [subs.SubscriptionInfo(Target.CELL, str(cell.id))]
        await cells_service.retire_cell(session, cell.id)
    assert "no longer valid" in texts(await client.person("Ann", "en").send(f"/start cell-{cell.id}"))[0]
    assert "no longer valid" in texts(await client.person("Ann2", "en").send("/start cell-999"))[0]
    # A plain /start is still the greeting.
    assert "Wufei" in texts(await tom.send("/start"))[0]


# --- staff: access ------------------------------------------------------------------------------


async def test_non_staff_are_refused(client):
    eve = client.person("Eve", "en")
    for command in ("/newcampaign", "/cells", "/campaigns", "/newcell"):
        assert texts(await eve.send(command)) == ["⛔ This command is for staff only."]
    for data in ("au:all:", "cp:pause:1", "ce:qr:1:", "tm:now:", "cp:ok:0"):
        assert texts(await eve.press(data)) == ["⛔ This command is for staff only."]


async def test_granted_campaign_staff_may(client, app):
    async with app.sessions() as session:
        await accounts.touch_user(
            session, 4321, display_name="Staff", username="st", language_code="en", default_locale="zh"
        )
        await accounts.grant(session, ADMIN_ID, 4321, Role.CAMPAIGN_STAFF)
    await app.outbox.drained()  # the welcome: what campaign staff can do
    assert any("/newcampaign" in getattr(c, "text", "") for c in client.session.calls)
    staff = client.person("Staff", "en", user_id=4321)
    step1 = (await staff.send("/newcampaign"))[0]
    assert "step 1 of 4" in step1.text
    # Step 1 is an aiogram Scene: its buttons still check the role on every press.
    async with app.sessions() as session:
        await accounts.revoke(session, ADMIN_ID, 4321, Role.CAMPAIGN_STAFF)
    calls = await staff.press(inline_data(step1)["🌐 Every subscriber"])
    assert toast(calls) == "⛔ This command is for staff only."
    assert not any(isinstance(c, EditMessageText) for c in calls)  # the audience did not change


# --- staff: cells --------------------------------------------------------------------------------


async def test_create_edit_retire_a_cell_with_link_and_qr(client, app):
    staff = client.person("Staff", "en", user_id=ADMIN_ID)
    listing = (await staff.send("/cells"))[0]
    calls = await staff.press(inline_data(listing)["➕ New waste-free cell"])
    assert "name" in texts(calls)[0]
    calls = await staff.send("南闸菜场")
    calls = await staff.press(inline_data(calls[0])["🥬 Waste-free markets"])
    calls = await staff.press(inline_data(_last_markup_call(calls))["Nanzha Subdistrict"])
    calls = await staff.send("南闸街道观山路 1 号")
    assert texts(calls)[0].startswith("✅ Waste-free cell #")
    card = last_message(calls)
    assert "南闸菜场" in card.text and "https://t.me/wufei_bot?start=cell-" in card.text
    async with app.sessions() as session:
        (cell,) = await cells_service.list_cells(session)
    assert (cell.kind, cell.unit_code, cell.address) == (CellKind.MARKET, NANZHA, "南闸街道观山路 1 号")

    calls = await staff.press(inline_data(card)["🔳 QR code"])
    document = next(c for c in calls if isinstance(c, SendDocument))
    png = document.document.data
    assert png.startswith(b"\x89PNG") and f"start=cell-{cell.id}" in document.caption
    calls = await staff.press(inline_data(card)["🔗 Link"])
    assert f"https://t.me/wufei_bot?start=cell-{cell.id}" in texts(calls)[0]

    calls = await staff.press(inline_data(card)["✏️ Name"])
    calls = await staff.send("南闸农贸市场")
    assert "南闸农贸市场" in last_message(calls).text
    calls = await staff.press(inline_data(card)["🗄 Retire"])
    async with app.sessions() as session:
        assert (await cells_service.get_cell(session, cell.id)).retired
    calls = await staff.press(inline_data(_last_markup_call(calls))["♻️ Bring back"])
    async with app.sessions() as session:
        assert not (await cells_service.get_cell(session, cell.id)).retired


# --- staff: /newcampaign ------------------------------------------------------------------------


async def _draft(staff, *, kind_button="🏫 Waste-free schools", text="周六旧物交换 <免费>", en="Swap day on Saturday"):
    calls = await staff.send("/newcampaign")
    audience = calls[0]
    calls = await staff.press(inline_data(audience)[kind_button])
    calls = await staff.press(inline_data(_last_markup_call(calls))["Next ▶"])
    calls = await staff.send(text)
    if en:
        calls = await staff.send(en)
    else:
        calls = await staff.press(inline_data(last_message(calls))["Skip ▶"])
    return inline_data(_last_markup_call(calls))


async def test_new_campaign_preview_and_confirm(client, app, runtime, clock):
    cell = await make_cell(app)
    zh_user, en_user = client.person("Li", "zh"), client.person("Tom", "en")
    await zh_user.send(f"/start cell-{cell.id}")
    await en_user.send(f"/start cell-{cell.id}")
    staff = client.person("Staff", "en", user_id=ADMIN_ID)
    timing = await _draft(staff)
    await staff.press(timing["📅 At a date and time"])
    calls = await staff.send("2027-03-05 09:30")
    sent = [c for c in calls if isinstance(c, SendMessage)]
    # The preview: exactly the texts recipients get (under the sender's line, in the readers'
    # language), then the summary with the reach.
    assert sent[1].text == "📣 来自无废细胞：澄江实验小学\n\n周六旧物交换 &lt;免费&gt;"
    assert sent[3].text == "📣 From the waste-free cell: 澄江实验小学\n\nSwap day on Saturday"
    summary = sent[-1].text
    assert "Reaches <b>2</b> subscribers now (1 中文, 1 English)" in summary
    assert "Fri, Mar 5, 2027 09:30" in summary
    calls = await staff.press(inline_data(sent[-1])["✅ Schedule it"])
    assert "Campaign #1 is scheduled" in texts(calls)[-1]
    async with app.sessions() as session:
        (info,) = await service.list_campaigns(session)
    assert info.next_run_at == datetime(2027, 3, 5, 1, 30, tzinfo=UTC)
    assert info.text_en == "Swap day on Saturday" and info.audience.kinds == {CellKind.SCHOOL}
    assert runtime.scheduler.job_time(info.id) == info.next_run_at


async def test_quiet_hours_move_a_now_campaign_to_8am(client, app, clock):
    clock.now = datetime(2027, 3, 2, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai
    staff = client.person("Staff", "zh", user_id=ADMIN_ID)
    calls = await staff.send("/newcampaign")
    calls = await staff.press(inline_data(calls[0])["🌐 所有订阅者"])
    calls = await staff.press(inline_data(_last_markup_call(calls))["下一步 ▶"])
    calls = await staff.send("通知")
    calls = await staff.press(inline_data(last_message(calls))["跳过 ▶"])
    # Quiet hours are explained before the time is chosen.
    assert "免打扰时段：21:00 至 08:00 之间不发送通知；落在这段时间内的发送将在 08:00 发出" in last_message(calls).text
    calls = await staff.press(inline_data(last_message(calls))["⚡ 立即"])
    summary = texts(calls)[-1]
    assert "2027年3月3日周三 08:00" in summary and "免打扰" in summary
    await staff.press(inline_data(last_message(calls))["✅ 确认发布"])
    async with app.sessions() as session:
        (info,) = await service.list_campaigns(session)
    assert info.next_run_at == datetime(2027, 3, 3, 0, 0, tzinfo=UTC)


async def test_weekly_campaign_shows_its_next_runs_and_can_be_managed(client, app, runtime, clock):
    staff = client.person("Staff", "en", user_id=ADMIN_ID)
    timing = await _draft(staff, en=None)
    calls = await staff.press(timing["🔁 Every week"])
    days = inline_data(last_message(calls))
    await staff.press(days["Mon"])
    calls = await staff.press(days["Fri"])
    assert "✅ Fri" in inline_data(_last_markup_call(calls))
    await staff.press(days["Done ▶"])
    await staff.send("09:00")
    calls = await staff.send("2027-03-31")
    summary = texts(calls)[-1]
    assert "Every week on Mon, Fri at 09:00 until Mar 31, 2027" in summary
    assert "First run: <b>Fri, Mar 5, 2027 09:00</b>" in summary
    assert "Then: Mon, Mar 8, 2027 09:00; Fri, Mar 12, 2027 09:00; Mon, Mar 15, 2027 09:00" in summary
    await staff.press(inline_data(last_message(calls))["✅ Schedule it"])

    listing = (await staff.send("/campaigns"))[0]
    assert "#1</b> · active · next run Fri, Mar 5, 2027 09:00" in listing.text
    card = last_message(await staff.press(inline_data(listing)["#1 周六旧物交换 <免费>"]))
    assert "Campaign #1" in card.text and "Next run: Fri, Mar 5, 2027 09:00" in card.text
    calls = await staff.press(inline_data(card)["⏸ Pause"])
    assert "paused" in last_message(calls).text and runtime.scheduler.job_time(1) is None
    calls = await staff.press(inline_data(last_message(calls))["▶ Resume"])
    assert runtime.scheduler.job_time(1) == datetime(2027, 3, 5, 1, 0, tzinfo=UTC)

    # Edit the text and the timing of the runs to come.
    calls = await staff.press(inline_data(card)["✏️ Edit"])
    calls = await staff.press(inline_data(last_message(calls))["✏️ Chinese text"])
    calls = await staff.send("新的通知")
    assert "updated" in texts(calls)[0] and "新的通知" in last_message(calls).text
    calls = await staff.press(inline_data(card)["✏️ Edit"])
    calls = await staff.press(inline_data(last_message(calls))["🕒 Timing"])
    calls = await staff.press(inline_data(last_message(calls))["🔁 Every day"])
    calls = await staff.send("18:00")
    calls = await staff.press(inline_data(last_message(calls))["No end date"])
    assert "new timing saved" in texts(calls)[-1] and "Tue, Mar 2, 2027 18:00" in texts(calls)[-1]
    assert runtime.scheduler.job_time(1) == datetime(2027, 3, 2, 10, 0, tzinfo=UTC)

    calls = await staff.press(inline_data(card)["✖ Cancel"])
    calls = await staff.press(inline_data(last_message(calls))["Yes, cancel #1"])
    async with app.sessions() as session:
        assert (await service.get_campaign(session, 1)).status is CampaignStatus.CANCELLED
    assert runtime.scheduler.job_time(1) is None


async def test_a_campaign_card_shows_a_run_being_sent(client, app, runtime, clock):
    cell = await make_cell(app)
    residents = [client.person(name, "zh") for name in ("Li", "Wang", "Zhou")]
    for person in residents:
        await person.send(f"/start cell-{cell.id}")
    info = await runtime.scheduler.create(
        author_id=ADMIN_ID,
        audience=subs.Audience(cells={cell.id}),
        text_zh="中文通知",
        text_en=None,
        photo=None,
        schedule=Schedule(kind="once", at=clock.now + timedelta(hours=1), quiet=None),
    )
    # A large run as the sender starts it: a first chunk written (here 2 of 3 rows), one sent.
    async with app.sessions() as session:
        run_id, _ = await service.ensure_run(session, info.id, info.next_run_at, status=RunStatus.RUNNING)
        await session.commit()
        await chunks.start_outbox(session, run_id, subs.Audience(cells={cell.id}), has_en=False, size=2)
        row = (await session.exec(select(OutboxRow).where(OutboxRow.run_id == run_id))).first()
        row.status = "sent"
        await session.commit()
    staff = client.person("Staff", "en", user_id=ADMIN_ID)

    async def card() -> str:
        listing = (await staff.send("/campaigns"))[0]
        return last_message(await staff.press(inline_data(listing)["#1 中文通知"])).text

    assert "Sending now: 1 sent, counting the recipients…" in await card()
    async with app.sessions() as session:
        assert await chunks.count_outbox(session, run_id, subs.Audience(cells={cell.id})) == 3
    assert "Sending now: 1 of 3 sent" in await card()


# --- delivery wiring ----------------------------------------------------------------------------


async def test_delivery_language_photo_blocked_and_statistics(client, app, runtime, clock):
    cell = await make_cell(app)
    li, tom, gone = client.person("Li", "zh"), client.person("Tom", "en"), client.person("Gone", "zh")
    for person in (li, tom, gone):
        await person.send(f"/start cell-{cell.id}")
    outsider = client.person("Other", "zh")
    await outsider.send("/subscribe")
    async with app.sessions() as session:
        await subs.subscribe(session, outsider.tg.id, Target.KIND, "factory")
    session = app.bot.session

    def send_message(method):
        if int(method.chat_id) == gone.tg.id:
            raise TelegramForbiddenError(method=method, message="Forbidden: bot was blocked by the user")
        return FakeSession._message(session, method)

    def send_photo(method):
        if int(method.chat_id) == gone.tg.id:
            raise TelegramForbiddenError(method=method, message="Forbidden: bot was blocked by the user")
        return _media(method)

    session.responders[SendMessage] = send_message
    session.responders[SendPhoto] = send_photo
    info = await runtime.scheduler.create(
        author_id=ADMIN_ID,
        audience=subs.Audience(kinds={CellKind.SCHOOL}),
        text_zh="中文通知",
        text_en="English notice",
        photo="file-123",
        schedule=Schedule(kind="once", at=clock.now + timedelta(hours=1), quiet=None),
    )
    await accounts_touch_admin(app)
    session.calls.clear()
    clock.advance(hours=1)
    await runtime.scheduler.fire(info.id)
    await runtime.scheduler.wait_deliveries()
    await app.outbox.drained()  # the author's statistics
    photos = {int(c.chat_id): c.caption for c in session.calls if isinstance(c, SendPhoto)}
    zh, en = "📣 来自无废细胞：澄江实验小学\n\n中文通知", "📣 From the waste-free cell: 澄江实验小学\n\nEnglish notice"
    assert photos == {li.tg.id: zh, tom.tg.id: en, gone.tg.id: zh}
    to_tom = next(c for c in session.calls if isinstance(c, SendPhoto) and int(c.chat_id) == tom.tg.id)
    assert list(inline_data(to_tom)) == ["🔕 Unsubscribe from 澄江实验小学", "🔕 Stop all announcements"]
    report = next(c.text for c in session.calls if isinstance(c, SendMessage) and int(c.chat_id) == ADMIN_ID)
    assert "Targeted: 3" in report and "Sent: 2" in report and "Blocked the bot: 1" in report


async def accounts_touch_admin(app):
    async with app.sessions() as session:
        await accounts.touch_user(
            session, ADMIN_ID, display_name="Admin", username=None, language_code="en", default_locale="zh"
        )
        await accounts.set_language(session, ADMIN_ID, "en")


def test_send_errors_are_mapped():
    from aiogram.methods import SendMessage as M

    method = M(chat_id=1, text="x")
    assert isinstance(
        map_send_error(TelegramRetryAfter(method=method, message="Too Many Requests", retry_after=7)), RetryAfter
    )
    assert map_send_error(TelegramRetryAfter(method=method, message="x", retry_after=7)).seconds == 7
    assert isinstance(map_send_error(TelegramForbiddenError(method=method, message="blocked")), Blocked)
    bad = map_send_error(TelegramBadRequest(method=method, message="Bad Request: chat not found"))
    assert isinstance(bad, BadRequest) and "chat not found" in bad.reason
    assert isinstance(map_send_error(TelegramServerError(method=method, message="Bad Gateway")), Transient)
    refused = TelegramNetworkError(method=method, message="ClientConnectorError: Cannot connect to host")
    assert isinstance(map_send_error(refused), Transient)
    assert isinstance(map_send_error(TelegramNetworkError(method=method, message="Request timeout error")), Uncertain)
    dropped = TelegramNetworkError(method=method, message="ServerDisconnectedError: Server disconnected")
    assert isinstance(map_send_error(dropped), Uncertain)


def test_quiet_hours_setting():
    from datetime import time

    assert parse_quiet("21:00-08:00") == (time(21), time(8))
    assert parse_quiet("") is None and parse_quiet("08:00-08:00") is None


async def test_a_missed_run_is_reported_to_its_author(client, app, runtime, clock):
    await accounts_touch_admin(app)
    info = await runtime.scheduler.create(
        author_id=ADMIN_ID,
        audience=subs.Audience(everyone=True),
        text_zh="每日提醒",
        schedule=Schedule(kind="daily", time=datetime(2027, 1, 1, 12, 0).time()),
    )
    assert info.next_run_at == datetime(2027, 3, 2, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
    session = app.bot.session
    session.calls.clear()
    clock.advance(hours=5)  # three hours late: beyond the 60-minute grace period
    assert await runtime.scheduler.fire(info.id) == []
    await app.outbox.drained()
    (report,) = [c.text for c in session.calls if isinstance(c, SendMessage)]
    assert "missed" in report and "Tue, Mar 2, 2027 12:00" in report and "60 minutes" in report
    async with app.sessions() as s:
        assert (await service.get_campaign(s, info.id)).next_run_at == datetime(2027, 3, 3, 4, 0, tzinfo=UTC)


async def test_one_instance_sends_and_another_takes_over(postgres_url, tmp_path, kb, clock):
    """Webhook mode runs several instances: only the advisory-lock holder runs the scheduler; it
    follows campaigns created through the others, and another instance takes over when it stops."""
    settings = make_settings(tmp_path, postgres_url)
    apps = []
    for _ in range(2):
        app = create_app(settings, bot_session=FakeSession(), kb=kb, clock=clock)
        app.jobs.retry_s = 0.1
        await app.prepare()
        apps.append(app)
    first, second = (a.campaigns for a in apps)
    try:
        assert first.leader and not second.leader
        # The report reminders run on the leader only, like the campaign jobs.
        assert apps[0].jobs.scheduler.get_job(REMINDER_JOB) and not apps[1].jobs.scheduler.running
        info = await second.scheduler.create(
            author_id=ADMIN_ID, audience=subs.Audience(everyone=True), text_zh="通知",
            schedule=Schedule(kind="once", at=clock.now + timedelta(days=1), quiet=None),
        )  # fmt: skip
        assert second.scheduler.job_time(info.id) is None  # instance 2 runs no jobs
        await first.resync()
        assert first.scheduler.job_time(info.id) == info.next_run_at
        await apps[0].stop()
        for _ in range(100):
            if second.leader:
                break
            await asyncio.sleep(0.05)
        assert second.leader and second.scheduler.job_time(info.id) == info.next_run_at
        assert apps[1].jobs.scheduler.get_job(REMINDER_JOB)
    finally:
        for app in apps:
            await app.stop()


async def test_monthly_timing_bad_input_and_cancel(client, app, clock):
    staff = client.person("Staff", "zh", user_id=ADMIN_ID)
    calls = await staff.send("/newcampaign")
    calls = await staff.press(inline_data(calls[0])["🏭 无废工厂"])
    calls = await staff.press(inline_data(_last_markup_call(calls))["下一步 ▶"])
    calls = await staff.send("月度开放日")
    calls = await staff.press(inline_data(last_message(calls))["跳过 ▶"])
    timing = inline_data(last_message(calls))
    calls = await staff.press(timing["📅 指定日期和时间"])
    assert "无法识别" in texts(await staff.send("明天上午"))[0]
    assert "已经过去" in texts(await staff.send("2027-03-01 09:00"))[0]
    assert "预览" in texts(await staff.send("2027-03-10 09:00"))[0]
    assert "已取消" in texts(await staff.send("/cancel"))[0]
    assert texts(await staff.press("cp:ok:0")) == ["草稿已失效：请用 /newcampaign 重新开始。"]

    # Monthly on the 31st: clamped to the last day of shorter months.
    calls = await staff.send("/newcampaign")
    calls = await staff.press(inline_data(calls[0])["🏭 无废工厂"])
    calls = await staff.press(inline_data(_last_markup_call(calls))["下一步 ▶"])
    await staff.send("月度开放日")
    calls = await staff.send("Open day")
    calls = await staff.press(inline_data(last_message(calls))["🔁 每月"])
    assert "1 到 31" in texts(await staff.send("32"))[0]
    await staff.send("31")
    assert "请按" in texts(await staff.send("25:00"))[0]
    await staff.send("10:00")
    summary = texts(await staff.send("2027-06-30"))[-1]
    assert "每月 31 日 10:00 至 2027年6月30日" in summary
    assert "首次发送：<b>2027年3月31日周三 10:00</b>" in summary
    assert "之后：2027年4月30日周五 10:00; 2027年5月31日周一 10:00; 2027年6月30日周三 10:00" in summary
    assert "目前可送达 <b>0</b> 位订阅者" in summary
