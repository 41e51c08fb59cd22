"""The dashboard's optional tile map (WUFEI_DASHBOARD_TILES, issue 15) over real HTTP: unset, the
list page is what it was (the server-drawn SVG, no script at all); set, it loads Leaflet and map.js
from the bot's own server, carries the view's points as JSON (a handler's only their unit's), keeps
the SVG for browsers without scripts, and its Content-Security-Policy names the tile server's origin
for images and nothing else outside the bot. The map in a browser: e2e/test_dashboard_tiles_browser.py."""

from __future__ import annotations

import json
import re

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.dashboard.svgmap import unit_seats
from bot.outgoing.pacing import PaceLimits
from core.clock import Clock
from tests.conftest import make_settings
from tests.support.clock import FakeClock
from tests.support.fakebot import FakeSession
from tests.test_dashboard import handler_of, link_for, sign_in
from tests.test_reports_bot import CHENGJIANG_CODE, seed, with_media

pytestmark = pytest.mark.dates

TILES = "http://tiles.test:8099/osm/{z}/{x}/{y}.png"
STRICT_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
JSON_BLOCK = re.compile(r'<script type="application/json" id="tile-map-data">(.*?)</script>', re.S)


@pytest.fixture
async def app(request, tmp_path, sqlite_url, kb):
    """The app with ``WUFEI_DASHBOARD_TILES`` as the test's parameter says."""
    settings = make_settings(
        tmp_path, sqlite_url, dashboard_tiles=request.param, dashboard_tiles_attribution="© Tiles <b>test</b>"
    )
    clock = FakeClock(Clock()(), settings.timezone)
    application = create_app(
        settings, bot_session=with_media(FakeSession()), kb=kb, pace=PaceLimits.relaxed(), clock=clock
    )
    await application.prepare()
    yield application
    await application.stop()


@pytest.fixture
async def http(app):
    async with TestClient(TestServer(app.web_app())) as client:
        yield client


async def listing_of_a_handler(app, client, http):
    """The list page as a Chengjiang handler sees it, with one report there and one in Qingyang."""
    mine = await seed(app, 4242)
    other = await seed(app, 4242, lat=31.76525, lon=120.25188)  # Qingyang
    handler = await handler_of(app, client, CHENGJIANG_CODE)
    assert (await sign_in(http, await link_for(handler))).status == 303
    response = await http.get("/dashboard/?lang=en")
    assert response.status == 200
    return response, await response.text(), mine, other


def directives(csp: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in csp.split(";"))}


@pytest.mark.parametrize("app", [None], indirect=True)
async def test_without_tiles_the_map_is_drawn_on_the_server_without_scripts(app, client, http):
    response, page, mine, other = await listing_of_a_handler(app, client, http)
    assert "<script" not in page and "leaflet" not in page.lower()
    assert 'data-testid="map"' in page and "<noscript>" not in page
    assert page.count('data-testid="map-point"') == 1 and mine.ticket in page and other.ticket not in page
    assert response.headers["Content-Security-Policy"] == STRICT_CSP


@pytest.mark.parametrize("app", [TILES], indirect=True)
async def test_with_tiles_the_page_loads_leaflet_from_the_bot_and_tiles_from_that_server(app, client, http):
    response, page, mine, other = await listing_of_a_handler(app, client, http)
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts == [
        '<script src="/dashboard/static/vendor/leaflet/leaflet.js" defer>',
        '<script src="/dashboard/static/map.js" defer>',
        '<script type="application/json" id="tile-map-data">',
    ]  # no inline script: the JSON block is data, never run
    data = json.loads(JSON_BLOCK.search(page).group(1))
    assert data["tiles"] == TILES and data["attribution"] == "© Tiles <b>test</b>"
    assert [p[:3] for p in data["points"]] == [[mine.id, mine.ticket, "submitted"]]  # not Qingyang's
    assert data["colours"]["submitted"] and len(data["seats"]) == len(unit_seats()) and len(data["outline"][0]) > 100
    fallback = page.split("<noscript>", 1)[1].split("</noscript>", 1)[0]
    assert 'data-testid="map"' in fallback and fallback.count('data-testid="map-point"') == 1

    csp = directives(response.headers["Content-Security-Policy"])
    assert csp.pop("img-src") == ["'self'", "data:", "http://tiles.test:8099"]
    assert csp == {
        "default-src": ["'self'"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    for path in (
        "vendor/leaflet/leaflet.js",
        "vendor/leaflet/leaflet.css",
        "vendor/leaflet/images/layers.png",
        "map.js",
    ):
        served = await http.get(f"/dashboard/static/{path}")
        assert served.status == 200, path

    report = await http.get(f"/dashboard/reports/{mine.id}")
    assert "<script" not in await report.text()  # only the list has the tile map
