"""The report filters of the dashboard's query string, read and bounded: unit, status (several),
waste type (several), from/to (local dates, inclusive), overdue, page. A handler's view is always
cut to their units; a unit outside them is refused by the caller (``Forbidden``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from urllib.parse import urlencode

from multidict import MultiMapping

from core.units import all_units
from reports.board import BoardFilter
from reports.models import OPEN_STATUSES, ReportStatus, WasteType

UNIT_CODES = frozenset(u.code for u in all_units())


class Forbidden(Exception):
    """A filter asks for a unit the person may not see."""


@dataclass(frozen=True)
class Query:
    """The filters as the form shows them (and as export links repeat them)."""

    unit: str = ""
    statuses: tuple[str, ...] = ()
    wastes: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    overdue: bool = False
    page: int = 1

    def encode(self, **changes: object) -> str:
        values = {**self.__dict__, **changes}
        pairs: list[tuple[str, str]] = []
        if values["unit"]:
            pairs.append(("unit", str(values["unit"])))
        pairs += [("status", s) for s in values["statuses"]]
        pairs += [("waste", w) for w in values["wastes"]]
        for key in ("since", "until"):
            if values[key]:
                pairs.append((key, values[key].isoformat()))
        if values["overdue"]:
            pairs.append(("overdue", "1"))
        if values["page"] != 1:
            pairs.append(("page", str(values["page"])))
        return urlencode(pairs)


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def read(params: MultiMapping[str] | Mapping[str, str]) -> Query:
    """What the query string says; unknown values are dropped, never an error page."""
    getall = params.getall if hasattr(params, "getall") else (lambda k, d=(): [params[k]] if k in params else d)
    statuses = tuple(s for s in dict.fromkeys(getall("status", ())) if s in ReportStatus.__members__.values())
    wastes = tuple(w for w in dict.fromkeys(getall("waste", ())) if w in WasteType.__members__.values())
    unit = params.get("unit", "")
    try:
        number = max(1, min(int(params.get("page", "1")), 10_000))
    except ValueError:
        number = 1
    return Query(
        unit if unit in UNIT_CODES else "",
        statuses,
        wastes,
        _date(params.get("since")),
        _date(params.get("until")),
        params.get("overdue") == "1",
        number,
    )


def board_filter(query: Query, allowed: tuple[str, ...] | None, tz: tzinfo) -> BoardFilter:
    """The database filter of ``query`` for a person who may see ``allowed`` units (None: all)."""
    if query.unit and allowed is not None and query.unit not in allowed:
        raise Forbidden(query.unit)
    units = (query.unit,) if query.unit else allowed
    statuses = query.statuses or tuple(sorted(s.value for s in OPEN_STATUSES))

    def midnight(day: date | None) -> datetime | None:
        return datetime(day.year, day.month, day.day, tzinfo=tz) if day else None

    until = midnight(query.until + timedelta(days=1)) if query.until else None
    return BoardFilter(
        units=units,
        statuses=statuses,
        waste_types=query.wastes,
        since=midnight(query.since),
        until=until,
        overdue=query.overdue,
    )
