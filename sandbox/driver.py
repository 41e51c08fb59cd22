"""Test driver: virtual residents and staff talking to a bot through the sandbox.

sandbox = Sandbox(server)
alice = sandbox.user("Alice", lang="zh")
await alice.send("/start")
msg = await alice.expect_message()
await alice.click("Report")
await alice.send_photo("tests/data/bin.jpg")
await alice.send_location(31.91, 120.26)
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .places import place as preset_place
from .seen import DEFAULT_TIMEOUT, BotMessage, Click, find_button
from .server import SandboxServer
from .world import Chat, StoredMessage, VirtualUser


class UserHandle:
    def __init__(self, driver: Sandbox, user: VirtualUser) -> None:
        self.driver = driver
        self.user = user
        self._cursor: dict[int, int] = {}
        self._edit_cursor: dict[int, int] = {}

    # ---------------------------------------------------------------- identity
    @property
    def id(self) -> int:
        return self.user.id

    @property
    def chat(self) -> Chat:
        return self.driver.world.chats[self.user.id]

    def _chat(self, chat: Chat | GroupHandle | None) -> Chat:
        if chat is None:
            return self.chat
        return chat.chat if isinstance(chat, GroupHandle) else chat

    def __repr__(self) -> str:
        return f"<UserHandle {self.user.full_name} id={self.id}>"

    # ---------------------------------------------------------------- sending
    async def send(
        self, text: str, *, chat: Chat | GroupHandle | None = None, reply_to: int | BotMessage | None = None
    ) -> StoredMessage:
        if isinstance(reply_to, BotMessage):
            reply_to = reply_to.message_id
        return self.driver.world.user_text(self.user, self._chat(chat), text, reply_to=reply_to)

    async def send_photo(
        self, photo: str | Path | bytes, caption: str | None = None, *, chat: Chat | GroupHandle | None = None
    ) -> StoredMessage:
        return self.driver.world.user_photos(self.user, self._chat(chat), [_read(photo)], caption)[0]

    async def send_album(
        self, photos: list[str | Path | bytes], caption: str | None = None, *, chat: Chat | GroupHandle | None = None
    ) -> list[StoredMessage]:
        return self.driver.world.user_photos(self.user, self._chat(chat), [_read(p) for p in photos], caption)

    async def send_document(
        self,
        document: str | Path | bytes,
        file_name: str | None = None,
        caption: str | None = None,
        mime_type: str | None = None,
        *,
        chat: Chat | GroupHandle | None = None,
    ) -> StoredMessage:
        name = file_name or (Path(document).name if isinstance(document, (str, Path)) else "file.bin")
        return self.driver.world.user_document(self.user, self._chat(chat), _read(document), name, mime_type, caption)

    async def send_location(
        self, latitude: float, longitude: float, *, chat: Chat | GroupHandle | None = None
    ) -> StoredMessage:
        return self.driver.world.user_location(self.user, self._chat(chat), latitude, longitude)

    async def send_venue(
        self,
        latitude: float,
        longitude: float,
        title: str,
        address: str = "",
        *,
        chat: Chat | GroupHandle | None = None,
    ) -> StoredMessage:
        return self.driver.world.user_location(self.user, self._chat(chat), latitude, longitude, title, address)

    async def send_place(self, name: str, *, chat: Chat | GroupHandle | None = None) -> StoredMessage:
        """Share the location of a preset Jiangyin town seat, e.g. "澄江街道" or "Nanzha"."""
        p = preset_place(name)
        return await self.send_location(p.latitude, p.longitude, chat=chat)

    async def send_contact(self, *, chat: Chat | GroupHandle | None = None) -> StoredMessage:
        return self.driver.world.user_contact(self.user, self._chat(chat))

    async def click(
        self,
        label: str,
        *,
        message: BotMessage | None = None,
        chat: Chat | GroupHandle | None = None,
        location: tuple[float, float] | None = None,
    ) -> Click | StoredMessage:
        """Press a button by its text (exact, then stripped, then substring; case-insensitive).

        Inline buttons (newest bot message first, or ``message``) send a callback query and
        return a ``Click``; reply-keyboard buttons send their text (or the location/contact they
        request) and return the sent message."""
        c = self._chat(chat)
        candidates = [message] if message else list(reversed(self.driver.bot_messages(c.id)))
        for msg in candidates:
            if msg.deleted:
                continue
            button = find_button(msg.inline_keyboard, label)
            if button is not None:
                if "callback_data" not in button:
                    raise AssertionError(f"button {button['text']!r} has no callback_data: {button}")
                cb = self.driver.world.user_callback(self.user, c, msg.message_id, button["callback_data"])
                return Click(cb.id, cb.data, msg, self.driver)
        kb = c.reply_keyboard
        if message is None and kb:
            button = find_button(kb.get("keyboard", []), label)
            if button is not None:
                if kb.get("one_time_keyboard"):
                    c.reply_keyboard = None
                if isinstance(button, dict) and button.get("request_location"):
                    lat, lon = location or (31.91102, 120.26302)  # 澄江街道 seat by default
                    return await self.send_location(lat, lon, chat=c)
                if isinstance(button, dict) and button.get("request_contact"):
                    return await self.send_contact(chat=c)
                return await self.send(button if isinstance(button, str) else button["text"], chat=c)
        available = [m.buttons for m in candidates[:3] if m.buttons]
        raise AssertionError(
            f"no button {label!r}; inline buttons of recent messages: {available}; "
            f"reply keyboard: {self.reply_buttons(c)}"
        )

    async def block(self) -> None:
        self.driver.world.set_blocked(self.user, True)

    async def unblock(self) -> None:
        self.driver.world.set_blocked(self.user, False)

    async def inline_query(self, query: str, timeout: float = DEFAULT_TIMEOUT) -> list[dict[str, Any]]:
        qid = self.driver.world.user_inline_query(self.user, query, self.chat)
        return await self.driver._wait(
            lambda: self.driver.world.inline_queries[qid]["results"], timeout, f"answerInlineQuery for {query!r}"
        )

    # ---------------------------------------------------------------- receiving
    def reply_buttons(self, chat: Chat | GroupHandle | None = None) -> list[str]:
        kb = self._chat(chat).reply_keyboard or {}
        return [b if isinstance(b, str) else b.get("text", "") for row in kb.get("keyboard", []) for b in row]

    def messages(self, chat: Chat | GroupHandle | None = None) -> list[BotMessage]:
        """All bot messages in the chat (oldest first), including already seen ones."""
        return [m for m in self.driver.bot_messages(self._chat(chat).id) if not m.deleted]

    @property
    def last_message(self) -> BotMessage | None:
        msgs = self.messages()
        return msgs[-1] if msgs else None

    def skip_messages(self, chat: Chat | GroupHandle | None = None) -> None:
        c = self._chat(chat)
        self._cursor[c.id] = len(self.driver.bot_messages(c.id))

    async def expect_message(
        self, contains: str | None = None, *, timeout: float = DEFAULT_TIMEOUT, chat: Chat | GroupHandle | None = None
    ) -> BotMessage:
        """Return the next bot message in the chat not yet returned to this user."""
        c = self._chat(chat)

        def ready() -> BotMessage | None:
            msgs = self.driver.bot_messages(c.id)
            pos = self._cursor.get(c.id, 0)
            if pos < len(msgs):
                self._cursor[c.id] = pos + 1
                return msgs[pos]
            return None

        msg = await self.driver._wait(ready, timeout, f"a bot message to {self.user.full_name}")
        if contains is not None and contains not in msg.content:
            raise AssertionError(f"expected a message containing {contains!r}, got {msg!r}")
        return msg

    async def expect_messages(
        self, count: int, *, timeout: float = DEFAULT_TIMEOUT, chat: Chat | GroupHandle | None = None
    ) -> list[BotMessage]:
        deadline = time.monotonic() + timeout
        return [
            await self.expect_message(timeout=max(0.01, deadline - time.monotonic()), chat=chat) for _ in range(count)
        ]

    async def expect_no_message(self, within: float = 0.3, *, chat: Chat | GroupHandle | None = None) -> None:
        c = self._chat(chat)
        await asyncio.sleep(within)
        pos = self._cursor.get(c.id, 0)
        extra = self.driver.bot_messages(c.id)[pos:]
        if extra:
            raise AssertionError(f"unexpected bot messages: {extra}")

    async def expect_edit(
        self, *, timeout: float = DEFAULT_TIMEOUT, chat: Chat | GroupHandle | None = None
    ) -> BotMessage:
        """Return the next message edit (text, caption or keyboard) in the chat."""
        c = self._chat(chat)

        def ready() -> BotMessage | None:
            edits = self.driver.edits.get(c.id, [])
            pos = self._edit_cursor.get(c.id, 0)
            if pos < len(edits):
                self._edit_cursor[c.id] = pos + 1
                return edits[pos]
            return None

        return await self.driver._wait(ready, timeout, f"an edit in {self.user.full_name}'s chat")

    async def expect_answer(self, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        """Wait for the next answerCallbackQuery addressed to this user."""
        seen = self.driver._answers_seen.setdefault(self.id, 0)

        def ready() -> dict[str, Any] | None:
            mine = [a for a in self.driver.answers.values() if a["user_id"] == self.id]
            if len(mine) > seen:
                self.driver._answers_seen[self.id] = seen + 1
                return mine[seen]
            return None

        return await self.driver._wait(ready, timeout, "answerCallbackQuery")


class GroupHandle:
    def __init__(self, driver: Sandbox, chat: Chat) -> None:
        self.driver, self.chat = driver, chat

    @property
    def id(self) -> int:
        return self.chat.id

    def add(self, user: UserHandle) -> None:
        self.driver.world.add_member(self.chat, user.user)

    async def remove_bot(self, by: UserHandle | None = None) -> None:
        """Kick the bot out of the group (my_chat_member update; later sends get 403)."""
        self.driver.world.remove_bot(self.chat, by.user if by else None)

    def messages(self) -> list[BotMessage]:
        return [m for m in self.driver.bot_messages(self.chat.id) if not m.deleted]

    def __repr__(self) -> str:
        return f"<GroupHandle {self.chat.title} id={self.id}>"


class Sandbox:
    """Facade over a running SandboxServer (and optionally the bot app polling it)."""

    def __init__(self, server: SandboxServer, app: Any = None, poll_task: asyncio.Task | None = None) -> None:
        self.server = server
        self.world = server.world
        self.app = app
        self.poll_task = poll_task
        self.bot_errors: list[str] = []
        self.answers: dict[str, dict[str, Any]] = {}
        self._answers_seen: dict[int, int] = {}
        self.edits: dict[int, list[BotMessage]] = {}
        self._by_chat: dict[int, list[BotMessage]] = {}
        self._changed = asyncio.Event()
        self.world.add_listener(self._on_event)

    def close(self) -> None:
        self.world.remove_listener(self._on_event)

    def _on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "message" and event.get("from_bot"):
            chat = self.world.chats[event["chat_id"]]
            stored = chat.messages[event["message"]["message_id"]]
            self._by_chat.setdefault(chat.id, []).append(BotMessage(stored))
        elif kind == "edit":
            chat = self.world.chats[event["chat_id"]]
            stored = chat.messages[event["message"]["message_id"]]
            self.edits.setdefault(chat.id, []).append(BotMessage(stored))
        elif kind == "callback_answer":
            self.answers[event["callback_query_id"]] = event
        self._changed.set()

    def bot_messages(self, chat_id: int) -> list[BotMessage]:
        return self._by_chat.get(chat_id, [])

    # ---------------------------------------------------------------- people
    def user(
        self,
        name: str,
        lang: str | None = "zh",
        *,
        last_name: str | None = None,
        username: str | None = None,
        user_id: int | None = None,
        started: bool = False,
    ) -> UserHandle:
        """A new virtual user. Like on Telegram, the bot cannot message them before they write
        to it (403) unless ``started=True``."""
        return UserHandle(self, self.server.create_user(name, last_name, username, lang, user_id, started=started))

    def group(
        self, title: str, members: list[UserHandle] | None = None, bot_is_admin: bool = True, chat_id: int | None = None
    ) -> GroupHandle:
        chat = self.server.create_group(title, [m.user for m in members or []], bot_is_admin, chat_id)
        return GroupHandle(self, chat)

    # ---------------------------------------------------------------- waiting
    async def _wait(self, ready: Callable[[], Any], timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            self._changed.clear()
            value = ready()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout:g}s waiting for {what}" + self._diagnostics())
            try:
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.25))
            except TimeoutError:
                pass

    def _diagnostics(self) -> str:
        notes = []
        if self.poll_task is not None and self.poll_task.done():
            exc = None if self.poll_task.cancelled() else self.poll_task.exception()
            notes.append(f"bot polling has stopped ({exc!r})")
        elif self.app is not None and not any(m == "getUpdates" for m, _ in self.server.request_log[-200:]):
            notes.append("the bot is not polling (no recent getUpdates)")
        if self.world.updates:
            notes.append(f"{len(self.world.updates)} update(s) not yet fetched by the bot")
        if self.bot_errors:
            notes.append("bot errors:\n  " + "\n  ".join(self.bot_errors[-5:]))
        if self.server.validation_errors:
            notes.append("sandbox answers that failed validation: " + "; ".join(self.server.validation_errors[-3:]))
        failed = [(m, s) for m, s in self.server.request_log[-50:] if s != 200]
        if failed:
            notes.append(f"failed Bot API calls: {failed[-10:]}")
        return ("; " + "; ".join(notes)) if notes else ""

    async def settle(self, quiet: float = 0.2, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Wait until the bot has fetched every update and sent nothing for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        last = len(self.server.request_log)
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            n = len(self.server.request_log)
            busy = [m for m, _ in self.server.request_log[last:n] if m != "getUpdates"]
            if busy or self.world.updates:
                quiet_since = time.monotonic()
            last = n
            if time.monotonic() - quiet_since >= quiet:
                return
        raise AssertionError("the bot did not settle" + self._diagnostics())


def _read(src: str | Path | bytes | io.BytesIO) -> bytes:
    if isinstance(src, (bytes, bytearray)):
        return bytes(src)
    if isinstance(src, io.BytesIO):
        return src.getvalue()
    return Path(src).read_bytes()


def make_image(
    width: int = 640, height: int = 480, color: str = "#3a7d44", text: str | None = None, fmt: str = "JPEG"
) -> bytes:
    """A real image (bytes) for photo uploads in tests."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (width, height), color)
    draw = ImageDraw.Draw(img)
    draw.rectangle([width // 8, height // 8, width * 7 // 8, height * 7 // 8], outline="white", width=6)
    if text:
        draw.text((width // 6, height // 2), text, fill="white")
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()
