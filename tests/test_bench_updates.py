"""bench/updates.py runs end to end in its quick mode and prints one JSON line per database and way
in (the dispatcher, the inbox) with the keys of issue 16. Only the output's shape is checked, never
timings: the machine may be shared."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_ADMIN_DSN, _pg_admin, service_missing

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_quick_benchmark_prints_a_line_per_way_in_with_the_keys(kind):
    if kind == "postgres":
        try:
            await _pg_admin("SELECT 1")
        except Exception as error:  # noqa: BLE001 - unreachable server, missing driver, auth
            service_missing("PostgreSQL on 127.0.0.1:5432", error)
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "updates.py"), "--quick", "--db", kind],
        cwd=ROOT, capture_output=True, text=True, timeout=180, env={**os.environ, "WUFEI_BENCH_PG": PG_ADMIN_DSN},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    results = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert [(r["db"], r["via"]) for r in results] == [(kind, "dispatcher"), (kind, "inbox")]
    for result in results:
        for key in ("wufei_per_s", "echo_per_s", "ratio", "sql_per_update"):
            assert isinstance(result[key], float | int) and result[key] >= 0, result
        assert result["wufei_per_s"] > 0 and result["echo_per_s"] > 0
        assert result["ratio"] == pytest.approx(result["wufei_per_s"] / result["echo_per_s"], abs=0.01)
