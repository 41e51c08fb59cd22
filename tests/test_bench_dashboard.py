"""bench/dashboard.py runs end to end at a tiny size and prints one JSON line per page, each page
answered 200. Only the output's shape is checked, never timings: the machine may be shared."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = {
    "reports_admin",
    "reports_unit",
    "reports_filtered",
    "reports_overdue",
    "report",
    "figures",
    "bulletin_csv",
    "bulletin_xlsx",
    "reports_csv",
    "reports_geojson",
}


def test_tiny_benchmark_prints_every_page():
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "dashboard.py"), "--sizes", "80", "--db", "sqlite", "--reps", "2"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip().startswith("{")]
    assert {line["page"] for line in lines} == PAGES, done.stdout
    for line in lines:
        assert line["db"] == "sqlite" and line["rows"] == 80, line
        assert line["p50_ms"] > 0 and line["p95_ms"] >= line["p50_ms"], line
