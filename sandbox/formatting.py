"""Telegram HTML parse mode: turns bot-sent HTML into plain text + message entities.

Offsets and lengths are in UTF-16 code units, as in the Bot API. Errors use Telegram's
wording ("Bad Request: can't parse entities: ...").
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "span": "spoiler",  # only <span class="tg-spoiler"> is allowed
}


class EntityParseError(ValueError):
    """Raised with the Telegram description (without the 'Bad Request: ' prefix)."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._pos16 = 0
        self.stack: list[tuple[str, dict[str, Any]]] = []
        self.entities: list[dict[str, Any]] = []

    def _fail(self, message: str) -> None:
        raise EntityParseError(f"can't parse entities: {message}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        if tag not in _SIMPLE:
            self._fail(f'Unsupported start tag "{tag}" at byte offset {self._byte_offset()}')
        a = dict(attrs)
        entity: dict[str, Any] = {"type": _SIMPLE[tag], "offset": self._pos16}
        if tag == "span" and a.get("class") != "tg-spoiler":
            self._fail(f'Unsupported start tag "span" at byte offset {self._byte_offset()}')
        if tag == "a":
            href = (a.get("href") or "").strip()
            if not href:
                self._fail(f"Can't find end of the entity starting at byte offset {self._byte_offset()}")
            if href.startswith("tg://user?id="):
                entity = {
                    "type": "text_mention",
                    "offset": self._pos16,
                    "user": {"id": int(href.split("=", 1)[1] or 0), "is_bot": False, "first_name": "User"},
                }
            else:
                entity["url"] = href
        if tag == "blockquote" and "expandable" in a:
            entity["type"] = "expandable_blockquote"
        if tag == "tg-emoji":
            entity["custom_emoji_id"] = a.get("emoji-id") or "0"
        if tag == "code" and self.stack and self.stack[-1][0] == "pre":
            cls = a.get("class") or ""
            if cls.startswith("language-"):
                self.stack[-1][1]["language"] = cls[len("language-") :]
            entity["_merge_into_pre"] = True
        self.stack.append((tag, entity))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._fail(f'Unsupported start tag "{tag.lower()}" at byte offset {self._byte_offset()}')

    def handle_endtag(self, tag: str) -> None:
        tag = tag.lower()
        if not self.stack:
            self._fail(f"Unexpected end tag at byte offset {self._byte_offset()}")
        open_tag, entity = self.stack.pop()
        if open_tag != tag:
            self._fail(f'Can\'t find end tag corresponding to start tag "{open_tag}"')
        length = self._pos16 - entity["offset"]
        if entity.pop("_merge_into_pre", False):
            return
        if length > 0:
            entity["length"] = length
            self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self._pos16 += utf16_len(data)

    def _byte_offset(self) -> int:
        return len("".join(self.parts).encode("utf-8"))


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Return (plain text, entities) for Telegram HTML, or raise EntityParseError."""
    parser = _Parser()
    parser.feed(source)
    parser.close()
    if parser.stack:
        parser._fail(f'Can\'t find end tag corresponding to start tag "{parser.stack[-1][0]}"')
    entities = sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
    return "".join(parser.parts), entities


def parse_text(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Apply a parse mode. Explicit entities win over parse_mode, as in the Bot API."""
    if entities:
        return text, entities
    mode = (parse_mode or "").lower()
    if mode == "html":
        return parse_html(text)
    # Markdown modes are not modelled: the text is kept as is, without entities.
    return text, []


def command_entities(text: str) -> list[dict[str, Any]]:
    """Entities Telegram attaches to a user's text: bot commands, mentions, URLs (basic)."""
    out: list[dict[str, Any]] = []
    pos = 0
    for word in text.split(" "):
        off16 = utf16_len(text[:pos])
        if word.startswith("/") and len(word) > 1 and word[1].isalnum():
            out.append({"type": "bot_command", "offset": off16, "length": utf16_len(word)})
        elif word.startswith("@") and len(word) > 5:
            out.append({"type": "mention", "offset": off16, "length": utf16_len(word)})
        elif word.startswith(("http://", "https://")):
            out.append({"type": "url", "offset": off16, "length": utf16_len(word)})
        pos += len(word) + 1
    return out
