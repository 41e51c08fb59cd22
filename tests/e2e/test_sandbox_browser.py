"""Headless Chromium drives the sandbox web chat against the real Wufei bot.

Playwright for Python drives Debian's Chromium (tests/support/browser.py). Without the browser the
test is skipped, except under CI=true where it fails. A screenshot is kept in test-artifacts/.
"""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.support.browser import ARTIFACTS, open_page

pytestmark = pytest.mark.e2e


async def test_webchat_start_menu_and_button(sandbox):
    alice = sandbox.user("王芳", lang="zh")
    async with open_page() as (page, errors):
        await page.goto(f"{sandbox.server.webchat_url}?user={alice.id}")
        await page.wait_for_function("document.body.dataset.ready === '1'")
        await page.get_by_test_id("composer-input").fill("/start")
        await page.get_by_test_id("send").click()
        bot_messages = page.get_by_test_id("bot-message")
        await expect(bot_messages.first).to_be_visible()
        # the menu: a reply keyboard under the composer or inline buttons under the message
        reply_buttons = page.locator("#reply-kb button")
        inline_buttons = page.get_by_test_id("inline-keyboard").locator("button")
        await expect(reply_buttons.or_(inline_buttons).first).to_be_visible()
        before = await bot_messages.count()
        if await reply_buttons.first.is_visible():
            await reply_buttons.first.click()
        else:
            await inline_buttons.first.click()
        await page.wait_for_function(
            f"document.querySelectorAll('[data-testid=bot-message]').length > {before} ||"
            " document.querySelector('[data-testid=bot-message] .meta')?.textContent.includes('编辑')"
        )
        shot = ARTIFACTS / "sandbox-webchat.png"
        await page.screenshot(path=shot)
        assert shot.stat().st_size > 10_000
        assert not errors, errors
    # the page acted as the same user the driver sees
    assert len(alice.messages()) >= 2
