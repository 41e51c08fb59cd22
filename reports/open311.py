"""Open311 GeoReport v2 over the reports, as an aiohttp application.

Routes (under ``/open311/v2``; formats ``json`` and ``xml``)::

    GET  /discovery.json
    GET  /services.{fmt}                 the waste types as services
    GET  /services/{code}.{fmt}          service definition (attributes: amount, witnessed)
    GET  /requests.{fmt}                 filters: service_request_id (comma list, overrides the
                                         others), status (open/closed), service_code (comma list),
                                         start_date, end_date (W3C); default the last 90 days;
                                         newest first; paged (below)
    GET  /requests/{ticket}.{fmt}
    POST /requests.{fmt}                 api_key (query or form), service_code, lat, long required;
                                         each parameter bounded (``open311_params.MAX_LENGTHS``)
    GET  /media/public/<sha256>.jpg      the EXIF-free public copy of a photo

Paging of ``GET /requests`` (an extension: GeoReport v2 lets a server return fewer requests than
match, and says nothing of how to ask for the rest): ``page_size`` requests a page (default and
at most 200; more is clamped to 200), ``page`` which page (1-based, default 1). When more requests
match, the response carries ``Link: <same URL with page=N+1>; rel="next"``; the body stays a
plain GeoReport v2 list. Order: ``requested_datetime`` newest first, ties by ticket number.

Parameters are read and bounded in ``reports.open311_params`` (dates in 2000..2100, page at most
100000, POST text lengths). Text is cleaned of what XML 1.0 forbids (``core.text``) when it comes
in and again when it is serialised. Every error, also a malformed body or an unforeseen failure,
is an Open311 error list (``errors_middleware``), never a bare 500 page.

``service_request_id`` is the ticket (``JY-2026-000123``). Status ``open`` = submitted, accepted,
in_progress; ``closed`` = resolved, rejected. The reporter's identity (Telegram id, names, contact
fields of a POST) and the licence plate a citizen typed are never exposed or stored from the API;
``media_url`` points at the public copy only. Service names here are API data (Chinese, with the
English in the description), not bot UI text.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any
from xml.etree import ElementTree as ET

from aiohttp import web
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import SYSTEM, Clock, utcnow
from core.text import xml_safe
from core.units import unit_name
from reports import geo, open311_params as args, queries, service as svc
from reports.media import SHA_RE, MediaStore, MediaUnavailable
from reports.models import (
    OPEN_STATUSES,
    Amount,
    Channel,
    LocationSource,
    Report,
    ReportStatus,
    WasteType,
)
from reports.open311_params import ApiError

log = logging.getLogger(__name__)

PREFIX = "/open311/v2"

SERVICES: dict[WasteType, tuple[str, str]] = {
    WasteType.CONSTRUCTION: ("非法倾倒：建筑垃圾", "Illegal dumping: construction waste"),
    WasteType.HOUSEHOLD: ("非法倾倒：生活垃圾", "Illegal dumping: household waste"),
    WasteType.BULKY: ("非法倾倒：大件垃圾", "Illegal dumping: bulky waste"),
    WasteType.INDUSTRIAL: ("非法倾倒：工业固废", "Illegal dumping: industrial solid waste"),
    WasteType.HAZARDOUS: ("非法倾倒：危险废物", "Illegal dumping: hazardous waste"),
    WasteType.AGRICULTURAL: ("非法倾倒：农业废弃物", "Illegal dumping: agricultural waste"),
    WasteType.OTHER: ("非法倾倒：其他", "Illegal dumping: other waste"),
}
AMOUNT_NAMES = {
    Amount.BAGS: "几袋 (a few bags)",
    Amount.CAR: "一车 (a car load)",
    Amount.TRUCK: "一卡车 (a truck load)",
}

SESSIONS_KEY = web.AppKey("sessions", async_sessionmaker)
CONFIG_KEY = web.AppKey("open311", dict)


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def w3c(value: datetime | None, tz: tzinfo) -> str | None:
    """W3C date-time with the offset of the city's zone (WUFEI_TIMEZONE)."""
    if value is None:
        return None
    return value.astimezone(tz).isoformat(timespec="seconds")


def _xml_value(parent: ET.Element, tag: str, value: Any, item_tags: Mapping[str, str]) -> None:
    node = ET.SubElement(parent, tag)
    if value is None:
        return
    if isinstance(value, list):
        child_tag = item_tags.get(tag, "item")
        for item in value:
            _xml_value(node, child_tag, item, item_tags)
    elif isinstance(value, dict):
        for key, inner in value.items():
            _xml_value(node, key, inner, item_tags)
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    else:
        node.text = xml_safe(str(value))  # stored text is cleaned at the door; older rows may not be


def to_xml(root: str, item: str | None, payload: Any, item_tags: Mapping[str, str] | None = None) -> bytes:
    """``payload`` is a list of dicts (each an ``item`` element) or one dict (the root's content)."""
    tags = dict(item_tags or {})
    element = ET.Element(root)
    if isinstance(payload, list):
        for entry in payload:
            _xml_value(element, item or "item", entry, tags)
    else:
        for key, value in payload.items():
            _xml_value(element, key, value, tags)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8")


def respond(
    fmt: str,
    payload: Any,
    root: str,
    item: str | None,
    *,
    status: int = 200,
    item_tags: Mapping[str, str] | None = None,
) -> web.Response:
    if fmt == "xml":
        return web.Response(
            body=to_xml(root, item, payload, item_tags), status=status, content_type="text/xml", charset="utf-8"
        )
    return web.json_response(payload, status=status)


def error_response(fmt: str, status: int, description: str) -> web.Response:
    return respond(fmt, [{"code": status, "description": description}], "errors", "error", status=status)


def service_entry(waste: WasteType) -> dict[str, Any]:
    name, english = SERVICES[waste]
    return {
        "service_code": waste.value,
        "service_name": name,
        "description": english,
        "metadata": True,
        "type": "realtime",
        "keywords": "illegal dumping,非法倾倒," + waste.value,
        "group": "illegal_dumping",
    }


def service_definition(waste: WasteType) -> dict[str, Any]:
    return {
        "service_code": waste.value,
        "attributes": [
            {
                "variable": True,
                "code": "amount",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": None,
                "order": 1,
                "description": "How much was dumped",
                "values": [{"key": a.value, "name": AMOUNT_NAMES[a]} for a in Amount],
            },
            {
                "variable": True,
                "code": "witnessed",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": None,
                "order": 2,
                "description": "Was the dumping seen as it happened",
                "values": [{"key": "true", "name": "yes"}, {"key": "false", "name": "no"}],
            },
        ],
    }


def open311_status(status: ReportStatus) -> str:
    return "open" if status in OPEN_STATUSES else "closed"


_agency = functools.cache(unit_name)  # a unit's name by its code, looked up once (~2 us a report)


def request_entry(report: svc.ReportInfo, media_base: str, tz: tzinfo) -> dict[str, Any]:
    photos = report.photos
    photo = next((p for p in photos if p.kind == "before"), photos[0] if photos else None)
    notes = None
    if report.status == ReportStatus.REJECTED:
        notes = f"rejected: {report.reject_reason.value if report.reject_reason else 'unspecified'}"
    elif report.status != ReportStatus.SUBMITTED:
        notes = report.status.value
    return {
        "service_request_id": report.ticket,
        "status": open311_status(report.status),
        "status_notes": notes,
        "service_name": SERVICES[report.waste_type][0],
        "service_code": report.waste_type.value,
        "description": report.description,
        "agency_responsible": _agency(report.unit_code),
        "service_notice": None,
        "requested_datetime": w3c(report.created_at, tz),
        "updated_datetime": w3c(report.updated_at, tz),
        "expected_datetime": None,
        "address": report.address,
        "address_id": None,
        "zipcode": None,
        "lat": report.lat,
        "long": report.lon,
        "media_url": f"{media_base}/media/public/{photo.sha256}.jpg" if photo else None,
    }


# --------------------------------------------------------------------------------------------
# Handlers
# --------------------------------------------------------------------------------------------


def _fmt(request: web.Request) -> str:
    return request.match_info.get("fmt", "json")


def _check_jurisdiction(request: web.Request, params: Mapping[str, str]) -> None:
    expected = request.app[CONFIG_KEY]["jurisdiction_id"]
    given = params.get("jurisdiction_id")
    if expected and given and given != expected:
        raise ApiError(404, f"unknown jurisdiction_id: {given}")


@web.middleware
async def errors_middleware(request: web.Request, handler):
    """Every error in the Open311 format: ours (``ApiError``), aiohttp's (404, 413, ...), and, as a
    last resort, a logged 500 for anything unforeseen."""
    try:
        return await handler(request)
    except ApiError as error:
        return error_response(_fmt(request), error.status, error.description)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return error_response(_fmt(request), error.status, error.reason)
    except Exception:
        log.exception("Open311 %s %s failed", request.method, request.path)
        return error_response(_fmt(request), 500, "internal error")


async def discovery(request: web.Request) -> web.Response:
    config = request.app[CONFIG_KEY]
    return web.json_response(
        {
            "changeset": config["changeset"],
            "contact": config["contact"],
            "key_service": config["key_service"],
            "endpoints": [
                {
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": config["base_url"] + PREFIX,
                    "changeset": config["changeset"],
                    "type": "production",
                    "formats": ["application/json", "text/xml"],
                }
            ],
        }
    )


async def services_list(request: web.Request) -> web.Response:
    _check_jurisdiction(request, request.query)
    return respond(_fmt(request), [service_entry(w) for w in WasteType], "services", "service")


async def service_def(request: web.Request) -> web.Response:
    _check_jurisdiction(request, request.query)
    try:
        waste = WasteType(request.match_info["code"])
    except ValueError as error:
        raise ApiError(404, f"unknown service_code: {request.match_info['code']}") from error
    return respond(
        _fmt(request),
        service_definition(waste),
        "service_definition",
        None,
        item_tags={"attributes": "attribute", "values": "value"},
    )


async def query_requests(
    session: AsyncSession, params: Mapping[str, str], *, now: datetime | None = None
) -> list[svc.ReportInfo]:
    """One page of ``GET /requests`` (newest first), read along an index (``reports.queries``):
    ``page_size`` + 1 rows are read so the caller knows whether a next page exists."""
    page, size = args.page(params)
    tickets = args.tickets(params)
    where: list[Any]
    split: list[list[Any]]
    if tickets is not None:
        where, split = [col(Report.ticket).in_(tickets)], [[]]  # none well-formed: an empty list
    else:
        codes = args.service_codes(params)
        start, end = args.window(params, now or utcnow())
        where = [col(Report.created_at) >= start, col(Report.created_at) <= end]
        split = queries.branches(args.statuses(params), codes)
    ids = await queries.page_ids(session, where, split, limit=size + 1, offset=(page - 1) * size, newest_first=True)
    return await svc.infos_in_order(session, ids)


def _next_link(request: web.Request, page: int) -> str:
    return str(request.url.update_query({"page": str(page + 1)}))


async def requests_list(request: web.Request) -> web.Response:
    _check_jurisdiction(request, request.query)
    config = request.app[CONFIG_KEY]
    page, size = args.page(request.query)
    async with request.app[SESSIONS_KEY]() as session:
        reports = await query_requests(session, request.query, now=config["clock"]())
    payload = [request_entry(r, config["base_url"] + config["mount"], config["clock"].tz) for r in reports[:size]]
    response = respond(_fmt(request), payload, "service_requests", "request")
    if len(reports) > size:
        response.headers["Link"] = f'<{_next_link(request, page)}>; rel="next"'
    return response


async def request_one(request: web.Request) -> web.Response:
    _check_jurisdiction(request, request.query)
    config = request.app[CONFIG_KEY]
    ticket = request.match_info["rid"]
    _, normalized = svc.parse_ref(ticket)
    if normalized is None or not args.TICKET_RE.fullmatch(normalized):
        raise ApiError(404, f"unknown service_request_id: {ticket}")
    async with request.app[SESSIONS_KEY]() as session:
        report = await svc.get(session, normalized)
    if report is None:
        raise ApiError(404, f"unknown service_request_id: {ticket}")
    return respond(
        _fmt(request),
        [request_entry(report, config["base_url"] + config["mount"], config["clock"].tz)],
        "service_requests",
        "request",
    )


async def create_request(request: web.Request) -> web.Response:
    config = request.app[CONFIG_KEY]
    params = await args.post_params(request)
    _check_jurisdiction(request, params)
    api_key = params.get("api_key", "")
    if not api_key or api_key not in config["api_keys"]:
        raise ApiError(403, "a valid api_key is required")
    code = params.get("service_code", "").strip()
    if not code:
        raise ApiError(400, "service_code is required")
    try:
        waste = WasteType(code)
    except ValueError as error:
        raise ApiError(400, f"unknown service_code: {code}") from error
    try:
        lat, lon = float(params["lat"]), float(params["long"])
    except (KeyError, ValueError) as error:
        raise ApiError(400, "lat and long are required (WGS-84 decimal degrees)") from error
    amount = params.get("attribute[amount]") or None
    if amount is not None and amount not in Amount.__members__.values():
        raise ApiError(400, f"attribute[amount] must be one of {', '.join(a.value for a in Amount)}")
    new = svc.NewReport(
        lat=lat,
        lon=lon,
        location_source=LocationSource.API,
        waste_type=waste,
        amount=amount,
        witnessed=args.flag(params.get("attribute[witnessed]")),
        description=params.get("description"),
        address=params.get("address_string"),
        anonymous=True,
    )
    async with request.app[SESSIONS_KEY]() as session:
        try:
            created = await svc.create_report(
                session,
                None,
                new,
                (),
                channel=Channel.OPEN311,
                router=config["router"],
                min_photos=0,
                clock=config["clock"],
            )
        except svc.ReportError as error:
            messages = {
                svc.ReportErrorCode.OUTSIDE_AREA: "the location is outside Jiangyin",
                svc.ReportErrorCode.BAD_LOCATION: "lat/long out of range",
                svc.ReportErrorCode.DESCRIPTION_TOO_LONG: f"description longer than {svc.MAX_DESCRIPTION} characters",
                svc.ReportErrorCode.ADDRESS_TOO_LONG: f"address_string longer than {svc.MAX_ADDRESS} characters",
            }
            raise ApiError(400, messages.get(error.code, error.code.value)) from error
    payload = [{"service_request_id": created.ticket, "service_notice": None, "account_id": None}]
    return respond(_fmt(request), payload, "service_requests", "request", status=201)


async def public_media(request: web.Request) -> web.StreamResponse:
    """The public copy, from whatever storage the photos are in (another instance may have saved
    it); 404 when there is none, 503 when the storage cannot be reached."""
    media: MediaStore | None = request.app[CONFIG_KEY]["media"]
    name = request.match_info["name"]
    sha = name.removesuffix(".jpg")
    if media is None or not name.endswith(".jpg") or not SHA_RE.match(sha):
        raise web.HTTPNotFound()
    etag = f'"{sha}"'  # content-addressed: the name never changes its bytes
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers={"ETag": etag})
    try:
        data = await media.public_bytes_async(sha)
    except MediaUnavailable as error:
        log.warning("Open311 media %s: %s", sha, error)
        raise ApiError(503, "media storage unavailable, try again later") from error
    if data is None:
        raise web.HTTPNotFound()
    return web.Response(
        body=data,
        content_type="image/jpeg",
        headers={"Cache-Control": "public, max-age=31536000, immutable", "ETag": etag},
    )


def make_app(
    sessions: async_sessionmaker[AsyncSession],
    api_keys: Iterable[str],
    public_base_url: str,
    media: MediaStore | None = None,
    *,
    jurisdiction_id: str | None = None,
    router: geo.Router | None = None,
    contact: str = "",
    key_service: str = "",
    changeset: datetime | None = None,
    mount: str = "",
    clock: Clock = SYSTEM,
) -> web.Application:
    """The Open311 application; ``public_base_url`` is where it is reachable (for media_url and
    discovery), e.g. ``https://wufei.example.cn``.

    ``mount``: the prefix this application is mounted under as an aiohttp sub-application (a
    leading part of ``/open311/v2``, e.g. ``/open311``); routes are registered without it so the
    public URLs stay ``/open311/v2/...``, and media are served under ``<mount>/media/public``."""
    mount = mount.rstrip("/")
    if mount and not PREFIX.startswith(mount + "/"):
        raise ValueError(f"mount {mount!r} is not a leading part of {PREFIX}")
    prefix = PREFIX[len(mount) :]
    app = web.Application(middlewares=[errors_middleware])
    app[SESSIONS_KEY] = sessions
    app[CONFIG_KEY] = {
        "api_keys": frozenset(k for k in api_keys if k),
        "base_url": public_base_url.rstrip("/"),
        "mount": mount,
        "media": media,
        "jurisdiction_id": jurisdiction_id,
        "router": router,
        "contact": contact,
        "key_service": key_service,
        "changeset": w3c(changeset or datetime(2026, 11, 28, tzinfo=UTC), clock.tz),
        "clock": clock,
    }
    fmt = "{fmt:json|xml}"
    app.router.add_get(f"{prefix}/discovery.json", discovery)
    app.router.add_get(f"{prefix}/services.{fmt}", services_list)
    app.router.add_get(f"{prefix}/services/{{code:[^/.]+}}.{fmt}", service_def)
    app.router.add_get(f"{prefix}/requests.{fmt}", requests_list)
    app.router.add_post(f"{prefix}/requests.{fmt}", create_request)
    app.router.add_get(f"{prefix}/requests/{{rid:[^/.]+}}.{fmt}", request_one)
    app.router.add_get("/media/public/{name}", public_media)
    return app
