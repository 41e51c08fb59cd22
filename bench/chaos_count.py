"""The numbers of one bench/chaos.py scenario, from what the sandbox holds (what people saw) and
what the bot's database holds. See bench/chaos.py's docstring for what each key means."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import text

from chaos_people import THANKS, TICKET_RE, Observer, Resident
from core import db
from reports.models import EventKind

STATUS_CHANGES = ("accepted", "resolved")  # what the bench's handlers do to a report
NOTICE = "🔔"  # a status message to a reporter or follower starts so (either language)


@dataclass(frozen=True)
class Stored:
    """The bot's database after the run."""

    reports: list[tuple[int, str, int | None]]  # (id, ticket, reporter_id)
    events: list[tuple[int, int | None, str]]  # status changes: (report_id, actor_id, new_status)
    followers: dict[int, set[int]]  # report_id -> user ids


async def read_database(url: str) -> Stored:
    engine = db.make_engine(url)
    try:
        async with engine.connect() as conn:
            reports = [tuple(r) for r in await conn.execute(text("SELECT id, ticket, reporter_id FROM reports"))]
            events = [
                tuple(r)
                for r in await conn.execute(
                    text(
                        "SELECT report_id, actor_id, new_status FROM report_events "
                        "WHERE kind = :kind AND new_status IS NOT NULL "
                        "AND (old_status IS NULL OR old_status <> new_status)"
                    ),
                    {"kind": EventKind.STATUS.value},
                )
            ]
            followers: dict[int, set[int]] = {}
            for report_id, user_id in await conn.execute(text("SELECT report_id, user_id FROM report_followers")):
                followers.setdefault(report_id, set()).add(user_id)
    finally:
        await engine.dispose()
    return Stored(reports, [e for e in events if e[2] in STATUS_CHANGES], followers)


def p95(values: list[float]) -> float | None:
    """Nearest-rank 95th percentile; None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def count(
    residents: list[Resident],
    observer: Observer,
    handed_out: dict[int, int],
    stored: Stored,
    labels: dict[str, set[str]],
) -> dict:
    """``labels``: every translation of each status label ("accepted" -> {"👷 Accepted", ...}), how a
    status message to a reporter names the change."""
    by_id = {r.user.id: r for r in residents}
    confirmed = {r.user.id for r in residents if any(handed_out.get(p.update_id) for p in r.presses)}
    per_reporter = Counter(reporter for _, _, reporter in stored.reports)
    ticket_of = {rid: ticket for rid, ticket, _ in stored.reports}
    reporter_of = {rid: reporter for rid, _, reporter in stored.reports}

    copies = Counter(card.ticket for card in observer.cards)
    first_card = {}
    for card in observer.cards:
        first_card.setdefault(card.ticket, card.seen.at)

    expected: Counter[tuple[int, str, str]] = Counter()  # (person, ticket, status) -> messages owed
    for report_id, actor, status in stored.events:
        people = ({reporter_of.get(report_id)} | stored.followers.get(report_id, set())) - {actor, None}
        for person in people:
            expected[(person, ticket_of[report_id], status)] += 1
    delivered: Counter[tuple[int, str, str]] = Counter()
    for person in {p for p, _, _ in expected} | set(by_id):
        for seen in observer.messages(person):
            ticket = TICKET_RE.search(seen.content) if seen.content.startswith(NOTICE) else None
            for status, names in labels.items():
                if ticket and any(name in seen.content for name in names):
                    delivered[(person, ticket.group(0), status)] += 1

    sent = sum(min(n, delivered[key]) for key, n in expected.items())
    lost_presses = sum(1 for uid in confirmed if per_reporter[uid] == 0)
    lost_cards = sum(1 for _, ticket, _ in stored.reports if copies[ticket] == 0)
    waits = [
        first_card[ticket] - by_id[reporter].first_press_at
        for _, ticket, reporter in stored.reports
        if ticket in first_card and reporter in by_id and by_id[reporter].first_press_at is not None
    ]
    card_p95 = p95(waits)
    return {
        "reports_confirmed": len(confirmed),
        "reports_stored": len(stored.reports),
        "cards_posted": sum(1 for _, ticket, _ in stored.reports if copies[ticket]),
        "status_messages_expected": sum(expected.values()),
        "status_messages_sent": sent,
        "duplicates": (
            sum(n - 1 for n in copies.values() if n > 1)
            + sum(max(0, delivered[key] - n) for key, n in expected.items())
            + sum(n - 1 for uid, n in per_reporter.items() if uid is not None and n > 1)
        ),
        "lost": lost_presses + lost_cards + (sum(expected.values()) - sent),
        "p95_card_s": None if card_p95 is None else round(card_p95, 2),
        "status_messages_unexpected": sum(n for key, n in delivered.items() if key not in expected),
        "confirm_replies_missing": sum(
            1
            for _, ticket, reporter in stored.reports
            if reporter in by_id and not _thanked(observer, reporter, ticket)
        ),
        "residents_abandoned": sum(1 for r in residents if r.abandoned),
        "resident_nudges": sum(r.nudges for r in residents),
    }


def _thanked(observer: Observer, reporter: int, ticket: str) -> bool:
    return any(s.content.startswith(THANKS) and ticket in s.content for s in observer.messages(reporter))
