"""bench/chaos.py at a tiny size: its JSON line has every key, and its numbers are what the sandbox
and the bot's database hold, counted here a second way (from the sandbox's final chats, the
callbacks it handed out, and the SQLite file read with the standard library). One scripted fault
(a 500 on the first sendLocation: the pin before a staff card) gives the count something to find
while the bot does not retry. The issue's targets are not asserted: the bench measures them, the
bot is to meet them."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import chaos  # noqa: E402
from chaos_people import Pace  # noqa: E402

KEYS = {
    "scenario": str, "residents": int, "reports_confirmed": int, "reports_stored": int, "cards_posted": int,
    "status_messages_expected": int, "status_messages_sent": int, "duplicates": int, "lost": int,
    "p95_card_s": (float, int, type(None)), "http_429": int, "elapsed_s": (float, int), "settle_s": (float, int),
    "residents_abandoned": int, "resident_nudges": int, "cards_given_up": int, "confirm_replies_missing": int,
    "status_messages_unexpected": int, "faults_injected": int, "restarts": int, "bot_errors": int,
}  # fmt: skip
TICKET = re.compile(r"JY-\d{4}-\d{6}")
TINY = ["--residents", "2", "--units", "2", "--limits", "relaxed", "--think", "0.05,0.1", "--stall-s", "3",
        "--ramp-s", "0", "--quiet-s", "1", "--settle-max-s", "40"]  # fmt: skip


def well_formed(result: dict) -> None:
    for key, kind in KEYS.items():
        assert isinstance(result[key], kind) and not isinstance(result[key], bool), (key, result)
        if isinstance(result[key], int | float):
            assert result[key] >= 0, (key, result)


async def recount(seen: chaos.Observed) -> dict:
    """The numbers again, from the sandbox's final state and the database file."""
    world, path = seen.server.world, seen.database_url.split("///", 1)[1]
    with sqlite3.connect(path) as db:
        stored = dict(db.execute("SELECT ticket, reporter_id FROM reports").fetchall())
        changes = db.execute(
            "SELECT COUNT(*) FROM report_events WHERE kind = 'status' AND new_status IN ('accepted', 'resolved')"
        ).fetchone()[0]
    confirmed = {
        cb.user_id
        for cb in world.callbacks.values()
        if cb.data.startswith("rp:ok") and world.handed_out.get(cb.update_id)
    }
    cards = {
        TICKET.search(m.data.get("text") or "").group(0)
        for chat in world.chats.values()
        if chat.is_group
        for m in chat.messages.values()
        if m.from_bot and TICKET.search(m.data.get("text") or "")
    }
    notices = {
        (person, text)
        for person in {r.user.id for r in seen.residents}
        for m in world.history(person)
        if m.from_bot and (text := m.data.get("text") or m.data.get("caption") or "").startswith("🔔")
    }
    return {
        "reports_confirmed": len(confirmed),
        "reports_stored": len(stored),
        "cards_posted": len(cards & set(stored)),
        "status_messages_expected": changes,
        "status_messages_sent": len(notices),
        "http_429": sum(1 for _, s in seen.server.request_log if s == 429),
        "lost": len(confirmed - set(stored.values())) + len(set(stored) - cards) + max(0, changes - len(notices)),
    }


async def test_tiny_run_reports_what_the_sandbox_and_database_hold_and_the_cli_prints_json():
    cli = await asyncio.create_subprocess_exec(
        sys.executable,
        str(BENCH / "chaos.py"),
        "--scenario",
        "kill",
        *TINY,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    cfg = chaos.Config(
        residents=3,
        units=2,
        limits="relaxed",
        ramp_s=0.0,
        quiet_s=1.0,
        settle_max_s=40.0,
        pace=Pace(think=(0.05, 0.1), stall_s=3.0),
        double_tap=0.0,
        faults="script=500,methods=sendLocation",
    )
    recounted: dict = {}

    async def inspect(seen: chaos.Observed) -> None:
        recounted.update(await recount(seen))

    try:
        faulty = await chaos.run_scenario(cfg, "faults", inspect=inspect)
        out, err = await asyncio.wait_for(cli.communicate(), 100)
    finally:
        if cli.returncode is None:
            cli.kill()
            await cli.wait()

    well_formed(faulty)
    assert faulty["scenario"] == "faults" and faulty["residents"] == 3
    assert faulty["faults_injected"] == 1 and faulty["restarts"] == 0 and faulty["killed_after_presses"] is None
    assert {k: faulty[k] for k in recounted} == recounted
    assert faulty["reports_stored"] >= 1 and faulty["status_messages_expected"] >= 1  # the run did something

    assert cli.returncode == 0, err.decode()[-3000:]
    [line] = [json.loads(x) for x in out.decode().splitlines() if x.strip()]
    well_formed(line)
    assert line["scenario"] == "kill" and line["residents"] == 2 and line["restarts"] == 1
    assert isinstance(line["killed_after_presses"], int)
