"""The figures page (bulletin per unit and week, overdue now; for admins also campaigns and
sorting questions) and the exports (bulletin CSV/Excel, the filtered reports as CSV/GeoJSON).
Every number comes from SQL in the domains (``reports.bulletin``, ``campaigns.figures``,
``knowledge.query_figures``); here they are only laid out."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

from aiohttp import web

from bot.dashboard import filters
from bot.dashboard.auth import ctx, language, page, refuse, staff
from bot.dashboard.pages import escalate_after
from bot.i18n import unit_label
from bot.views.reports import duration, status_label
from campaigns import figures as campaign_figures
from knowledge import query_figures
from reports import board, bulletin

MAX_WEEKS = 26
DAYS = 28


def _weeks(request: web.Request) -> int:
    try:
        return max(1, min(int(request.query.get("weeks", "8")), MAX_WEEKS))
    except ValueError:
        return 8


async def _bulletin(request: web.Request) -> tuple[list[bulletin.BulletinRow], dict[str, int], int]:
    context, weeks = ctx(request), _weeks(request)
    now = context.clock()
    start = bulletin.week_start(now, context.clock.tz) - timedelta(weeks=weeks - 1)
    async with context.sessions() as session:
        rows = await bulletin.weekly(session, start=start, weeks=weeks, units=staff(request).units)
        overdue = await bulletin.overdue_now(session, now, escalate_after(request), staff(request).units)
    return rows, overdue, weeks


async def figures_page(request: web.Request) -> web.Response:
    context = ctx(request)
    rows, overdue, weeks = await _bulletin(request)
    extra = {}
    if staff(request).is_admin:
        now = context.clock()
        monday = bulletin.week_start(now, context.clock.tz)
        today = context.clock.today()
        day_start = datetime(today.year, today.month, today.day, tzinfo=context.clock.tz) - timedelta(days=DAYS - 1)
        async with context.sessions() as session:
            extra = {
                "runs": await campaign_figures.runs(session),
                "cells": await campaign_figures.cells(session, start=monday - timedelta(weeks=weeks - 1), weeks=weeks),
                "days": await query_figures.per_day(session, start=day_start, days=DAYS),
                "unanswered": await query_figures.top_unanswered(session, since=day_start),
            }
    totals: dict = {}
    for row in rows:
        totals[row.week] = totals.get(row.week, 0) + row.received
    return page(
        request,
        "figures.html",
        {
            "table": _display(request, rows, overdue),
            "weeks": weeks,
            "week_totals": sorted(totals.items()),
            **extra,
        },
    )


def _display(request: web.Request, rows: list[bulletin.BulletinRow], overdue: dict[str, int]) -> list[tuple]:
    """The bulletin's cells as text, formatted here in one pass (cheaper than in the template)."""
    lang = language(request)
    names = {code: unit_label(code, lang) for code in {r.unit_code for r in rows}}

    def pair(p50: float | None, p90: float | None) -> str:
        return f"{duration(lang, p50)} / {duration(lang, p90)}"

    return [
        (
            names[r.unit_code],
            r.week.isoformat(),
            r.received,
            r.accepted,
            r.resolved,
            r.rejected,
            r.reopened,
            pair(r.accept_p50_s, r.accept_p90_s),
            pair(r.resolve_p50_s, r.resolve_p90_s),
            overdue.get(r.unit_code, 0),
        )
        for r in rows
    ]


HEADER = (
    "unit",
    "unit_code",
    "week",
    "received",
    "accepted",
    "resolved",
    "rejected",
    "reopened",
    "accept_p50_h",
    "accept_p90_h",
    "resolve_p50_h",
    "resolve_p90_h",
    "overdue_now",
)


def _hours(seconds: float | None) -> float | None:
    return round(seconds / 3600, 2) if seconds is not None else None


def _table(request: web.Request, rows: list[bulletin.BulletinRow], overdue: dict[str, int]) -> list[tuple]:
    lang = language(request)
    return [
        (
            unit_label(r.unit_code, lang),
            r.unit_code,
            r.week.isoformat(),
            r.received,
            r.accepted,
            r.resolved,
            r.rejected,
            r.reopened,
            _hours(r.accept_p50_s),
            _hours(r.accept_p90_s),
            _hours(r.resolve_p50_s),
            _hours(r.resolve_p90_s),
            overdue.get(r.unit_code, 0),
        )
        for r in rows
    ]


def _download(body: bytes, content_type: str, name: str) -> web.Response:
    return web.Response(
        body=body,
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


async def bulletin_csv(request: web.Request) -> web.Response:
    rows, overdue, _weeks_n = await _bulletin(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(_table(request, rows, overdue))
    return _download(("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv", "bulletin.csv")  # BOM: Excel reads UTF-8


async def bulletin_xlsx(request: web.Request) -> web.Response:
    rows, overdue, _weeks_n = await _bulletin(request)
    from openpyxl import Workbook  # only here: it is a tenth of a second of every start-up

    book = Workbook()  # a few hundred rows: the ordinary mode is faster than write_only here
    sheet = book.worksheets[0]  # a new book's one sheet (``active``: typed Optional, maybe a chartsheet)
    sheet.title = "bulletin"
    sheet.append(HEADER)
    for line in _table(request, rows, overdue):
        sheet.append(line)
    out = io.BytesIO()
    book.save(out)
    return _download(
        out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "bulletin.xlsx"
    )


async def _export_rows(request: web.Request) -> list[board.Row] | web.Response:
    context = ctx(request)
    try:
        view = filters.board_filter(filters.read(request.query), staff(request).units, context.clock.tz)
    except filters.Forbidden:
        return refuse(
            request, 403, context.i18n.gettext("You may only see the reports of your units.", locale=language(request))
        )
    async with context.sessions() as session:
        return await board.export_rows(session, view, context.clock(), escalate_after(request))


async def reports_csv(request: web.Request) -> web.Response:
    rows = await _export_rows(request)
    if isinstance(rows, web.Response):
        return rows
    lang, tz = language(request), ctx(request).clock.tz
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        (
            "ticket",
            "unit",
            "unit_code",
            "waste_type",
            "status",
            "status_label",
            "lat",
            "lon",
            "address",
            "created_at",
            "accepted_at",
            "resolved_at",
        )
    )
    for r in rows:
        writer.writerow(
            (
                r.ticket,
                unit_label(r.unit_code, lang),
                r.unit_code,
                r.waste_type,
                r.status,
                status_label(lang, r.status),
                r.lat,
                r.lon,
                r.address or "",
                *(t.astimezone(tz).isoformat() if t else "" for t in (r.created_at, r.accepted_at, r.resolved_at)),
            )
        )
    return _download(("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv", "reports.csv")


async def reports_geojson(request: web.Request) -> web.Response:
    rows = await _export_rows(request)
    if isinstance(rows, web.Response):
        return rows
    tz = ctx(request).clock.tz
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
            "properties": {
                "ticket": r.ticket,
                "unit_code": r.unit_code,
                "waste_type": r.waste_type,
                "status": r.status,
                "address": r.address,
                "created_at": r.created_at.astimezone(tz).isoformat(),
            },
        }
        for r in rows
    ]
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    return _download(body.encode("utf-8"), "application/geo+json", "reports.geojson")
