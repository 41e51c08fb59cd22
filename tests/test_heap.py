"""core/heap.py: the bot freezes its start-up objects once per process, whatever calls prepare."""

from __future__ import annotations

from core import heap


def test_freeze_once_freezes_the_first_time_only(monkeypatch):
    calls = []
    monkeypatch.setattr(heap, "_done", False)
    monkeypatch.setattr(heap.gc, "collect", lambda: calls.append("collect"))
    monkeypatch.setattr(heap.gc, "freeze", lambda: calls.append("freeze"))
    heap.freeze_once()
    heap.freeze_once()
    assert calls == ["collect", "freeze"]
