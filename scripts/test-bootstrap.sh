#!/usr/bin/env bash
# Things the test suite needs beyond Python packages. Idempotent and quiet when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x scripts/ensure-chromium.sh ]; then
  bash scripts/ensure-chromium.sh || echo "note: Chromium is not available; the browser test will say why"
fi
