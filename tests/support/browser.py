"""Browser tests: Playwright for Python driving Debian's Chromium.

    async with open_page(width=420, height=820) as (page, errors):
        await page.goto(sandbox.server.webchat_url)
        await page.get_by_test_id("composer-input").fill("/start")
        await expect(page.get_by_test_id("bot-message")).to_have_count(1)
    assert not errors

The browser is Debian's ``chromium`` package at ``/usr/bin/chromium`` (``scripts/ensure-chromium.sh``
installs it with apt-get); Playwright's own browser builds are never downloaded, so
``playwright install`` is never run. Without the browser a test is skipped with the reason, and
fails under ``CI=true``. ``errors`` collects uncaught JavaScript errors of the page.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright, expect

from tests.conftest import IN_CI

CHROMIUM = Path("/usr/bin/chromium")
TIMEOUT_MS = 10_000  # how long a step may wait for the page (the sandbox and bot are real)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

expect.set_options(timeout=TIMEOUT_MS)


def chromium_or_skip() -> Path:
    """The browser's path; skip the test with the reason when it is missing (fail under CI)."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    reason = f"{CHROMIUM} is not installed (scripts/ensure-chromium.sh installs Debian's chromium package with apt-get)"
    if IN_CI:
        pytest.fail(reason + "; CI must have it")
    pytest.skip(reason)


@contextlib.asynccontextmanager
async def open_page(width: int = 1100, height: int = 760) -> AsyncIterator[tuple[Page, list[str]]]:
    """A fresh headless Chromium with one page of the given viewport; closed afterwards."""
    executable = chromium_or_skip()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(executable))
        try:
            page = await browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(TIMEOUT_MS)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            yield page, errors
        finally:
            await browser.close()


async def another_page(page: Page, errors: list[str]) -> Page:
    """A second page in the browser of ``page`` (another person at another screen), same viewport;
    its uncaught JavaScript errors go to the same ``errors``. Closed with the browser."""
    assert page.context.browser is not None
    other = await page.context.browser.new_page(viewport=page.viewport_size)
    other.set_default_timeout(TIMEOUT_MS)
    other.on("pageerror", lambda error: errors.append(str(error)))
    return other
