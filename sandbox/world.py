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
from collections.abc import Callable
from typing import Any

from PIL import Image, ImageOps

from .actions import UserActions
from .model import Chat, PendingCallback, SandboxError, StoredFile, StoredMessage, VirtualUser, now

PHOTO_SIDES = (90, 320, 800, 1280)
# Telegram's default allowed_updates excludes these.
NOT_DEFAULT_UPDATES = {"chat_member", "message_reaction", "message_reaction_count"}


__all__ = ["World", "Chat", "PendingCallback", "SandboxError", "StoredFile", "StoredMessage", "VirtualUser"]


class World(UserActions):
    def __init__(self, bot_id: int, bot_first_name: str, bot_username: str) -> None:
        self.bot = {"id": bot_id, "is_bot": True, "first_name": bot_first_name, "username": bot_username}
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

    def take_updates(self, offset: int | None, limit: int, allowed: list[str] | None) -> list[dict[str, Any]]:
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
    def create_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh",
        user_id: int | None = None,
        phone_number: str | None = None,
        started: bool = False,
    ) -> VirtualUser:
        uid = user_id if user_id is not None else next(self._user_ids)
        while user_id is None and uid in self.users:
            uid = next(self._user_ids)
        user = VirtualUser(
            uid,
            first_name,
            last_name,
            username,
            language_code,
            phone_number or f"+86138{uid % 100000000:08d}",
            started=started,
        )
        self.users[uid] = user
        self.chats[uid] = Chat(id=uid, type="private", user=user)
        self.emit({"event": "state"})
        return user

    def create_group(
        self,
        title: str,
        members: list[VirtualUser] | None = None,
        bot_is_admin: bool = True,
        chat_id: int | None = None,
        notify_bot: bool = True,
    ) -> Chat:
        cid = chat_id if chat_id is not None else -(10**12) - next(self._group_ids) - 1000000000000
        chat = Chat(
            id=cid, type="supergroup", title=title, members=[m.id for m in members or []], bot_is_admin=bot_is_admin
        )
        if members:
            chat.admins.add(members[0].id)
        self.chats[cid] = chat
        if notify_bot:
            actor = members[0].to_api() if members else dict(self.bot)
            new_status = self._bot_admin_member() if bot_is_admin else {"status": "member", "user": dict(self.bot)}
            self.push_update(
                "my_chat_member",
                {
                    "chat": chat.to_api(),
                    "from": actor,
                    "date": now(),
                    "old_chat_member": {"status": "left", "user": dict(self.bot)},
                    "new_chat_member": new_status,
                },
            )
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
        new = (
            {"status": "kicked", "user": dict(self.bot), "until_date": 0}
            if kicked
            else {"status": "left", "user": dict(self.bot)}
        )
        chat.bot_is_member = False
        actor = by.to_api() if by else (self.users[chat.members[0]].to_api() if chat.members else dict(self.bot))
        self.push_update(
            "my_chat_member",
            {"chat": chat.to_api(), "from": actor, "date": now(), "old_chat_member": old, "new_chat_member": new},
        )
        self.emit({"event": "state"})

    def _bot_admin_member(self) -> dict[str, Any]:
        flags = (
            "can_be_edited",
            "is_anonymous",
            "can_manage_chat",
            "can_delete_messages",
            "can_manage_video_chats",
            "can_restrict_members",
            "can_promote_members",
            "can_change_info",
            "can_invite_users",
            "can_post_stories",
            "can_edit_stories",
            "can_delete_stories",
            "can_send_welcome_messages",
        )
        d: dict[str, Any] = {"status": "administrator", "user": dict(self.bot)}
        for f in flags:
            d[f] = f in ("can_manage_chat", "can_delete_messages", "can_invite_users")
        d["can_pin_messages"] = True
        return d

    def chat_member(self, chat: Chat, user_id: int) -> dict[str, Any]:
        if user_id == self.bot["id"]:
            return self._bot_admin_member() if chat.bot_is_admin else {"status": "member", "user": dict(self.bot)}
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
        self.push_update(
            "my_chat_member",
            {
                "chat": chat.to_api(),
                "from": user.to_api(),
                "date": now(),
                "old_chat_member": member if blocked else kicked,
                "new_chat_member": kicked if blocked else member,
            },
        )
        self.emit({"event": "blocked", "user_id": user.id, "blocked": blocked})
        self.emit({"event": "state"})

    # ---------------------------------------------------------------- files
    def store_file(
        self,
        data: bytes,
        kind: str,
        mime_type: str | None = None,
        file_name: str | None = None,
        width: int | None = None,
        height: int | None = None,
    ) -> StoredFile:
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
            data=data,
            file_path=f"{kind}s/file_{n}{ext}",
            mime_type=mime_type,
            file_name=file_name,
            width=width,
            height=height,
        )
        self.files[f.file_id] = f
        self.files_by_path[f.file_path] = f
        return f

    def store_photo(self, data: bytes) -> list[dict[str, Any]]:
        """Re-encode an uploaded image as Telegram does (JPEG, EXIF dropped, several sizes)."""
        try:
            img: Image.Image = Image.open(io.BytesIO(data))
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
            f = self.store_file(buf.getvalue(), "photo", "image/jpeg", width=copy.width, height=copy.height)
            d = f.to_api()
            d.update(width=copy.width, height=copy.height)
            sizes.append(d)
        for d in sizes:
            self.photo_sets[d["file_id"]] = sizes
        return sizes

    def store_document(self, data: bytes, file_name: str | None, mime_type: str | None = None) -> dict[str, Any]:
        name = file_name or "file"
        mime = mime_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        f = self.store_file(data, "document", mime, file_name=name)
        d = f.to_api()
        d.update(file_name=name, mime_type=mime)
        return d

    def next_media_group_id(self) -> str:
        return str(next(self._media_groups))
