"""Garbage-collector pauses in a long-running process.

Python's full (oldest-generation) collection walks every tracked object. A process that has
imported SQLAlchemy, aiogram and the domains holds about 100,000 of them, and on this 2-core machine
such a walk takes 40-180 ms: in ``bench/scale.py`` every Open311 page that happened to trigger one
took 100-220 ms instead of 25-35 ms (issue 16). ``freeze`` moves the objects alive after start-up
(modules, compiled statements, settings) into the permanent generation that collections skip;
objects made afterwards are collected as before. What becomes cyclic garbage among the frozen ones
is never freed, so it runs once, after start-up, not per request.
"""

from __future__ import annotations

import gc

_done = False


def freeze() -> None:
    """Collect what is garbage now, then keep every remaining object out of later collections."""
    gc.collect()
    gc.freeze()


def freeze_once() -> None:
    """``freeze`` the first time a process asks (the bot: at the end of its start-up)."""
    global _done
    if not _done:
        _done = True
        freeze()
