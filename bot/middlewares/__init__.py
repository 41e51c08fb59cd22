"""Update-level middlewares, outermost first: errors, flood limit, DB session, user, locale."""

from bot.middlewares.database import DbSessionMiddleware
from bot.middlewares.errors import ErrorMiddleware
from bot.middlewares.throttling import FloodLimitMiddleware
from bot.middlewares.users import UserMiddleware

__all__ = ["DbSessionMiddleware", "ErrorMiddleware", "FloodLimitMiddleware", "UserMiddleware"]
