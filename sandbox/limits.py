"""Telegram flood limits: about 30 messages/s per bot, 1/s per chat (small burst), 20/min per group."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Limits:
    """Flood-control settings. Set ``enabled=False`` (or raise the numbers) for benchmarks."""

    enabled: bool = True
    per_bot_per_second: float = 30.0
    per_bot_burst: int = 30
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 4
    per_group_per_minute: int = 20
    max_download_bytes: int = 20 * 1024 * 1024

    @classmethod
    def off(cls) -> Limits:
        return cls(enabled=False)

    @classmethod
    def relaxed(cls) -> Limits:
        """Generous limits for functional tests: only a runaway loop hits them."""
        return cls(
            per_bot_per_second=1000,
            per_bot_burst=1000,
            per_chat_per_second=50,
            per_chat_burst=50,
            per_group_per_minute=600,
        )

    @classmethod
    def parse(cls, spec: str) -> Limits:
        """Parse ``"off"`` or ``"bot=30,chat=1,burst=4,group=20"`` (CLI form)."""
        spec = spec.strip()
        if spec in ("off", "none", "0"):
            return cls.off()
        lim = cls()
        names = {
            "bot": "per_bot_per_second",
            "bot_burst": "per_bot_burst",
            "chat": "per_chat_per_second",
            "burst": "per_chat_burst",
            "group": "per_group_per_minute",
        }
        for part in filter(None, (p.strip() for p in spec.split(","))):
            key, _, value = part.partition("=")
            attr = names.get(key.strip())
            if attr is None:
                raise ValueError(f"unknown limit {key!r}; use {', '.join(names)}")
            setattr(lim, attr, type(getattr(lim, attr))(float(value)))
        return lim


class _Bucket:
    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate, self.burst = rate, max(1, burst)
        self.tokens, self.stamp = float(self.burst), now

    def wait_time(self, now: float) -> float:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


@dataclass
class FloodControl:
    limits: Limits
    clock: Callable[[], float] = time.monotonic
    _bot: _Bucket | None = None
    _chats: dict[int, _Bucket] = field(default_factory=dict)
    _groups: dict[int, deque[float]] = field(default_factory=dict)

    def reset(self) -> None:
        self._bot = None
        self._chats.clear()
        self._groups.clear()

    def check(self, chat_id: int, is_group: bool, count: int = 1) -> int:
        """Return 0 when ``count`` messages may be sent now (and account for them),
        else the number of seconds to wait (``retry_after``)."""
        lim = self.limits
        if not lim.enabled:
            return 0
        now = self.clock()
        if self._bot is None:
            self._bot = _Bucket(lim.per_bot_per_second, lim.per_bot_burst, now)
        waits = [self._bot.wait_time(now)]
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _Bucket(lim.per_chat_per_second, lim.per_chat_burst, now)
        waits.append(chat.wait_time(now))
        window = None
        if is_group:
            window = self._groups.setdefault(chat_id, deque())
            while window and now - window[0] >= 60.0:
                window.popleft()
            if len(window) + count > lim.per_group_per_minute and window:
                waits.append(60.0 - (now - window[0]))
        wait = max(waits)
        if wait > 0:
            return max(1, math.ceil(wait))
        for _ in range(count):
            self._bot.take()
            chat.take()
            if window is not None:
                window.append(now)
        return 0
