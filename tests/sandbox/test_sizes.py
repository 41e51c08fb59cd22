"""Issue #12: the sandbox stays readable: every file under sandbox/ (Python and the web chat's
JS/HTML/CSS) under 500 lines, every Python function under 80 lines."""

from __future__ import annotations

import ast
from pathlib import Path

SANDBOX = Path(__file__).resolve().parents[2] / "sandbox"
SOURCES = [p for p in sorted(SANDBOX.rglob("*")) if p.suffix in (".py", ".js", ".html", ".css")]


def test_files_are_under_500_lines():
    assert len(SOURCES) > 10
    long = {str(p.relative_to(SANDBOX)): n for p in SOURCES
            if (n := len(p.read_text(encoding="utf-8").splitlines())) >= 500}
    assert long == {}


def test_functions_are_under_80_lines():
    long = {}
    for path in (p for p in SOURCES if p.suffix == ".py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length >= 80:
                    long[f"{path.relative_to(SANDBOX)}:{node.name}"] = length
    assert long == {}
