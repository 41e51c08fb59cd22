"""gettext catalogs (``bot/locales``): Simplified Chinese is the default, English the other.

Message ids are English. Catalogs are extracted with pybabel (``make i18n``) and compiled by the
build (``make`` compiles them before running or testing); the ``.mo`` files are not in git.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path
from typing import Any

from aiogram.types import TelegramObject
from aiogram.utils.i18n import I18n, I18nMiddleware

from core.units import unit_name

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"


class CatalogsNotCompiled(RuntimeError):
    pass


def make_i18n(default_locale: str = "zh") -> I18n:
    try:
        i18n = I18n(path=LOCALES_DIR, default_locale=default_locale, domain=DOMAIN)
    except RuntimeError as error:
        raise CatalogsNotCompiled(f"{error} Run `make` (pybabel compile) first.") from None
    if default_locale not in i18n.available_locales:
        raise CatalogsNotCompiled(f"no compiled catalog for {default_locale!r} in {LOCALES_DIR}; run `make` first")
    _i18n_holder.clear()
    _i18n_holder.append(i18n)
    return i18n


_i18n_holder: list[I18n] = []


def current() -> I18n:
    return I18n.get_current(no_error=True) or _i18n_holder[-1]


def gettext_for(locale: str, msgid: str, **kwargs: Any) -> str:
    """Translate outside an update context (scheduled jobs, notifications to other users)."""
    text = current().gettext(msgid, locale=locale)
    return text.format(**kwargs) if kwargs else text


@cache
def _variants(msgid: str, locales: tuple[str, ...]) -> frozenset[str]:
    i18n = current()
    return frozenset({msgid, *(i18n.gettext(msgid, locale=loc) for loc in locales)})


def texts_for(msgid: str) -> frozenset[str]:
    """Every translation of ``msgid``: reply-keyboard buttons are matched in any language."""
    return _variants(msgid, current().available_locales)


class UserI18nMiddleware(I18nMiddleware):
    """The locale is the one stored on our user (set on first contact, changed by /language).

    What aiogram's ``I18nMiddleware`` does, with the two context variables set and reset directly
    rather than through its two context managers (every update passes here, issue 16)."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user = data.get("user")
        return user.language if user is not None else self.i18n.default_locale

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        i18n = self.i18n
        locale = await self.get_locale(event, data) or i18n.default_locale
        if self.i18n_key:
            data[self.i18n_key] = i18n
        if self.middleware_key:
            data[self.middleware_key] = self
        current, chosen = I18n.set_current(i18n), i18n.ctx_locale.set(locale)
        try:
            return await handler(event, data)
        finally:
            i18n.ctx_locale.reset(chosen)
            I18n.reset_current(current)


def N_(msgid: str) -> str:
    """Marks a message id for extraction where it is translated later (``gettext_for``, ``texts_for``)."""
    return msgid


def unit_label(code: str | None, locale: str | None = None) -> str:
    """A unit's name for ``locale`` (default: the locale of the update being handled): 青阳镇 or
    Qingyang Town; "" for none, an unknown code as is."""
    return unit_name(code, locale or current().current_locale) or ""
