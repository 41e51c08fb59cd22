"""The sandbox's state: the bot, virtual users and chats, messages, files and the update queue.

Everything here is synchronous and runs on the server's event loop; waiting (long polling,
live web chat, test driver) is done with asyncio events signalled from here.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import mimetypes
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageOps

from .formatting import command_entities

PHOTO_SIDES = (90, 320, 800, 1280)
# Telegram's default allowed_updates excludes these.
NOT_DEFAULT_UPDATES = {"chat_member", "message_reaction", "message_reaction_count"}


class SandboxError(ValueError):
    """A user action that Telegram itself would refuse (e.g. a non-image photo)."""


@dataclass
class VirtualUser:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "zh"
    phone_number: str | None = None
    blocked_bot: bool = False
    started: bool = False  # has written to the bot at least once (bots cannot start conversations)

    def to_api(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            d["last_name"] = self.last_name
        if self.username:
            d["username"] = self.username
        if self.language_code:
            d["language_code"] = self.language_code
        return d

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


@dataclass
class Chat:
    id: int
    type: str  # private | group | supergroup
    title: str | None = None
    user: VirtualUser | None = None  # the other party of a private chat
    members: list[int] = field(default_factory=list)
    admins: set[int] = field(default_factory=set)
    bot_is_admin: bool = True
    bot_is_member: bool = True
    next_message_id: int = 1
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    reply_keyboard: dict[str, Any] | None = None
    pinned: int | None = None

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    def to_api(self) -> dict[str, Any]:
        if self.type == "private" and self.user is not None:
            d: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.user.first_name}
            if self.user.last_name:
                d["last_name"] = self.user.last_name
            if self.user.username:
                d["username"] = self.user.username
            return d
        return {"id": self.id, "type": self.type, "title": self.title or ""}


@dataclass
class StoredMessage:
    data: dict[str, Any]  # exactly the Bot API Message object
    from_bot: bool
    reply_keyboard: dict[str, Any] | None = None  # reply keyboard sent with it (not part of Message)
    deleted: bool = False

    @property
    def message_id(self) -> int:
        return self.data["message_id"]

    @property
    def chat_id(self) -> int:
        return self.data["chat"]["id"]


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    mime_type: str | None = None
    file_name: str | None = None
    width: int | None = None
    height: int | None = None

    def to_api(self, with_path: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {"file_id": self.file_id, "file_unique_id": self.file_unique_id,
                             "file_size": len(self.data)}
        if with_path:
            d["file_path"] = self.file_path
        return d


@dataclass
class PendingCallback:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answered: bool = False
    created: float = field(default_factory=time.monotonic)
    update_id: int = 0  # the callback_query update that carried the press to the bot


class World:
    def __init__(self, bot_id: int, bot_first_name: str, bot_username: str) -> None:
        self.bot = {"id": bot_id, "is_bot": True, "first_name": bot_first_name,
                    "username": bot_username}
        self.users: dict[int, VirtualUser] = {}
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.photo_sets: dict[str, list[dict[str, Any]]] = {}  # any size's file_id -> all sizes
        self.callbacks: dict[str, PendingCallback] = {}
        self.inline_queries: dict[str, dict[str, Any]] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.updates: list[dict[str, Any]] = []
        # update_id -> how many getUpdates answers carried it (a bot that does not confirm an update
        # with the next offset, or loses the answer, gets it again): what the bot was handed.
        self.handed_out: dict[int, int] = {}
        self.allowed_updates: list[str] | None = None
        self.webhook_url = ""
        self._update_ids = itertools.count(1)
        self._user_ids = itertools.count(100001)
        self._group_ids = itertools.count(1)
        self._file_seq = itertools.count(1)
        self._media_groups = itertools.count(10**17)
        self._update_event = asyncio.Event()
        self._listeners: list[Callable[[dict[str, Any]], None]] = []

    # ---------------------------------------------------------------- events
    def add_listener(self, fn: Callable[[dict[str, Any]], None]) -> None:
        self._listeners.append(fn)

    def remove_listener(self, fn: Callable[[dict[str, Any]], None]) -> None:
        if fn in self._listeners:
            self._listeners.remove(fn)

    def emit(self, event: dict[str, Any]) -> None:
        for fn in list(self._listeners):
            fn(event)

    # ---------------------------------------------------------------- updates
    def push_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), kind: payload}
        self.updates.append(update)
        self._update_event.set()
        self.emit({"event": "update", "kind": kind, "update_id": update["update_id"]})
        return update

    def _wake_pollers(self) -> None:
        self._update_event.set()

    def take_updates(self, offset: int | None, limit: int,
                     allowed: list[str] | None) -> list[dict[str, Any]]:
        if allowed is not None:
            self.allowed_updates = allowed
        if offset is not None and offset != 0:
            if offset < 0:
                self.updates = self.updates[offset:]
            else:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
        wanted = self.allowed_updates
        out: list[dict[str, Any]] = []
        keep: list[dict[str, Any]] = []
        for u in self.updates:
            kind = next(k for k in u if k != "update_id")
            ok = (kind in wanted) if wanted else (kind not in NOT_DEFAULT_UPDATES)
            if ok:
                keep.append(u)
                if len(out) < limit:
                    out.append(u)
        self.updates = keep  # updates the bot did not ask for are dropped, as Telegram does
        for u in out:
            self.handed_out[u["update_id"]] = self.handed_out.get(u["update_id"], 0) + 1
        return out

    async def wait_for_update(self, timeout: float) -> None:
        # A fresh event per wait, so waking one poller (a new update, a newer poll) wakes all.
        event = self._update_event
        if event.is_set():
            event = self._update_event = asyncio.Event()
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            pass

    # ---------------------------------------------------------------- people
    def create_user(self, first_name: str, last_name: str | None = None, username: str | None = None,
                    language_code: str | None = "zh", user_id: int | None = None,
                    phone_number: str | None = None, started: bool = False) -> VirtualUser:
        uid = user_id if user_id is not None else next(self._user_ids)
        while user_id is None and uid in self.users:
            uid = next(self._user_ids)
        user = VirtualUser(uid, first_name, last_name, username, language_code,
                           phone_number or f"+86138{uid % 100000000:08d}", started=started)
        self.users[uid] = user
        self.chats[uid] = Chat(id=uid, type="private", user=user)
        self.emit({"event": "state"})
        return user

    def create_group(self, title: str, members: list[VirtualUser] | None = None,
                     bot_is_admin: bool = True, chat_id: int | None = None,
                     notify_bot: bool = True) -> Chat:
        cid = chat_id if chat_id is not None else -(10**12) - next(self._group_ids) - 1000000000000
        chat = Chat(id=cid, type="supergroup", title=title,
                    members=[m.id for m in members or []], bot_is_admin=bot_is_admin)
        if members:
            chat.admins.add(members[0].id)
        self.chats[cid] = chat
        if notify_bot:
            actor = members[0].to_api() if members else dict(self.bot)
            new_status = (self._bot_admin_member() if bot_is_admin
                          else {"status": "member", "user": dict(self.bot)})
            self.push_update("my_chat_member", {
                "chat": chat.to_api(), "from": actor, "date": _now(),
                "old_chat_member": {"status": "left", "user": dict(self.bot)},
                "new_chat_member": new_status,
            })
        self.emit({"event": "state"})
        return chat

    def add_member(self, chat: Chat, user: VirtualUser) -> None:
        if user.id not in chat.members:
            chat.members.append(user.id)
            msg = self._new_user_message(user, chat, {"new_chat_members": [user.to_api()]})
            self._deliver_user_message(chat, msg)
            self.emit({"event": "state"})

    def remove_bot(self, chat: Chat, by: VirtualUser | None = None, kicked: bool = True) -> None:
        """A member removes (kicks) the bot from a group: my_chat_member, and the bot loses access."""
        if not chat.is_group or not chat.bot_is_member:
            return
        old = self._bot_admin_member() if chat.bot_is_admin else {"status": "member", "user": dict(self.bot)}
        new = ({"status": "kicked", "user": dict(self.bot), "until_date": 0} if kicked
               else {"status": "left", "user": dict(self.bot)})
        chat.bot_is_member = False
        actor = by.to_api() if by else (self.users[chat.members[0]].to_api() if chat.members else dict(self.bot))
        self.push_update("my_chat_member", {"chat": chat.to_api(), "from": actor, "date": _now(),
                                            "old_chat_member": old, "new_chat_member": new})
        self.emit({"event": "state"})

    def _bot_admin_member(self) -> dict[str, Any]:
        flags = ("can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
                 "can_manage_video_chats", "can_restrict_members", "can_promote_members",
                 "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
                 "can_delete_stories", "can_send_welcome_messages")
        d: dict[str, Any] = {"status": "administrator", "user": dict(self.bot)}
        for f in flags:
            d[f] = f in ("can_manage_chat", "can_delete_messages", "can_invite_users")
        d["can_pin_messages"] = True
        return d

    def chat_member(self, chat: Chat, user_id: int) -> dict[str, Any]:
        if user_id == self.bot["id"]:
            return self._bot_admin_member() if chat.bot_is_admin else {
                "status": "member", "user": dict(self.bot)}
        user = self.users.get(user_id)
        if user is None:
            raise KeyError(user_id)
        if chat.type == "private":
            return {"status": "member", "user": user.to_api()}
        if user_id not in chat.members:
            return {"status": "left", "user": user.to_api()}
        if chat.admins and user_id == min(chat.admins, key=lambda u: chat.members.index(u)):
            return {"status": "creator", "user": user.to_api(), "is_anonymous": False}
        return {"status": "member", "user": user.to_api()}

    def set_blocked(self, user: VirtualUser, blocked: bool) -> None:
        if user.blocked_bot == blocked:
            return
        user.blocked_bot = blocked
        user.started = True
        member = {"status": "member", "user": dict(self.bot)}
        kicked = {"status": "kicked", "user": dict(self.bot), "until_date": 0}
        chat = self.chats[user.id]
        self.push_update("my_chat_member", {
            "chat": chat.to_api(), "from": user.to_api(), "date": _now(),
            "old_chat_member": member if blocked else kicked,
            "new_chat_member": kicked if blocked else member,
        })
        self.emit({"event": "blocked", "user_id": user.id, "blocked": blocked})
        self.emit({"event": "state"})

    # ---------------------------------------------------------------- files
    def store_file(self, data: bytes, kind: str, mime_type: str | None = None,
                   file_name: str | None = None, width: int | None = None,
                   height: int | None = None) -> StoredFile:
        n = next(self._file_seq)
        ext = (mimetypes.guess_extension(mime_type or "") or "") if mime_type else ""
        if file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1]
        if ext == ".jpe":
            ext = ".jpg"
        prefix = {"photo": "AgACAgUAAxkBAAI", "document": "BQACAgUAAxkBAAI"}.get(kind, "CAACAgUAAxkBAAI")
        f = StoredFile(
            file_id=f"{prefix}{n:05d}{secrets.token_urlsafe(24)}",
            file_unique_id=f"AQAD{n:04d}{secrets.token_urlsafe(6)}",
            data=data, file_path=f"{kind}s/file_{n}{ext}", mime_type=mime_type,
            file_name=file_name, width=width, height=height)
        self.files[f.file_id] = f
        self.files_by_path[f.file_path] = f
        return f

    def store_photo(self, data: bytes) -> list[dict[str, Any]]:
        """Re-encode an uploaded image as Telegram does (JPEG, EXIF dropped, several sizes)."""
        try:
            img = Image.open(io.BytesIO(data))
            img.load()
        except Exception as exc:
            raise SandboxError("IMAGE_PROCESS_FAILED") from exc
        img = ImageOps.exif_transpose(img).convert("RGB")
        sizes: list[dict[str, Any]] = []
        longest = max(img.size)
        sides = [s for s in PHOTO_SIDES if s < longest] + [min(longest, PHOTO_SIDES[-1])]
        for side in dict.fromkeys(sides):
            copy = img.copy()
            copy.thumbnail((side, side))
            buf = io.BytesIO()
            copy.save(buf, "JPEG", quality=85)
            f = self.store_file(buf.getvalue(), "photo", "image/jpeg",
                                width=copy.width, height=copy.height)
            d = f.to_api()
            d.update(width=copy.width, height=copy.height)
            sizes.append(d)
        for d in sizes:
            self.photo_sets[d["file_id"]] = sizes
        return sizes

    def store_document(self, data: bytes, file_name: str | None,
                       mime_type: str | None = None) -> dict[str, Any]:
        name = file_name or "file"
        mime = mime_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        f = self.store_file(data, "document", mime, file_name=name)
        d = f.to_api()
        d.update(file_name=name, mime_type=mime)
        return d

    def next_media_group_id(self) -> str:
        return str(next(self._media_groups))

    # ---------------------------------------------------------------- messages
    def new_message(self, chat: Chat, sender: dict[str, Any], content: dict[str, Any],
                    from_bot: bool, reply_keyboard: dict[str, Any] | None = None) -> StoredMessage:
        data = {"message_id": chat.next_message_id, "from": sender, "chat": chat.to_api(),
                "date": _now(), **content}
        chat.next_message_id += 1
        stored = StoredMessage(data=data, from_bot=from_bot, reply_keyboard=reply_keyboard)
        chat.messages[data["message_id"]] = stored
        return stored

    def _new_user_message(self, user: VirtualUser, chat: Chat,
                          content: dict[str, Any]) -> StoredMessage:
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
        return (text.startswith("/") or (reply.get("from") or {}).get("id") == self.bot["id"]
                or "new_chat_members" in data or "left_chat_member" in data)

    def _reply_part(self, chat: Chat, reply_to: int | None) -> dict[str, Any]:
        if reply_to is None:
            return {}
        target = chat.messages.get(reply_to)
        if target is None or target.deleted:
            raise SandboxError("message to be replied not found")
        inner = {k: v for k, v in target.data.items() if k != "reply_to_message"}
        return {"reply_to_message": inner}

    def user_text(self, user: VirtualUser, chat: Chat, text: str,
                  reply_to: int | None = None, via_bot: bool = False) -> StoredMessage:
        if not text.strip():
            raise SandboxError("message text is empty")
        content: dict[str, Any] = {**self._reply_part(chat, reply_to), "text": text}
        if via_bot:  # a message sent by choosing an inline result
            content["via_bot"] = dict(self.bot)
        ents = command_entities(text)
        if ents:
            content["entities"] = ents
        msg = self._new_user_message(user, chat, content)
        self._deliver_user_message(chat, msg)
        return msg

    def user_photos(self, user: VirtualUser, chat: Chat, images: list[bytes],
                    caption: str | None = None) -> list[StoredMessage]:
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

    def user_document(self, user: VirtualUser, chat: Chat, data: bytes, file_name: str,
                      mime_type: str | None = None, caption: str | None = None) -> StoredMessage:
        content: dict[str, Any] = {"document": self.store_document(data, file_name, mime_type)}
        if caption:
            content["caption"] = caption
        msg = self._new_user_message(user, chat, content)
        self._deliver_user_message(chat, msg)
        return msg

    def user_location(self, user: VirtualUser, chat: Chat, latitude: float, longitude: float,
                      title: str | None = None, address: str | None = None) -> StoredMessage:
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
        content = {"contact": {"phone_number": user.phone_number or "", "first_name": user.first_name,
                               "user_id": user.id}}
        msg = self._new_user_message(user, chat, content)
        self._deliver_user_message(chat, msg)
        return msg

    def user_callback(self, user: VirtualUser, chat: Chat, message_id: int, data: str) -> PendingCallback:
        target = chat.messages.get(message_id)
        if target is None or target.deleted:
            raise SandboxError("message not found")
        if chat.is_group and user.id not in chat.members:
            raise SandboxError("not a member of this chat")
        buttons = [b for row in (target.data.get("reply_markup") or {}).get("inline_keyboard", [])
                   for b in row]
        if not any(b.get("callback_data") == data for b in buttons):
            raise SandboxError("no inline button with this callback_data on the message")
        if chat.type == "private":
            user.started = True
        qid = str(secrets.randbits(62))
        cb = PendingCallback(qid, user.id, chat.id, message_id, data)
        self.callbacks[qid] = cb
        update = self.push_update("callback_query", {
            "id": qid, "from": user.to_api(), "message": target.data,
            "chat_instance": str(abs(chat.id) * 7919 % 10**18), "data": data})
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

    def history(self, chat_id: int) -> list[StoredMessage]:
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        return [m for m in chat.messages.values() if not m.deleted]


def _now() -> int:
    return int(time.time())
