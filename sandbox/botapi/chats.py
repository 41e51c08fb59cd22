"""Bot API: files, chats and their members."""

from __future__ import annotations

from typing import Any

from .core import BotApi, method
from .params import Params, bad


@method("getFile")
async def get_file(api: BotApi, p: Params) -> Any:
    f = api.world.files.get(p.str("file_id", True) or "")
    if f is None:
        raise bad("wrong file_id or the file is temporarily unavailable")
    if len(f.data) > api.flood.limits.max_download_bytes:
        raise bad("file is too big")
    return f.to_api(with_path=True)


@method("getChat")
async def get_chat(api: BotApi, p: Params) -> Any:
    chat = api.chat(p)
    d = chat.to_api()
    d.update(
        accent_color_id=0,
        max_reaction_count=11,
        accepted_gift_types={
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    )
    return d


@method("getChatMember")
async def get_chat_member(api: BotApi, p: Params) -> Any:
    chat = api.chat(p)
    try:
        return api.world.chat_member(chat, p.int("user_id", True) or 0)
    except KeyError:
        raise bad("user not found") from None


@method("getChatAdministrators")
async def get_chat_administrators(api: BotApi, p: Params) -> Any:
    chat = api.chat(p)
    out = [api.world.chat_member(chat, uid) for uid in chat.members if uid in chat.admins]
    if chat.bot_is_admin:
        out.append(api.world.chat_member(chat, api.world.bot["id"]))
    return out


@method("getChatMemberCount")
async def get_chat_member_count(api: BotApi, p: Params) -> Any:
    chat = api.chat(p)
    return len(chat.members) + 1 if chat.is_group else 2


@method("leaveChat")
async def leave_chat(api: BotApi, p: Params) -> Any:
    chat = api.chat(p)
    if chat.is_group:
        chat.bot_is_member = False
        api.world.emit({"event": "state"})
    return True
