"""Catalogs: every user-facing message id in the code is in the zh catalog, translated, with the
same placeholders; English falls back to the (English) message ids."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "__": None, "N_": None, "gettext_for": (2,)}
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def _code_msgids() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "bot"), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _catalog(locale: str):
    with open(ROOT / "bot" / "locales" / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=locale)


def test_every_message_in_the_code_is_translated_to_chinese():
    zh = {m.id: m.string for m in _catalog("zh") if m.id}
    missing = sorted(m for m in _code_msgids() if not zh.get(m))
    assert not missing, f"run `make i18n` and translate: {missing[:10]}"


def test_translations_keep_the_placeholders():
    for message in _catalog("zh"):
        if message.id and message.string:
            assert sorted(PLACEHOLDER.findall(message.id)) == sorted(PLACEHOLDER.findall(message.string)), message.id


def test_html_tags_are_balanced_in_translations():
    for message in _catalog("zh"):
        if message.id and message.string:
            for tag in ("b", "i", "code"):
                assert message.string.count(f"<{tag}>") == message.string.count(f"</{tag}>"), message.id
