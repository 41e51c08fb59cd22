"""Fault injection for the sandbox Bot API: 500s, 502s, slow responses, dropped connections, 429s.

Two modes, usable together:
- a scripted sequence consumed one fault per matching request (``script("500", "slow:2", "ok")``);
- a random rate (``rate=0.1``) drawing from ``kinds``.

CLI / HTTP spec form: ``"script=500,502,slow:2,drop,429:3,ok"`` or
``"rate=0.2,kinds=500+502+drop,seed=1,methods=sendMessage+sendPhoto"``.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

KINDS = ("500", "502", "slow", "drop", "drop_after", "429", "ok")


@dataclass(frozen=True)
class Fault:
    kind: str  # one of KINDS
    arg: float = 0.0  # seconds for slow, retry_after for 429

    @classmethod
    def parse(cls, text: str) -> Fault:
        kind, _, arg = text.strip().partition(":")
        kind = kind.strip().lower()
        if kind not in KINDS:
            raise ValueError(f"unknown fault {kind!r}; use one of {', '.join(KINDS)}")
        default = {"slow": 2.0, "429": 3.0}.get(kind, 0.0)
        return cls(kind, float(arg) if arg else default)


class Faults:
    """Decides, per Bot API request, whether and how to fail it."""

    def __init__(
        self,
        rate: float = 0.0,
        kinds: Iterable[str] = ("500", "502", "slow", "drop", "429"),
        methods: Iterable[str] | None = None,
        seed: int | None = None,
        slow_seconds: float = 2.0,
        retry_after: int = 3,
    ) -> None:
        self.rate = rate
        self.kinds = [Fault.parse(k) for k in kinds]
        self.methods = {m.lower() for m in methods} if methods else None
        self.random = random.Random(seed)
        self.slow_seconds = slow_seconds
        self.retry_after = retry_after
        self._script: deque[Fault] = deque()
        self.injected: list[tuple[str, str]] = []  # (method, kind) log, for tests

    def script(self, *faults: str | Fault, methods: Iterable[str] | None = None) -> Faults:
        """Queue faults, consumed in order by the next matching requests."""
        if methods is not None:
            self.methods = {m.lower() for m in methods}
        for f in faults:
            self._script.append(f if isinstance(f, Fault) else Fault.parse(f))
        return self

    def clear(self) -> None:
        self.rate = 0.0
        self._script.clear()
        self.methods = None

    @property
    def pending(self) -> int:
        return len(self._script)

    def next_fault(self, method: str) -> Fault | None:
        if self.methods is not None and method.lower() not in self.methods:
            return None
        fault: Fault | None = None
        if self._script:
            fault = self._script.popleft()
        elif self.rate > 0 and self.kinds and self.random.random() < self.rate:
            fault = self.random.choice(self.kinds)
            if fault.kind == "slow" and not fault.arg:
                fault = Fault("slow", self.slow_seconds)
        if fault is None or fault.kind == "ok":
            return None
        if fault.kind == "429" and not fault.arg:
            fault = Fault("429", self.retry_after)
        self.injected.append((method, fault.kind))
        return fault

    @classmethod
    def parse(cls, spec: str) -> Faults:
        faults = cls()
        for part in _split_top(spec):
            key, _, value = part.partition("=")
            key = key.strip().lower()
            if key == "script":
                faults.script(*[v for v in value.split(",") if v.strip()])
            elif key == "rate":
                faults.rate = float(value)
            elif key == "kinds":
                faults.kinds = [Fault.parse(k) for k in value.split("+") if k.strip()]
            elif key == "methods":
                faults.methods = {m.strip().lower() for m in value.split("+") if m.strip()}
            elif key == "seed":
                faults.random = random.Random(int(value))
            elif key == "slow":
                faults.slow_seconds = float(value)
            else:
                raise ValueError(f"unknown fault option {key!r}")
        return faults

    def describe(self) -> dict:
        return {
            "rate": self.rate,
            "kinds": [f.kind for f in self.kinds],
            "methods": sorted(self.methods) if self.methods else None,
            "script": [f"{f.kind}:{f.arg:g}" for f in self._script],
            "injected": len(self.injected),
        }


def _split_top(spec: str) -> list[str]:
    """Split "script=500,502,rate=0.1" into options; a script swallows bare items after it."""
    out: list[str] = []
    for piece in spec.split(","):
        piece = piece.strip()
        if not piece:
            continue
        if "=" in piece or not out:
            out.append(piece)
        else:
            out[-1] += "," + piece
    return out
