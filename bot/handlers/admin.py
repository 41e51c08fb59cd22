"""Staff administration: /grant, /revoke, /staff, /audit. Admins only (router-level filter)."""

from __future__ import annotations

import logging
from html import escape

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.filters import HasRole
from bot.i18n import current, unit_label
from bot.views.admin import audit_line, role_label
from core import accounts
from core.accounts import UserInfo
from core.models import Role
from core.units import all_units, find_unit

log = logging.getLogger(__name__)

ADMIN_COMMANDS = ("grant", "revoke", "staff", "audit")

ROLE_WORDS = {
    "admin": Role.ADMIN,
    "campaign": Role.CAMPAIGN_STAFF,
    "campaign_staff": Role.CAMPAIGN_STAFF,
    "handler": Role.UNIT_HANDLER,
    "unit_handler": Role.UNIT_HANDLER,
    "curator": Role.CURATOR,
}


def _usage(command: str) -> str:
    roles = ", ".join(sorted({"admin", "campaign", "handler", "curator"}))
    return _(
        "Usage: /{command} &lt;user id or @username&gt; &lt;role&gt; [unit]\n"
        "Roles: {roles}. A handler needs a unit, e.g. <code>/grant @wang handler 澄江街道</code>."
    ).format(command=command, roles=roles)


def _unit_list() -> str:
    return "、".join(unit_label(u.code) for u in all_units())


async def _parse(message: Message, command: CommandObject, session: AsyncSession, need_unit: bool):
    args = (command.args or "").split()
    if len(args) < 2:
        await message.answer(_usage(command.command))
        return None
    target = await accounts.find_user(session, args[0])
    if target is None:
        await message.answer(
            _("I don't know {ref} yet: they need to send /start to the bot first.").format(ref=escape(args[0]))
        )
        return None
    role = ROLE_WORDS.get(args[1].lower())
    if role is None:
        await message.answer(_usage(command.command))
        return None
    unit_code: str | None = None
    if len(args) > 2:
        unit = find_unit(" ".join(args[2:]))
        if unit is None:
            await message.answer(
                _("Unknown unit {unit}. Units: {units}").format(unit=escape(" ".join(args[2:])), units=_unit_list())
            )
            return None
        unit_code = unit.code
    if role == Role.UNIT_HANDLER and unit_code is None and need_unit:
        await message.answer(_("A handler must be bound to a unit. Units: {units}").format(units=_unit_list()))
        return None
    return target, role, unit_code


def _who(user: UserInfo) -> str:
    name = escape(user.display_name or str(user.id))
    return f"{name} (@{escape(user.username)})" if user.username else f"{name} ({user.id})"


def _role_label(role: Role, unit_code: str | None = None) -> str:
    return role_label(current().current_locale, role, unit_code)


async def grant_role(message: Message, command: CommandObject, session: AsyncSession, user: UserInfo) -> None:
    parsed = await _parse(message, command, session, need_unit=True)
    if parsed is None:
        return
    target, role, unit_code = parsed
    unit_code = unit_code if role == Role.UNIT_HANDLER else ""
    if await accounts.grant(session, user.id, target.id, role, unit_code or ""):
        text = _("✅ {who} is now {role}.")
    else:
        text = _("{who} already is {role}.")
    await message.answer(text.format(who=_who(target), role=_role_label(role, unit_code)))


async def revoke_role(message: Message, command: CommandObject, session: AsyncSession, user: UserInfo) -> None:
    parsed = await _parse(message, command, session, need_unit=False)
    if parsed is None:
        return
    target, role, unit_code = parsed
    if role == Role.ADMIN and target.id == user.id:
        await message.answer(_("You cannot revoke your own admin role."))
        return
    removed = await accounts.revoke(session, user.id, target.id, role, unit_code)
    text = _("✅ {who} is no longer {role}.") if removed else _("{who} was not {role}.")
    await message.answer(text.format(who=_who(target), role=_role_label(role, unit_code)))


async def list_staff(message: Message, session: AsyncSession) -> None:
    members = await accounts.list_staff(session)
    if not members:
        await message.answer(_("No staff yet."))
        return
    lines = [_("<b>Staff</b>")]
    for m in members:
        name = escape(m.display_name or str(m.user_id))
        handle = f" @{escape(m.username)}" if m.username else ""
        roles = ", ".join(_role_label(g.role, g.unit_code or None) for g in m.grants)
        lines.append(f"• {name}{handle} <code>{m.user_id}</code>: {roles}")
    await message.answer("\n".join(lines))


async def show_audit(
    message: Message, command: CommandObject, session: AsyncSession, user: UserInfo, settings: Settings
) -> None:
    """The newest entries: local times (WUFEI_TIMEZONE), people's and units' names, readable values."""
    limit = int(command.args) if command.args and command.args.isdigit() else 20
    entries = await accounts.recent_audit(session, min(max(limit, 1), 50))
    if not entries:
        await message.answer(_("The audit log is empty."))
        return
    ids = {e.actor_id for e in entries if e.actor_id}
    ids |= {
        int(e.target) for e in entries if e.target and e.target.lstrip("-").isdigit() and e.action.startswith("role.")
    }
    names = {}
    for user_id in ids:
        person = await accounts.get_user(session, user_id)
        if person is not None:
            names[user_id] = person.display_name or str(user_id)
    lines = [_("<b>Audit log</b> (newest first, {zone})").format(zone=escape(settings.timezone))]
    lines += [audit_line(user.language, e, settings.tz, names) for e in entries]
    await message.answer("\n".join(lines))


async def not_allowed(message: Message, user: UserInfo) -> None:
    log.info("user %s tried staff command %s", user.id if user else None, message.text)
    await message.answer(_("⛔ This command is for staff only."))


def build() -> Router:
    router = Router(name=__name__)
    staff = Router(name=__name__ + ".admins")
    staff.message.filter(HasRole(Role.ADMIN))
    staff.message.register(grant_role, Command("grant"))
    staff.message.register(revoke_role, Command("revoke"))
    staff.message.register(list_staff, Command("staff"))
    staff.message.register(show_audit, Command("audit"))
    # Everyone else gets a clear refusal instead of "unknown command".
    denied = Router(name=__name__ + ".denied")
    denied.message.register(not_allowed, Command(*ADMIN_COMMANDS))
    router.include_routers(staff, denied)
    return router
