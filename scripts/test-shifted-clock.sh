#!/usr/bin/env bash
# The date-sensitive tests (marker `dates`) once more, in one process (under libfaketime every clock read
# traps, and two workers spend more CPU than they save), 400 days ahead on a machine in New York: a test
# that hard-codes a calendar date, or a part that reads the machine's clock or time zone instead of the
# injected clock and WUFEI_TIMEZONE, fails here first. libfaketime (Debian package `faketime`) shifts
# the wall clock only (monotonic time stays real, so asyncio's timers behave). The end-to-end tests
# stay out of this run: under libfaketime every clock read costs a trap, the sandbox round trips slow
# down past their waits on a loaded machine, and the dispatcher-level tests cover the same date logic.
# The PostgreSQL variants stay out too: the date logic is the same on both databases, and the
# injected clock, not the database's, is what this run checks (the full run covers PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v faketime >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get install -y -qq faketime >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq faketime >/dev/null 2>&1; } || true
fi
if ! command -v faketime >/dev/null 2>&1; then
  if [ "${CI:-}" = true ]; then
    echo "error: faketime (Debian package faketime) is needed for the shifted-clock run" >&2
    exit 1
  fi
  echo "note: faketime is not installed, so the date-sensitive tests were not run on a shifted clock"
  exit 0
fi
echo "== date-sensitive tests, 400 days ahead, TZ=America/New_York"
FAKETIME_DONT_FAKE_MONOTONIC=1 TZ=America/New_York faketime -f +400d \
  .venv/bin/python -m pytest -m "dates and not e2e" -k "not postgres" -q -p no:cacheprovider "$@"
