"""The Telegram Login Widget as a second way into the dashboard (https://core.telegram.org/widgets/login).

Rules:
- Offered only when the dashboard has a public https address (``WUFEI_PUBLIC_BASE_URL``, the one
  the sign-in links use and the one to register with @BotFather's /setdomain) and a real bot token
  (the sandbox has none, and the token is the key of the signature). Otherwise the sign-in page
  loads nothing from outside and ``/dashboard/login/telegram`` does not exist (404).
- Only the sign-in page, and only then, allows the widget's script (telegram.org) and frame
  (oauth.telegram.org) in its Content-Security-Policy.
- The widget's redirect is checked exactly as Telegram says: the data-check-string is every field
  but ``hash`` as ``key=value``, sorted by key, joined by newlines; the key is SHA-256 of the bot
  token; the HMAC-SHA256 of the string in hex must equal ``hash`` (``hmac.compare_digest``);
  ``auth_date`` is at most a day old on the app's clock (and not from the future beyond a small
  skew). A field given twice is refused.
- Who may then come in is decided as for a link (``auth.login_telegram``): staff only, roles
  re-read on every request.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import Settings

SCRIPT = "https://telegram.org/js/telegram-widget.js?22"
PATH = "/dashboard/login/telegram"
MAX_AGE = timedelta(days=1)
SKEW = timedelta(minutes=5)
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self' https://telegram.org; "
    "frame-src https://oauth.telegram.org; frame-ancestors 'none'"
)


@dataclass(frozen=True, slots=True)
class Widget:
    """What the sign-in page needs to draw the widget."""

    script: str
    bot_username: str
    auth_url: str


def enabled(settings: Settings) -> bool:
    return settings.bot_token is not None and settings.public_url.startswith("https://")


def auth_url(settings: Settings) -> str:
    return settings.public_url + PATH


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields))


def signature(fields: dict[str, str], bot_token: str) -> str:
    """The hex HMAC-SHA256 Telegram puts in ``hash`` for ``fields`` (every field but ``hash``)."""
    secret = hashlib.sha256(bot_token.encode()).digest()
    return hmac.new(secret, data_check_string(fields).encode(), hashlib.sha256).hexdigest()


def verify(items: Iterable[tuple[str, str]], bot_token: str, now: datetime) -> int | None:
    """The Telegram user id of a correctly signed payload at most a day old; else None."""
    pairs = list(items)
    fields = dict(pairs)
    if len(fields) != len(pairs):
        return None
    given = fields.pop("hash", "")
    if not given or not hmac.compare_digest(signature(fields, bot_token).encode(), given.encode()):
        return None
    try:
        user_id, auth_date = int(fields["id"]), int(fields["auth_date"])
    except (KeyError, ValueError):
        return None
    age = now.timestamp() - auth_date
    if user_id <= 0 or age > MAX_AGE.total_seconds() or age < -SKEW.total_seconds():
        return None
    return user_id
