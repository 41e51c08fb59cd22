"""What an Open311 request may say: its parameters read, checked and bounded.

Rules: every refusal is an ``ApiError`` (rendered by ``reports.open311`` in the Open311 error
format, never a bare 500): a body that is not a well-formed form in UTF-8, a date outside
``EARLIEST``..``LATEST`` or a range over ``DEFAULT_WINDOW``, a page past ``MAX_PAGE``, a POST
parameter longer than its ``MAX_LENGTHS`` (else ``DEFAULT_MAX_LENGTH``) characters. POST text is
cleaned of what XML 1.0 forbids (``core.text``) before anything looks at it. A
``service_request_id`` that is not a well-formed ticket matches nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from aiohttp import web

from core.text import xml_safe
from reports import service as svc
from reports.models import CLOSED_STATUSES, OPEN_STATUSES, WasteType

MAX_PAGE_SIZE = 200
MAX_PAGE = 100_000  # 20 million requests deep: far past any real list, well inside the database's integers
DEFAULT_WINDOW = timedelta(days=90)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # start_date/end_date outside these are a 400
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
TICKET_RE = re.compile(r"JY-[0-9]{4}-[0-9]{6,12}")
# The longest value a POST parameter may have (in characters, after dropping what XML forbids);
# a longer one is a 400. Only description and address_string are stored; the others are checked
# so that nothing unbounded is ever echoed or logged.
MAX_LENGTHS = {"description": svc.MAX_DESCRIPTION, "address_string": svc.MAX_ADDRESS, "media_url": 2048, "email": 254}
DEFAULT_MAX_LENGTH = 200


class ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def csv(params: Mapping[str, str], name: str) -> list[str]:
    return [part.strip() for part in params.get(name, "").split(",") if part.strip()]


def flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "y"}


def date(params: Mapping[str, str], name: str) -> datetime | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise ApiError(400, f"{name} must be a W3C datetime such as 2026-01-01T00:00:00Z") from error
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    if not EARLIEST <= value < LATEST:
        raise ApiError(400, f"{name} must lie between {EARLIEST.year} and {LATEST.year}")
    return value


def page(params: Mapping[str, str]) -> tuple[int, int]:
    """``page`` (1-based, default 1) and ``page_size`` (default and at most ``MAX_PAGE_SIZE``)."""
    try:
        number = int(params.get("page") or 1)
        size = int(params.get("page_size") or MAX_PAGE_SIZE)
    except ValueError as error:
        raise ApiError(400, "page and page_size must be whole numbers") from error
    if number < 1 or size < 1:
        raise ApiError(400, "page and page_size start at 1")
    if number > MAX_PAGE:
        raise ApiError(400, f"page may be at most {MAX_PAGE}")
    return number, min(size, MAX_PAGE_SIZE)


def statuses(params: Mapping[str, str]) -> list[str]:
    found: set[str] = set()
    for value in csv(params, "status"):
        if value == "open":
            found |= {s.value for s in OPEN_STATUSES}
        elif value == "closed":
            found |= {s.value for s in CLOSED_STATUSES}
        else:
            raise ApiError(400, f"status must be open or closed, not {value}")
    return sorted(found)


def service_codes(params: Mapping[str, str]) -> list[str]:
    codes = csv(params, "service_code")
    for code in codes:
        if code not in WasteType.__members__.values():
            raise ApiError(400, f"unknown service_code: {code}")
    return codes


def tickets(params: Mapping[str, str]) -> list[str] | None:
    """The well-formed tickets of ``service_request_id`` (normalised), or None when it is not given."""
    given = csv(params, "service_request_id")
    if not given:
        return None
    return [t for t in (svc.parse_ref(t)[1] for t in given) if t and TICKET_RE.fullmatch(t)]


def window(params: Mapping[str, str], now: datetime) -> tuple[datetime, datetime]:
    start, end = date(params, "start_date"), date(params, "end_date")
    if start is None:
        end = now if end is None else end
        start = end - DEFAULT_WINDOW
    elif end is None:
        end = start + DEFAULT_WINDOW
    if end < start:
        raise ApiError(400, "end_date is before start_date")
    if end - start > DEFAULT_WINDOW:
        raise ApiError(400, "the date range may not span more than 90 days")
    return start, end


async def post_params(request: web.Request) -> dict[str, str]:
    """The query and form parameters of a POST, without what XML forbids, each within its length."""
    try:
        form = await request.post()
    except ValueError as error:  # undecodable bytes, a broken multipart body
        raise ApiError(
            400, "the body must be a well-formed application/x-www-form-urlencoded or multipart/form-data form in UTF-8"
        ) from error
    params = {k: xml_safe(v) for k, v in request.query.items()}
    params.update({k: xml_safe(v) for k, v in form.items() if isinstance(v, str)})
    for name, value in params.items():
        limit = MAX_LENGTHS.get(name, DEFAULT_MAX_LENGTH)
        if len(value.strip()) > limit:
            raise ApiError(400, f"{xml_safe(name)[:50]} may be at most {limit} characters long")
    return params
