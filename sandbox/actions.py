"""What the virtual people do: write, send photos, documents, places and contacts, press inline
buttons, ask and pick inline results. Each action is checked as Telegram would check it
(``SandboxError`` otherwise), stored, shown in the web chat and queued for the bot."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from .formatting import command_entities
from .model import Chat, PendingCallback, SandboxError, StoredMessage, VirtualUser, now


class UserActions:
    """Mixed into World: the people's side of the conversation."""

    # World's state and methods used here (declared for the type checker; World defines them)
    bot: dict[str, Any]
    chats: dict[int, Chat]
    callbacks: dict[str, PendingCallback]
    inline_queries: dict[str, dict[str, Any]]

    if TYPE_CHECKING:

        def emit(self, event: dict[str, Any]) -> None: ...
        def push_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]: ...
        def next_media_group_id(self) -> str: ...
        def store_photo(self, data: bytes) -> list[dict[str, Any]]: ...
        def store_document(
            self, data: bytes, file_name: str | None, mime_type: str | None = None
        ) -> dict[str, Any]: ...

    def new_message(
        self,
        chat: Chat,
        sender: dict[str, Any],
        content: dict[str, Any],
        from_bot: bool,
        reply_keyboard: dict[str, Any] | None = None,
    ) -> StoredMessage:
        data = {"message_id": chat.next_message_id, "from": sender, "chat": chat.to_api(), "date": now(), **content}
        chat.next_message_id += 1
        stored = StoredMessage(data=data, from_bot=from_bot, reply_keyboard=reply_keyboard)
        chat.messages[data["message_id"]] = stored
        return stored

    def _new_user_message(self, user: VirtualUser, chat: Chat, content: dict[str, Any]) -> StoredMessage:
        if chat.type == "private" and chat.id != user.id:
            raise SandboxError("a user can only write in their own private chat with the bot")
        if chat.is_group and user.id not in chat.members:
            raise SandboxError(f"{user.full_name} is not a member of {chat.title}")
        if chat.type == "private" and user.blocked_bot:
            raise SandboxError("the user has blocked the bot; unblock it first")
        if chat.type == "private":
            user.started = True
        return self.new_message(chat, user.to_api(), content, from_bot=False)

    def _deliver_user_message(self, chat: Chat, msg: StoredMessage) -> None:
        self.emit({"event": "message", "chat_id": chat.id, "message": msg.data, "from_bot": False})
        if chat.is_group and not self._bot_sees(chat, msg.data):
            return
        self.push_update("message", msg.data)

    def _bot_sees(self, chat: Chat, data: dict[str, Any]) -> bool:
        """Privacy mode: a non-admin bot in a group only sees commands, replies to it, service messages."""
        if chat.bot_is_admin:
            return True
        text = data.get("text") or ""
        reply = data.get("reply_to_message") or {}
        return (
            text.startswith("/")
            or (reply.get("from") or {}).get("id") == self.bot["id"]
            or "new_chat_members" in data
            or "left_chat_member" in data
        )

    def _reply_part(self, chat: Chat, reply_to: int | None) -> dict[str, Any]:
        if reply_to is None:
            return {}
        target = chat.messages.get(reply_to)
        if target is None or target.deleted:
            raise SandboxError("message to be replied not found")
        inner = {k: v for k, v in target.data.items() if k != "reply_to_message"}
        return {"reply_to_message": inner}

    def user_text(self, user: VirtualUser, chat: Chat, text: str, reply_to: int | None = None) -> StoredMessage:
        if not text.strip():
            raise SandboxError("message text is empty")
        content: dict[str, Any] = {**self._reply_part(chat, reply_to), "text": text}
        ents = command_entities(text)
        if ents:
            content["entities"] = ents
        msg = self._new_user_message(user, chat, content)
        self._deliver_user_message(chat, msg)
        return msg

    def user_photos(
        self, user: VirtualUser, chat: Chat, images: list[bytes], caption: str | None = None
    ) -> list[StoredMessage]:
        """One photo, or an album (several messages sharing a media_group_id)."""
        if not images:
            raise SandboxError("no photo")
        if len(images) > 10:
            raise SandboxError("an album holds at most 10 items")
        group_id = self.next_media_group_id() if len(images) > 1 else None
        sizes = [self.store_photo(b) for b in images]
        out = []
        for i, photo in enumerate(sizes):
            content: dict[str, Any] = {"photo": photo}
            if group_id:
                content["media_group_id"] = group_id
            if caption and i == 0:
                content["caption"] = caption
            out.append(self._new_user_message(user, chat, content))
        for msg in out:
            self._deliver_user_message(chat, msg)
        return out

    def user_document(
        self,
        user: VirtualUser,
        chat: Chat,
        data: bytes,
        file_name: str,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> StoredMessage:
        content: dict[str, Any] = {"document": self.store_document(data, file_name, mime_type)}
        if caption:
            content["caption"] = caption
        msg = self._new_user_message(user, chat, content)
        self._deliver_user_message(chat, msg)
        return msg

    def user_location(
        self,
        user: VirtualUser,
        chat: Chat,
        latitude: float,
        longitude: float,
        title: str | None = None,
        address: str | None = None,
    ) -> StoredMessage:
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise SandboxError("invalid coordinates")
        loc = {"latitude": float(latitude), "longitude": float(longitude)}
        content: dict[str, Any] = {"location": loc}
        if title:
            content["venue"] = {"location": loc, "title": title, "address": address or ""}
        msg = self._new_user_message(user, chat, content)
        self._deliver_user_message(chat, msg)
        return msg

    def user_contact(self, user: VirtualUser, chat: Chat) -> StoredMessage:
        content = {
            "contact": {"phone_number": user.phone_number or "", "first_name": user.first_name, "user_id": user.id}
        }
        msg = self._new_user_message(user, chat, content)
        self._deliver_user_message(chat, msg)
        return msg

    def user_callback(self, user: VirtualUser, chat: Chat, message_id: int, data: str) -> PendingCallback:
        target = chat.messages.get(message_id)
        if target is None or target.deleted:
            raise SandboxError("message not found")
        if chat.is_group and user.id not in chat.members:
            raise SandboxError("not a member of this chat")
        buttons = [b for row in (target.data.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]
        if not any(b.get("callback_data") == data for b in buttons):
            raise SandboxError("no inline button with this callback_data on the message")
        if chat.type == "private":
            user.started = True
        qid = str(secrets.randbits(62))
        cb = PendingCallback(qid, user.id, chat.id, message_id, data)
        self.callbacks[qid] = cb
        update = self.push_update(
            "callback_query",
            {
                "id": qid,
                "from": user.to_api(),
                "message": target.data,
                "chat_instance": str(abs(chat.id) * 7919 % 10**18),
                "data": data,
            },
        )
        cb.update_id = update["update_id"]
        return cb

    def user_inline_query(self, user: VirtualUser, query: str, chat: Chat | None = None) -> str:
        qid = str(secrets.randbits(62))
        self.inline_queries[qid] = {"user_id": user.id, "query": query, "results": None}
        payload: dict[str, Any] = {"id": qid, "from": user.to_api(), "query": query, "offset": ""}
        if chat is not None:
            payload["chat_type"] = "sender" if chat.type == "private" else chat.type
        self.push_update("inline_query", payload)
        return qid

    def user_choose_inline(self, user: VirtualUser, chat: Chat, inline_query_id: str, result_id: str) -> StoredMessage:
        """The user picks one of the bot's inline results: the message goes into the chat from the
        user, marked ``via_bot``, with the text formatted as the bot asked."""
        q = self.inline_queries.get(inline_query_id)
        if q is None or q["user_id"] != user.id or q["results"] is None:
            raise SandboxError("no answered inline query with this id")
        content = (q.get("messages") or {}).get(str(result_id))
        if content is None:
            raise SandboxError("no inline result with this id, or its content is not modelled")
        content = {**content, "via_bot": dict(self.bot)}
        msg = self._new_user_message(user, chat, content)
        self._deliver_user_message(chat, msg)
        return msg

    def history(self, chat_id: int) -> list[StoredMessage]:
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        return [m for m in chat.messages.values() if not m.deleted]
