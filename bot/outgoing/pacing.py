"""One way out: every Bot API request passes this aiogram request middleware
(``bot.session.middleware(Pacer(...))``), whichever feature makes it.

Why a request middleware: it sits under every ``bot.send_*``, ``message.answer`` and
``SendMessage(...).as_(bot)`` of every feature, the error middleware's apology and the campaign
sender included, so no code path can forget the limits; the handlers keep calling aiogram as usual.

- **Limits** (Telegram's: about 30 messages/s per bot, 1/s per chat with a small burst, 20/min
  per group) are token buckets kept a little under Telegram's (``PaceLimits``); an album counts
  one message per item. Sends, copies and forwards are paced; edits, callback answers and reads
  are not (they create no message), but all of them get the 429 handling below.
- **Shared by instances**: with Redis (``RedisBuckets``) the buckets live in Redis and are taken
  by one Lua script on the server's clock, so two instances together keep the limits.
- **Priorities**: a person's own answers (the default) go before notifications from the outbox
  (``NOTIFY``), and both before broadcasts (``BULK``): ``with priority(BULK): ...``. A request of
  a lower class waits while one of a higher class is waiting for the same bucket: the bot-wide
  one, or its chat's (so a handler's prompt in a busy staff group goes before the next card).
- **429 is waited out**: ``retry_after`` seconds, then the request is made again (the chat's
  bucket is emptied for that long, so its other messages wait too), up to ``max_429`` times.
- **5xx is retried** a few times with a short backoff (``server_retries``). A broken connection is
  retried only for requests that may be repeated (``REPEATABLE``: answers to buttons, edits ...);
  a send may have reached Telegram: the outbox decides (``worker.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

log = logging.getLogger(__name__)


class Priority(IntEnum):
    INTERACTIVE = 0  # an answer to the person who wrote
    NOTIFY = 1  # the outbox: cards, status messages, reminders
    BULK = 2  # campaign broadcasts


_priority: contextvars.ContextVar[Priority] = contextvars.ContextVar(
    "wufei_send_priority", default=Priority.INTERACTIVE
)


@contextlib.contextmanager
def priority(level: Priority) -> Iterator[None]:
    token = _priority.set(level)
    try:
        yield
    finally:
        _priority.reset(token)


@dataclass(frozen=True)
class PaceLimits:
    per_second: float = 28.0  # Telegram: about 30
    burst: int = 28
    per_chat_per_second: float = 0.95  # Telegram: 1, with a small burst
    chat_burst: int = 3
    group_per_minute: int = 20  # Telegram: 20
    group_window_s: float = 60.5
    max_429: int = 10
    server_retries: int = 3
    server_backoff_s: float = 0.5

    @classmethod
    def relaxed(cls) -> PaceLimits:
        """For tests at the dispatcher level, where no Telegram counts."""
        return cls(
            per_second=10_000,
            burst=10_000,
            per_chat_per_second=10_000,
            chat_burst=10_000,
            group_per_minute=100_000,
            server_backoff_s=0.01,
        )


# Requests that change nothing when made twice (or whose second time is refused harmlessly).
REPEATABLE = frozenset(
    {
        "answerCallbackQuery",
        "answerInlineQuery",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "editMessageMedia",
        "deleteMessage",
        "sendChatAction",
        "getFile",
        "getMe",
        "getChat",
        "getChatMember",
        "setMyCommands",
        "deleteWebhook",
        "setWebhook",
        "pinChatMessage",
    }
)


def message_count(method: TelegramMethod) -> int:
    """How many messages a request creates (0 for requests that create none)."""
    name = method.__api_method__
    if name == "sendMediaGroup":
        return len(method.media)
    if (
        name.startswith("send")
        and name != "sendChatAction"
        or name in ("copyMessage", "forwardMessage", "sendPoll", "sendDice")
    ):
        return 1
    if name in ("copyMessages", "forwardMessages"):
        return len(method.message_ids)
    return 0


def chat_of(method: TelegramMethod) -> int | str | None:
    return getattr(method, "chat_id", None)


def is_group(chat_id: int | str) -> bool:
    """Groups, supergroups and channels have negative ids (or an @username)."""
    return isinstance(chat_id, str) or chat_id < 0


# --- the buckets ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Bucket:
    rate: float
    burst: int
    tokens: float = -1.0
    stamp: float = 0.0

    def wait(self, now: float, count: int) -> float:
        if self.tokens < 0 and self.stamp == 0.0:
            self.tokens, self.stamp = float(self.burst), now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        need = min(count, self.burst)
        return 0.0 if self.tokens >= need else (need - self.tokens) / self.rate


@dataclass
class LocalBuckets:
    """The buckets of one process (no Redis)."""

    limits: PaceLimits
    clock: Any = time.monotonic
    _bot: _Bucket | None = None
    _chats: dict[Any, _Bucket] = field(default_factory=dict)
    _groups: dict[Any, deque] = field(default_factory=dict)

    async def take(self, chat_id: Any, count: int) -> tuple[float, bool]:
        """0 and take ``count`` messages' worth, or (seconds to wait, whether the bot-wide bucket is
        what is short)."""
        lim, now = self.limits, self.clock()
        if self._bot is None:
            self._bot = _Bucket(lim.per_second, lim.burst)
        wait = bot_wait = self._bot.wait(now, count)
        chat = window = None
        if chat_id is not None:
            chat = self._chats.get(chat_id)
            if chat is None:
                chat = self._chats[chat_id] = _Bucket(lim.per_chat_per_second, lim.chat_burst)
            wait = max(wait, chat.wait(now, count))
            if is_group(chat_id):
                window = self._groups.setdefault(chat_id, deque())
                while window and now - window[0] >= lim.group_window_s:
                    window.popleft()
                if window and len(window) + count > lim.group_per_minute:
                    wait = max(wait, lim.group_window_s - (now - window[0]))
        if wait > 0:
            return wait, bot_wait > 0
        self._bot.tokens -= count
        if chat is not None:
            chat.tokens -= count
        if window is not None:
            window.extend([now] * count)
        if len(self._chats) > 50_000:  # forget idle chats (their buckets are full again anyway)
            self._chats = {k: v for k, v in self._chats.items() if now - v.stamp < 60}
        return 0.0, False

    async def close(self) -> None:
        pass

    async def hold(self, chat_id: Any, seconds: float) -> None:
        """Telegram said 429 for this chat: nothing more to it for ``seconds``."""
        bucket = self._chats.get(chat_id)
        if bucket is not None:
            bucket.tokens = min(bucket.tokens, 1.0) - seconds * bucket.rate  # one token in ``seconds``
            bucket.stamp = self.clock()


# One script, so two instances never both take the last token. Time is Redis's own (TIME).
_TAKE = """
local t = redis.call('TIME'); local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local count = tonumber(ARGV[1]); local ttl = 120
local function bucket(key, rate, burst)
  local v = redis.call('HMGET', key, 'tokens', 'stamp')
  local tokens = tonumber(v[1]) or burst; local stamp = tonumber(v[2]) or now
  tokens = math.min(burst, tokens + (now - stamp) * rate)
  local need = math.min(count, burst)
  local wait = 0
  if tokens < need then wait = (need - tokens) / rate end
  return tokens, wait
end
local bt, bw = bucket(KEYS[1], tonumber(ARGV[2]), tonumber(ARGV[3]))
local waits = {bw}; local ct, cw
if KEYS[2] ~= '' then
  ct, cw = bucket(KEYS[2], tonumber(ARGV[4]), tonumber(ARGV[5])); table.insert(waits, cw)
end
local window = tonumber(ARGV[7])
if KEYS[3] ~= '' then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window)
  local n = redis.call('ZCARD', KEYS[3])
  if n > 0 and n + count > tonumber(ARGV[6]) then
    local first = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
    table.insert(waits, window - (now - tonumber(first[2])))
  end
end
local wait = 0
for _, w in ipairs(waits) do if w > wait then wait = w end end
if wait > 0 then
  if bw > 0 then return {tostring(wait), 1} end
  return {tostring(wait), 0}
end
redis.call('HSET', KEYS[1], 'tokens', bt - count, 'stamp', now); redis.call('EXPIRE', KEYS[1], ttl)
if KEYS[2] ~= '' then
  redis.call('HSET', KEYS[2], 'tokens', ct - count, 'stamp', now); redis.call('EXPIRE', KEYS[2], ttl)
end
if KEYS[3] ~= '' then
  for i = 1, count do redis.call('ZADD', KEYS[3], now, tostring(now) .. ':' .. i .. ':' .. ARGV[8]) end
  redis.call('EXPIRE', KEYS[3], ttl)
end
return {'0', 0}
"""

_HOLD = """
local t = redis.call('TIME'); local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local v = redis.call('HMGET', KEYS[1], 'tokens')
local tokens = math.min(tonumber(v[1]) or 1, 1) - tonumber(ARGV[1]) * tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'tokens', tokens, 'stamp', now); redis.call('EXPIRE', KEYS[1], 120)
"""


class RedisBuckets:
    """The same buckets in Redis, shared by every instance of the bot (one key prefix per bot)."""

    def __init__(self, redis: Any, limits: PaceLimits, prefix: str) -> None:
        self.redis, self.limits, self.prefix = redis, limits, prefix
        self._take = redis.register_script(_TAKE)
        self._hold = redis.register_script(_HOLD)
        self._seq = 0

    async def take(self, chat_id: Any, count: int) -> tuple[float, bool]:
        lim = self.limits
        self._seq += 1
        keys = [
            f"{self.prefix}:bot",
            f"{self.prefix}:chat:{chat_id}" if chat_id is not None else "",
            f"{self.prefix}:group:{chat_id}" if chat_id is not None and is_group(chat_id) else "",
        ]
        wait, short = await self._take(
            keys=keys,
            args=[
                count,
                lim.per_second,
                lim.burst,
                lim.per_chat_per_second,
                lim.chat_burst,
                lim.group_per_minute,
                lim.group_window_s,
                f"{id(self)}:{self._seq}",
            ],
        )
        return float(wait), bool(int(short))

    async def close(self) -> None:
        await self.redis.aclose()

    async def hold(self, chat_id: Any, seconds: float) -> None:
        await self._hold(keys=[f"{self.prefix}:chat:{chat_id}"], args=[seconds, self.limits.per_chat_per_second])


# --- the middleware ------------------------------------------------------------------------------


class Pacer(BaseRequestMiddleware):
    def __init__(self, buckets: LocalBuckets | RedisBuckets, limits: PaceLimits | None = None) -> None:
        self.buckets = buckets
        self.limits = limits or buckets.limits
        self._waiting = [0, 0, 0]  # per priority: requests waiting for the bot-wide bucket
        self._chat_waiting: dict[Any, list[int]] = {}  # the same, per chat (its own or its group's limit)
        self.stats = {"paced": 0, "waited_s": 0.0, "http_429": 0, "server_retries": 0, "network_retries": 0}

    async def close(self) -> None:
        await self.buckets.close()

    async def acquire(self, chat_id: Any, count: int) -> None:
        level = _priority.get()
        while True:
            mine = self._chat_waiting.get(chat_id)
            if level and (any(self._waiting[:level]) or (mine and any(mine[:level]))):
                await asyncio.sleep(0.02)  # someone more urgent waits for the same bucket
                continue
            wait, bot_wide = await self.buckets.take(chat_id, count)
            if wait <= 0:
                return
            self.stats["waited_s"] += wait
            counters = self._waiting if bot_wide else self._chat_waiting.setdefault(chat_id, [0, 0, 0])
            counters[level] += 1
            try:
                await asyncio.sleep(wait)
            finally:
                counters[level] -= 1
                if not bot_wide and not any(counters):
                    self._chat_waiting.pop(chat_id, None)

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Response[TelegramType]:
        count = message_count(method)
        chat_id = chat_of(method)
        limits = self.limits
        flood = server = network = 0
        while True:
            if count:
                self.stats["paced"] += 1
                await self.acquire(chat_id, count)
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                flood += 1
                self.stats["http_429"] += 1
                if flood > limits.max_429:
                    raise
                log.info("429 on %s to %s: waiting %s s", method.__api_method__, chat_id, error.retry_after)
                if count and chat_id is not None:
                    await self.buckets.hold(chat_id, error.retry_after)  # the next acquire waits it out
                else:
                    await asyncio.sleep(error.retry_after)
            except TelegramNetworkError:
                # The connection broke: repeat what may be repeated (nothing new appears twice);
                # a send is the outbox's decision, it may have arrived.
                network += 1
                if method.__api_method__ not in REPEATABLE or network > limits.server_retries:
                    raise
                self.stats["network_retries"] += 1
                await asyncio.sleep(limits.server_backoff_s * 2 ** (network - 1))
            except TelegramServerError:
                server += 1
                self.stats["server_retries"] += 1
                if server > limits.server_retries:
                    raise
                await asyncio.sleep(limits.server_backoff_s * 2 ** (server - 1))
