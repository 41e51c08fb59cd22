"""The dashboard's tile map in a real browser (Playwright on Debian's Chromium): a tiny tile server
of the test (any /{z}/{x}/{y}.png is one 256x256 PNG; requests counted) is WUFEI_DASHBOARD_TILES;
a unit handler signs in through the link /dashboard gave them and sees Leaflet draw that server's
tiles with a marker for each report of their view (not another unit's), clicks one and lands on
the report's page; the page asked nothing of any host but this machine and broke no
Content-Security-Policy rule; with scripts off the same page shows the server-drawn SVG. The bot
runs at the dispatcher level (as in tests/test_dashboard.py): the browser and the web server are
what is tested here. Screenshot: test-artifacts/dashboard-tiles-map.png."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from PIL import Image, ImageDraw
from playwright.async_api import expect

from bot.app import create_app
from bot.outgoing.pacing import PaceLimits
from bot.serving import serve_web
from core.clock import Clock
from tests.conftest import make_settings
from tests.support.browser import ARTIFACTS, open_page
from tests.support.clock import FakeClock
from tests.support.fakebot import FakeSession
from tests.test_dashboard import handler_of, link_for
from tests.test_reports_bot import CHENGJIANG, CHENGJIANG_CODE, seed, with_media

pytestmark = [pytest.mark.e2e, pytest.mark.dates]

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def tile_png() -> bytes:
    """One 256x256 tile: pale ground and a grid line, so a screenshot shows where tiles are."""
    image = Image.new("RGB", (256, 256), "#f1f3f5")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 255, 255), outline="#ced4da")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture
async def tile_server() -> AsyncIterator[tuple[str, list[str]]]:
    """(URL template, paths asked) of a tile server on a free port of 127.0.0.1."""
    body, asked = tile_png(), []

    async def tile(request: web.Request) -> web.Response:
        asked.append(request.path)
        return web.Response(body=body, content_type="image/png")

    tiles = web.Application()
    tiles.router.add_get(r"/{z:\d+}/{x:\d+}/{y:\d+}.png", tile)
    runner = await serve_web(tiles, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/{{z}}/{{x}}/{{y}}.png", asked
    finally:
        await runner.cleanup()


@pytest.fixture
async def app(tile_server, tmp_path, sqlite_url, kb):
    settings = make_settings(
        tmp_path,
        sqlite_url,
        default_locale="en",
        dashboard_tiles=tile_server[0],
        dashboard_tiles_attribution="Test tiles",
    )
    application = create_app(
        settings,
        bot_session=with_media(FakeSession()),
        kb=kb,
        pace=PaceLimits.relaxed(),
        clock=FakeClock(Clock()(), settings.timezone),
    )
    await application.prepare()
    yield application
    await application.stop()


async def test_handler_sees_their_reports_on_the_tiles_and_opens_one(app, client, tile_server):
    _template, tiles_asked = tile_server
    lat, lon = CHENGJIANG
    mine = [await seed(app, 4242, lat=lat + dlat, lon=lon + dlon) for dlat, dlon in ((0, 0), (0.012, 0), (0, 0.015))]
    assert {r.unit_code for r in mine} == {CHENGJIANG_CODE}
    other = await seed(app, 4242, lat=31.76525, lon=120.25188)  # Qingyang: not this handler's
    assert other.unit_code != CHENGJIANG_CODE
    handler = await handler_of(app, client, CHENGJIANG_CODE)
    sign_in_path = "/" + (await link_for(handler)).split("/", 3)[3]

    runner = await serve_web(app.web_app(), "127.0.0.1", 0)
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        async with open_page() as (page, errors):
            requested: list[str] = []
            console: list[str] = []
            page.on("request", lambda request: requested.append(request.url))
            page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
            await page.goto(base + sign_in_path)
            await page.get_by_test_id("sign-in").click()

            await expect(page.get_by_test_id("report-row")).to_have_count(len(mine))
            markers = page.locator(".leaflet-marker-pane").get_by_test_id("map-point")
            await expect(markers).to_have_count(len(mine))  # one per report in view, Qingyang's not
            await expect(page.get_by_test_id("map")).to_be_hidden()  # the SVG waits in <noscript>
            await page.locator("img.leaflet-tile-loaded").first.wait_for()
            assert tiles_asked, "no tile was asked of the tile server"
            await expect(page.locator(".leaflet-control-attribution")).to_contain_text("Test tiles")
            await page.screenshot(path=ARTIFACTS / "dashboard-tiles-map.png", full_page=True)
            assert console == [], console  # a CSP violation or a missing file of the map is one
            # (the report page next has the seeded photos' files missing: not this test's concern)

            # without scripts, the same page shows the server-drawn SVG map and its points
            plain = await page.context.browser.new_context(
                storage_state=await page.context.storage_state(), java_script_enabled=False
            )
            no_js = await plain.new_page()
            await no_js.goto(base + "/dashboard/")
            await expect(no_js.get_by_test_id("map")).to_be_visible()
            await expect(no_js.get_by_test_id("map-point")).to_have_count(len(mine))
            await plain.close()

            target = markers.first
            report_id = int((await target.get_attribute("href")).rsplit("/", 1)[1])
            assert report_id in {r.id for r in mine}
            await target.click()
            await page.wait_for_url(f"{base}/dashboard/reports/{report_id}")
            await expect(page.get_by_test_id("status")).to_contain_text("Submitted")

            outside = [url for url in requested if urlsplit(url).hostname not in LOCAL_HOSTS]
            assert outside == []
            assert any("/dashboard/static/vendor/leaflet/leaflet.js" in url for url in requested)
            assert errors == [], errors  # a CSP violation is a console error
    finally:
        await runner.cleanup()
