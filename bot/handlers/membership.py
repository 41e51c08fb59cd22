"""The bot blocked or unblocked in a private chat (``my_chat_member``)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import KICKED, MEMBER, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated
from sqlmodel.ext.asyncio.session import AsyncSession

from core import accounts


async def blocked(event: ChatMemberUpdated, session: AsyncSession) -> None:
    await accounts.set_blocked(session, event.from_user.id, True)


async def unblocked(event: ChatMemberUpdated, session: AsyncSession) -> None:
    await accounts.set_blocked(session, event.from_user.id, False)


def build() -> Router:
    router = Router(name=__name__)
    router.my_chat_member.filter(F.chat.type == ChatType.PRIVATE)
    router.my_chat_member.register(blocked, ChatMemberUpdatedFilter(member_status_changed=KICKED))
    router.my_chat_member.register(unblocked, ChatMemberUpdatedFilter(member_status_changed=MEMBER))
    return router
