"""The layers hold: import-linter checks the contracts in pyproject.toml ([tool.importlinter]).

Domains (knowledge, reports, campaigns) and core never import aiogram, bot or sandbox; the sandbox
never imports the bot; core never imports a domain. Imports inside functions count too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = (
    "Domains and core never import aiogram, the bot or the sandbox",
    "The sandbox never imports the bot",
    "Core never imports a domain",
)


def test_import_contracts_are_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    for contract in CONTRACTS:
        assert f"{contract} KEPT" in report, report
