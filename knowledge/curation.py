"""Query log, "wrong answer" reports and curators' changes, over an ``AsyncSession``.

Changes are applied to the in-memory ``KnowledgeBase`` at once and stored in ``kb_changes`` so
they survive restarts (``replay``) until ``python main.py kb export`` writes them to the data files.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Integer, String, cast, func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import utcnow
from knowledge.kb import KnowledgeBase
from knowledge.models import KbChange, KbMeta, SortFeedback, SortQuery
from knowledge.normalize import is_chitchat, normalize
from knowledge.verdicts import Verdict

_KEY_NAME = "pseudonym_key"
_NEXT_QUERY_ID = "sort_query_next_id"

log = logging.getLogger("wufei.curation")


class Pseudonymizer:
    """Keyed hash of Telegram ids: the log can count people without naming them."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._known: dict[int, str] = {}  # the hash is asked for on every question: keep recent ones

    def __call__(self, user_id: int) -> str:
        known = self._known.get(user_id)
        if known is None:
            known = hmac.new(self._key, str(user_id).encode(), hashlib.sha256).hexdigest()[:24]
            if len(self._known) >= 10_000:
                self._known.clear()
            self._known[user_id] = known
        return known

    @classmethod
    async def load(cls, session: AsyncSession) -> Pseudonymizer:
        row = await session.get(KbMeta, _KEY_NAME)
        if row is None:
            session.add(KbMeta(key=_KEY_NAME, value=secrets.token_hex(32)))
            try:
                await session.commit()
            except Exception:  # noqa: BLE001 - another instance created it first
                await session.rollback()
            row = await session.get(KbMeta, _KEY_NAME)
        return cls(bytes.fromhex(row.value))


class QueryLog:
    """The query log, written in batches in the background: asking costs no SQL on the hot path.

    ``add`` hands out the row's id at once (callback buttons carry it), from blocks of ids
    reserved in ``kb_meta`` (one UPDATE per ``block`` questions, safe with several instances; a stop
    leaves the rest of a block unused, gaps in the ids are harmless); rows
    are inserted ``delay`` seconds later or when ``batch`` are waiting, in one executemany. Readers
    of the log (feedback, curators' lists) call ``flush`` first. ``close`` writes what is waiting:
    nothing is lost on a clean stop. A failed write keeps the rows for the next attempt.
    """

    def __init__(
        self, sessions: async_sessionmaker, *, delay: float = 1.0, batch: int = 200, block: int = 1000
    ) -> None:
        self.sessions = sessions
        self.delay, self.batch, self.block = delay, batch, block
        self._ids: Iterator[int] = iter(())
        self._pending: list[dict[str, Any]] = []
        self._reserving = asyncio.Lock()
        self._writing = asyncio.Lock()
        self._timer: asyncio.Task | None = None
        self._full = asyncio.Event()  # a batch is waiting: write it now

    async def add(self, user_hash: str, query: str, verdict: Verdict, source: str = "message") -> int:
        row_id = next(self._ids, None)
        if row_id is None:
            async with self._reserving:
                row_id = next(self._ids, None)
                if row_id is None:
                    self._ids = iter(await self._reserve(self.block))
                    row_id = next(self._ids)
        self._pending.append(
            dict(
                id=row_id,
                at=utcnow(),
                user_hash=user_hash,
                query=query[:200],
                source=source,
                category=verdict.category,
                item=verdict.item,
                confidence=verdict.confidence,
                # a bin without an item ("the close ones all go in ...") is still a gap for curators
                answered=verdict.answered and verdict.item is not None,
            )
        )
        # One writer task at a time, woken early when a batch is full: not a task per question
        # (the loop may not get a turn for many questions; each task costs its question several us
        # and the collector more young objects).
        if self._timer is None or self._timer.done():
            self._timer = asyncio.create_task(self._write_soon())
        if len(self._pending) >= self.batch:
            self._full.set()
        return row_id

    async def _write_soon(self) -> None:
        """Writes ``delay`` seconds after the first waiting row, or at once when a batch is full; again
        while rows came in meanwhile. A failed write is logged; the rows wait for the next question."""
        while True:
            if not self._full.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), self.delay)
            self._full.clear()
            try:  # shielded: a close() during a write waits for it rather than cutting it
                await asyncio.shield(self.flush())
            except Exception:  # kept for the next attempt; the failure is the database's, logged
                log.exception("could not write %d query-log rows", len(self._pending))
                return
            if not self._pending:
                return

    async def flush(self) -> None:
        async with self._writing:
            rows, self._pending = self._pending, []
            if not rows:
                return
            for row in rows:
                row["key"] = _key(row["query"])
            try:
                async with self.sessions() as session:
                    await (await session.connection()).execute(insert(SortQuery), rows)
                    await session.commit()
            except BaseException:
                self._pending[:0] = rows
                raise

    async def close(self) -> None:
        if self._timer is not None and not self._timer.done():
            self._timer.cancel()
        await self.flush()

    async def _reserve(self, count: int) -> range:
        for _attempt in range(3):
            async with self.sessions() as session:
                connection = await session.connection()
                bumped = (
                    await connection.execute(
                        update(KbMeta)
                        .where(col(KbMeta.key) == _NEXT_QUERY_ID)
                        .values(value=cast(cast(KbMeta.value, Integer) + count, String))
                        .returning(KbMeta.value)
                    )
                ).scalar()
                if bumped is not None:
                    await session.commit()
                    return range(int(bumped) - count, int(bumped))
                # First use: the counter starts after the highest id already logged.
                first = ((await connection.execute(select(func.max(SortQuery.id)))).scalar() or 0) + 1
                session.add(KbMeta(key=_NEXT_QUERY_ID, value=str(first + count)))
                try:
                    await session.commit()
                    return range(first, first + count)
                except IntegrityError:  # another instance created it first
                    await session.rollback()
        raise RuntimeError("could not reserve query-log ids")


@functools.lru_cache(maxsize=4096)  # most questions are asked again and again
def _key(query: str) -> str:
    """The grouping key of a logged question; greetings, thanks and emoji are no gap in the base: no
    key, so no curator's list."""
    return "" if is_chitchat(query) else (normalize(query) or query)[:200]


async def get_query(session: AsyncSession, log_id: int) -> SortQuery | None:
    return await session.get(SortQuery, log_id)


@dataclass(frozen=True, slots=True)
class Unanswered:
    key: str
    example: str
    count: int
    people: int


async def top_unanswered(session: AsyncSession, days: int = 30, limit: int = 10) -> list[Unanswered]:
    since = utcnow() - timedelta(days=days)
    rows = (
        await session.exec(
            select(
                SortQuery.key,
                func.min(SortQuery.query),
                func.count(),
                func.count(func.distinct(SortQuery.user_hash)),
            )
            .where(col(SortQuery.answered).is_(False), col(SortQuery.at) >= since, col(SortQuery.key) != "")
            .group_by(SortQuery.key)
            .order_by(func.count().desc(), SortQuery.key)
            .limit(limit + 20)
        )
    ).all()
    # rows logged before chit-chat was left without a key ("你好", emoji) are no gap either
    return [
        Unanswered(key, example, count, people) for key, example, count, people in rows if not is_chitchat(example)
    ][:limit]


async def add_feedback(
    session: AsyncSession,
    user_hash: str,
    query: str,
    item: str | None,
    category: str | None,
    suggested: str | None = None,
) -> int:
    row = SortFeedback(user_hash=user_hash, query=query[:200], item=item, category=category, suggested=suggested)
    session.add(row)
    await session.commit()
    return row.id


@dataclass(frozen=True, slots=True)
class FeedbackView:
    id: int
    query: str
    item: str | None
    category: str | None
    suggested: str | None
    count: int


async def open_feedback(session: AsyncSession, limit: int = 10) -> list[FeedbackView]:
    rows = (
        await session.exec(
            select(
                func.min(SortFeedback.id),
                SortFeedback.query,
                SortFeedback.item,
                SortFeedback.category,
                func.max(SortFeedback.suggested),
                func.count(),
            )
            .where(col(SortFeedback.handled_at).is_(None))
            .group_by(SortFeedback.query, SortFeedback.item, SortFeedback.category)
            .order_by(func.count().desc(), func.min(SortFeedback.id))
            .limit(limit)
        )
    ).all()
    return [FeedbackView(*row) for row in rows]


async def close_feedback(session: AsyncSession, query: str, actor_id: int) -> int:
    rows = (
        await session.exec(
            select(SortFeedback).where(col(SortFeedback.query) == query, col(SortFeedback.handled_at).is_(None))
        )
    ).all()
    for row in rows:
        row.handled_at = utcnow()
        row.handled_by = actor_id
    await session.commit()
    return len(rows)


async def add_alias(session: AsyncSession, kb: KnowledgeBase, actor_id: int, item_name: str, alias: str) -> str:
    """Adds ``alias`` to an item (raises ``KbError`` on a clash); returns the canonical name."""
    item = kb.add_alias(item_name, alias)
    session.add(KbChange(actor_id=actor_id, kind="alias", item_name=item.name, payload={"alias": alias}))
    await session.commit()
    return item.name


async def add_item(session: AsyncSession, kb: KnowledgeBase, actor_id: int, item: dict[str, Any]) -> str:
    """Adds a new item (raises ``KbError`` on a clash or invalid data); returns its name."""
    added = kb.add_item(item)
    payload = added.model_dump(mode="json", exclude={"source"}, exclude_none=True)
    session.add(KbChange(actor_id=actor_id, kind="item", item_name=added.name, payload=payload))
    await session.commit()
    return added.name


async def replay(session: AsyncSession, kb: KnowledgeBase) -> list[str]:
    """Applies stored changes not yet in the data files; returns problems (a change that clashes
    with data edited since is skipped and reported, not fatal)."""
    problems = []
    rows = (
        await session.exec(select(KbChange).where(col(KbChange.exported_at).is_(None)).order_by(col(KbChange.id)))
    ).all()
    for row in rows:
        try:
            if row.kind == "alias":
                kb.add_alias(row.item_name, row.payload["alias"])
            else:
                kb.add_item(row.payload)
        except Exception as error:  # noqa: BLE001 - a bad stored change is reported, not fatal
            problems.append(f"change {row.id} ({row.kind} {row.item_name}): {error}")
    return problems


async def pending_changes(session: AsyncSession) -> tuple[dict[str, list[str]], list[dict]]:
    rows = (
        await session.exec(select(KbChange).where(col(KbChange.exported_at).is_(None)).order_by(col(KbChange.id)))
    ).all()
    aliases: dict[str, list[str]] = {}
    items: list[dict] = []
    for row in rows:
        if row.kind == "alias":
            aliases.setdefault(row.item_name, []).append(row.payload["alias"])
        else:
            items.append(row.payload)
    return aliases, items


async def mark_exported(session: AsyncSession) -> int:
    rows = (await session.exec(select(KbChange).where(col(KbChange.exported_at).is_(None)))).all()
    now = utcnow()
    for row in rows:
        row.exported_at = now
    await session.commit()
    return len(rows)
