"""The staff dashboard in a real browser (Playwright on Debian's Chromium), with the real bot
polling the sandbox and serving its web server: a handler signs in through the link /dashboard
gave them, filters the map, opens a resident's report, accepts it and resolves it with an "after"
photo, and the resident hears of each (the photo too) in the sandbox; a handler of another unit
gets 403; a POST without the CSRF token changes nothing. Screenshots of the main pages go to test-artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from bot.serving import serve_web
from tests.e2e.test_reports_flow import finish, report_of, sandbox_settings, staff_group, start_report, to_type_step
from tests.support.browser import ARTIFACTS, open_page
from tests.test_dashboard_photo import jpeg_with_exif

pytestmark = [pytest.mark.e2e, pytest.mark.dates]
__all__ = ["sandbox_settings"]  # the module's settings fixture (English by default), reused

LINK = re.compile(r"http://\S+?(/dashboard/login\?t=[\w-]+&lang=\w+)")


async def dashboard_link(user) -> str:
    """The path of the sign-in link the bot gives ``user`` for /dashboard."""
    await user.send("/dashboard")
    message = await user.expect_message("sign-in link")
    return LINK.search(message.content).group(1)


async def test_handler_signs_in_filters_opens_and_accepts_a_report(sandbox):
    admin, hank, _group = await staff_group(sandbox)
    quinn = sandbox.user("Quinn", lang="en")
    await quinn.send("/start")
    await quinn.expect_message()
    await admin.send(f"/grant {quinn.id} handler 青阳镇")
    await admin.expect_message("now")
    await quinn.expect_message("Qingyang")  # the welcome
    alice = sandbox.user("Alice", lang="en")
    await start_report(alice)
    await to_type_step(alice)
    ticket = await finish(alice, placed=True)
    report = await report_of(sandbox, ticket)
    runner = await serve_web(sandbox.app.web_app(), "127.0.0.1", 0)
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        async with open_page(width=420, height=900) as (page, errors):  # a phone
            await page.goto(base + await dashboard_link(hank))
            await page.get_by_test_id("sign-in").click()
            await expect(page.get_by_test_id("report-row")).to_have_count(1)
            await page.screenshot(path=ARTIFACTS / "dashboard-reports.png", full_page=True)

            await page.get_by_test_id("filter-waste-household").check()
            await page.get_by_test_id("apply-filters").click()
            await expect(page.get_by_test_id("report-row")).to_have_count(0)
            await expect(page.get_by_test_id("map-point")).to_have_count(0)
            await page.get_by_test_id("filter-waste-household").uncheck()
            await page.get_by_test_id("filter-waste-construction").check()
            await page.get_by_test_id("apply-filters").click()
            await expect(page.get_by_test_id("map-point")).to_have_count(1)
            await page.get_by_test_id("map-point").click()  # the point on the map opens the report

            await expect(page.get_by_test_id("status")).to_contain_text("Submitted")
            await expect(page.get_by_test_id("photo")).to_have_count(1)
            await page.screenshot(path=ARTIFACTS / "dashboard-report.png", full_page=True)
            await page.get_by_test_id("action-accept").click()
            await expect(page.get_by_test_id("flash")).to_contain_text("Done")
            await expect(page.get_by_test_id("status")).to_contain_text("Accepted")
            assert "Accepted" in (await alice.expect_message(ticket)).content

            forged = await page.request.post(
                f"{base}/dashboard/reports/{report.id}/act", form={"action": "start", "expected": "accepted"}
            )
            assert forged.status == 403
            assert (await report_of(sandbox, ticket)).status == "accepted"

            other = await page.context.browser.new_context()
            stranger = await other.new_page()
            await stranger.goto(base + await dashboard_link(quinn))
            await stranger.get_by_test_id("sign-in").click()
            answer = await stranger.goto(f"{base}/dashboard/reports/{report.id}")
            assert answer.status == 403
            await stranger.screenshot(path=ARTIFACTS / "dashboard-403.png")
            await other.close()

            await page.get_by_test_id("resolve-comment").fill("Swept")  # from the phone: a photo and a word
            await page.get_by_test_id("resolve-photo").set_input_files(
                files=[{"name": "after.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_exif()}]
            )
            await page.get_by_test_id("action-resolve").click()
            await expect(page.get_by_test_id("status")).to_contain_text("Resolved")
            await expect(page.locator('[data-testid="photo"][data-kind="after"]')).to_have_count(1)
            told = await alice.expect_message(ticket)
            assert told.photo and "Swept" in told.content

            await page.goto(base + "/dashboard/figures")
            await expect(page.get_by_test_id("bulletin")).to_contain_text("1")
            await page.screenshot(path=ARTIFACTS / "dashboard-figures.png", full_page=True)
            assert not errors, errors
    finally:
        await runner.cleanup()
    assert not sandbox.bot_errors, sandbox.bot_errors
