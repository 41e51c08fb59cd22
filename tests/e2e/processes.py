"""`main.py run` as a real process for end-to-end tests: its environment, start, health, stop, kill.

env = bot_env(tmp_path, WUFEI_BOT_TOKEN=server.token, WUFEI_API_BASE=server.base_url, WUFEI_WEB_PORT=...)
process = await start_bot(tmp_path, env)
assert await health(http, port) == (200, {...})
"""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import socket
import sys
import tempfile
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
KB_CACHE_DIR = Path(tempfile.gettempdir()) / f"wufei-tests-kb-cache-{os.getuid()}"


def bot_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The process's environment: ours without any WUFEI_ setting, plus a SQLite file in
    ``tmp_path``, no geocoder, the knowledge base's cache shared by the test processes (each start
    reads it, as in production; built again when the sources change), and the test's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WUFEI_")}
    env.update(
        WUFEI_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/wufei.db",
        WUFEI_MEDIA_DIR=str(tmp_path / "media"),
        WUFEI_KB_CACHE_DIR=str(KB_CACHE_DIR),
        WUFEI_GEOCODER_ENABLED="false",
    )
    env.update(settings)
    return env


async def start_bot(tmp_path: Path, env: dict[str, str], log: Path | None = None) -> asyncio.subprocess.Process:
    """The bot process; its output in a pipe, or appended to ``log`` (a process that logs a lot and
    is never read from must not fill the pipe)."""
    if log is None:
        output = asyncio.subprocess.PIPE
    else:
        output = open(log, "ab")  # noqa: SIM115 - the child holds it; closed here after the spawn
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "main.py"),
            "run",
            cwd=tmp_path,
            env=env,
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )
    finally:
        if log is not None:
            output.close()


async def wait_until(condition, what: str, timeout: float = 30.0) -> None:
    """Poll ``condition()`` (a function, sync or async) until it is true, or fail after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.05)


async def health(http: aiohttp.ClientSession, port: int) -> tuple[int, dict] | None:
    """Polls /healthz until the process serves it (or gives up after about 30 s)."""
    for _ in range(300):
        try:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                return response.status, await response.json()
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.1)
    return None


async def stop_cleanly(process: asyncio.subprocess.Process) -> bytes:
    """SIGTERM, then the process must exit 0 without a traceback; returns its output."""
    process.send_signal(signal.SIGTERM)
    output, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, output.decode()
    assert b"Traceback" not in output, output.decode()[-3000:]
    return output


async def kill_if_running(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
        await process.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
