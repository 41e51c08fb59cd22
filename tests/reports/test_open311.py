"""Open311 GeoReport v2: read by the independent ``georeport`` client from a real server, plus
direct HTTP checks for XML, errors, POST and the public media."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from datetime import timedelta

import httpx
import pytest
from aiohttp.test_utils import TestServer
from georeport import GeoReport
from sqlalchemy import insert

from core import db
from core.clock import utcnow
from reports import open311, service as svc
from reports.media import MediaStore, exif_info
from reports.models import OPEN_STATUSES, Amount, LocationSource, Report, WasteType
from tests.reports.conftest import jpeg, synthetic_reports

pytestmark = pytest.mark.dates

REPORTER = 777_000_123  # must never show up in the API
KEY = "city-key-1"
CHENGJIANG = (31.91102, 120.26302)
HUASHI = (31.83439, 120.46335)


async def _seed(sessions, media: MediaStore):
    stored = media.save(jpeg(2400, 1800, gps=CHENGJIANG))
    photo = svc.PhotoIn.of(stored, "FILE", "UNIQ")
    now = utcnow()
    async with sessions() as session:
        first = await svc.create_report(
            session,
            REPORTER,
            svc.NewReport(
                *CHENGJIANG,
                LocationSource.EXIF,
                WasteType.CONSTRUCTION,
                Amount.TRUCK,
                plate="苏B99999",
                description="河边一堆建筑垃圾",
                address="澄江街道某路",
            ),
            [photo],
            now=now - timedelta(days=2),
        )
        second = await svc.create_report(
            session,
            REPORTER,
            svc.NewReport(*HUASHI, LocationSource.TELEGRAM, WasteType.HOUSEHOLD, Amount.BAGS),
            [photo],
            now=now - timedelta(days=1),
        )
        await svc.create_report(  # too old for the default 90-day window
            session,
            REPORTER,
            svc.NewReport(*HUASHI, LocationSource.TELEGRAM, WasteType.BULKY, Amount.CAR),
            [photo],
            now=now - timedelta(days=120),
        )
        await svc.transition(session, second.report.id, 1, "accepted")
        await svc.transition(session, second.report.id, 1, "resolved")
    return first.ticket, second.ticket, stored.sha256


@pytest.fixture
async def server(db_url, tmp_path):
    engine = db.make_engine(db_url)
    await db.upgrade(engine)
    sessions = db.make_session_factory(engine)
    media = MediaStore(tmp_path / "media")
    tickets = await _seed(sessions, media)
    server = TestServer(open311.make_app(sessions, [KEY], "http://placeholder", media), host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    server.app[open311.CONFIG_KEY]["base_url"] = base  # the real address, now that the port is known
    try:
        yield base, tickets, sessions
    finally:
        await server.close()
        await engine.dispose()


async def test_georeport_client_reads_services_and_requests(server):
    base, (first, second, sha), _ = server
    client = GeoReport(base + "/open311/v2")
    xml_client = GeoReport(base + "/open311/v2", output_format="xml")

    services = await asyncio.to_thread(client.get_service_list)
    assert {s["service_code"] for s in services} == {w.value for w in WasteType}
    assert await asyncio.to_thread(xml_client.get_service_list) == [
        {k: ("true" if v is True else v) for k, v in s.items()} for s in services
    ]
    definition = await asyncio.to_thread(client.get_service_definition, "construction")
    assert [a["code"] for a in definition["attributes"]] == ["amount", "witnessed"]
    xml_definition = await asyncio.to_thread(xml_client.get_service_definition, "construction")
    assert [a["code"] for a in xml_definition["attributes"]["attribute"]] == ["amount", "witnessed"]

    requests = await asyncio.to_thread(client.get_service_requests)
    assert [r["service_request_id"] for r in requests] == [second, first]  # newest first, 90 days
    one = await asyncio.to_thread(client.get_service_request, first)
    assert one["status"] == "open" and one["service_code"] == "construction"
    assert one["agency_responsible"] == "澄江街道"
    assert one["lat"] == pytest.approx(CHENGJIANG[0]) and one["long"] == pytest.approx(CHENGJIANG[1])
    assert one["requested_datetime"].endswith("+08:00")
    assert one["media_url"] == f"{base}/media/public/{sha}.jpg"
    closed = await asyncio.to_thread(client.get_service_requests, status="closed")
    assert [r["service_request_id"] for r in closed] == [second]
    by_id = await asyncio.to_thread(client.get_service_requests, service_request_id=f"{first},{second.lower()}")
    assert len(by_id) == 2
    xml_one = await asyncio.to_thread(xml_client.get_service_request, second)
    assert xml_one["service_request_id"] == second and xml_one["status"] == "closed"

    # No reporter identity, plate or Telegram ids anywhere; the photo served is EXIF-free.
    async with httpx.AsyncClient() as http:
        for path in ("/open311/v2/requests.json", "/open311/v2/requests.xml"):
            text = (await http.get(base + path)).text
            assert str(REPORTER) not in text and "苏B99999" not in text and "FILE" not in text
        image = await http.get(one["media_url"])
        assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
        assert not exif_info(image.content).has_gps and max(len(image.content), 1) > 0
        assert (await http.get(f"{base}/media/public/{'0' * 64}.jpg")).status_code == 404
        assert (await http.get(f"{base}/media/public/..%2F..%2Fetc%2Fpasswd")).status_code == 404


async def test_xml_errors_filters_and_post(server):
    base, (first, second, _), sessions = server
    api = base + "/open311/v2"
    async with httpx.AsyncClient() as http:
        xml = await http.get(api + "/requests.xml", params={"service_code": "household"})
        assert xml.headers["content-type"].startswith("text/xml")
        root = ET.fromstring(xml.content)
        assert root.tag == "service_requests"
        assert [r.findtext("service_request_id") for r in root.findall("request")] == [second]

        missing = await http.get(api + "/requests/JY-2000-000999.json")
        assert missing.status_code == 404 and missing.json()[0]["code"] == 404
        bad_xml = await http.get(api + "/services/nuclear.xml")
        error = ET.fromstring(bad_xml.content)
        assert bad_xml.status_code == 404 and error.tag == "errors" and error.find("error/code").text == "404"
        bad_date = await http.get(api + "/requests.json", params={"start_date": "yesterday"})
        assert bad_date.status_code == 400 and "W3C" in bad_date.json()[0]["description"]
        too_long = await http.get(
            api + "/requests.json", params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}
        )
        assert too_long.status_code == 400
        start = (utcnow() - timedelta(days=130)).isoformat()
        old = await http.get(api + "/requests.json", params={"start_date": start})
        assert [r["service_code"] for r in old.json()] == ["bulky"]

        form = {
            "service_code": "industrial",
            "lat": "31.8",
            "long": "120.30",
            "description": "油桶",
            "attribute[amount]": "truck",
            "email": "someone@example.com",
            "first_name": "Wang",
        }
        assert (await http.post(api + "/requests.json", data=form)).status_code == 403
        assert (await http.post(api + "/requests.json", data={**form, "api_key": "nope"})).status_code == 403
        no_lat = {k: v for k, v in form.items() if k != "lat"}
        assert (await http.post(api + "/requests.json", params={"api_key": KEY}, data=no_lat)).status_code == 400
        shanghai = {**form, "api_key": KEY, "lat": "31.23", "long": "121.47"}
        outside = await http.post(api + "/requests.json", data=shanghai)
        assert outside.status_code == 400 and "outside" in outside.json()[0]["description"]
        created = await http.post(api + "/requests.xml", params={"api_key": KEY}, data=form)
        assert created.status_code == 201
        ticket = ET.fromstring(created.content).find("request/service_request_id").text
        assert ticket.startswith("JY-")
        fetched = (await http.get(f"{api}/requests/{ticket}.json")).json()[0]
        assert fetched["status"] == "open" and fetched["service_code"] == "industrial"
        assert fetched["media_url"] is None and "example.com" not in str(fetched)

        discovery = (await http.get(api + "/discovery.json")).json()
        assert discovery["endpoints"][0]["url"] == api

    async with sessions() as session:
        report = await svc.get(session, ticket)
    assert report.reporter_id is None and report.channel == "open311" and report.amount == "truck"
    assert report.location_source == "api" and report.unit_code  # routed to the nearest seat


async def _all_pages(http, url: str, params: dict) -> tuple[list[dict], list[int]]:
    """Follow the ``Link: rel="next"`` headers from the first page; the entries and page sizes."""
    entries, sizes = [], []
    response = await http.get(url, params=params)
    while True:
        assert response.status_code == 200, response.text
        entries += response.json()
        sizes.append(len(response.json()))
        link = response.links.get("next")
        if link is None:
            return entries, sizes
        response = await http.get(link["url"])


async def test_request_lists_come_in_pages_of_at_most_200(server):
    base, (first, second, _), sessions = server
    now = utcnow()
    rows = synthetic_reports(230, now - timedelta(minutes=5), first_id=1001)
    async with sessions() as session:
        await (await session.connection()).execute(insert(Report), rows)
        await session.commit()
        seeded = [await svc.get(session, ticket) for ticket in (first, second)]
    newest_first = sorted(rows, key=lambda r: (r["created_at"], r["id"]), reverse=True)
    everything = [
        r["ticket"]
        for r in sorted(
            rows + [{"ticket": r.ticket, "created_at": r.created_at, "id": r.id} for r in seeded],
            key=lambda r: (r["created_at"], r["id"]),
            reverse=True,
        )
    ]
    api = base + "/open311/v2/requests.json"
    async with httpx.AsyncClient() as http:
        entries, sizes = await _all_pages(http, api, {})
        assert sizes == [200, len(everything) - 200]  # the default page is the largest one
        assert [e["service_request_id"] for e in entries] == everything  # in order, once each

        entries, sizes = await _all_pages(http, api, {"page_size": "40"})
        assert [e["service_request_id"] for e in entries] == everything and max(sizes) == 40
        clamped = await http.get(api, params={"page_size": "1000"})
        assert len(clamped.json()) == 200 and 'rel="next"' in clamped.headers["Link"]
        beyond = await http.get(api, params={"page": "50"})
        assert beyond.json() == [] and "Link" not in beyond.headers

        wanted = [
            r["ticket"]
            for r in newest_first
            if r["status"] in {s.value for s in OPEN_STATUSES} and r["waste_type"] == "household"
        ]
        entries, sizes = await _all_pages(
            http, api, {"status": "open", "service_code": "household,bulky", "page_size": "7"}
        )
        got = [e["service_request_id"] for e in entries if e["service_code"] == "household"]
        assert got == wanted and len(sizes) > 2
        assert {e["status"] for e in entries} == {"open"}

        for bad in ({"page": "0"}, {"page": "two"}, {"page_size": "-5"}):
            refused = await http.get(api, params=bad)
            assert refused.status_code == 400 and "page" in refused.json()[0]["description"]
