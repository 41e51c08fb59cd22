"""What a virtual person sees of the bot in the test driver (``sandbox/driver.py``): a message the bot
sent (live: edits and deletions show through) and the result of pressing one of its buttons."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .world import StoredMessage

if TYPE_CHECKING:
    from .driver import Sandbox

DEFAULT_TIMEOUT = 5.0


class BotMessage:
    """A message the bot sent, as the user sees it (live: edits and deletions show through)."""

    def __init__(self, stored: StoredMessage) -> None:
        self.stored = stored

    @property
    def data(self) -> dict[str, Any]:
        return self.stored.data

    @property
    def message_id(self) -> int:
        return self.data["message_id"]

    @property
    def chat_id(self) -> int:
        return self.data["chat"]["id"]

    @property
    def text(self) -> str | None:
        return self.data.get("text")

    @property
    def caption(self) -> str | None:
        return self.data.get("caption")

    @property
    def content(self) -> str:
        """Text or caption, '' when neither."""
        return self.text or self.caption or ""

    @property
    def entities(self) -> list[dict[str, Any]]:
        return self.data.get("entities") or self.data.get("caption_entities") or []

    @property
    def photo(self) -> list[dict[str, Any]] | None:
        return self.data.get("photo")

    @property
    def document(self) -> dict[str, Any] | None:
        return self.data.get("document")

    @property
    def location(self) -> dict[str, Any] | None:
        return self.data.get("location")

    @property
    def media_group_id(self) -> str | None:
        return self.data.get("media_group_id")

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]]:
        return (self.data.get("reply_markup") or {}).get("inline_keyboard", [])

    @property
    def buttons(self) -> list[str]:
        """Texts of the inline buttons, row by row."""
        return [b["text"] for row in self.inline_keyboard for b in row]

    @property
    def reply_keyboard(self) -> dict[str, Any] | None:
        """The reply keyboard sent with this message (not part of the Bot API Message)."""
        return self.stored.reply_keyboard

    @property
    def reply_buttons(self) -> list[str]:
        kb = self.reply_keyboard or {}
        return [b if isinstance(b, str) else b.get("text", "") for row in kb.get("keyboard", []) for b in row]

    @property
    def has_keyboard(self) -> bool:
        return bool(self.inline_keyboard or self.reply_buttons)

    @property
    def edited(self) -> bool:
        return "edit_date" in self.data

    @property
    def deleted(self) -> bool:
        return self.stored.deleted

    def file_bytes(self, world_files: dict) -> bytes:
        ref = self.photo[-1] if self.photo else self.document
        if not ref:
            raise ValueError("message has no file")
        return world_files[ref["file_id"]].data

    def as_aiogram(self) -> Any:
        from aiogram.types import Message

        return Message.model_validate(self.data)

    def __repr__(self) -> str:
        kind = next((k for k in ("photo", "document", "location", "venue") if k in self.data), "text")
        extra = f" buttons={self.buttons}" if self.buttons else ""
        extra += f" reply_buttons={self.reply_buttons}" if self.reply_buttons else ""
        return f"<BotMessage #{self.message_id} {kind} {self.content[:60]!r}{extra}>"


def find_button(rows: Iterable[Iterable[Any]], label: str) -> Any | None:
    flat = [b for row in rows for b in row]
    text = lambda b: b if isinstance(b, str) else b.get("text", "")  # noqa: E731
    for match in (
        lambda b: text(b) == label,
        lambda b: text(b).strip() == label.strip(),
        lambda b: label.lower() in text(b).lower(),
    ):
        hits = [b for b in flat if match(b)]
        if hits:
            return hits[0]
    return None


@dataclass
class Click:
    """Result of pressing an inline button: the callback query sent to the bot."""

    callback_query_id: str
    data: str
    message: BotMessage
    _driver: Sandbox = field(repr=False)

    async def answer(self, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        """Wait for the bot's answerCallbackQuery (toast/alert text, show_alert)."""
        return await self._driver._wait(
            lambda: self._driver.answers.get(self.callback_query_id), timeout, f"answerCallbackQuery for {self.data!r}"
        )
