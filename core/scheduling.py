"""APScheduler on the injected clock.

APScheduler 3 reads the time with ``datetime.now(self.timezone)`` in its base scheduler (when it
looks for due jobs, when a job is added or rescheduled, when it computes how long to sleep) and has
no setting for another clock. A scheduler that lives on the real clock beside code that lives on a
test's clock fires jobs the code does not think are due, or never fires the ones it does.

``ClockedScheduler`` answers those reads from a ``core.clock.Clock``: the base module's ``datetime``
name is replaced once by a subclass whose ``now()`` consults a context variable, and the scheduler
sets that variable around each of its own calls. Schedulers that were not given a clock, and every
other use of ``datetime``, are unaffected. When the clock jumps (a test moves it), the scheduler
wakes up and looks again, so a job fires because the injected clock reached it.

Rules: a job's trigger times are computed by our code from the same clock (date triggers with an
explicit ``run_date``, interval triggers with an explicit ``start_date``), never from the machine's
time zone: the scheduler's zone is UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, tzinfo

import apscheduler.schedulers.base as _aps_base
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.clock import Clock

_current: ContextVar[Callable[[], datetime] | None] = ContextVar("scheduler_clock", default=None)


class _ClockedDatetime(datetime):
    """``datetime`` as APScheduler's base module sees it: ``now()`` from the active clock."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        clock = _current.get()
        if clock is None:
            return datetime.now(tz)
        return clock().astimezone(tz) if tz is not None else clock()


if getattr(_aps_base, "datetime", None) is datetime:
    _aps_base.datetime = _ClockedDatetime


class ClockedScheduler(AsyncIOScheduler):
    """An ``AsyncIOScheduler`` (memory job store, UTC) that reads ``clock`` instead of the machine."""

    def __init__(self, clock: Clock, **options) -> None:
        options.setdefault("jobstores", {"default": MemoryJobStore()})
        options.setdefault("timezone", UTC)
        super().__init__(**options)
        self.clock = clock
        self._unsubscribe: Callable[[], None] | None = None

    @contextmanager
    def _on_clock(self) -> Iterator[None]:
        token = _current.set(self.clock)
        try:
            yield
        finally:
            _current.reset(token)

    def start(self, *args, **kwargs) -> None:
        with self._on_clock():
            super().start(*args, **kwargs)
        self._unsubscribe = self.clock.subscribe(self._clock_moved)

    def shutdown(self, wait: bool = True) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        super().shutdown(wait=wait)

    def _clock_moved(self) -> None:
        if self.running and self._eventloop is not None and not self._eventloop.is_closed():
            self.wakeup()  # AsyncIOScheduler.wakeup runs itself on the loop (call_soon_threadsafe)

    # The base scheduler's methods that read the time:

    def _process_jobs(self):
        with self._on_clock():
            return super()._process_jobs()

    def _real_add_job(self, job, jobstore_alias, replace_existing):
        with self._on_clock():
            return super()._real_add_job(job, jobstore_alias, replace_existing)

    def reschedule_job(self, job_id, jobstore=None, trigger=None, **trigger_args):
        with self._on_clock():
            return super().reschedule_job(job_id, jobstore, trigger, **trigger_args)

    def resume_job(self, job_id, jobstore=None):
        with self._on_clock():
            return super().resume_job(job_id, jobstore)
