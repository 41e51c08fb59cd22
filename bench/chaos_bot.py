"""The bot under test as a real process: ``python main.py run`` in polling mode, pointed at the
bench's sandbox (WUFEI_API_BASE + the sandbox's token), on the bench's database and media folder.
It can be killed with SIGKILL and started again on the same database; its output goes to a log."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class BotProcess:
    def __init__(self, workdir: Path, api_base: str, token: str, database_url: str, admin_id: int) -> None:
        self.workdir = workdir
        self.log_path = workdir / "bot.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("WUFEI_")}
        env.update(
            WUFEI_BOT_TOKEN=token,
            WUFEI_API_BASE=api_base,
            WUFEI_DATABASE_URL=database_url,
            WUFEI_MEDIA_DIR=str(workdir / "media"),
            WUFEI_ADMIN_IDS=str(admin_id),
            WUFEI_WEB_PORT="0",
            WUFEI_GEOCODER_ENABLED="false",
            WUFEI_LOG_LEVEL="WARNING",
            # Residents never flood; the per-user throttle would only blur what the bench measures.
            WUFEI_FLOOD_LIMIT="1000",
        )
        self.env = env
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> None:
        self.starts += 1
        log = self.log_path.open("ab")
        log.write(f"\n=== start {self.starts} at {time.strftime('%H:%M:%S')} ===\n".encode())
        log.flush()
        # cwd: the work folder, so that no .env of the checkout is read.
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "main.py"),
            "run",
            cwd=self.workdir,
            env=self.env,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, as in a crash or an OOM kill."""
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM and wait (SIGKILL after ``timeout``)."""
        if not self.alive():
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            await self.kill()

    def errors(self) -> int:
        """Error lines and tracebacks the bot logged (all its runs)."""
        if not self.log_path.exists():
            return 0
        text = self.log_path.read_text("utf-8", errors="replace")
        return sum(1 for line in text.splitlines() if " ERROR " in line or line.startswith("Traceback"))

    def tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text("utf-8", errors="replace").splitlines()[-lines:])
