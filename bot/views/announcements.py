"""What a resident gets from a campaign: a first line naming the sender (the waste-free cell(s), or
the programme when it goes to every subscriber) above the staff's text, and buttons to stop what
brought it (``campaigns.origin``). Rendered in the reader's language with the update's ``_``
(the send adapter sets the recipient's locale)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from html import escape, unescape

from aiogram.utils.i18n import gettext as _

from bot.i18n import current, unit_label
from bot.views.campaigns import EVERYTHING, kind_name
from campaigns.cells import CellInfo
from campaigns.models import Target
from campaigns.origin import Origin
from campaigns.service import MAX_CAPTION, MAX_TEXT
from campaigns.subscriptions import SubscriptionInfo

NAMED_CELLS = 3  # at most this many cells are named in the first line


@contextmanager
def in_locale(locale: str) -> Iterator[None]:
    """Render in ``locale`` (a recipient's), inside an update or not."""
    i18n = current()
    with i18n.context(), i18n.use_locale(locale):
        yield


def origin_line(origin: Origin) -> str:
    """``📣 来自无废细胞：澄江实验小学`` / ``📣 From the waste-free cell: …`` (HTML)."""
    if origin.programme:
        return _("📣 From Jiangyin's waste-free city programme")
    names = [escape(c.name) for c in origin.cells[:NAMED_CELLS]]
    sep = _(", ")
    if len(origin.cells) > NAMED_CELLS:
        return _("📣 From {total} waste-free cells: {names}…").format(names=sep.join(names), total=len(origin.cells))
    if len(names) == 1:
        return _("📣 From the waste-free cell: {name}").format(name=names[0])
    return _("📣 From the waste-free cells: {names}").format(names=sep.join(names))


def _visible_length(html_text: str) -> int:
    """Telegram's count: UTF-16 code units of the text without its tags."""
    plain = unescape(re.sub(r"<[^>]+>", "", html_text))
    return len(plain.encode("utf-16-le")) // 2


def announcement_text(text: str, origin: Origin | None, *, photo: bool) -> str:
    """The staff's text under the sender's line; the text alone when the line would not fit (or
    the campaign is gone)."""
    if origin is None:
        return text
    full = origin_line(origin) + "\n\n" + text
    return full if _visible_length(full) <= (MAX_CAPTION if photo else MAX_TEXT) else text


def subscription_name(sub: SubscriptionInfo, cells: dict[int, CellInfo]) -> str:
    """A subscription in a button or a toast (plain text): the place, town/street or kind."""
    if sub.target is Target.ALL:
        return _(EVERYTHING)
    if sub.target is Target.KIND:
        return kind_name(sub.value)
    if sub.target is Target.UNIT:
        return unit_label(sub.value)
    cell = cells.get(int(sub.value))
    return cell.name if cell is not None else _("a waste-free cell that no longer exists")
