"""Bot API methods of the sandbox. Each handler takes parsed ``Params`` and returns the result
object (JSON-ready) or raises ``ApiError`` with Telegram's status code and wording.

The methods are grouped by what they touch: ``updates`` (getMe, getUpdates, webhooks, commands),
``sending`` (send*, copy, forward), ``editing`` (edit*, delete*), ``queries`` (callback and
inline answers), ``chats`` (files, chats, members). Importing a group registers its methods.
"""

from . import chats, editing, queries, sending, updates  # noqa: F401 - register the methods
from .core import ACCEPT_TRUE, MAX_CAPTION, MAX_TEXT, METHODS, BotApi, method
from .params import ApiError, Params, bad

__all__ = ["ACCEPT_TRUE", "MAX_CAPTION", "MAX_TEXT", "METHODS", "ApiError", "BotApi", "Params", "bad", "method"]
