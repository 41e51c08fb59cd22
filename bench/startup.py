"""Start-up: how long ``main.py run`` (sandbox mode, no token) takes to answer its first question.

Each rep starts ``python main.py run`` as a subprocess in a fresh temporary folder (its own SQLite
file, media folder, free ports; no ``.env``), waits for the web chat's ready cast, has 王芳 ask a
sorting question through the web chat's HTTP API (``POST /webchat/api/send``, as the page does) and
waits for the bot's answer in her chat's history; then a second question, then SIGTERM.

One JSON line per rep, then a summary line with the medians, never asserts::

    {"rep": 1, "first_answer_s": 9.8, "first_answer_cpu_s": 7.1, "cast_ready_s": 9.3, "question_s": 0.4,
     "second_question_s": 0.2, "imports_s": 5.9, "kb_s": 0.3, "kb_index": "cache", "migrations_s": 0.2,
     "polling_s": 9.4}
    {"summary": "p50", "reps": 3, "first_answer_s": ..., ...}

All ``*_s`` times but the question ones count from the spawn of the process: ``cast_ready_s`` the
cast is in the web chat (the app is built and prepared: knowledge base, migrations, command menu), ``first_answer_s``
the answer to the first question is in the chat. ``question_s`` is the first question's own time
(sent -> answered), ``second_question_s`` the second's. ``first_answer_cpu_s`` is the CPU time
the process used until the first answer (user + system, from /proc): on a shared machine it varies
much less than the wall-clock times. The app's own log lines give
``imports_s`` (main.py until ``bot.runner`` is imported), ``kb_s`` and ``kb_index`` (the
knowledge base: index read from its cache, or built), ``migrations_s`` and ``polling_s`` (from the
spawn until "long polling" is logged).

``--cold-cache`` removes the knowledge base's index cache before every rep (the first run after a
change of the data or the code); by default the first rep fills it and later reps read it.
``--compare DIR`` alternates the reps with another checkout's ``main.py`` (e.g. the commit before,
from ``git archive``), so that both see the same machine load; lines then carry ``"main"`` and one
summary line per checkout is printed. ``--importtime`` adds one run of
``python -X importtime -c 'import bot.runner'`` and prints the self time of the slowest top-level
packages (``{"importtime": {"aiogram": 4.1, ...}}``).

    python bench/startup.py [--reps N] [--question TEXT] [--cold-cache] [--compare DIR] [--importtime] [--keep-logs]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parent.parent
FIRST_QUESTION = "用过的电池是什么垃圾？"
SECOND_QUESTION = "矿泉水平扔哪"  # a homophone: needs the pinyin of the question
TIMEOUT_S = 180.0
LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")
PHASES = {
    "imports_s": re.compile(r"imports done in ([\d.]+) s"),
    "kb_s": re.compile(r"knowledge base: \d+ items in ([\d.]+) s"),
    "migrations_s": re.compile(r"database schema up to date in ([\d.]+) s"),
}
KB_INDEX = re.compile(r"knowledge base: \d+ items in [\d.]+ s \((\w+)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bot_env(folder: Path, sandbox_port: int, web_port: int, cache_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WUFEI_")}
    env.update(
        WUFEI_DATABASE_URL=f"sqlite+aiosqlite:///{folder}/wufei.db",
        WUFEI_MEDIA_DIR=str(folder / "media"),
        WUFEI_SANDBOX_PORT=str(sandbox_port),
        WUFEI_WEB_PORT=str(web_port),
        WUFEI_KB_CACHE_DIR=str(cache_dir),
        WUFEI_LOG_LEVEL="INFO",
    )
    return env


async def until(condition, what: str, deadline: float):
    """Poll ``condition()`` (async) every 20 ms until it returns something true."""
    while True:
        result = await condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def get_json(http: aiohttp.ClientSession, url: str):
    try:
        async with http.get(url) as response:
            return await response.json() if response.status == 200 else None
    except aiohttp.ClientError:
        return None


async def ask(http: aiohttp.ClientSession, base: str, user_id: int, text: str, deadline: float) -> float:
    """Send ``text`` as the user; seconds until a new bot message is in the chat."""
    history = f"{base}api/chats/{user_id}/messages"

    async def bot_messages() -> int:
        data = await get_json(http, history)
        return sum(1 for m in (data or {}).get("messages", []) if m["from_bot"])

    before = await bot_messages()
    sent = time.monotonic()
    async with http.post(f"{base}api/send", json={"user_id": user_id, "text": text}) as response:
        assert (await response.json())["ok"], "the web chat refused the message"

    async def answered() -> bool:
        return await bot_messages() > before

    await until(answered, f"the answer to {text!r}", deadline)
    return time.monotonic() - sent


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) the process has used so far: less at the mercy of the machine's
    load than the wall clock. None where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 2)


def log_phases(log: str, spawned_wall: float) -> dict[str, object]:
    out: dict[str, object] = {}
    for line in log.splitlines():
        for key, pattern in PHASES.items():
            if found := pattern.search(line):
                out[key] = float(found.group(1))
        if found := KB_INDEX.search(line):
            out["kb_index"] = found.group(1)
        if "long polling for bot id" in line and (stamp := LOG_TIME.match(line)):
            at = datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
            out["polling_s"] = round(at - spawned_wall, 2)
    return out


async def one_rep(rep: int, main_py: Path, question: str, cache_dir: Path, keep_logs: bool) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="wufei-startup-") as tmp:
        folder = Path(tmp)
        sandbox_port, web_port = free_port(), free_port()
        base = f"http://127.0.0.1:{sandbox_port}/webchat/"
        log_path = folder / "bot.log"
        with open(log_path, "wb") as log_file:
            spawned_wall, spawned = time.time(), time.monotonic()
            process = subprocess.Popen(
                [sys.executable, str(main_py), "run"],
                cwd=folder,
                env=bot_env(folder, sandbox_port, web_port, cache_dir),
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        deadline = spawned + TIMEOUT_S
        result: dict[str, object] = {"rep": rep}
        try:
            async with aiohttp.ClientSession() as http:

                async def state():
                    if process.poll() is not None:
                        raise RuntimeError(f"main.py run exited with {process.returncode}: {log_path.read_text()}")
                    return await get_json(http, f"{base}api/state")

                async def resident():
                    data = await state()
                    return next((u for u in (data or {}).get("users", []) if u.get("username") == "wangfang"), None)

                user = await until(resident, "the cast", deadline)
                result["cast_ready_s"] = round(time.monotonic() - spawned, 2)
                result["question_s"] = round(await ask(http, base, user["id"], question, deadline), 2)
                result["first_answer_s"] = round(time.monotonic() - spawned, 2)
                result["first_answer_cpu_s"] = cpu_seconds(process.pid)
                result["second_question_s"] = round(await ask(http, base, user["id"], SECOND_QUESTION, deadline), 2)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log = log_path.read_text(errors="replace")
            if keep_logs:
                print(log, file=sys.stderr)
        result.update(log_phases(log, spawned_wall))
        return result


def importtime(top: int = 8) -> dict[str, float]:
    """Self time of the top-level packages while importing ``bot.runner`` (seconds)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import bot.runner"],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    per_package: Counter[str] = Counter()
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, _cumulative, name = line.split(":", 1)[1].split("|")
        per_package[name.strip().split(".")[0]] += int(own)
    out = {name: round(us / 1e6, 3) for name, us in per_package.most_common(top)}
    out["total"] = round(sum(per_package.values()) / 1e6, 3)
    return out


def summary(results: list[dict[str, object]], main: str) -> dict[str, object]:
    """Medians of the reps' numbers."""
    out: dict[str, object] = {"summary": "p50", "main": main, "reps": len(results), "load": os.getloadavg()[0]}
    for key in results[0]:
        values = [r[key] for r in results if isinstance(r.get(key), float | int) and key != "rep"]
        if values:
            out[key] = round(statistics.median(values), 2)  # type: ignore[type-var]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--question", default=FIRST_QUESTION)
    ap.add_argument("--cold-cache", action="store_true", help="remove the knowledge base's index cache every rep")
    ap.add_argument("--compare", type=Path, help="another checkout whose main.py runs in alternate reps")
    ap.add_argument("--importtime", action="store_true", help="also break the imports down by package")
    ap.add_argument("--keep-logs", action="store_true", help="print the bot's output to stderr")
    args = ap.parse_args(argv)
    mains = [REPO / "main.py", *([args.compare.resolve() / "main.py"] if args.compare else [])]
    results: dict[Path, list[dict[str, object]]] = {main: [] for main in mains}
    with tempfile.TemporaryDirectory(prefix="wufei-kb-cache-") as cache:
        for rep in range(1, args.reps + 1):
            for main_py in mains:
                if args.cold_cache:
                    for path in Path(cache).iterdir():
                        path.unlink()
                result = asyncio.run(one_rep(rep, main_py, args.question, Path(cache), args.keep_logs))
                if args.compare:
                    result["main"] = str(main_py.parent)
                results[main_py].append(result)
                print(json.dumps(result, ensure_ascii=False), flush=True)
    for main_py, reps in results.items():
        print(json.dumps(summary(reps, str(main_py.parent))), flush=True)
    if args.importtime:
        print(json.dumps({"importtime": importtime()}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
