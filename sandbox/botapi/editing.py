"""Bot API: editing and deleting messages."""

from __future__ import annotations

import time
from typing import Any

from ..world import Chat, StoredMessage
from .core import MAX_CAPTION, MAX_TEXT, BotApi, method
from .params import Params, bad


def _edit_target(api: BotApi, p: Params) -> tuple[Chat, StoredMessage]:
    if p.has("inline_message_id"):
        raise bad("inline messages are not modelled by the sandbox")
    chat = api.chat(p)
    msg = api.message(chat, p.int("message_id", True), "message to edit not found")
    if not msg.from_bot:
        raise bad("message can't be edited")
    return chat, msg


def _apply_edit(api: BotApi, chat: Chat, msg: StoredMessage, changes: dict[str, Any], drop: tuple[str, ...]) -> Any:
    new = {k: v for k, v in msg.data.items() if k not in drop and k != "edit_date"}
    new.update(changes)
    old_cmp = {k: v for k, v in msg.data.items() if k != "edit_date"}
    if new == old_cmp:
        raise bad(
            "message is not modified: specified new message content and reply markup are "
            "exactly the same as a current content and reply markup of the message"
        )
    new["edit_date"] = int(time.time())
    msg.data = new
    api.world.emit({"event": "edit", "chat_id": chat.id, "message": new})
    return new


@method("editMessageText")
async def edit_message_text(api: BotApi, p: Params) -> Any:
    chat, msg = _edit_target(api, p)
    if "text" not in msg.data:
        raise bad("there is no text in the message to edit")
    text, entities = api.text_and_entities(p, "text", MAX_TEXT, required=True)
    inline, _, _ = api.markup(p, chat, inline_only=True)
    changes: dict[str, Any] = {"text": text}
    if entities:
        changes["entities"] = entities
    if inline:
        changes["reply_markup"] = inline
    return _apply_edit(api, chat, msg, changes, ("entities", "reply_markup"))


@method("editMessageCaption")
async def edit_message_caption(api: BotApi, p: Params) -> Any:
    chat, msg = _edit_target(api, p)
    if "text" in msg.data:
        raise bad("there is no caption in the message to edit")
    caption, entities = api.text_and_entities(p, "caption", MAX_CAPTION, required=False)
    inline, _, _ = api.markup(p, chat, inline_only=True)
    changes: dict[str, Any] = {}
    if caption:
        changes["caption"] = caption
        if entities:
            changes["caption_entities"] = entities
    if inline:
        changes["reply_markup"] = inline
    return _apply_edit(api, chat, msg, changes, ("caption", "caption_entities", "reply_markup"))


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(api: BotApi, p: Params) -> Any:
    chat, msg = _edit_target(api, p)
    inline, _, _ = api.markup(p, chat, inline_only=True)
    changes = {"reply_markup": inline} if inline else {}
    return _apply_edit(api, chat, msg, changes, ("reply_markup",))


@method("deleteMessage")
async def delete_message(api: BotApi, p: Params) -> Any:
    chat = api.chat(p)
    msg = api.message(chat, p.int("message_id", True), "message to delete not found")
    if not msg.from_bot and chat.is_group and not chat.bot_is_admin:
        raise bad("message can't be deleted")
    msg.deleted = True
    api.world.emit({"event": "delete", "chat_id": chat.id, "message_id": msg.message_id})
    return True


@method("deleteMessages")
async def delete_messages(api: BotApi, p: Params) -> Any:
    chat = api.chat(p)
    ids = p.json("message_ids") or []
    for mid in ids:
        msg = chat.messages.get(int(mid))
        if msg and not msg.deleted:
            msg.deleted = True
            api.world.emit({"event": "delete", "chat_id": chat.id, "message_id": msg.message_id})
    return True
