"""Free text from people and API clients, cleaned where it comes in.

Rules:
- ``xml_safe`` drops every character XML 1.0 forbids (its ``Char`` production): the C0 controls
  except tab, newline and carriage return, lone surrogates (Telegram's JSON can carry them; they
  cannot even be encoded as UTF-8), and U+FFFE/U+FFFF. Tabs and newlines stay; nothing else is
  changed. NUL is among the dropped characters, which PostgreSQL refuses in text as well.
- ``clean`` is ``xml_safe`` plus trimming, and ``None`` for what is left empty: use it for a field.
- ``clean_tree`` applies ``xml_safe`` to every string in JSON-like data (a draft's ``data``).

Stored text goes through these at the door (the reports service); what is serialised as XML goes
through ``xml_safe`` again (``reports.open311``), so a row written before this rule still renders.
"""

from __future__ import annotations

import re
from typing import Any

# XML 1.0, section 2.2: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids."""
    return _NOT_XML_CHAR.sub("", text)


def clean(value: str | None) -> str | None:
    """A free-text field as it should be stored: XML-safe, trimmed, ``None`` when empty."""
    if value is None:
        return None
    value = xml_safe(value).strip()
    return value or None


def clean_tree(value: Any) -> Any:
    """``value`` with ``xml_safe`` applied to every string in it (keys too), recursively."""
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, dict):
        return {clean_tree(k): clean_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_tree(v) for v in value]
    return value
