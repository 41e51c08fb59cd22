"""The staff's commands: /bindunit (a group receives a unit's reports), /reports (the queue, and
any report's card with its buttons), /stats. Roles are checked by the routers' filters and again
for the report at hand."""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.filters import HasRole
from bot.handlers.admin import not_allowed
from bot.handlers.reports.staff import may_handle
from bot.i18n import unit_label
from bot.keyboards import reports as kb
from bot.keyboards.reports import StaffAction, StaffCb
from bot.notifications.reports import reporter_name
from bot.views import reports as view
from core import accounts
from core.accounts import Roles, UserInfo
from core.clock import Clock
from core.models import Role
from core.units import all_units, find_unit
from reports import service as svc
from reports.models import OPEN_STATUSES, ReportStatus

STAFF_COMMANDS = ("reports", "bindunit", "stats")
MAX_LISTED = 30


async def bind_unit(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    user: UserInfo,
    roles: Roles,
    clock: Clock,
    **_kw: Any,
) -> None:
    if message.chat.type == "private":
        await message.answer(_("Send /bindunit in your unit's staff group, not here."))
        return
    arg = (command.args or "").strip()
    mine = sorted(roles.units())
    if not arg and len(mine) == 1:
        unit = find_unit(mine[0])
    else:
        unit = find_unit(arg) if arg else None
    if unit is None:
        await message.answer(
            _("Usage: <code>/bindunit 澄江街道</code>. Units: {units}").format(
                units="、".join(unit_label(u.code) for u in all_units())
            )
        )
        return
    if not may_handle(roles, unit.code):
        await message.answer(
            _("⛔ Only the handlers of {unit} (or admins) can do this.").format(unit=unit_label(unit.code))
        )
        return
    await svc.bind_unit_chat(session, unit.code, message.chat.id, user.id, now=clock())
    await accounts.audit(session, user.id, "reports.bindunit", unit.code, {"chat": message.chat.id})
    await message.answer(_("✅ This chat now receives the reports of {unit}.").format(unit=unit_label(unit.code)))


def _parse_status(arg: str) -> list[ReportStatus] | None:
    arg = arg.strip().lower()
    if not arg or arg == "open":
        return sorted(OPEN_STATUSES)
    if arg == "all":
        return list(ReportStatus)
    try:
        return [ReportStatus(arg)]
    except ValueError:
        return None


async def list_reports(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    user: UserInfo,
    roles: Roles,
    settings,
    reports,
    **_kw: Any,
) -> None:
    """``/reports [open|all|<status>]``: the caller's queue, a button per report to open its card;
    ``/reports JY-2026-000001`` opens that report's card."""
    arg = (command.args or "").strip()
    if arg.upper().startswith("JY-") or arg.isdigit():
        report = await svc.get(session, arg)
        if report is None:
            await message.answer(_("No report {ticket}.").format(ticket=escape(arg)))
        else:
            await _send_card(message, report, roles, reports)
        return
    statuses = _parse_status(arg)
    if statuses is None:
        await message.answer(
            _("Usage: /reports [open|all|{statuses}], or /reports JY-…").format(
                statuses="|".join(s.value for s in ReportStatus)
            )
        )
        return
    units = sorted(roles.units())
    rows: list[svc.ReportInfo] = []
    if roles.has(Role.ADMIN) and not units:
        rows = await svc.list_by(session, None, statuses, limit=30)
    else:
        for code in units:
            rows += await svc.list_by(session, code, statuses, limit=30)
    if not rows:
        await message.answer(_("No reports with that status. 🎉"))
        return
    rows = rows[:MAX_LISTED]
    lines = [
        _("<b>Reports</b> ({statuses}), oldest first; a button opens the card:").format(
            statuses=", ".join(view.status_label(user.language, s) for s in statuses)
        )
    ]
    lines += [view.report_line(user.language, r, settings.timezone) for r in rows]
    await message.answer("\n".join(lines), reply_markup=kb.open_buttons(rows))


async def open_report(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: StaffCb,
    session: AsyncSession,
    roles: Roles,
    reports,
    **_kw: Any,
) -> None:
    report = await svc.get(session, callback_data.r)
    if report is None:
        callback_answer.text = _("This report no longer exists.")
        callback_answer.show_alert = True
        return
    if isinstance(query.message, Message):
        await _send_card(query.message, report, roles, reports)


async def _send_card(message: Message, report: svc.ReportInfo, roles: Roles, reports) -> None:
    """The report's card with its buttons, as in the unit's chat (a copy: presses on it work too)."""
    if not may_handle(roles, report.unit_code):
        await message.answer(
            _("⛔ Only the handlers of {unit} (or admins) can do this.").format(unit=unit_label(report.unit_code))
        )
        return
    locale = reports.settings.default_locale
    async with reports.sessions() as session:
        reporter = await reporter_name(session, report)
    await message.answer(
        view.staff_card(locale, report, reporter, None, reports.settings.timezone),
        reply_markup=kb.staff_actions(locale, report.id, report.status),
    )


async def show_stats(message: Message, session: AsyncSession, user: UserInfo, **_kw: Any) -> None:
    s = await svc.stats(session)
    locale = user.language
    lines = [_("<b>Reports so far</b>: {total} ({open} open)").format(total=s.total, open=s.open)]
    lines.append(
        _("Median time to accept: {accept}; to resolve: {resolve}").format(
            accept=view.duration(locale, s.median_accept_s), resolve=view.duration(locale, s.median_resolve_s)
        )
    )
    if s.by_status:
        lines.append(_("<b>By status</b>"))
        lines += [f"• {view.status_label(locale, k)}: {v}" for k, v in sorted(s.by_status.items())]
    if s.by_unit:
        lines.append(_("<b>By unit</b>"))
        lines += [f"• {escape(unit_label(k))}: {v}" for k, v in sorted(s.by_unit.items(), key=lambda kv: -kv[1])]
    if s.by_type:
        lines.append(_("<b>By type</b>"))
        lines += [f"• {view.waste_label(locale, k)}: {v}" for k, v in sorted(s.by_type.items(), key=lambda kv: -kv[1])]
    await message.answer("\n".join(lines))


def build() -> Router:
    router = Router(name=__name__)
    router.message.register(bind_unit, Command("bindunit"), HasRole(Role.UNIT_HANDLER))
    router.message.register(list_reports, Command("reports"), HasRole(Role.UNIT_HANDLER))
    router.message.register(show_stats, Command("stats"), HasRole(Role.ADMIN))
    router.message.register(not_allowed, Command(*STAFF_COMMANDS))
    router.callback_query.register(open_report, StaffCb.filter(F.a == StaffAction.OPEN), HasRole(Role.UNIT_HANDLER))
    return router
