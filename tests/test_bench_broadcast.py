"""bench/broadcast.py runs end to end (tiny size) and prints one JSON object per scenario.

Only the output's shape and the delivery guarantees are checked, never timings: the machine may
be shared."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCENARIOS = ["raised_limit", "real_limit_scaled", "killed_and_restarted", "with_429"]
NUMBERS = {
    "recipients": int, "limit_per_s": float, "rate_share": float, "http_429": int, "duplicates": int,
    "lost": int, "uncertain": int, "sent": int, "delivered_chats": int, "uncertain_delivered": int,
    "duration_s": float, "achieved_per_s": float, "run_s": float, "window": int,
    "engine_rate_per_s": float, "server_limit_per_s": float,
}  # fmt: skip


def test_tiny_benchmark_prints_one_json_object_per_scenario():
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "broadcast.py"), "--tiny"],
        cwd=ROOT, capture_output=True, text=True, timeout=110,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    results = [json.loads(line) for line in lines]
    assert [r["scenario"] for r in results] == SCENARIOS
    for r in results:
        for key, kind in NUMBERS.items():
            assert isinstance(r[key], int | float) and not isinstance(r[key], bool), (r["scenario"], key)
            if kind is int:
                assert isinstance(r[key], int), (r["scenario"], key)
        assert r["db"] == "sqlite" and r["status"] == "done"
        assert isinstance(r["meets_targets"], bool)
        assert isinstance(r["outbox"], dict) and isinstance(r["answers"], dict)
        # Guarantees, not timings: nobody twice, nobody lost, at most the window uncertain.
        assert r["duplicates"] == 0 and r["lost"] == 0, r
        assert r["uncertain"] <= r["window"], r
        assert r["delivered_chats"] + r["lost"] + (r["uncertain"] - r["uncertain_delivered"]) == r["recipients"], r
    by_name = {r["scenario"]: r for r in results}
    killed = by_name["killed_and_restarted"]
    assert isinstance(killed["killed"], bool)
    if killed["killed"]:
        assert killed["sending_at_kill"] == killed["uncertain"]
        assert killed["uncertain_delivered"] <= killed["uncertain"]
    assert by_name["with_429"]["engine_rate_per_s"] > by_name["with_429"]["server_limit_per_s"]
    assert by_name["with_429"]["limit_per_s"] == by_name["with_429"]["server_limit_per_s"]
