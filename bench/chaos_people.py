"""The people of bench/chaos.py: residents filing reports and unit handlers working the cards.

They act on the sandbox's world in the bench's process (as the web chat does) and see only what a
person sees: the bot's messages in their chats, as the sandbox holds them (live: edits show).
Every actor reads the buttons' callback data and a few fixed emoji of the bot's texts, so the
conversation is followed in either language.

A resident never knows the bot's state: after each action it waits for the next message that asks
something (a keyboard, or the photo prompt). When nothing comes for ``stall_s`` it does what a
person would: sends /report again and presses "Continue my draft" (at most ``max_nudges`` times,
then gives up). After pressing "Send the report" it only waits for the thank-you: it does not press
again (a double-tapper presses twice at once), so a press the bot loses stays lost.

A handler works its group's cards in the order they appeared: Accept, then Resolved and an "after"
photo once the bot asks for it. When the card does not change within ``stall_s`` it presses the
button the card shows again (the bot then redraws a card drawn for an older status).
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.world import Chat, PendingCallback, SandboxError, StoredMessage, VirtualUser, World

TICKET_RE = re.compile(r"JY-\d{4}-\d{6}")
PHOTO_PROMPT = "📸"  # the photo step's question (no keyboard)
RESOLVE_PROMPT = "🧹"  # "reply with an after photo" in the unit's group
THANKS = "✅"  # "Thank you! Your report JY-... was sent to ..."


@dataclass
class Seen:
    """A bot message and when the sandbox published it (time.monotonic())."""

    stored: StoredMessage
    at: float

    @property
    def data(self) -> dict[str, Any]:
        return self.stored.data

    @property
    def content(self) -> str:
        return self.data.get("text") or self.data.get("caption") or ""

    @property
    def callbacks(self) -> list[str]:
        rows = (self.data.get("reply_markup") or {}).get("inline_keyboard", [])
        return [b.get("callback_data", "") for row in rows for b in row]

    def button(self, prefix: str) -> str | None:
        return next((d for d in self.callbacks if d.startswith(prefix)), None)


@dataclass
class Card:
    """A staff card: the bot's message with staff buttons (``rs:``) and a ticket, first seen at ``at``."""

    chat_id: int
    ticket: str
    seen: Seen


class Observer:
    """Records every bot message the sandbox publishes, and wakes whoever waits on that chat."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.by_chat: dict[int, list[Seen]] = {}
        self.cards: list[Card] = []
        self._events: dict[int, asyncio.Event] = {}
        world.add_listener(self._on_event)

    def close(self) -> None:
        self.world.remove_listener(self._on_event)

    def _on_event(self, event: dict[str, Any]) -> None:
        kind, chat_id = event.get("event"), event.get("chat_id")
        if kind == "message" and event.get("from_bot"):
            stored = self.world.chats[chat_id].messages[event["message"]["message_id"]]
            seen = Seen(stored, time.monotonic())
            self.by_chat.setdefault(chat_id, []).append(seen)
            ticket = TICKET_RE.search(seen.content)
            if ticket and seen.button("rs:"):
                self.cards.append(Card(chat_id, ticket.group(0), seen))
        if kind in ("message", "edit") and chat_id is not None:
            event_ = self._events.pop(chat_id, None)
            if event_ is not None:
                event_.set()

    def messages(self, chat_id: int) -> list[Seen]:
        return self.by_chat.get(chat_id, [])

    async def wait(self, chat_id: int, ready: Callable[[], Any], timeout: float) -> Any:
        """``ready()``'s first truthy value, re-checked on every message or edit in the chat; None
        after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            event = self._events.setdefault(chat_id, asyncio.Event())
            value = ready()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                pass


@dataclass
class Pace:
    """How long people take: think time per step (uniform range) and patience."""

    think: tuple[float, float] = (0.6, 1.2)
    stall_s: float = 6.0
    max_nudges: int = 5

    async def think_a_bit(self, rng: random.Random, scale: float = 1.0) -> None:
        await asyncio.sleep(rng.uniform(*self.think) * scale)


@dataclass
class Resident:
    world: World
    observer: Observer
    user: VirtualUser
    photos: list[bytes]
    spot: tuple[float, float]
    rng: random.Random
    pace: Pace
    double_tap: bool = False
    presses: list[PendingCallback] = field(default_factory=list)  # "Send the report" presses
    first_press_at: float | None = None
    thanks: Seen | None = None
    nudges: int = 0
    abandoned: bool = False
    _cursor: int = 0

    @property
    def chat(self) -> Chat:
        return self.world.chats[self.user.id]

    async def run(self) -> None:
        self._send_text("/report")
        while True:
            step = await self.observer.wait(self.user.id, self._next_question, self.pace.stall_s)
            if step is None:
                if self.nudges >= self.pace.max_nudges:
                    self.abandoned = True
                    return
                self.nudges += 1
                self._send_text("/report")
                continue
            kind, seen = step
            await self.pace.think_a_bit(self.rng)
            if kind != "confirm":
                self._answer(kind, seen)
            elif await self._confirm(seen):
                return

    # ------------------------------------------------------------------ what the bot asks
    def _next_question(self) -> tuple[str, Seen] | None:
        """The newest message since our last action that asks something, and what it asks."""
        fresh = self.observer.messages(self.user.id)[self._cursor :]
        for seen in reversed(fresh):
            kind = question_kind(seen)
            if kind is not None:
                return kind, seen
        return None

    def _answer(self, kind: str, seen: Seen) -> None:
        choice = self.rng.choice
        if kind == "photos":
            self._mark()
            self.world.user_photos(self.user, self.chat, self.photos)
        elif kind == "location":
            self._mark()
            self.world.user_location(self.user, self.chat, *self.spot)
        elif kind == "plate" and self.rng.random() < 0.5:
            self._send_text(f"苏B{self.rng.randrange(10000, 99999)}")
        elif kind == "description" and self.rng.random() < 0.5:
            self._send_text(f"Near the canal, bench resident {self.user.id}")
        elif kind in ("plate", "description"):
            self._press(seen, seen.button("rp:skip"))
        else:  # one of the keyboard's buttons
            prefix = {"continue": "rp:cont", "photos_done": "rp:done", "duplicate": "rp:new"}.get(kind)
            options = [d for d in seen.callbacks if d.startswith(prefix or f"rp:{kind}")]
            self._press(seen, (options[0] if prefix else choice(options)) if options else None)

    async def _confirm(self, summary: Seen) -> bool:
        """Press "Send" (twice at once for a double-tapper) and wait for the thank-you; False when
        the button was gone (the resident goes on as after any other unanswered step)."""
        data = summary.button("rp:ok")
        self._mark()
        for _ in range(2 if self.double_tap else 1):
            try:
                self.presses.append(self.world.user_callback(self.user, self.chat, summary.stored.message_id, data))
            except SandboxError:  # the button is gone already
                break
        if not self.presses:
            return False
        self.first_press_at = time.monotonic()
        self.thanks = await self.observer.wait(self.user.id, self._thank_you, self.pace.stall_s)
        return True

    def _thank_you(self) -> Seen | None:
        fresh = self.observer.messages(self.user.id)[self._cursor :]
        return next((s for s in fresh if s.content.startswith(THANKS) and TICKET_RE.search(s.content)), None)

    # ------------------------------------------------------------------ acting
    def _mark(self) -> None:
        self._cursor = len(self.observer.messages(self.user.id))

    def _send_text(self, text: str) -> None:
        self._mark()
        self.world.user_text(self.user, self.chat, text)

    def _press(self, seen: Seen, data: str | None) -> None:
        self._mark()
        if data is None:
            return
        try:
            self.world.user_callback(self.user, self.chat, seen.stored.message_id, data)
        except SandboxError:
            pass  # the bot took the buttons away meanwhile: the next stall nudges


QUESTIONS = (  # callback-data prefix -> what the resident is asked (first match wins)
    ("rp:cont", "continue"),
    ("rp:ok", "confirm"),
    ("rp:anon", "anon"),
    ("rp:skip:desc", "description"),
    ("rp:skip:plate", "plate"),
    ("rp:wit", "wit"),
    ("rp:amt", "amt"),
    ("rp:type", "type"),
    ("rp:new", "duplicate"),
    ("rp:done", "photos_done"),
)


def question_kind(seen: Seen) -> str | None:
    for prefix, kind in QUESTIONS:
        if seen.button(prefix):
            return kind
    keyboard = seen.stored.reply_keyboard or {}
    if any(isinstance(b, dict) and b.get("request_location") for row in keyboard.get("keyboard", []) for b in row):
        return "location"
    if seen.content.startswith(PHOTO_PROMPT) and not seen.callbacks:
        return "photos"
    return None


@dataclass
class Handler:
    """A unit handler in the unit's bound group."""

    world: World
    observer: Observer
    user: VirtualUser
    group: Chat
    after_photo: bytes
    rng: random.Random
    pace: Pace
    max_tries: int = 8
    done: set[int] = field(default_factory=set)  # card message ids finished (or given up)
    gave_up: int = 0
    busy: bool = False

    def pending(self) -> list[Card]:
        return [
            c for c in self.observer.cards if c.chat_id == self.group.id and c.seen.stored.message_id not in self.done
        ]

    async def run(self) -> None:
        while True:
            cards = await self.observer.wait(self.group.id, self.pending, 1.0)
            for card in cards or []:
                self.busy = True
                try:
                    if not await self._work(card):
                        self.gave_up += 1
                finally:
                    self.done.add(card.seen.stored.message_id)
                    self.busy = False

    async def _work(self, card: Card) -> bool:
        seen = card.seen
        for _ in range(self.max_tries):
            accept, resolve = seen.button("rs:acc"), seen.button("rs:res")
            if accept is None and resolve is None:
                return True  # resolved (or closed some other way)
            await self.pace.think_a_bit(self.rng, 0.4)
            if accept is not None:
                if self._press(seen, accept):
                    await self.observer.wait(self.group.id, lambda: seen.button("rs:acc") is None, self.pace.stall_s)
                continue
            mark = len(self.observer.messages(self.group.id))
            if not self._press(seen, resolve):
                continue
            prompt = await self.observer.wait(self.group.id, lambda: self._prompt(mark), self.pace.stall_s)  # noqa: B023 - awaited here
            if prompt is None:
                continue
            self.world.user_photos(self.user, self.group, [self.after_photo], f"Cleared ({card.ticket})")
            await self.observer.wait(self.group.id, lambda: seen.button("rs:res") is None, self.pace.stall_s)
        return seen.button("rs:acc") is None and seen.button("rs:res") is None

    def _prompt(self, mark: int) -> Seen | None:
        return next(
            (
                s
                for s in self.observer.messages(self.group.id)[mark:]
                if s.content.startswith(RESOLVE_PROMPT) and self.user.first_name in s.content
            ),
            None,
        )

    def _press(self, seen: Seen, data: str) -> bool:
        try:
            self.world.user_callback(self.user, self.group, seen.stored.message_id, data)
        except SandboxError:
            return False
        return True
