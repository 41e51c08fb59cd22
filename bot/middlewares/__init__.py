"""Update-level middlewares, outermost first: errors, flood limit, DB session, user, locale; and the
answer to every button press (``CallbackAnswers``)."""

from bot.middlewares.callbacks import CallbackAnswers
from bot.middlewares.database import DbSessionMiddleware
from bot.middlewares.errors import ErrorMiddleware
from bot.middlewares.throttling import FloodLimitMiddleware
from bot.middlewares.users import UserMiddleware

__all__ = ["CallbackAnswers", "DbSessionMiddleware", "ErrorMiddleware", "FloodLimitMiddleware", "UserMiddleware"]
