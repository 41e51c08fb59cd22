"""bench/startup.py reads the phases from the bot's log lines (the whole bench starts real processes
for a minute: it is run by hand, not here)."""

from __future__ import annotations

import importlib.util
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_startup", ROOT / "bench" / "startup.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_phases_are_read_from_the_log_lines_main_py_run_writes():
    bench = load_bench()
    log = "\n".join(
        [
            "2026-01-05 10:00:06,500 INFO wufei: imports done in 6.1 s",
            "2026-01-05 10:00:06,700 INFO wufei: knowledge base: 3276 items in 0.18 s (cache)",
            "2026-01-05 10:00:06,950 INFO wufei: database schema up to date in 0.22 s",
            "2026-01-05 10:00:07,500 INFO wufei: long polling for bot id 7000000001",
        ]
    )
    spawned = datetime(2026, 1, 5, 10, 0, 0).timestamp()
    assert bench.log_phases(log, spawned) == {
        "imports_s": 6.1,
        "kb_s": 0.18,
        "kb_index": "cache",
        "migrations_s": 0.22,
        "polling_s": 7.5,
    }
