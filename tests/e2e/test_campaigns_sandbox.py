"""Campaigns end to end: the real Wufei app polling the sandbox Bot API over HTTP.

Each test runs its own sandbox + app (``campaign_sandbox``) so that it can choose the clock, the
quiet hours and the sending rate, and restart the app on the same database.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import create_app
from bot.features import campaigns as feature
from bot.outgoing.pacing import PaceLimits
from campaigns import cells as cells_service, service, subscriptions as subs
from campaigns.models import CampaignRun, CellKind, OutboxRow, RunStatus, Target
from campaigns.schedule import Schedule
from campaigns.subscriptions import Audience
from core import accounts
from core.models import User
from sandbox import Limits
from sandbox.testing import running_sandbox
from tests.conftest import ADMIN_ID, make_settings
from tests.support.clock import FakeClock

pytestmark = [pytest.mark.e2e, pytest.mark.dates]

CHENGJIANG = "320281001"  # 澄江街道
NANZHA = "320281004"  # 南闸街道


class Harness:
    """A sandbox, the app polling it, and a way to restart the app on the same database."""

    def __init__(self, tmp_path: Path, clock=None, **settings):
        self.settings = make_settings(
            tmp_path, f"sqlite+aiosqlite:///{tmp_path}/wufei.db", flood_limit=1000, **settings
        )
        self.clock = clock
        self.pace = None  # the bot's own pacing (Telegram's limits) unless the sandbox is relaxed
        self.apps: list = []
        self.sb = None

    def factory(self, api_base: str, token: str):
        app = create_app(self.settings, api_base=api_base, token=token, clock=self.clock, pace=self.pace)
        self.apps.append(app)
        return app

    @property
    def app(self):
        return self.apps[-1]

    @property
    def runtime(self) -> feature.CampaignRuntime:
        return self.app.campaigns

    async def stop_app(self) -> None:
        await self.app.stop()
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(self.sb.poll_task, 5)

    async def start_app(self) -> None:
        """A new app instance (a restarted process) on the same database and sandbox."""
        server = self.sb.server
        app = self.factory(server.base_url, server.token)
        await app.prepare()
        polls = server.method_counts.get("getUpdates", 0)
        self.sb.app, self.sb.poll_task = app, asyncio.create_task(app.poll())
        for _ in range(200):
            if server.method_counts.get("getUpdates", 0) > polls:
                break
            await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def campaign_sandbox(tmp_path: Path, clock=None, limits: Limits | None = None, **settings):
    harness = Harness(tmp_path, clock, **settings)
    if limits is None:
        harness.pace = PaceLimits.relaxed()
    async with running_sandbox(harness.factory, limits=limits or Limits.relaxed()) as sb:
        harness.sb = sb
        try:
            yield harness
        finally:
            for app in harness.apps[1:]:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(app.stop(), 10)
            if sb.poll_task is not None and not sb.poll_task.done():
                sb.poll_task.cancel()
                with contextlib.suppress(BaseException):
                    await sb.poll_task
        assert not sb.server.validation_errors, sb.server.validation_errors


# The first line of an announcement names its sender (issue #14).
PROGRAMME_ZH, PROGRAMME_EN = "📣 来自江阴“无废城市”建设\n\n", "📣 From Jiangyin's waste-free city programme\n\n"
SCHOOL_ZH, SCHOOL_EN = "📣 来自无废细胞：澄江实验小学\n\n", "📣 From the waste-free cell: 澄江实验小学\n\n"


async def make_cell(h: Harness, name: str, kind: CellKind, unit: str) -> cells_service.CellInfo:
    async with h.app.sessions() as session:
        return await cells_service.create_cell(session, name=name, kind=kind, unit_code=unit)


async def residents(h: Harness, n: int, *, lang: str = "zh", target=Target.ALL, value="") -> list:
    """``n`` residents who have started the bot and subscribed (written straight to the database)."""
    people = [h.sb.user(f"R{i}", lang=lang, started=True) for i in range(n)]
    async with h.app.sessions() as session:
        for person in people:
            await accounts.touch_user(
                session, person.id, display_name=person.user.full_name, username=None,
                language_code=lang, default_locale="zh",
            )  # fmt: skip
            await subs.subscribe(session, person.id, target, value)
    return people


async def wait_button(person, message, label: str) -> None:
    """Wait until an edit of ``message`` shows a button containing ``label``."""
    await person.driver._wait(lambda: any(label in b for b in message.buttons), 5, f"button {label!r}")


async def click(person, label: str, message=None):
    if message is not None:
        await wait_button(person, message, label)
    result = await person.click(label, message=message)
    await result.answer()
    return result


async def staff_campaign(
    staff, audience_buttons: list[str], text_zh: str, text_en: str | None, timing: str = "⚡ 立即"
):
    """The whole /newcampaign flow through the chat, up to the preview summary (returned)."""
    await staff.send("/newcampaign")
    audience = await staff.expect_message("第 1 步")
    for label in audience_buttons:
        if label.startswith("@"):  # a town/street: open the list, tick it, go back
            await click(staff, "📍 街道/镇", audience)
            await click(staff, label[1:], audience)
            await wait_button(staff, audience, "✅ " + label[1:])
            await click(staff, "◀ 返回", audience)
        else:
            await click(staff, label, audience)
            await wait_button(staff, audience, "✅ " + label)
    await click(staff, "下一步 ▶", audience)
    await staff.expect_message("第 2 步")
    await staff.send(text_zh)
    step3 = await staff.expect_message("第 3 步")
    if text_en:
        await staff.send(text_en)
    else:
        await click(staff, "跳过 ▶", step3)
    when = await staff.expect_message("第 4 步")
    await click(staff, timing, when)
    return when


async def expect_preview(staff, *texts: str, timeout: float = 5.0):
    await staff.expect_message("预览", timeout=timeout)
    for i, text in enumerate(texts):
        if i:
            await staff.expect_message("使用英文", timeout=timeout)
        assert (await staff.expect_message(timeout=timeout)).content == text
    return await staff.expect_message("摘要", timeout=timeout)


async def test_a_bilingual_campaign_is_previewed_and_confirmed_under_telegrams_limits(tmp_path):
    """The preview is five messages in a row to one chat: beyond Telegram's burst. The bot paces
    itself, so the summary with its confirm button arrives and the campaign is scheduled."""
    async with campaign_sandbox(tmp_path, limits=Limits(), quiet_hours="") as h:
        await make_cell(h, "澄江实验小学", CellKind.SCHOOL, CHENGJIANG)
        admin = h.sb.user("Admin", lang="zh", user_id=ADMIN_ID)
        await staff_campaign(admin, ["🏫 无废校园"], "周六上午旧物交换", "Swap day on Saturday morning")
        # Paced at about one message a second to this chat: seconds, not the default 5 s each.
        summary = await expect_preview(
            admin, SCHOOL_ZH + "周六上午旧物交换", SCHOOL_EN + "Swap day on Saturday morning", timeout=20
        )
        await click(admin, "✅ 确认发布", summary)
        await admin.expect_message("已安排", timeout=20)
        assert h.sb.server.answers(429) == 0


async def test_subscribe_by_deep_link(tmp_path):
    async with campaign_sandbox(tmp_path) as h:
        cell = await make_cell(h, "澄江实验小学", CellKind.SCHOOL, CHENGJIANG)
        alice = h.sb.user("Alice", lang="zh")
        await alice.send(f"/start cell-{cell.id}")
        reply = await alice.expect_message("澄江实验小学")
        assert "无废校园" in reply.content and "澄江街道" in reply.content
        assert reply.reply_buttons, "the main menu comes with the confirmation"
        async with h.app.sessions() as session:
            assert await subs.list_subscriptions(session, alice.id) == [
                subs.SubscriptionInfo(Target.CELL, str(cell.id))
            ]
        # The staff's QR code encodes the same link.
        admin = h.sb.user("Admin", lang="zh", user_id=ADMIN_ID)
        await admin.send("/cells")
        listing = await admin.expect_message("无废细胞")
        await click(admin, f"#{cell.id} 澄江实验小学", listing)
        await wait_button(admin, listing, "🔳 二维码")  # the list became the place's card
        username = (await h.app.bot.me()).username
        assert f"https://t.me/{username}?start=cell-{cell.id}" in listing.content
        await click(admin, "🔳 二维码", listing)
        qr = await admin.expect_message()
        assert qr.document and qr.file_bytes(h.sb.world.files).startswith(b"\x89PNG")
        assert f"start=cell-{cell.id}" in qr.content
        await admin.expect_no_message(within=0.2)
        await h.sb.settle()
        assert not h.sb.bot_errors, h.sb.bot_errors


async def test_push_for_a_kind_and_a_unit_reaches_the_right_people_in_their_language(tmp_path):
    async with campaign_sandbox(tmp_path, quiet_hours="") as h:
        school = await make_cell(h, "澄江实验小学", CellKind.SCHOOL, CHENGJIANG)
        await make_cell(h, "南闸菜场", CellKind.MARKET, NANZHA)
        # Residents subscribe through the chat.
        li, tom, wang, zhao, qian = (
            h.sb.user("Li", lang="zh"), h.sb.user("Tom", lang="en"), h.sb.user("Wang", lang="zh"),
            h.sb.user("Zhao", lang="zh"), h.sb.user("Qian", lang="zh"),
        )  # fmt: skip
        for person, button in ((li, "🏫 无废校园"), (tom, "🏫 Waste-free schools"), (zhao, "🏭 无废工厂")):
            await person.send("/subscribe")
            menu = await person.expect_message()
            await click(person, button, menu)
        await wang.send("/subscribe")
        menu = await wang.expect_message()
        await click(wang, "📍 按街道/镇", menu)
        await click(wang, "南闸街道", menu)
        await qian.send(f"/start cell-{school.id}")
        await qian.expect_message("澄江实验小学")
        await h.sb.settle()
        for person in (li, tom, wang, zhao, qian):
            person.skip_messages()

        admin = h.sb.user("Admin", lang="zh", user_id=ADMIN_ID)
        await staff_campaign(admin, ["🏫 无废校园"], "周六上午旧物交换", "Swap day on Saturday morning")
        summary = await expect_preview(
            admin, SCHOOL_ZH + "周六上午旧物交换", SCHOOL_EN + "Swap day on Saturday morning"
        )
        assert "<b>3</b>" in summary.text or "3 位" in summary.content
        await click(admin, "✅ 确认发布", summary)
        await admin.expect_message("已安排")
        assert (await li.expect_message()).content == SCHOOL_ZH + "周六上午旧物交换"
        assert (await qian.expect_message()).content == SCHOOL_ZH + "周六上午旧物交换"
        assert (await tom.expect_message()).content == SCHOOL_EN + "Swap day on Saturday morning"
        stats = await admin.expect_message("发送已完成")
        assert "目标：3" in stats.content and "已送达：3" in stats.content

        # A second campaign to a town: the people of the market's street only.
        await staff_campaign(admin, ["@南闸街道"], "南闸街道垃圾分类宣传日", None)
        market = "📣 来自无废细胞：南闸菜场\n\n南闸街道垃圾分类宣传日"
        summary = await expect_preview(admin, market)
        await click(admin, "✅ 确认发布", summary)
        assert (await wang.expect_message()).content == market
        await admin.expect_message("已安排")
        await admin.expect_message("发送已完成")
        for person in (li, tom, zhao, qian):
            await person.expect_no_message(within=0.2)
        await zhao.expect_no_message(within=0.1)
        assert not h.sb.bot_errors, h.sb.bot_errors


async def test_quiet_hours_and_recurring_runs_are_computed_and_shown(tmp_path):
    # 22:00 in Shanghai on Tue 2 March 2027 on the injected clock, which the scheduler follows too:
    # the test holds on any real date.
    clock = FakeClock(datetime(2027, 3, 2, 14, 0, tzinfo=UTC))
    async with campaign_sandbox(tmp_path, clock=clock) as h:
        await residents(h, 2)
        admin = h.sb.user("Admin", lang="zh", user_id=ADMIN_ID)
        await staff_campaign(admin, ["🌐 所有订阅者"], "今晚的通知", None)
        summary = await expect_preview(admin, PROGRAMME_ZH + "今晚的通知")
        assert "首次发送：2027年3月3日周三 08:00" in summary.content
        assert "免打扰" in summary.content
        await click(admin, "✅ 确认发布", summary)
        await admin.expect_message("2027年3月3日周三 08:00")
        async with h.app.sessions() as session:
            (info,) = await service.list_campaigns(session)
        assert info.next_run_at == datetime(2027, 3, 3, 0, 0, tzinfo=UTC)
        assert h.runtime.scheduler.job_time(info.id) == info.next_run_at

        # Weekly on Monday and Wednesday at 21:30: quiet hours move each run to 08:00 the next day.
        await staff_campaign(admin, ["🏫 无废校园"], "每周提醒", None, timing="🔁 每周")
        days = await admin.expect_message("每周哪几天")
        await click(admin, "周一", days)
        await wait_button(admin, days, "✅ 周一")
        await click(admin, "周三", days)
        await wait_button(admin, days, "✅ 周三")
        await click(admin, "完成 ▶", days)
        await admin.expect_message("几点")
        await admin.send("21:30")
        await admin.expect_message("截止")
        await admin.send("2027-03-31")
        summary = await expect_preview(admin, PROGRAMME_ZH + "每周提醒")  # no cell in this sandbox
        assert "每周周一, 周三 21:30 至 2027年3月31日" in summary.content
        assert "首次发送：2027年3月4日周四 08:00" in summary.content
        assert "之后：2027年3月9日周二 08:00; 2027年3月11日周四 08:00; 2027年3月16日周二 08:00" in summary.content
        await click(admin, "✅ 确认发布", summary)
        await admin.expect_message("已安排")

        await admin.send("/campaigns")
        listing = await admin.expect_message("2 个")
        assert "#1 · 进行中 · 下次发送 2027年3月3日周三 08:00" in listing.content
        assert "#2 · 进行中 · 下次发送 2027年3月4日周四 08:00" in listing.content
        await click(admin, "#2 每周提醒", listing)
        await wait_button(admin, listing, "⏸ 暂停")
        assert "下次发送：2027年3月4日周四 08:00" in listing.content
        await click(admin, "⏸ 暂停", listing)
        await wait_button(admin, listing, "▶ 恢复")
        assert h.runtime.scheduler.job_time(2) is None
        assert not h.sb.bot_errors, h.sb.bot_errors


async def test_blocked_users_are_not_sent_and_are_marked(tmp_path):
    async with campaign_sandbox(tmp_path, quiet_hours="") as h:
        ok, left, silent = await residents(h, 3)
        await left.block()  # the bot sees it (my_chat_member): not even tried
        silent.user.blocked_bot = True  # the bot was not told: Telegram answers 403
        await h.sb.settle()
        info = await h.runtime.scheduler.create(
            author_id=ADMIN_ID,
            audience=Audience(everyone=True),
            text_zh="通知",
            schedule=_soon(),
        )
        await _wait_run_done(h, info.id)
        assert [m.content for m in ok.messages()] == [PROGRAMME_ZH + "通知"]
        assert left.messages() == [] and silent.messages() == []
        async with h.app.sessions() as session:
            run = (await session.exec(select(CampaignRun).where(CampaignRun.campaign_id == info.id))).one()
            assert (run.targeted, run.sent, run.blocked) == (2, 1, 1)
            assert (await session.get(User, silent.id)).blocked_bot
            assert (await session.get(User, left.id)).blocked_bot
        # Coming back restores the subscriptions.
        silent.user.blocked_bot = False
        await left.unblock()
        await h.sb.settle()
        info = await h.runtime.scheduler.create(
            author_id=ADMIN_ID,
            audience=Audience(everyone=True),
            text_zh="欢迎回来",
            schedule=_soon(),
        )
        await _wait_run_done(h, info.id)
        assert [m.content for m in left.messages()] == [PROGRAMME_ZH + "欢迎回来"]


async def test_non_staff_cannot_use_the_staff_flow(tmp_path):
    async with campaign_sandbox(tmp_path) as h:
        eve = h.sb.user("Eve", lang="en")
        for command in ("/newcampaign", "/cells", "/campaigns"):
            await eve.send(command)
            assert (await eve.expect_message()).content == "⛔ This command is for staff only."
        async with h.app.sessions() as session:
            assert await service.list_campaigns(session) == []


async def test_restart_with_a_pending_schedule(tmp_path):
    # On the injected clock (which the scheduler follows): the restart may take as long as the
    # machine needs, the run is due only when the clock says so.
    clock = FakeClock(datetime(2027, 3, 2, 2, 0, tzinfo=UTC))
    async with campaign_sandbox(tmp_path, clock=clock, quiet_hours="") as h:
        (alice,) = await residents(h, 1)
        info = await h.runtime.scheduler.create(
            author_id=ADMIN_ID, audience=Audience(everyone=True), text_zh="重启后照常发送",
            schedule=Schedule(kind="once", at=clock.now + timedelta(minutes=5), quiet=None),
        )  # fmt: skip
        await h.stop_app()  # before the run is due
        assert alice.messages() == []
        await h.start_app()
        assert h.runtime.scheduler.job_time(info.id) == info.next_run_at
        clock.advance(minutes=5)
        assert (await alice.expect_message(timeout=10)).content == PROGRAMME_ZH + "重启后照常发送"
        await _wait_run_done(h, info.id)
        await alice.expect_no_message(within=0.3)


async def test_stop_in_the_middle_of_a_delivery_then_restart_finishes_without_duplicates(tmp_path):
    n = 40
    async with campaign_sandbox(tmp_path, quiet_hours="", campaign_rate_per_s=25, campaign_inflight=4) as h:
        people = await residents(h, n)
        info = await h.runtime.scheduler.create(
            author_id=ADMIN_ID,
            audience=Audience(everyone=True),
            text_zh="分批发送",
            schedule=_soon(),
        )
        for _ in range(500):
            if sum(bool(p.messages()) for p in people) >= 10:
                break
            await asyncio.sleep(0.01)
        await h.stop_app()
        delivered = sum(bool(p.messages()) for p in people)
        assert 10 <= delivered < n, delivered
        async with h.app.sessions() as session:
            run = (await session.exec(select(CampaignRun).where(CampaignRun.campaign_id == info.id))).one()
            assert run.status == RunStatus.RUNNING.value
            pending = (
                await session.exec(select(OutboxRow).where(OutboxRow.run_id == run.id, OutboxRow.status == "pending"))
            ).all()
            assert len(pending) == n - delivered

        await h.start_app()  # the new process resumes the run left running
        await _wait_run_done(h, info.id, timeout=10)
        counts = Counter(len(p.messages()) for p in people)
        assert counts == {1: n}, counts  # everyone exactly once
        async with h.app.sessions() as session:
            run = (await session.exec(select(CampaignRun).where(CampaignRun.campaign_id == info.id))).one()
            assert (run.targeted, run.sent, run.uncertain) == (n, n, 0)


async def test_a_crash_in_the_middle_of_a_delivery_sends_nothing_twice(tmp_path):
    """Harder than a clean stop: the delivery is killed with sends in flight (as a dead process)."""
    n = 40
    async with campaign_sandbox(tmp_path, quiet_hours="", campaign_rate_per_s=25, campaign_inflight=8) as h:
        people = await residents(h, n)
        info = await h.runtime.scheduler.create(
            author_id=ADMIN_ID,
            audience=Audience(everyone=True),
            text_zh="崩溃测试",
            schedule=_soon(),
        )
        for _ in range(500):
            if sum(bool(p.messages()) for p in people) >= 10:
                break
            await asyncio.sleep(0.01)
        deliveries = list(h.runtime.scheduler._deliveries)
        assert deliveries, "the run should be in progress"
        for task in deliveries:
            task.cancel()  # nothing more is recorded: rows in flight stay "sending"
        await asyncio.gather(*deliveries, return_exceptions=True)
        await h.stop_app()
        await h.start_app()
        await _wait_run_done(h, info.id, timeout=10)
        counts = Counter(len(p.messages()) for p in people)
        assert set(counts) <= {0, 1}, f"someone got the run twice: {counts}"
        async with h.app.sessions() as session:
            run = (await session.exec(select(CampaignRun).where(CampaignRun.campaign_id == info.id))).one()
            assert run.targeted == n and run.sent + run.uncertain == n and run.uncertain <= 8
        # Nobody lost: only "uncertain" rows (in flight at the crash) may have missed the message.
        assert counts.get(0, 0) <= run.uncertain


async def test_photo_campaign_with_english_text(tmp_path):
    from sandbox.driver import make_image

    async with campaign_sandbox(tmp_path, quiet_hours="") as h:
        li, tom = await residents(h, 1, lang="zh") + await residents(h, 1, lang="en")
        admin = h.sb.user("Admin", lang="en", user_id=ADMIN_ID)
        await admin.send("/newcampaign")
        audience = await admin.expect_message("step 1 of 4")
        await click(admin, "🌐 Every subscriber", audience)
        await wait_button(admin, audience, "✅ 🌐 Every subscriber")
        await click(admin, "Next ▶", audience)
        await admin.expect_message("Step 2 of 4")
        await admin.send_photo(make_image(800, 600, text="swap"), caption="旧物交换")
        await admin.expect_message("Step 3 of 4")
        await admin.send("Swap day")
        when = await admin.expect_message("Step 4 of 4")
        await click(admin, "⚡ Now", when)
        await admin.expect_message("Preview")
        zh_preview = await admin.expect_message()
        assert zh_preview.photo and zh_preview.caption == PROGRAMME_ZH + "旧物交换"
        await admin.expect_message("English")
        assert (await admin.expect_message()).caption == PROGRAMME_EN + "Swap day"
        summary = await admin.expect_message("Summary")
        await click(admin, "✅ Schedule it", summary)
        got_zh, got_en = await li.expect_message(), await tom.expect_message()
        assert got_zh.photo and got_zh.caption == PROGRAMME_ZH + "旧物交换"
        assert got_en.photo and got_en.caption == PROGRAMME_EN + "Swap day"
        # Under it, the button to stop what brought it (their only subscription), then "stop all".
        assert got_en.buttons == ["🔕 Unsubscribe from 🌐 Everything", "🔕 Stop all announcements"]
        assert not h.sb.bot_errors, h.sb.bot_errors


def _soon(seconds: float = 0.3) -> Schedule:
    return Schedule(kind="once", at=datetime.now(UTC) + timedelta(seconds=seconds), quiet=None)


async def _wait_run_done(h: Harness, campaign_id: int, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.05)):
        async with h.app.sessions() as session:
            runs = await service.list_runs(session, campaign_id)
        if runs and all(r.status is RunStatus.DONE for r in runs):
            await h.runtime.scheduler.wait_deliveries()
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the run of campaign {campaign_id} did not finish: {runs}")
