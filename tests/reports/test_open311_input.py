"""Open311 against hostile input, on SQLite and PostgreSQL: what XML forbids never reaches the XML
nor the database, malformed bodies and parameters get a 400 in the Open311 error format, and a
fuzz-ish sweep over every parameter finds no 500."""

from __future__ import annotations

import itertools
import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from functools import partial
from urllib.parse import quote

import httpx
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import insert

from core import db
from core.clock import utcnow
from reports import open311, service as svc
from reports.models import Report
from tests.reports.conftest import synthetic_reports

pytestmark = pytest.mark.dates

KEY = "city-key-1"
JURISDICTION = "jiangyin.gov.cn"
FORM = {"api_key": KEY, "service_code": "household", "lat": "31.9", "long": "120.26"}
BAD_BODY = "the body must be a well-formed"


@pytest.fixture
async def api(db_url):
    engine = db.make_engine(db_url)
    await db.upgrade(engine)
    sessions = db.make_session_factory(engine)
    app = open311.make_app(sessions, [KEY], "http://wufei.example.cn", jurisdiction_id=JURISDICTION)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with httpx.AsyncClient(base_url=str(server.make_url("/open311/v2"))) as http:
            yield http, sessions
    finally:
        await server.close()
        await engine.dispose()


def open311_error(response: httpx.Response) -> tuple[int, str]:
    """The (code, description) of an Open311 error body, JSON or XML; fails on anything else."""
    if response.headers["content-type"].startswith("text/xml"):
        error = ET.fromstring(response.content).find("error")
        return int(error.findtext("code")), error.findtext("description")
    [error] = response.json()
    return error["code"], error["description"]


async def test_what_xml_forbids_never_reaches_the_xml_nor_the_database(api):
    http, sessions = api
    description = "河边\x01\x02\x0b\x1f一堆\ufffe\uffff\n第二行\t完"
    created = await http.post(
        "/requests.json",
        data={**FORM, "description": description, "address_string": "澄江\x0c街道\x00", "first_name": "\x07"},
    )
    assert created.status_code == 201, created.text
    ticket = created.json()[0]["service_request_id"]
    async with sessions() as session:
        stored = await svc.get(session, ticket)
    assert (stored.description, stored.address) == ("河边一堆\n第二行\t完", "澄江街道")

    # A row written before the door was guarded: the serialiser filters it too.
    [old] = synthetic_reports(1, utcnow() - timedelta(hours=1), first_id=900)
    old.update(description="旧\x01\x1b的\ufffe", address="\x0b地址")
    async with sessions() as session:
        await (await session.connection()).execute(insert(Report), [old])
        await session.commit()

    listed = await http.get("/requests.xml")
    assert listed.status_code == 200
    root = ET.fromstring(listed.content)  # the whole list is well-formed
    texts = {
        r.findtext("service_request_id"): (r.findtext("description"), r.findtext("address"))
        for r in root.findall("request")
    }
    assert texts == {ticket: ("河边一堆\n第二行\t完", "澄江街道"), old["ticket"]: ("旧的", "地址")}
    one = await http.get(f"/requests/{old['ticket']}.xml")
    assert ET.fromstring(one.content).findtext("request/description") == "旧的"

    refused = await http.get("/requests.xml", params={"service_code": "x\x01\x02"})
    assert refused.status_code == 400 and open311_error(refused) == (400, "unknown service_code: x")


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_malformed_bodies_are_a_400_in_the_open311_format(api, fmt):
    http, _ = api
    form = "application/x-www-form-urlencoded"
    cases = [
        (b"\xff\xfe%%%", form),
        (b"api_key=" + KEY.encode() + b"&description=\xff\xfe", form),
        (b"--xx\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--xx--\r\n", "multipart/form-data; boundary=xx"),
        (b'--xx\r\nContent-Disposition: form-data; name="lat"\r\n\r\n31.9', "multipart/form-data; boundary=xx"),
        (b"not multipart at all", "multipart/form-data"),
    ]
    for body, content_type in cases:
        response = await http.post(f"/requests.{fmt}", content=body, headers={"content-type": content_type})
        code, description = open311_error(response)
        assert response.status_code == code == 400, (body, response.text)
        assert description.startswith(BAD_BODY), (body, description)


async def test_dates_outside_2000_to_2100_are_a_400(api):
    http, _ = api
    for name, value in itertools.product(
        ("start_date", "end_date"),
        (
            "9999-12-31T00:00:00Z",
            "0001-01-01T00:00:00Z",
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-12:00",
            "1999-12-31T23:59:59Z",
            "2100-01-01",
        ),
    ):
        response = await http.get("/requests.json", params={name: value})
        assert response.status_code == 400, (name, value, response.text)
        assert open311_error(response) == (400, f"{name} must lie between 2000 and 2100")
    start = (utcnow() - timedelta(days=3)).date().isoformat()
    assert (await http.get("/requests.json", params={"start_date": start})).status_code == 200


async def test_text_parameters_have_a_length_limit(api):
    http, sessions = api
    for name, limit in (
        ("address_string", 500),
        ("description", 500),
        ("media_url", 2048),
        ("email", 254),
        ("first_name", 200),
        ("device_id", 200),
        ("attribute[amount]", 200),
    ):
        response = await http.post("/requests.xml", data={**FORM, name: "路" * (limit + 1)})
        assert response.status_code == 400, name
        assert open311_error(response) == (400, f"{name} may be at most {limit} characters long")
    response = await http.post("/requests.json", data={**FORM, "address_string": "x" * 5000})
    assert open311_error(response) == (400, "address_string may be at most 500 characters long")
    fits = await http.post(
        "/requests.json",
        data={
            **FORM,
            "address_string": "路" * 500,
            "description": "垃" * 500,
            "media_url": "https://x.cn/" + "a" * 2000,
        },
    )
    assert fits.status_code == 201
    async with sessions() as session:
        [report] = await svc.list_by(session)
    assert report.address == "路" * 500 and report.description == "垃" * 500


GARBAGE = [
    "",
    " ",
    "\x00",
    "\x01\x1f",
    "%",
    "%ff",
    "nan",
    "inf",
    "-1",
    "0",
    "1e309",
    "9" * 30,
    "9" * 1500,
    "１２",
    "٣",
    "JY-2026-000001",
    "JY-2026-" + "0" * 40,
    ",,,",
    ",".join(["x"] * 300),
    "2026-13-45",
    "[]",
    "{}",
    "'; DROP TABLE reports;--",
    "\ufffe\uffff",
    "😀",
    "open,closed,bogus",
]
GET_PARAMS = [
    "lat",
    "long",
    "service_code",
    "page",
    "page_size",
    "jurisdiction_id",
    "media_url",
    "status",
    "start_date",
    "end_date",
    "service_request_id",
    "api_key",
]
POST_PARAMS = GET_PARAMS + [
    "description",
    "address_string",
    "attribute[amount]",
    "attribute[witnessed]",
    "email",
    "first_name",
    "phone",
    "address_id",
]


def _well_formed(response: httpx.Response) -> None:
    """A success or an Open311 error, parseable in the format asked for."""
    if response.status_code >= 400:
        open311_error(response)
    elif response.headers["content-type"].startswith("text/xml"):
        ET.fromstring(response.content)
    else:
        json.loads(response.content)


async def test_no_parameter_value_gives_a_500(api):
    http, _ = api
    seen: set[int] = set()
    for i, (name, value) in enumerate(itertools.product(GET_PARAMS, GARBAGE)):
        fmt = ("json", "xml")[i % 2]
        response = await http.get(f"/requests.{fmt}", params={name: value})
        assert response.status_code < 500, (name, value, response.text)
        _well_formed(response)
        seen.add(response.status_code)
    for i, (name, value) in enumerate(itertools.product(POST_PARAMS, GARBAGE)):
        fmt = ("json", "xml")[i % 2]
        response = await http.post(f"/requests.{fmt}", data={**FORM, name: value})
        assert response.status_code < 500, (name, value, response.text)
        _well_formed(response)
        seen.add(response.status_code)
    for value in map(partial(quote, safe=""), GARBAGE):
        for path in (f"/requests/{value}.xml", f"/services/{value}.json"):
            response = await http.get(path)
            assert response.status_code < 500, (path, response.text)
            _well_formed(response)
    for query in ("%ff=%fe", "start_date=%ff", "page=%00", "service_request_id=%ed%a0%80", "status=%c0%af"):
        response = await http.get(f"/requests.xml?{query}")
        assert response.status_code < 500, (query, response.text)
        _well_formed(response)
    assert {200, 201, 400, 403, 404} <= seen  # the sweep reached past the checks, too


async def test_an_unforeseen_failure_is_a_logged_500_in_the_open311_format(caplog):
    def broken_sessions():
        raise RuntimeError("database gone")

    server = TestServer(open311.make_app(broken_sessions, [KEY], "http://wufei.example.cn"), host="127.0.0.1")
    await server.start_server()
    try:
        async with httpx.AsyncClient(base_url=str(server.make_url("/open311/v2"))) as http:
            for fmt in ("json", "xml"):
                response = await http.get(f"/requests.{fmt}")
                assert response.status_code == 500 and open311_error(response) == (500, "internal error")
    finally:
        await server.close()
    assert "database gone" in caplog.text
