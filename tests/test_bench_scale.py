"""bench/scale.py runs end to end at tiny sizes and prints one JSON line per database, size and
operation. Only the output's shape is checked, never timings: the machine may be shared."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_ADMIN_DSN, _pg_admin, service_missing

ROOT = Path(__file__).resolve().parent.parent
OPERATIONS = [
    "nearby",
    "stats_all",
    "stats_unit_30d",
    "reports_unit_open",
    "reports_admin_open",
    "open311_list",
    "open311_filtered",
    "outbox_build",
    "outbox_count",
]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_quick_benchmark_prints_the_keys_for_every_operation(kind, monkeypatch):
    if kind == "postgres":
        try:
            await _pg_admin("SELECT 1")
        except Exception as error:  # noqa: BLE001 - unreachable server, missing driver, auth
            service_missing("PostgreSQL on 127.0.0.1:5432", error)
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scale.py"), "--quick", "--sizes", "60,150", "--db", kind,
         "--reps", "2", "--outbox-reps", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, "WUFEI_BENCH_PG": PG_ADMIN_DSN},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    results = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert [(r["db"], r["rows"], r["operation"]) for r in results] == [
        (kind, rows, op) for rows in (60, 150) for op in OPERATIONS
    ]
    for r in results:
        for key in ("p50_ms", "p95_ms"):
            assert isinstance(r[key], float | int) and 0 <= r[key], r
        assert r["p50_ms"] <= r["p95_ms"], r
    for operation in ("outbox_build", "outbox_count"):  # every synthetic resident is a recipient
        assert [r["result"] for r in results if r["operation"] == operation] == [60, 150], operation
    assert all(r["result"] == r["rows"] for r in results if r["operation"] == "stats_all")
