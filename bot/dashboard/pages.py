"""The dashboard's report pages: the list by age with the map, one report, and its actions.

"Resolved" takes an "after" photo (a multipart form) and/or a comment, as the chat's reply does:
the photo is stored by the same media store and attached by the same ``transition`` call, and the
outbox's status message shows it to the resident (the worker uploads the stored copy).

Actions go through the same compare-and-set service as the group card's buttons
(``reports.service.transition`` / ``reassign``) with the status the page was drawn for: when a
chat press (or another tab) got there first, nothing is written and the page says who won. Every
change is audited under the same action names as in the chat; the reporter's status message and
the card refresh are the outbox rows the service writes in the change's transaction.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.dashboard import auth, filters, forms
from bot.dashboard.auth import ctx, language, page, redirect, refuse, staff
from bot.dashboard.svgmap import frame_and_outline, point_marks, unit_seats
from bot.dashboard.tilemap import map_data
from core import accounts
from core.units import all_units
from reports import board, service as svc
from reports.media import MediaError, MediaErrorCode
from reports.models import RejectReason, ReportStatus, WasteType

PAGE_SIZE = 50
STATUS_COLOURS = {
    "submitted": "#d9480f",
    "accepted": "#1971c2",
    "in_progress": "#7048e8",
    "resolved": "#2f9e44",
    "rejected": "#868e96",
}

# What each button of the page does: the target status (None: a form with its own field).
ACTIONS = {
    "accept": ReportStatus.ACCEPTED,
    "start": ReportStatus.IN_PROGRESS,
    "resolve": ReportStatus.RESOLVED,
    "reject": ReportStatus.REJECTED,
    "reopen": None,
    "reassign": None,
}


def escalate_after(request: web.Request) -> timedelta:
    return timedelta(days=ctx(request).settings.escalate_after_d)


def _view(request: web.Request) -> tuple[filters.Query, board.BoardFilter]:
    query = filters.read(request.query)
    return query, filters.board_filter(query, staff(request).units, ctx(request).clock.tz)


async def reports_page(request: web.Request) -> web.Response:
    context = ctx(request)
    try:
        query, view = _view(request)
    except filters.Forbidden:
        return refuse(
            request, 403, context.i18n.gettext("You may only see the reports of your units.", locale=language(request))
        )
    now = context.clock()
    async with context.sessions() as session:
        rows, total = await board.page(
            session, view, now, escalate_after(request), limit=PAGE_SIZE, offset=(query.page - 1) * PAGE_SIZE
        )
        points = await board.points(session, view, now, escalate_after(request))
    frame, outline = frame_and_outline()
    allowed = staff(request).units
    units = [u for u in all_units() if allowed is None or u.code in allowed]
    return page(
        request,
        "reports.html",
        {
            "query": query,
            "rows": rows,
            "total": total,
            "page_size": PAGE_SIZE,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "units": units,
            "wastes": list(WasteType),
            "statuses": list(ReportStatus),
            "frame": frame,
            "outline": outline,
            "seats": unit_seats(),
            "points": point_marks(points, frame, STATUS_COLOURS),
            "tile_map": map_data(context.settings, points, STATUS_COLOURS, language(request)),
            "colours": STATUS_COLOURS,
            "map_limit": board.MAP_POINTS,
            "export_limit": board.EXPORT_MAX,
            "now": now,
        },
    )


def _report_id(request: web.Request) -> int | None:
    text = request.match_info.get("rid", "")
    return int(text) if text.isdigit() and len(text) < 12 else None


async def _report(request: web.Request) -> svc.ReportInfo | web.Response:
    """The report of the URL, or the 404/403 answer."""
    context = ctx(request)
    report_id = _report_id(request)
    report = None
    if report_id is not None:
        async with context.sessions() as session:
            report = await svc.get(session, report_id)
    if report is None:
        return refuse(request, 404, context.i18n.gettext("This report no longer exists.", locale=language(request)))
    if not staff(request).may_handle(report.unit_code):
        return refuse(
            request, 403, context.i18n.gettext("You may only see the reports of your units.", locale=language(request))
        )
    return report


async def report_page(request: web.Request) -> web.Response:
    report = await _report(request)
    if isinstance(report, web.Response):
        return report
    return await _render(request, report, _flash(request))


async def _render(
    request: web.Request,
    report: svc.ReportInfo,
    flash: tuple[str, str] | None,
    kept: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    """The report's page; ``kept``: what the person typed, shown again after a form error."""
    async with ctx(request).sessions() as session:
        events = await svc.events(session, report.id)
    frame, outline = frame_and_outline()
    return page(
        request,
        "report.html",
        {
            "report": report,
            "events": events,
            "frame": frame,
            "outline": outline,
            "point": frame.xy(report.lat, report.lon),
            "colours": STATUS_COLOURS,
            "flash": flash,
            "kept": kept or {},
            "next": {s.value for s in report.next_statuses},
            "reasons": list(RejectReason),
            "units": [u for u in all_units() if u.code != report.unit_code],
            "photos": [p for p in report.photos],
            "open": report.is_open,
        },
        status=status,
    )


def _flash(request: web.Request) -> tuple[str, str] | None:
    """(kind, status) of the last action's outcome, from the redirect's query."""
    for kind in ("done", "conflict"):
        value = request.query.get(kind)
        if value is not None and value in ReportStatus.__members__.values():
            return kind, value
    if request.query.get("error") in ("not_possible", "reason", "comment"):
        return "error", request.query["error"]
    return None


async def act(request: web.Request) -> web.Response:
    """POST /reports/{rid}/act: one action, compare-and-set on the status the page showed."""
    report = await _report(request)
    if isinstance(report, web.Response):
        return report
    form = auth.form(request)
    action, expected = str(form.get("action", "")), str(form.get("expected", ""))
    if action not in ACTIONS or expected not in ReportStatus.__members__.values():
        return redirect(f"/dashboard/reports/{report.id}?error=not_possible")
    comment = str(form.get("comment", "")).strip() or None
    photos: list[svc.PhotoIn] = []
    if action == "resolve":
        found = await _after_photo(request, report, ReportStatus(expected), comment, form.get("photo"))
        if isinstance(found, web.Response):
            return found
        photos = found
    outcome = await _apply(request, report, action, ReportStatus(expected), comment, form, photos)
    if isinstance(outcome, str):
        return redirect(f"/dashboard/reports/{report.id}?error={outcome}")
    if isinstance(outcome, svc.Changed):
        event = outcome.event
        async with ctx(request).sessions() as session:
            await accounts.audit(
                session,
                staff(request).user.id,
                f"reports.{event.kind.value}",
                outcome.report.ticket,
                {"from": event.old_status, "to": event.new_status, **(event.details or {}), "via": "dashboard"},
            )
        if not staff(request).may_handle(outcome.report.unit_code):  # handed over to a unit not theirs
            return redirect("/dashboard/")
        return redirect(f"/dashboard/reports/{report.id}?done={outcome.report.status.value}")
    if isinstance(outcome, svc.Conflict):
        return redirect(f"/dashboard/reports/{report.id}?conflict={outcome.current_status.value}")
    if isinstance(outcome, svc.NotFound):
        return redirect("/dashboard/")
    return redirect(f"/dashboard/reports/{report.id}?error=not_possible")


async def _after_photo(
    request: web.Request, report: svc.ReportInfo, expected: ReportStatus, comment: str | None, upload: Any
) -> list[svc.PhotoIn] | web.Response:
    """The "after" photo of a resolution, stored as in the chat (``MediaStore``: the original kept,
    an EXIF-free public copy); none chosen: []. A file too large or not a picture: the page again
    with the message and the comment as typed. A report that moved meanwhile, or that cannot be
    resolved from where it is: nothing stored."""
    if not isinstance(upload, forms.Upload):
        return []
    if report.status != expected:
        return redirect(f"/dashboard/reports/{report.id}?conflict={report.status.value}")
    if ReportStatus.RESOLVED not in svc.allowed_transitions(report.status):
        return redirect(f"/dashboard/reports/{report.id}?error=not_possible")
    error = "photo_too_large" if upload.too_large else None
    if error is None:
        try:
            stored = await ctx(request).media.save_async(upload.data)
        except MediaError as failure:
            error = "photo_too_large" if failure.code == MediaErrorCode.TOO_LARGE else "photo_not_image"
    if error is not None:
        return await _render(request, report, ("error", error), {"comment": comment or ""}, status=400)
    return [svc.PhotoIn.of(stored)]  # no Telegram file id: the worker uploads the stored copy


async def _apply(
    request: web.Request,
    report: svc.ReportInfo,
    action: str,
    expected: ReportStatus,
    comment: str | None,
    form: Any,
    photos: list[svc.PhotoIn],
) -> Any:
    """The service call of ``action``; a str names a form error (nothing was tried)."""
    context, actor = ctx(request), staff(request).user.id
    now = context.clock()
    async with context.sessions() as session:
        if action == "reassign":
            unit = str(form.get("unit", ""))
            if unit not in filters.UNIT_CODES:
                return "not_possible"
            if expected != report.status:
                return svc.Conflict(report.status, report.version)
            return await svc.reassign(
                session,
                report.id,
                actor,
                unit,
                comment,
                now=now,
                expected_version=int(str(form.get("version") or 0)) or None,
            )
        # None only for "reopen" (reassign returned above): back to work, or to be accepted anew
        target = ACTIONS[action] or (
            ReportStatus.ACCEPTED if expected == ReportStatus.RESOLVED else ReportStatus.SUBMITTED
        )
        reason = None
        if target == ReportStatus.REJECTED:
            reason = str(form.get("reason", ""))
            if reason not in RejectReason.__members__.values():
                return "reason"
        if target == ReportStatus.RESOLVED and not (comment or photos):
            return "comment"  # as in the chat: an "after" photo or a comment
        return await svc.transition(
            session,
            report.id,
            actor,
            target,
            comment=comment,
            reason=reason,
            expected_status=expected,
            photos=photos,
            now=now,
        )
