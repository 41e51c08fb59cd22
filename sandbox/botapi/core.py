"""The Bot API dispatcher: the method registry and the helpers the method groups share
(chat lookup, flood control, text + entities, reply markup, replies, publishing, files)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ..formatting import EntityParseError, parse_text, utf16_len
from ..limits import FloodControl
from ..world import Chat, SandboxError, StoredMessage, World
from .params import ApiError, Params, bad

MAX_TEXT = 4096
MAX_CAPTION = 1024

Handler = Callable[["BotApi", Params], Awaitable[Any]]
METHODS: dict[str, Handler] = {}
# Methods that are accepted and answered with True without any modelled effect.
ACCEPT_TRUE = {
    "setmydescription",
    "setmyshortdescription",
    "setmyname",
    "setchatmenubutton",
    "setmydefaultadministratorrights",
    "pinchatmessage",
    "unpinchatmessage",
    "unpinallchatmessages",
    "setmessagereaction",
    "close",
    "logout",
}


def method(name: str) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        METHODS[name.lower()] = fn
        return fn

    return deco


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
        chat = self.world.chats.get(params.int(name, True))  # (not empty: checked above)
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

    def text_and_entities(
        self, params: Params, key: str, limit: int, required: bool
    ) -> tuple[str | None, list[dict[str, Any]]]:
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
                        raise bad(
                            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                        )
                    data = b.get("callback_data")
                    if data is not None and not (1 <= len(str(data).encode()) <= 64):
                        raise bad("BUTTON_DATA_INVALID")
                    if not any(
                        k in b
                        for k in (
                            "callback_data",
                            "url",
                            "switch_inline_query",
                            "switch_inline_query_current_chat",
                            "web_app",
                            "login_url",
                            "pay",
                            "callback_game",
                            "copy_text",
                            "switch_inline_query_chosen_chat",
                        )
                    ):
                        raise bad(
                            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                        )
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

    def publish(
        self,
        chat: Chat,
        content: dict[str, Any],
        params: Params,
        inline: dict | None,
        reply_kb: dict | None,
        remove: bool,
    ) -> StoredMessage:
        if inline:
            content["reply_markup"] = inline
        msg = self.world.new_message(chat, dict(self.world.bot), content, from_bot=True, reply_keyboard=reply_kb)
        if reply_kb is not None or remove:
            chat.reply_keyboard = reply_kb
            self.world.emit({"event": "keyboard", "chat_id": chat.id, "keyboard": reply_kb})
        self.world.emit(
            {"event": "message", "chat_id": chat.id, "message": msg.data, "from_bot": True, "reply_keyboard": reply_kb}
        )
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
        d.update(
            file_name=f.file_name or f.file_path.rsplit("/", 1)[-1], mime_type=f.mime_type or "application/octet-stream"
        )
        return d
