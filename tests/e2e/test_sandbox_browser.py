"""Headless Chromium drives the sandbox web chat against the real Wufei bot.

Chromium comes from Debian (scripts/ensure-chromium.sh). Without it the test is skipped, except
under CI=true where it fails. A screenshot is kept in test-artifacts/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.browser import HeadlessChromium, chromium_or_skip

pytestmark = pytest.mark.e2e
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


async def test_webchat_start_menu_and_button(sandbox):
    exe = chromium_or_skip()
    alice = sandbox.user("王芳", lang="zh")
    async with HeadlessChromium.launch(exe) as browser:
        await browser.goto(f"{sandbox.server.webchat_url}?user={alice.id}")
        await browser.wait_for("document.body.dataset.ready === '1'")
        await browser.type("[data-testid=composer-input]", "/start")
        await browser.click("[data-testid=send]")
        await browser.wait_for("document.querySelectorAll('[data-testid=bot-message]').length >= 1")
        # the menu: a reply keyboard under the composer or inline buttons under the message
        has_menu = await browser.wait_for(
            "!document.querySelector('#reply-kb').hidden ||"
            " document.querySelectorAll('[data-testid=inline-keyboard] button').length > 0")
        assert has_menu
        before = await browser.count("[data-testid=bot-message]")
        if await browser.evaluate("!document.querySelector('#reply-kb').hidden"):
            await browser.click("#reply-kb button")
        else:
            await browser.click("[data-testid=inline-keyboard] button")
        await browser.wait_for(
            f"document.querySelectorAll('[data-testid=bot-message]').length > {before} ||"
            " document.querySelector('[data-testid=bot-message] .meta')?.textContent.includes('编辑')")
        shot = await browser.screenshot(ARTIFACTS / "sandbox-webchat.png")
        assert shot.stat().st_size > 10_000
        assert not browser.errors, browser.errors
    # the page acted as the same user the driver sees
    assert len(alice.messages()) >= 2
