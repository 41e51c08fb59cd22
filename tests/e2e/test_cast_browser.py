"""One report from resident to resolved, played by the ready cast (bot/sandbox_cast.py) in the web
chat: headless Chromium (tests/support/browser.py), the real app started as `make run` starts it
(run_sandbox), real HTTP. Tom (resident) reports in his private chat; 张师傅 (handler) accepts and
resolves it in the bound staff group; Tom sees each status.

Buttons are found by their visible labels taken from the bot's own catalogue (gettext), and only
the steps the report cannot go without are played, so added echoes or an extra step of the wizard
do not break it. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from bot.i18n import gettext_for
from sandbox.driver import make_image
from tests.e2e.test_sandbox_cast import sandbox_mode_running
from tests.support.browser import ARTIFACTS, another_page, open_page

pytestmark = [pytest.mark.e2e, pytest.mark.dates]


async def open_chat(page: Page, url: str, user_id: int, chat_id: int | None = None) -> None:
    await page.goto(f"{url}?user={user_id}" + (f"&chat={chat_id}" if chat_id else ""))
    await page.wait_for_function("document.body.dataset.ready === '1'")


async def press(page: Page, label: str, within=None) -> None:
    """Press the newest inline button whose label contains ``label`` as words (waits for it)."""
    scope = within if within is not None else page.get_by_test_id("inline-keyboard")
    name = re.compile(r"(^|\s)" + re.escape(label) + r"(\W|$)")
    await scope.get_by_role("button", name=name).last.click()


async def say(page: Page, text: str) -> None:
    await page.get_by_test_id("composer-input").fill(text)
    await page.get_by_test_id("send").click()


async def test_a_report_from_resident_to_resolved_in_the_web_chat(tmp_path, kb, monkeypatch):
    photo = tmp_path / "dump.jpg"
    photo.write_bytes(make_image(800, 600, text="dump"))
    zh = lambda msgid: gettext_for("zh", msgid)  # noqa: E731 - the staff group reads Chinese
    async with (
        sandbox_mode_running(tmp_path, kb, monkeypatch, geocoder_enabled=False) as (driver, made),
        open_page(width=480, height=860) as (resident, errors),
    ):
        cast, url = made["cast"], made["server"].webchat_url
        tom = cast.resident_en
        await open_chat(resident, url, tom.id)
        bot_says = resident.get_by_test_id("bot-message")

        # Tom reports: photo, place (the location button), type, then the wizard's defaults.
        await say(resident, "/report")
        await expect(bot_says.filter(has_text="Report illegal dumping").last).to_be_visible()
        await resident.get_by_test_id("photo-input").set_input_files(photo)
        await press(resident, "Done")
        location = resident.get_by_test_id("reply-keyboard").get_by_role("button", name="📍 Send my current location")
        await expect(location).to_have_text("📍 Send my current location")  # one pin
        await location.click()
        await resident.locator("#place-list button", has_text="Chengjiang").click()
        await press(resident, "Construction")
        for label in ("A few bags", "No", "Skip", "Stay anonymous"):
            await press(resident, label)
        await press(resident, "Send the report")
        thanks = bot_says.filter(has_text=re.compile(r"JY-\S+")).filter(has_text="Thank you")
        await expect(thanks).to_have_count(1)
        ticket = re.search(r"JY-[\w-]+", await thanks.inner_text()).group(0)
        await resident.screenshot(path=ARTIFACTS / "cast-resident-reported.png")

        # 张师傅 accepts and resolves it in the staff group.
        staff = await another_page(resident, errors)
        await open_chat(staff, url, cast.handler.id, cast.staff_group.id)
        card = (
            staff.get_by_test_id("bot-message")
            .filter(has_text=ticket)
            .filter(has=staff.get_by_test_id("inline-keyboard"))
        )
        await press(staff, zh("✅ Accept"), within=card)
        await expect(bot_says.filter(has_text=ticket).filter(has_text="Accepted")).not_to_have_count(0)
        await press(staff, zh("🧹 Resolved"), within=card)
        await expect(staff.get_by_test_id("bot-message").filter(has_text="/cancel").last).to_be_visible()
        await say(staff, "已清理完毕 cleared by the street team")
        resolved = bot_says.filter(has_text=ticket).filter(has_text="Resolved")
        await expect(resolved).not_to_have_count(0)
        await expect(resolved.last).to_contain_text("cleared by the street team")
        await expect(resolved.last).to_be_in_viewport()  # the news scrolled into Tom's view
        await staff.screenshot(path=ARTIFACTS / "cast-staff-group-resolved.png")
        await resident.screenshot(path=ARTIFACTS / "cast-resident-resolved.png")
        assert not errors, errors
