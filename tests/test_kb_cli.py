"""`kb` command line: classify JSON lines, lint exit codes, stats, export."""

import io
import json
import subprocess
import sys
from pathlib import Path

from knowledge.cli import main

REPO = Path(__file__).resolve().parent.parent
FIX = Path(__file__).parent / "kb_fixtures"
GOOD = FIX / "good" / "data"


def run(argv, stdin=""):
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_classify_json_lines_in_order():
    code, out, _ = run(["classify", "--data", str(GOOD)], "电池是什么垃圾?\n你好\n塑料盒\n电池和塑料瓶\n")
    assert code == 0
    lines = [json.loads(x) for x in out.splitlines()]
    assert [x["query"] for x in lines] == ["电池是什么垃圾?", "你好", "塑料盒", "电池和塑料瓶"]
    first = lines[0]
    assert set(first) == {"query", "category", "item", "stream", "confidence", "alternatives"}
    assert (first["category"], first["item"], first["confidence"]) == ("hazardous", "电池", "sure")
    assert lines[1]["category"] is None and lines[1]["confidence"] == "unknown"
    assert lines[2]["confidence"] == "ambiguous" and lines[2]["alternatives"][0].keys() == {"item", "category"}
    multi = lines[3]
    assert (multi["item"], multi["category"]) == ("电池", "hazardous")
    assert [(x["item"], x["category"]) for x in multi["items"]] == [("塑料瓶", "recyclable")]


def test_classify_subprocess_answers_each_line_before_eof():
    proc = subprocess.Popen(
        [sys.executable, "-m", "knowledge.cli", "classify", "--data", str(GOOD)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    try:
        proc.stdin.write("纸箱\n")
        proc.stdin.flush()
        line = proc.stdout.readline()  # would block forever without a flush per line
        assert json.loads(line)["item"] == "快递纸箱"
        proc.stdin.write("batteries\n")
        proc.stdin.close()
        assert json.loads(proc.stdout.readline())["category"] == "hazardous"
        assert proc.wait(timeout=20) == 0
    finally:
        proc.kill()


def test_lint_exit_codes():
    code, out, _ = run(["lint", "--data", str(GOOD), "--conflicts", str(FIX / "good" / "conflicts.csv")])
    assert code == 0 and out == ""
    code, out, err = run(
        ["lint", "--data", str(FIX / "bad" / "data"), "--conflicts", str(FIX / "bad" / "conflicts.csv")]
    )
    assert code == 1 and "饮料瓶" in out and "problem(s)" in err


def test_stats_text_and_json():
    code, out, _ = run(["stats", "--data", str(GOOD), "--json"])
    assert code == 0 and json.loads(out)["items"] == 34
    code, out, _ = run(["stats", "--data", str(GOOD)])
    assert code == 0 and "items" in out and "hazardous" in out


def test_export(tmp_path):
    changes = tmp_path / "changes.json"
    changes.write_text(json.dumps({"aliases": {"电池": ["电芯"]}}, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run(["export", "--data", str(tmp_path / "data"), str(changes)])
    assert code == 0 and "aliases.yaml" in out
    assert "电芯" in (tmp_path / "data" / "curated" / "aliases.yaml").read_text(encoding="utf-8")
    code, _, err = run(["export", "--data", str(tmp_path / "data"), str(tmp_path / "missing.json")])
    assert code == 2 and "cannot read" in err
