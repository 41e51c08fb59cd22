"""What admins read: role names and the audit log, in the reader's language and time zone.

An audit entry's details are stored as JSON written by many features; they are shown as words a
person reads (unit names, role and status labels, "yes"), never as Python reprs or codes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import N_, gettext_for, unit_label
from bot.views.reports import status_label
from core.accounts import AuditView
from core.models import Role
from core.units import all_units
from reports.models import ReportStatus

ROLE_LABELS = {
    Role.ADMIN: N_("admin"),
    Role.CAMPAIGN_STAFF: N_("campaign staff"),
    Role.UNIT_HANDLER: N_("unit handler"),
    Role.CURATOR: N_("curator"),
}
_UNIT_CODES = frozenset(u.code for u in all_units())


def role_label(locale: str, role: Role | str, unit_code: str | None = None) -> str:
    label = gettext_for(locale, ROLE_LABELS[Role(role)])
    return f"{label} · {unit_label(unit_code, locale)}" if unit_code else label


def readable(locale: str, key: str, value: Any) -> str:
    """One stored value as words (not escaped)."""
    if isinstance(value, bool):
        return gettext_for(locale, "yes") if value else gettext_for(locale, "no")
    if isinstance(value, dict):
        return "; ".join(f"{k}: {readable(locale, k, v)}" for k, v in value.items() if v not in (None, [], {}, ""))
    if isinstance(value, (list, tuple, set)):
        return "、".join(readable(locale, key, v) for v in value)
    text = str(value)
    if text in _UNIT_CODES:
        return unit_label(text, locale)
    if key == "role" and text in {r.value for r in Role}:
        return role_label(locale, text)
    if key in ("from", "to") and text in {s.value for s in ReportStatus}:
        return status_label(locale, text)
    return text


def audit_line(locale: str, entry: AuditView, tz: ZoneInfo, names: dict[int, str]) -> str:
    """``2026-12-03 15:52 · 李工 · role.grant → 张师傅 · role: unit handler; unit: 澄江街道`` (HTML)."""
    at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=UTC)  # stored naive in UTC (SQLite)
    actor = names.get(entry.actor_id, str(entry.actor_id)) if entry.actor_id else gettext_for(locale, "system")
    target = entry.target or ""
    if target.lstrip("-").isdigit() and int(target) in names:
        target = names[int(target)]
    elif target in _UNIT_CODES:
        target = unit_label(target, locale)
    details = [
        f"{k}: {readable(locale, k, v)}" for k, v in (entry.details or {}).items() if v not in (None, [], {}, "")
    ]
    line = f"{_local(at, tz)} · {escape(actor)} · {escape(entry.action)}"
    if target:
        line += f" → {escape(target)}"
    if details:
        line += " · " + escape("; ".join(details))
    return line


def _local(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
