"""/dashboard: a one-time sign-in link to the staff dashboard (``bot/dashboard``).

Private chats only (the link opens a session for whoever follows it); admins and unit handlers
only. The link expires in ten minutes and works once; its issue is audited. Link previews are off,
so Telegram's preview fetcher never touches the link (and the sign-in page needs a button press
anyway, a POST, to spend it).
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command
from aiogram.types import LinkPreviewOptions, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from core import accounts, web_sessions
from core.accounts import Roles, UserInfo
from core.clock import Clock
from core.models import Role


def may_use_dashboard(roles: Roles) -> bool:
    return roles.has(Role.ADMIN) or bool(roles.units())


async def dashboard_link(
    message: Message, session: AsyncSession, user: UserInfo, roles: Roles, settings: Settings, clock: Clock
) -> None:
    if not may_use_dashboard(roles):
        await message.answer(_("The dashboard is for the programme office and the units' handlers."))
        return
    token = await web_sessions.issue_link(session, user.id, clock())
    await accounts.audit(session, user.id, "dashboard.link")
    url = f"{settings.public_url}/dashboard/login?t={token}&lang={user.language}"
    await message.answer(
        _("Your sign-in link to the dashboard (works once, for 10 minutes; do not forward it):\n{url}").format(url=url),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


def build() -> Router:
    router = Router(name=__name__)
    router.message.register(dashboard_link, Command("dashboard"), F.chat.type == ChatType.PRIVATE)
    return router
