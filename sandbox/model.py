"""The things the sandbox's world is made of: virtual users, chats, stored messages and files,
pending button presses. Plain data; the World (world.py) owns and changes them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


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
        d: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }
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


def now() -> int:
    return int(time.time())
