"""Geocoding never hangs and never returns a point outside Jiangyin (no internet: mock transports
and a local aiohttp server)."""

from __future__ import annotations

import asyncio
import time

import httpx
from aiohttp import web
from aiohttp.test_utils import TestServer

from reports.geocode import Geocoder, GeocodeStatus, gazetteer

INSIDE = {"lat": "31.9050", "lon": "120.2850", "display_name": "人民中路, 澄江街道, 江阴市"}
OUTSIDE = {"lat": "31.2304", "lon": "121.4737", "display_name": "上海市"}


def geocoder(handler, **kw) -> tuple[Geocoder, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request, len(seen))

    kw.setdefault("backoff", 0.01)
    return Geocoder("http://geo.test", user_agent="WufeiTest/1", transport=httpx.MockTransport(record), **kw), seen


async def test_an_address_inside_jiangyin_is_geocoded_with_a_bounded_nominatim_query():
    coder, seen = geocoder(lambda request, n: httpx.Response(200, json=[INSIDE]))
    result = await coder.geocode("人民中路 100号")
    assert result.status == GeocodeStatus.OK and result.source == "geocoded"
    assert (result.lat, result.lon) == (31.905, 120.285) and "澄江" in result.label
    request = seen[0]
    assert request.url.path == "/search" and request.headers["user-agent"] == "WufeiTest/1"
    params = request.url.params
    assert params["format"] == "jsonv2" and params["bounded"] == "1" and params["q"] == "人民中路 100号"
    west, north, east, south = map(float, params["viewbox"].split(","))
    assert west < 120.0 < 120.59 < east and south < 31.7 < 31.99 < north


async def test_hits_outside_are_skipped_and_reported_as_outside():
    coder, _ = geocoder(lambda request, n: httpx.Response(200, json=[OUTSIDE, INSIDE]))
    assert (await coder.geocode("人民路")).lat == 31.905
    coder, _ = geocoder(lambda request, n: httpx.Response(200, json=[OUTSIDE]))
    assert (await coder.geocode("南京路")).status == GeocodeStatus.OUTSIDE
    # An outside hit does not beat a town name the gazetteer knows.
    found = await coder.geocode("青阳镇 南街")
    assert found.status == GeocodeStatus.OK and found.source == "gazetteer" and found.unit_code == "320281103"


async def test_server_errors_are_retried_with_backoff_then_succeed():
    coder, seen = geocoder(lambda request, n: httpx.Response(503) if n < 3 else httpx.Response(200, json=[INSIDE]))
    result = await coder.geocode("人民中路")
    assert result.ok and len(seen) == 3 and not result.online_failed


async def test_client_errors_are_not_retried_and_the_gazetteer_answers():
    coder, seen = geocoder(lambda request, n: httpx.Response(403))
    result = await coder.geocode("华士镇 华西村")
    assert len(seen) == 1 and result.online_failed
    assert result.status == GeocodeStatus.OK and result.unit_code == "320281107"
    assert (result.lat, result.lon) == (31.83439, 120.46335)


async def test_unreachable_service_falls_back_quickly():
    def down(request, n):
        raise httpx.ConnectError("no route", request=request)

    coder, seen = geocoder(down)
    started = time.monotonic()
    result = await coder.geocode("周庄")
    assert len(seen) == 3 and time.monotonic() - started < 1
    assert result.online_failed and result.unit_code == "320281108" and result.source == "gazetteer"
    nothing = await coder.geocode("某个不存在的地方")
    assert nothing.status == GeocodeStatus.NOT_FOUND and nothing.online_failed


async def test_a_slow_server_times_out_and_the_flow_goes_on():
    async def slow(request):
        await asyncio.sleep(5)
        return web.json_response([INSIDE])

    app = web.Application()
    app.router.add_get("/search", slow)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        coder = Geocoder(str(server.make_url("")), timeout=0.2, retries=2, backoff=0.01)
        started = time.monotonic()
        result = await coder.geocode("云亭街道")
        assert time.monotonic() - started < 2
        assert result.online_failed and result.unit_code == "320281005"
    finally:
        await server.close()


def test_gazetteer_names_short_names_and_sites_without_a_point():
    assert gazetteer("江阴市青阳").unit_code == "320281103"
    assert gazetteer("徐霞客镇马镇村").unit_code == "320281104"
    assert gazetteer("在 顾 山").unit_code == "320281111"  # spaces do not matter
    for text, code in [
        ("高新区", "320281400"),
        ("高新技术园", "320281400"),
        ("临港", "320281404"),
        ("临港经济开发区滨江路", "320281404"),
    ]:
        result = gazetteer(text)
        assert result.status == GeocodeStatus.NEEDS_PIN and result.unit_code == code and result.lat is None
    assert gazetteer("利港").unit_code == "320281008"  # not confused with 临港
    assert gazetteer("江阴").status == GeocodeStatus.NOT_FOUND
    assert gazetteer("   ").status == GeocodeStatus.EMPTY


async def test_disabled_geocoder_uses_only_the_gazetteer():
    coder = Geocoder(enabled=False)
    assert (await coder.geocode("新桥")).unit_code == "320281109"
    assert (await coder.geocode("")).status == GeocodeStatus.EMPTY


async def test_after_a_failure_the_gazetteer_answers_at_once_for_a_while():
    """Offline first: once the online service failed, typed addresses do not wait for it again
    until the cooldown is over (today it would cost every address the timeout and the retries)."""
    now = [1000.0]

    def down(request, n):
        raise httpx.ConnectError("no route to host")

    coder, seen = geocoder(down, retries=1, cooldown=300, clock=lambda: now[0])
    first = await coder.geocode("青阳镇 南街")
    assert first.online_failed and first.unit_code == "320281103" and len(seen) == 2  # one retry
    now[0] += 299
    again = await coder.geocode("Chengjiang Renmin Road")
    assert again.unit_code == "320281001" and again.online_failed and len(seen) == 2  # not asked
    now[0] += 2
    await coder.geocode("华士")
    assert len(seen) == 4  # the cooldown is over: asked again (and failed again)


async def test_a_working_service_is_asked_every_time():
    coder, seen = geocoder(lambda request, n: httpx.Response(200, json=[INSIDE]), clock=lambda: 0.0)
    for _ in range(3):
        assert (await coder.geocode("人民中路")).source == "geocoded"
    assert len(seen) == 3
