"""The delivery engine: an outbox per run, drained by a rate-limited sender.

The outbox (one row per recipient) is written by the database chunk by chunk as the run is sent
(``campaigns.outbox``: INSERT … SELECT over a range of user ids, the run's cursor moved in the same
transaction, idempotent thanks to the unique (run_id, user_id)). ``prepare_outbox`` writes the
first chunk (``first_chunk`` rows): the run is ready to send; when chunks are left, the recipients
are counted into ``targeted`` beside the first sends (``count_recipients``). The sender writes the
next chunk (``insert_batch`` rows) when the pending rows it can load run out, and a run is finished
only when every chunk is written and nothing is pending or in flight. Who unsubscribes (or blocks
the bot) during a run is not written in a later chunk, so gets nothing. The figures of a run
(``campaigns.progress``) add up at every moment: while chunks are left, pending includes the
recipients not written yet; once every row is written, ``targeted`` is the people addressed.
A cancelled campaign writes the rest of its outbox as failed ("campaign cancelled").

The sender drains the pending rows:
- a global token bucket (default 25 msg/s) shared by every run of the engine;
- at most one message per chat per ``per_chat_interval`` (1 s), and never two in flight to one chat;
- an in-flight window of ``window`` rows: a row is marked ``sending`` in a committed transaction
  before its send starts, and its outcome (``sent``/``blocked``/``failed``/``uncertain``, or back to
  ``pending`` for a retry) is committed right after. Claims and outcomes are group-committed by one
  writer loop, and new rows are claimed only when a slot is free *in the database*, so at any
  instant at most ``window`` rows are ``sending``;
- errors are typed (below): ``RetryAfter`` pauses the whole sender for that long and retries the
  row, ``Transient`` retries with exponential backoff up to ``max_attempts``, ``Blocked`` marks the
  row blocked and the user ``blocked_bot``, ``BadRequest`` fails the row with its reason,
  ``Uncertain`` (the request may have reached Telegram) marks it uncertain and never retries.

Crash safety: when a run is (re)started, rows left ``sending`` are marked ``uncertain`` and never
resent, pending ones are sent. So nobody gets one run twice and the uncertain rows of a crash are at
most ``window``. One process drains a given run at a time (the bot runs one scheduler).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from campaigns.drain_state import Drain, Item, Outcome, RunState
from campaigns.models import Campaign, CampaignRun, CampaignStatus, OutboxRow, OutboxStatus, RunStatus
from campaigns.outbox import count_outbox, extend_outbox, start_outbox
from campaigns.progress import run_stats
from campaigns.sending import (  # noqa: F401  (part of this module's API)
    BadRequest,
    Blocked,
    DeliveryConfig,
    OutgoingMessage,
    RetryAfter,
    RunStats,
    SendCallable,
    SendError,
    TokenBucket,
    Transient,
    Uncertain,
)
from campaigns.subscriptions import Audience
from core import notifications
from core.clock import utcnow
from core.models import User

log = logging.getLogger(__name__)

RUN_DONE = "campaign.run_done"  # the outbox's kind for a finished run's statistics to its author


# --- the engine ----------------------------------------------------------------------------------


_T = OutboxRow.__table__  # type: ignore[attr-defined]  # set by SQLModel at class creation, not in its hints
_SENT = (
    update(_T)
    .where(_T.c.id == bindparam("b_id"))
    .values(status=OutboxStatus.SENT.value, sent_at=bindparam("b_at"), message_id=bindparam("b_mid"), last_error=None)
)
_OTHER = (
    update(_T).where(_T.c.id == bindparam("b_id")).values(status=bindparam("b_status"), last_error=bindparam("b_err"))
)


class DeliveryEngine:
    """Writes outboxes and drains them. One engine per process; its rate limits span all runs."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        send: SendCallable,
        config: DeliveryConfig | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.sessions = session_factory
        self.send = send
        self.config = config or DeliveryConfig()
        self.clock = clock
        self._monotonic = monotonic
        self.bucket = TokenBucket(self.config.rate, self.config.burst, monotonic=monotonic)
        self._chat_last: dict[int, float] = {}
        self._chat_busy: set[int] = set()
        self._active: dict[int, asyncio.Event] = {}
        self._stopping = False
        self._seq = itertools.count()

    # -- public ---------------------------------------------------------------------------------

    async def deliver_run(self, run_id: int) -> RunStats:
        """Prepare (if needed) and drain the outbox of ``run_id``; returns the run's statistics.

        Safe to call again after a crash or for a finished run. If the run is being delivered
        already, waits for that delivery instead of starting a second one.
        """
        busy = self._active.get(run_id)
        if busy is not None:
            await busy.wait()
            return await self.stats(run_id)
        done = self._active[run_id] = asyncio.Event()
        try:
            return await self._deliver(run_id)
        finally:
            done.set()
            self._active.pop(run_id, None)

    async def stop(self, timeout: float = 10.0) -> None:
        """Graceful shutdown: claim nothing more, let sends in flight finish and record them.

        Runs stay ``running`` with their pending rows; ``deliver_run`` after the restart finishes
        them."""
        self._stopping = True
        events = list(self._active.values())
        if events:
            await asyncio.wait([asyncio.create_task(e.wait()) for e in events], timeout=timeout)

    @property
    def active_runs(self) -> frozenset[int]:
        return frozenset(self._active)

    async def prepare_outbox(self, run_id: int) -> bool:
        """Make the run ready to send (idempotent): write the first chunk of its outbox. True when
        its recipients are still to be counted (``count_recipients``); the drain writes the rest."""
        async with self.sessions() as session:
            run = await session.get(CampaignRun, run_id)
            if run is None:
                raise LookupError(f"no run {run_id}")
            if not (run.outbox_ready or run.outbox_after is not None):
                campaign = await session.get_one(Campaign, run.campaign_id)
                audience, has_en = Audience.from_json(campaign.audience), bool(campaign.text_en)
                await start_outbox(session, run_id, audience, has_en=has_en, size=self.config.first_chunk)
                await session.refresh(run)
            return not run.outbox_ready and run.targeted == 0

    async def count_recipients(self, run_id: int) -> int:
        """Count the run's recipients into its ``targeted`` (staff figures; not needed to send)."""
        async with self.sessions() as session:
            run = await session.get_one(CampaignRun, run_id)
            campaign = await session.get_one(Campaign, run.campaign_id)
            return await count_outbox(session, run_id, Audience.from_json(campaign.audience))

    async def stats(self, run_id: int) -> RunStats:
        async with self.sessions() as session:
            return await run_stats(session, run_id)

    # -- internals ------------------------------------------------------------------------------

    async def _deliver(self, run_id: int) -> RunStats:
        async with self.sessions() as session:
            run = await session.get(CampaignRun, run_id)
            if run is None:
                raise LookupError(f"no run {run_id}")
            if run.status in (RunStatus.DONE.value, RunStatus.MISSED.value):
                return await run_stats(session, run_id)
            if run.started_at is None:
                run.started_at = self.clock()
            run.status = RunStatus.RUNNING.value
            # Rows a crash left in flight may have been delivered: never send them again.
            await session.exec(
                update(OutboxRow)
                .where(col(OutboxRow.run_id) == run_id, col(OutboxRow.status) == OutboxStatus.SENDING.value)
                .values(status=OutboxStatus.UNCERTAIN.value, last_error="interrupted while sending")
            )
            await session.commit()
        counting = asyncio.create_task(self._count(run_id)) if await self.prepare_outbox(run_id) else None
        try:
            finished = await self._drain(run_id)
        finally:
            if counting is not None:
                await counting  # a short query: let it end rather than cancel it mid-transaction
        async with self.sessions() as session:
            stats = await run_stats(session, run_id)
            run = await session.get_one(CampaignRun, run_id)
            run.sent, run.blocked, run.failed, run.uncertain = stats.sent, stats.blocked, stats.failed, stats.uncertain
            if stats.counted:  # else the count failed: "counting" until a restart counts again
                run.targeted = stats.targeted
            if finished and stats.pending == 0 and stats.sending == 0:
                run.status = RunStatus.DONE.value
                run.finished_at = self.clock()
                # The author's statistics: owed once, written with the run's end (the bot sends it).
                campaign = await session.get_one(Campaign, run.campaign_id)
                notifications.enqueue(
                    session,
                    RUN_DONE,
                    lane=notifications.user_lane(campaign.author_id),
                    chat_id=campaign.author_id,
                    payload={"run": run_id},
                    now=self.clock(),
                )
            await session.commit()
            return await run_stats(session, run_id)

    async def _count(self, run_id: int) -> None:
        """``count_recipients`` beside the drain; a failure leaves the run "counting" until it restarts."""
        try:
            await self.count_recipients(run_id)
        except Exception:
            log.warning("could not count the recipients of run %s", run_id, exc_info=True)

    async def _load_campaign(self, session: AsyncSession, state: RunState) -> bool:
        """Refresh the texts (edits reach the rest of a run); False if the campaign was cancelled."""
        campaign = await session.get_one(Campaign, state.campaign_id)
        await session.refresh(campaign)
        state.text_zh, state.text_en, state.photo = campaign.text_zh, campaign.text_en, campaign.photo
        state.audience = Audience.from_json(campaign.audience)
        return campaign.status != CampaignStatus.CANCELLED.value

    async def _drain(self, run_id: int) -> bool:
        """Send every pending row of the run; False if stopped before the end. Each turn loads
        (``_load``), claims (``_claim``), commits and starts sends (``_commit``), then waits."""
        async with self.sessions() as session:
            run = await session.get_one(CampaignRun, run_id)
            state = RunState(run_id=run_id, campaign_id=run.campaign_id)
            drain = Drain(written=run.outbox_ready)
            try:
                while True:
                    state.wake.clear()
                    outcomes, state.results = state.results, []
                    now = self._monotonic()
                    await self._load(session, state, drain, now)
                    drain.claims = self._claim(drain, outcomes, now)
                    await self._commit(session, state, drain, outcomes)
                    if drain.held == 0 and not state.results:
                        if self._stopping:
                            return False
                        if not drain.ready and not drain.delayed and (drain.exhausted or drain.cancelled):
                            return True
                    if state.results or (drain.claims and drain.ready):
                        continue
                    try:
                        await asyncio.wait_for(state.wake.wait(), self._idle_timeout(drain))
                    except TimeoutError:
                        pass
            except BaseException:
                # A crash (or cancellation) records nothing more: in-flight rows stay "sending" and
                # become "uncertain" at the next start.
                for task, chat in list(state.tasks.items()):
                    task.cancel()
                    self._chat_busy.discard(chat)  # a task cancelled before it started frees nothing
                for item in drain.claims:  # claimed in a transaction that may not have been committed
                    self._chat_busy.discard(item.user_id)
                raise

    async def _load(self, session: AsyncSession, state: RunState, drain: Drain, now: float) -> None:
        """Retries that are due go first; with nothing ready, load the next page of pending rows,
        writing the outbox's next chunk first when none is left to load and chunks are (or notice
        that the campaign was cancelled: the rest of the outbox is written, ``_commit`` fails it)."""
        while drain.delayed and drain.delayed[0][0] <= now:
            drain.ready.appendleft(heapq.heappop(drain.delayed)[2])
        if drain.ready or drain.exhausted or drain.cancelled or self._stopping:
            return
        if not await self._load_campaign(session, state):
            drain.cancelled = True
            while not drain.written:
                drain.written = await self._extend(session, state)
            return
        page_size = self.config.page_size
        loaded = await self._page(session, state, drain, page_size)
        while loaded == 0 and not drain.written:
            # A chunk's rows are inserted after the rows loaded so far: their ids come after ``last_id``.
            drain.written = await self._extend(session, state)
            loaded = await self._page(session, state, drain, page_size)
        if loaded < page_size and drain.written:
            drain.exhausted = True

    async def _page(self, session: AsyncSession, state: RunState, drain: Drain, limit: int) -> int:
        """Load up to ``limit`` pending rows after ``last_id`` into ``ready``; returns how many."""
        rows = (
            await session.exec(
                select(OutboxRow.id, OutboxRow.user_id, OutboxRow.language, OutboxRow.attempts)
                .where(
                    OutboxRow.run_id == state.run_id,
                    OutboxRow.status == OutboxStatus.PENDING.value,
                    col(OutboxRow.id) > drain.last_id,
                )
                .order_by(col(OutboxRow.id))
                .limit(limit)
            )
        ).all()
        drain.ready.extend(Item(*row) for row in rows)
        if rows:
            drain.last_id = rows[-1][0]
        return len(rows)

    async def _extend(self, session: AsyncSession, state: RunState) -> bool:
        """Write the outbox's next chunk (its own transaction); True once every row is written."""
        if session.in_transaction():
            await session.commit()  # end the reads: the chunk and the cursor's move commit alone
        assert state.audience is not None  # set by ``_load_campaign``
        has_en = bool(state.text_en)
        return await extend_outbox(session, state.run_id, state.audience, has_en=has_en, size=self.config.insert_batch)

    def _claim(self, drain: Drain, outcomes: list[Outcome], now: float) -> list[Item]:
        """The ready rows to mark "sending" now: as many as the window has free slots once
        ``outcomes`` are committed, skipping chats that must wait, while the rate allows."""
        claims: list[Item] = []
        if self._stopping or drain.cancelled:
            return claims
        free = self.config.window - (drain.held - len(outcomes))
        while len(claims) < free and drain.ready:
            item = drain.ready.popleft()
            wait = self._chat_wait(item.user_id, now)
            if wait > 0:
                heapq.heappush(drain.delayed, (now + wait, next(self._seq), item))
                continue
            # The token is taken before the row is marked "sending", so that a row is "sending"
            # only for the commit and the call itself (not while waiting for the rate or a 429 pause).
            if not self.bucket.try_acquire():
                drain.ready.appendleft(item)
                break
            self._chat_busy.add(item.user_id)
            claims.append(item)
        return claims

    async def _commit(self, session: AsyncSession, state: RunState, drain: Drain, outcomes: list[Outcome]) -> None:
        """Commit the outcomes and the new claims in one transaction, then start the claimed sends
        and schedule the retries. A cancelled campaign fails what is left of the run."""
        claims = drain.claims
        if drain.cancelled:
            # Nothing more goes out; what is left of the run fails as "campaign cancelled".
            drain.ready.clear()
            drain.delayed.clear()
            for outcome in outcomes:
                if outcome.status is OutboxStatus.PENDING:
                    outcome.status, outcome.error = OutboxStatus.FAILED, "campaign cancelled"
            await self._cancel_pending(await session.connection(), state.run_id)
        if not (outcomes or claims):
            if session.in_transaction():
                await session.commit()  # end the read transaction of the page load
            return
        await self._write(await session.connection(), outcomes, claims)
        await session.commit()
        drain.held += len(claims) - len(outcomes)
        for outcome in outcomes:
            if outcome.status is OutboxStatus.PENDING:
                heapq.heappush(drain.delayed, (self._monotonic() + outcome.retry_in, next(self._seq), outcome.item))
        for item in claims:
            task = asyncio.create_task(self._send_one(state, item))
            state.tasks[task] = item.user_id
            task.add_done_callback(lambda t, tasks=state.tasks: tasks.pop(t, None))

    def _idle_timeout(self, drain: Drain) -> float | None:
        """How long to wait for a result before the next due retry or token (None: until one)."""
        if self._stopping or drain.cancelled:
            return None
        waits = []
        if drain.delayed:
            waits.append(drain.delayed[0][0] - self._monotonic())
        if drain.ready and drain.held < self.config.window:
            waits.append(self.bucket.wait_time())
        return max(0.0, min(waits)) if waits else None

    def _chat_wait(self, chat_id: int, now: float) -> float:
        if chat_id in self._chat_busy:
            return self.config.per_chat_interval
        last = self._chat_last.get(chat_id)
        if last is None:
            return 0.0
        return max(0.0, last + self.config.per_chat_interval - now)

    def _note_chat(self, chat_id: int) -> None:
        now = self._monotonic()
        self._chat_last[chat_id] = now
        if len(self._chat_last) > 100_000:
            horizon = now - self.config.per_chat_interval
            self._chat_last = {c: t for c, t in self._chat_last.items() if t > horizon}

    async def _cancel_pending(self, conn, run_id: int) -> None:
        await conn.execute(
            update(_T)
            .where(_T.c.run_id == run_id, _T.c.status == OutboxStatus.PENDING.value)
            .values(status=OutboxStatus.FAILED.value, last_error="campaign cancelled")
        )

    async def _write(self, conn, outcomes: list[Outcome], claims: list[Item]) -> None:
        sent = [
            {"b_id": o.item.row_id, "b_at": o.sent_at, "b_mid": o.message_id}
            for o in outcomes
            if o.status is OutboxStatus.SENT
        ]
        other = [
            {"b_id": o.item.row_id, "b_status": o.status.value, "b_err": (o.error or "")[:256] or None}
            for o in outcomes
            if o.status is not OutboxStatus.SENT
        ]
        if sent:
            await conn.execute(_SENT, sent)
        if other:
            await conn.execute(_OTHER, other)
        blocked = sorted({o.item.user_id for o in outcomes if o.status is OutboxStatus.BLOCKED})
        if blocked:
            users = User.__table__  # type: ignore[attr-defined]  # as _T above
            await conn.execute(update(users).where(users.c.id.in_(blocked)).values(blocked_bot=True))
        if claims:
            await conn.execute(
                update(_T)
                .where(_T.c.id.in_([i.row_id for i in claims]))
                .values(status=OutboxStatus.SENDING.value, attempts=_T.c.attempts + 1)
            )
            for item in claims:
                item.attempts += 1

    async def _send_one(self, state: RunState, item: Item) -> None:
        cfg = self.config
        chat = item.user_id
        try:
            # A 429 seen by another send after this row was claimed pauses this one too.
            while (pause := self.bucket.paused_for) > 0:
                await asyncio.sleep(pause)
            self._note_chat(chat)
            text = state.text_en if item.language == "en" and state.text_en else state.text_zh
            message = OutgoingMessage(chat, text, state.photo, item.language, state.campaign_id, state.run_id)
            try:
                message_id = await self.send(message)
                outcome = Outcome(item, OutboxStatus.SENT, message_id=message_id, sent_at=self.clock())
            except RetryAfter as error:
                self.bucket.pause(error.seconds)
                if item.attempts >= cfg.max_attempts:
                    outcome = Outcome(item, OutboxStatus.FAILED, f"429: {error}")
                else:
                    outcome = Outcome(item, OutboxStatus.PENDING, f"429: {error}", retry_in=error.seconds)
            except Blocked as error:
                outcome = Outcome(item, OutboxStatus.BLOCKED, f"403: {error}" if str(error) else "403")
            except BadRequest as error:
                outcome = Outcome(item, OutboxStatus.FAILED, f"400: {error.reason}")
            except Transient as error:
                if item.attempts >= cfg.max_attempts:
                    outcome = Outcome(item, OutboxStatus.FAILED, f"transient, gave up: {error}")
                else:
                    backoff = min(cfg.backoff_max, cfg.backoff_base * 2 ** (item.attempts - 1))
                    outcome = Outcome(item, OutboxStatus.PENDING, f"transient: {error}", retry_in=backoff)
            except Uncertain as error:
                outcome = Outcome(item, OutboxStatus.UNCERTAIN, f"uncertain: {error}")
            except Exception as error:  # an adapter bug: do not retry what may have gone out
                log.exception("campaign send to %s failed unexpectedly", chat)
                outcome = Outcome(item, OutboxStatus.FAILED, f"{type(error).__name__}: {error}")
        finally:
            self._chat_busy.discard(chat)
        state.results.append(outcome)
        state.wake.set()


async def unfinished_runs(session: AsyncSession) -> list[int]:
    """Runs a previous process left pending or running (to hand to ``deliver_run`` again)."""
    rows = await session.exec(
        select(CampaignRun.id)
        .where(col(CampaignRun.status).in_([RunStatus.PENDING.value, RunStatus.RUNNING.value]))
        .order_by(col(CampaignRun.id))
    )
    return list(rows.all())
