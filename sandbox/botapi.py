"""Bot API methods of the sandbox. Each handler takes parsed ``Params`` and returns the result
object (JSON-ready) or raises ``ApiError`` with Telegram's status code and wording."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.web import FileField

from .formatting import EntityParseError, parse_text, utf16_len
from .limits import FloodControl
from .world import Chat, SandboxError, StoredMessage, World

MAX_TEXT = 4096
MAX_CAPTION = 1024
CALLBACK_TTL = 15 * 60


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            d["parameters"] = {"retry_after": self.retry_after}
        return d


def bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


class Params:
    """Request parameters as aiogram sends them: strings, JSON-encoded objects, attached files."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields

    def raw(self, name: str) -> Any:
        return self.fields.get(name)

    def has(self, name: str) -> bool:
        return self.fields.get(name) not in (None, "")

    def str(self, name: str, required: bool = False) -> str | None:
        v = self.fields.get(name)
        if v is None:
            if required:
                raise bad(f"{name} is empty" if name != "text" else "message text is empty")
            return None
        return v if isinstance(v, str) else json.dumps(v) if not isinstance(v, (int, float)) else str(v)

    def int(self, name: str, required: bool = False, default: int | None = None) -> int | None:
        v = self.fields.get(name)
        if v in (None, ""):
            if required:
                raise bad(f"{name} is empty" if name != "chat_id" else "chat_id is empty")
            return default
        try:
            return int(v)
        except (TypeError, ValueError):
            if name == "chat_id":
                raise bad("chat not found") from None
            raise bad(f"invalid {name} specified") from None

    def float(self, name: str, required: bool = False) -> float | None:
        v = self.fields.get(name)
        if v in (None, ""):
            if required:
                raise bad(f"{name} is empty")
            return None
        try:
            return float(v)
        except (TypeError, ValueError):
            raise bad(f"invalid {name} specified") from None

    def bool(self, name: str) -> bool:
        v = self.fields.get(name)
        if isinstance(v, bool):
            return v
        return str(v).lower() in ("true", "1") if v is not None else False

    def json(self, name: str) -> Any:
        v = self.fields.get(name)
        if v is None or v == "":
            return None
        if isinstance(v, (dict, list)):
            return v
        try:
            return json.loads(v)
        except (TypeError, ValueError):
            raise bad(f"can't parse {name} JSON object") from None

    def file(self, value: Any) -> tuple[str, Any]:
        """Resolve an InputFile field: ("upload", (bytes, filename, content_type)) or ("file_id", str)."""
        if isinstance(value, FileField):
            return "upload", (value.file.read(), value.filename, value.content_type)
        if isinstance(value, (bytes, bytearray)):
            return "upload", (bytes(value), None, None)
        if isinstance(value, str) and value.startswith("attach://"):
            att = self.fields.get(value[len("attach://"):])
            if not isinstance(att, (FileField, bytes, bytearray)):
                raise bad("wrong file identifier/HTTP URL specified")
            return self.file(att)
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            # The sandbox has no internet access, like our machines.
            raise bad("failed to get HTTP URL content")
        if isinstance(value, str) and value:
            return "file_id", value
        raise bad("there is no photo in the request")


Handler = Callable[["BotApi", Params], Awaitable[Any]]
METHODS: dict[str, Handler] = {}
# Methods that are accepted and answered with True without any modelled effect.
ACCEPT_TRUE = {
    "setmydescription", "setmyshortdescription", "setmyname", "setchatmenubutton",
    "setmydefaultadministratorrights", "pinchatmessage", "unpinchatmessage",
    "unpinallchatmessages", "setmessagereaction", "close", "logout",
}


def method(name: str) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        METHODS[name.lower()] = fn
        return fn
    return deco


SEND_METHODS = {"sendmessage", "sendphoto", "senddocument", "sendmediagroup", "sendlocation",
                "sendvenue", "copymessage", "forwardmessage", "sendcontact"}


class BotApi:
    def __init__(self, world: World, flood: FloodControl) -> None:
        self.world = world
        self.flood = flood
        self.closing = False
        self.poll_generation = 0
        self.require_start = True

    async def call(self, name: str, params: Params) -> Any:
        handler = METHODS.get(name.lower())
        if handler is None:
            if name.lower() in ACCEPT_TRUE:
                return True
            raise ApiError(404, "Not Found")
        return await handler(self, params)

    # ------------------------------------------------------------ helpers
    def chat(self, params: Params, name: str = "chat_id") -> Chat:
        raw = params.raw(name)
        if raw in (None, ""):
            raise bad("chat_id is empty")
        if isinstance(raw, str) and raw.startswith("@"):
            raise bad("chat not found")
        chat = self.world.chats.get(params.int(name))
        if chat is None:
            raise bad("chat not found")
        if chat.is_group and not chat.bot_is_member:
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")
        return chat

    def writable_chat(self, params: Params) -> Chat:
        chat = self.chat(params)
        user = chat.user
        if chat.type == "private" and user is not None:
            if user.blocked_bot:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if self.require_start and not user.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    def flood_check(self, chat: Chat, count: int = 1) -> None:
        wait = self.flood.check(chat.id, chat.is_group, count)
        if wait:
            raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)

    def message(self, chat: Chat, message_id: int | None, missing: str) -> StoredMessage:
        msg = chat.messages.get(message_id or 0)
        if msg is None or msg.deleted:
            raise bad(missing)
        return msg

    def text_and_entities(self, params: Params, key: str, limit: int,
                          required: bool) -> tuple[str | None, list[dict[str, Any]]]:
        raw = params.str(key)
        if raw is None or raw == "":
            if required:
                raise bad("message text is empty")
            return None, []
        ent_key = "entities" if key == "text" else "caption_entities"
        try:
            text, entities = parse_text(raw, params.str("parse_mode"), params.json(ent_key))
        except EntityParseError as exc:
            raise bad(str(exc)) from None
        if required and not text.strip():
            raise bad("message text is empty")
        if utf16_len(text) > limit:
            raise bad("message is too long" if key == "text" else "message caption is too long")
        return text, entities

    def markup(self, params: Params, chat: Chat, inline_only: bool = False) -> tuple[dict | None, dict | None, bool]:
        """Return (inline markup for the Message, reply keyboard for the chat, remove_keyboard)."""
        rm = params.json("reply_markup")
        if not rm:
            return None, None, False
        if not isinstance(rm, dict):
            raise bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in rm:
            rows = rm["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
            for row in rows:
                for b in row:
                    if not isinstance(b, dict) or not b.get("text"):
                        raise bad("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
                    data = b.get("callback_data")
                    if data is not None and not (1 <= len(str(data).encode()) <= 64):
                        raise bad("BUTTON_DATA_INVALID")
                    if not any(k in b for k in ("callback_data", "url", "switch_inline_query",
                                                 "switch_inline_query_current_chat", "web_app",
                                                 "login_url", "pay", "callback_game", "copy_text",
                                                 "switch_inline_query_chosen_chat")):
                        raise bad("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
            rows = [[b for b in row] for row in rows if row]
            return {"inline_keyboard": rows}, None, False
        if inline_only:
            raise bad("inline keyboard expected")
        if "keyboard" in rm:
            for row in rm["keyboard"]:
                for b in row:
                    if isinstance(b, dict) and b.get("request_location") and chat.is_group:
                        raise bad("KEYBOARD_BUTTON_REQUEST_LOCATION_INVALID")
            return None, rm, False
        if rm.get("remove_keyboard"):
            return None, None, True
        return None, None, False  # force_reply: nothing to model

    def reply_part(self, params: Params, chat: Chat) -> dict[str, Any]:
        rp = params.json("reply_parameters")
        target_id = None
        allow_missing = params.bool("allow_sending_without_reply")
        if isinstance(rp, dict):
            target_id = rp.get("message_id")
            allow_missing = allow_missing or bool(rp.get("allow_sending_without_reply"))
            if rp.get("chat_id") not in (None, chat.id, str(chat.id)):
                target_chat = self.world.chats.get(int(rp["chat_id"]))
                if target_chat is None:
                    raise bad("chat not found")
        elif params.has("reply_to_message_id"):
            target_id = params.int("reply_to_message_id")
        if target_id is None:
            return {}
        target = chat.messages.get(int(target_id))
        if target is None or target.deleted:
            if allow_missing:
                return {}
            raise bad("message to be replied not found")
        return {"reply_to_message": {k: v for k, v in target.data.items() if k != "reply_to_message"}}

    def publish(self, chat: Chat, content: dict[str, Any], params: Params,
                inline: dict | None, reply_kb: dict | None, remove: bool) -> StoredMessage:
        if inline:
            content["reply_markup"] = inline
        msg = self.world.new_message(chat, dict(self.world.bot), content, from_bot=True,
                                     reply_keyboard=reply_kb)
        if reply_kb is not None or remove:
            chat.reply_keyboard = reply_kb
            self.world.emit({"event": "keyboard", "chat_id": chat.id, "keyboard": reply_kb})
        self.world.emit({"event": "message", "chat_id": chat.id, "message": msg.data, "from_bot": True,
                         "reply_keyboard": reply_kb})
        return msg

    def resolve_photo(self, params: Params, value: Any) -> list[dict[str, Any]]:
        kind, v = params.file(value)
        if kind == "upload":
            try:
                return self.world.store_photo(v[0])
            except SandboxError:
                raise bad("IMAGE_PROCESS_FAILED") from None
        sizes = self.world.photo_sets.get(v)
        if sizes is None:  # unknown, or not a photo
            raise bad("wrong file identifier/HTTP URL specified")
        return [dict(d) for d in sizes]

    def resolve_document(self, params: Params, value: Any) -> dict[str, Any]:
        kind, v = params.file(value)
        if kind == "upload":
            data, filename, ctype = v
            if ctype == "application/octet-stream":
                ctype = None
            return self.world.store_document(data, filename, ctype)
        f = self.world.files.get(v)
        if f is None:
            raise bad("wrong file identifier/HTTP URL specified")
        d = f.to_api()
        d.update(file_name=f.file_name or f.file_path.rsplit("/", 1)[-1],
                 mime_type=f.mime_type or "application/octet-stream")
        return d


# ---------------------------------------------------------------- methods
@method("getMe")
async def get_me(api: BotApi, p: Params) -> Any:
    return {**api.world.bot, "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": True, "can_connect_to_business": False,
            "has_main_web_app": False}


@method("getUpdates")
async def get_updates(api: BotApi, p: Params) -> Any:
    if api.world.webhook_url:
        raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                            "use deleteWebhook to delete the webhook first")
    offset = p.int("offset")
    limit = max(1, min(100, p.int("limit", default=100) or 100))
    timeout = max(0, p.int("timeout", default=0) or 0)
    allowed = p.json("allowed_updates")
    deadline = time.monotonic() + timeout
    api.poll_generation += 1
    generation = api.poll_generation
    api.world._wake_pollers()
    while True:
        if generation != api.poll_generation:
            # Telegram ends the older of two concurrent long polls like this.
            raise ApiError(409, "Conflict: terminated by other getUpdates request; "
                                "make sure that only one bot instance is running")
        updates = api.world.take_updates(offset, limit, allowed)
        allowed = None
        remaining = deadline - time.monotonic()
        if updates or remaining <= 0 or api.closing:
            return updates
        await api.world.wait_for_update(remaining)


@method("deleteWebhook")
async def delete_webhook(api: BotApi, p: Params) -> Any:
    api.world.webhook_url = ""
    if p.bool("drop_pending_updates"):
        api.world.updates.clear()
    return True


@method("setWebhook")
async def set_webhook(api: BotApi, p: Params) -> Any:
    api.world.webhook_url = p.str("url") or ""
    return True


@method("getWebhookInfo")
async def get_webhook_info(api: BotApi, p: Params) -> Any:
    return {"url": api.world.webhook_url, "has_custom_certificate": False,
            "pending_update_count": len(api.world.updates)}


def _scope_key(p: Params) -> str:
    scope = p.json("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True) + "|" + (p.str("language_code") or "")


@method("setMyCommands")
async def set_my_commands(api: BotApi, p: Params) -> Any:
    commands = p.json("commands")
    if not isinstance(commands, list):
        raise bad("commands is empty" if commands is None else "can't parse commands JSON object")
    for c in commands:
        cmd = str(c.get("command", ""))
        if not cmd or len(cmd) > 32 or not all(ch.islower() or ch.isdigit() or ch == "_" for ch in cmd):
            raise bad("BOT_COMMAND_INVALID")
        if not (1 <= len(str(c.get("description", ""))) <= 256):
            raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
    api.world.commands[_scope_key(p)] = commands
    api.world.emit({"event": "commands"})
    return True


@method("getMyCommands")
async def get_my_commands(api: BotApi, p: Params) -> Any:
    return api.world.commands.get(_scope_key(p), [])


@method("deleteMyCommands")
async def delete_my_commands(api: BotApi, p: Params) -> Any:
    api.world.commands.pop(_scope_key(p), None)
    return True


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
        raise bad("wrong number of messages in the album" if isinstance(media, list)
                  else "media is empty")
    reply = api.reply_part(p, chat)
    prepared = []
    for item in media:
        kind = item.get("type")
        if kind not in ("photo", "document"):
            raise bad(f"unsupported media type {kind!r} in the sandbox")
        cap_raw = item.get("caption")
        caption, ents = None, []
        if cap_raw:
            try:
                caption, ents = parse_text(cap_raw, item.get("parse_mode") or p.str("parse_mode"),
                                           item.get("caption_entities"))
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
    keep = ("text", "entities", "photo", "document", "caption", "caption_entities", "location",
            "venue", "contact")
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


def _edit_target(api: BotApi, p: Params) -> tuple[Chat, StoredMessage]:
    if p.has("inline_message_id"):
        raise bad("inline messages are not modelled by the sandbox")
    chat = api.chat(p)
    msg = api.message(chat, p.int("message_id", True), "message to edit not found")
    if not msg.from_bot:
        raise bad("message can't be edited")
    return chat, msg


def _apply_edit(api: BotApi, chat: Chat, msg: StoredMessage, changes: dict[str, Any],
                drop: tuple[str, ...]) -> Any:
    new = {k: v for k, v in msg.data.items() if k not in drop and k != "edit_date"}
    new.update(changes)
    old_cmp = {k: v for k, v in msg.data.items() if k != "edit_date"}
    if new == old_cmp:
        raise bad("message is not modified: specified new message content and reply markup are "
                  "exactly the same as a current content and reply markup of the message")
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


@method("answerCallbackQuery")
async def answer_callback_query(api: BotApi, p: Params) -> Any:
    qid = p.str("callback_query_id", True)
    cb = api.world.callbacks.get(qid or "")
    if cb is None or cb.answered or time.monotonic() - cb.created > CALLBACK_TTL:
        raise bad("query is too old and response timeout expired or query ID is invalid")
    text = p.str("text") or ""
    if len(text) > 200:
        raise bad("MESSAGE_TOO_LONG")
    cb.answered = True
    api.world.emit({"event": "callback_answer", "callback_query_id": qid, "user_id": cb.user_id,
                    "chat_id": cb.chat_id, "message_id": cb.message_id, "text": text,
                    "show_alert": p.bool("show_alert"), "url": p.str("url")})
    return True


@method("answerInlineQuery")
async def answer_inline_query(api: BotApi, p: Params) -> Any:
    qid = p.str("inline_query_id", True)
    q = api.world.inline_queries.get(qid or "")
    if q is None or q["results"] is not None:
        raise bad("query is too old and response timeout expired or query ID is invalid")
    results = p.json("results")
    if not isinstance(results, list) or len(results) > 50:
        raise bad("RESULTS_TOO_MUCH" if isinstance(results, list) else "results is empty")
    q["results"] = results
    api.world.emit({"event": "inline_results", "inline_query_id": qid, "user_id": q["user_id"],
                    "results": results})
    return True


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
    d.update(accent_color_id=0, max_reaction_count=11,
             accepted_gift_types={"unlimited_gifts": False, "limited_gifts": False,
                                  "unique_gifts": False, "premium_subscription": False,
                                  "gifts_from_channels": False})
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
