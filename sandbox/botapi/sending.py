"""Bot API: sending messages (text, photos, documents, albums, places), copies and forwards."""

from __future__ import annotations

from typing import Any

from ..formatting import EntityParseError, parse_text, utf16_len
from ..world import StoredMessage
from .core import MAX_CAPTION, MAX_TEXT, BotApi, method
from .params import Params, bad


@method("sendMessage")
async def send_message(api: BotApi, p: Params) -> Any:
    chat = api.writable_chat(p)
    text, entities = api.text_and_entities(p, "text", MAX_TEXT, required=True)
    inline, reply_kb, remove = api.markup(p, chat)
    content: dict[str, Any] = {**api.reply_part(p, chat), "text": text}
    if entities:
        content["entities"] = entities
    lpo = p.json("link_preview_options")
    if isinstance(lpo, dict) and lpo:
        content["link_preview_options"] = lpo
    api.flood_check(chat)
    return api.publish(chat, content, p, inline, reply_kb, remove).data


def _send_file(api: BotApi, p: Params, field: str, resolve) -> Any:
    """sendPhoto and sendDocument: a file (upload or file_id) with an optional caption."""
    chat = api.writable_chat(p)
    caption, cap_entities = api.text_and_entities(p, "caption", MAX_CAPTION, required=False)
    inline, reply_kb, remove = api.markup(p, chat)
    if not p.has(field):
        raise bad(f"there is no {field} in the request")
    reply = api.reply_part(p, chat)
    api.flood_check(chat)
    content: dict[str, Any] = {**reply, field: resolve(p, p.raw(field))}
    if caption:
        content["caption"] = caption
        if cap_entities:
            content["caption_entities"] = cap_entities
    return api.publish(chat, content, p, inline, reply_kb, remove).data


@method("sendPhoto")
async def send_photo(api: BotApi, p: Params) -> Any:
    return _send_file(api, p, "photo", api.resolve_photo)


@method("sendDocument")
async def send_document(api: BotApi, p: Params) -> Any:
    return _send_file(api, p, "document", api.resolve_document)


@method("sendMediaGroup")
async def send_media_group(api: BotApi, p: Params) -> Any:
    chat = api.writable_chat(p)
    media = p.json("media")
    if not isinstance(media, list) or not (2 <= len(media) <= 10):
        raise bad("wrong number of messages in the album" if isinstance(media, list) else "media is empty")
    reply = api.reply_part(p, chat)
    prepared = []
    for item in media:
        kind = item.get("type")
        if kind not in ("photo", "document"):
            raise bad(f"unsupported media type {kind!r} in the sandbox")
        cap_raw = item.get("caption")
        caption: str | None = None
        ents: list[dict[str, Any]] = []
        if cap_raw:
            try:
                caption, ents = parse_text(
                    cap_raw, item.get("parse_mode") or p.str("parse_mode"), item.get("caption_entities")
                )
            except EntityParseError as exc:
                raise bad(str(exc)) from None
            if utf16_len(caption) > MAX_CAPTION:
                raise bad("message caption is too long")
        prepared.append((kind, item.get("media"), caption, ents))
    api.flood_check(chat, count=len(prepared))
    group_id = api.world.next_media_group_id()
    out = []
    for kind, media_ref, caption, ents in prepared:
        content: dict[str, Any] = {**reply, "media_group_id": group_id}
        if kind == "photo":
            content["photo"] = api.resolve_photo(p, media_ref)
        else:
            content["document"] = api.resolve_document(p, media_ref)
        if caption:
            content["caption"] = caption
            if ents:
                content["caption_entities"] = ents
        out.append(api.publish(chat, content, p, None, None, False).data)
    return out


@method("sendLocation")
async def send_location(api: BotApi, p: Params) -> Any:
    chat = api.writable_chat(p)
    lat, lon = p.float("latitude", True), p.float("longitude", True)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise bad("wrong latitude/longitude")
    inline, reply_kb, remove = api.markup(p, chat)
    reply = api.reply_part(p, chat)
    api.flood_check(chat)
    content = {**reply, "location": {"latitude": lat, "longitude": lon}}
    return api.publish(chat, content, p, inline, reply_kb, remove).data


@method("sendVenue")
async def send_venue(api: BotApi, p: Params) -> Any:
    chat = api.writable_chat(p)
    lat, lon = p.float("latitude", True), p.float("longitude", True)
    title, address = p.str("title", True), p.str("address", True)
    inline, reply_kb, remove = api.markup(p, chat)
    reply = api.reply_part(p, chat)
    api.flood_check(chat)
    loc = {"latitude": lat, "longitude": lon}
    content = {**reply, "location": loc, "venue": {"location": loc, "title": title, "address": address}}
    return api.publish(chat, content, p, inline, reply_kb, remove).data


@method("sendChatAction")
async def send_chat_action(api: BotApi, p: Params) -> Any:
    chat = api.writable_chat(p)
    action = p.str("action", True)
    api.world.emit({"event": "action", "chat_id": chat.id, "action": action})
    return True


def _copy_content(src: StoredMessage) -> dict[str, Any]:
    keep = ("text", "entities", "photo", "document", "caption", "caption_entities", "location", "venue", "contact")
    return {k: v for k, v in src.data.items() if k in keep}


@method("copyMessage")
async def copy_message(api: BotApi, p: Params) -> Any:
    chat = api.writable_chat(p)
    src_chat = api.chat(p, "from_chat_id")
    src = api.message(src_chat, p.int("message_id", True), "message to copy not found")
    inline, reply_kb, remove = api.markup(p, chat)
    content = {**api.reply_part(p, chat), **_copy_content(src)}
    if p.has("caption"):
        caption, ents = api.text_and_entities(p, "caption", MAX_CAPTION, required=False)
        content["caption"] = caption
        content.pop("caption_entities", None)
        if ents:
            content["caption_entities"] = ents
    api.flood_check(chat)
    msg = api.publish(chat, content, p, inline, reply_kb, remove)
    return {"message_id": msg.message_id}


@method("forwardMessage")
async def forward_message(api: BotApi, p: Params) -> Any:
    chat = api.writable_chat(p)
    src_chat = api.chat(p, "from_chat_id")
    src = api.message(src_chat, p.int("message_id", True), "message to forward not found")
    content = _copy_content(src)
    sender = src.data.get("from") or api.world.bot
    content["forward_origin"] = {"type": "user", "date": src.data["date"], "sender_user": sender}
    api.flood_check(chat)
    return api.publish(chat, content, p, None, None, False).data
