"""A tiny headless-Chromium driver over the DevTools protocol (no extra dependency).

Used by the web chat's browser tests:

    async with HeadlessChromium.launch() as browser:
        await browser.goto(server.webchat_url)
        await browser.wait_for("document.body.dataset.ready === '1'")
        await browser.type("#text", "/start")
        await browser.click("#send-btn")
        await browser.screenshot("test-artifacts/webchat.png")
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--no-default-browser-check", "--mute-audio",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
    "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


class BrowserError(RuntimeError):
    pass


class HeadlessChromium:
    def __init__(self, proc: asyncio.subprocess.Process, profile: str, http: aiohttp.ClientSession,
                 ws: aiohttp.ClientWebSocketResponse) -> None:
        self.proc, self.profile, self.http, self.ws = proc, profile, http, ws
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}
        self.console: list[str] = []
        self.errors: list[str] = []
        self._reader = asyncio.create_task(self._read())

    @classmethod
    @contextlib.asynccontextmanager
    async def launch(cls, executable: str | None = None, width: int = 1100, height: int = 760):
        exe = executable or find_chromium()
        if exe is None:
            raise BrowserError("chromium not found")
        profile = tempfile.mkdtemp(prefix="wufei-chromium-")
        proc = await asyncio.create_subprocess_exec(
            exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
            "about:blank", stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        http = aiohttp.ClientSession()
        browser = None
        try:
            port = await _devtools_port(Path(profile), proc)
            targets: list[dict[str, Any]] = []
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                async with http.get(f"http://127.0.0.1:{port}/json/list") as resp:
                    targets = [t for t in await resp.json() if t.get("type") == "page"]
                if targets:
                    break
                await asyncio.sleep(0.1)
            if not targets:
                raise BrowserError("chromium opened no page")
            ws = await http.ws_connect(targets[0]["webSocketDebuggerUrl"], max_msg_size=0)
            browser = cls(proc, profile, http, ws)
            await browser.send("Page.enable")
            await browser.send("Runtime.enable")
            await browser.send("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
            yield browser
        finally:
            if browser is not None:
                await browser._close()
            await http.close()
            if proc.returncode is None:
                proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), 5)
                except asyncio.TimeoutError:
                    proc.kill()
                    await proc.wait()
            shutil.rmtree(profile, ignore_errors=True)

    async def _close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(BaseException):
            await self._reader
        await self.ws.close()

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            if "id" in data and data["id"] in self._pending:
                fut = self._pending.pop(data["id"])
                if not fut.done():
                    fut.set_result(data)
            elif data.get("method") == "Runtime.consoleAPICalled":
                args = data["params"].get("args", [])
                self.console.append(" ".join(str(a.get("value", a.get("description", ""))) for a in args))
            elif data.get("method") == "Runtime.exceptionThrown":
                details = data["params"]["exceptionDetails"]
                self.errors.append(details.get("exception", {}).get("description") or details.get("text", ""))

    async def send(self, method: str, params: dict[str, Any] | None = None, timeout: float = 15) -> dict:
        msg_id = next(self._ids)
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = fut
        await self.ws.send_str(json.dumps({"id": msg_id, "method": method, "params": params or {}}))
        data = await asyncio.wait_for(fut, timeout)
        if "error" in data:
            raise BrowserError(f"{method}: {data['error']}")
        return data.get("result", {})

    # ---------------------------------------------------------------- page helpers
    async def goto(self, url: str) -> None:
        await self.send("Page.navigate", {"url": url})
        await self.wait_for("document.readyState === 'complete'")

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                      "awaitPromise": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"JS error in {expression!r}: {result['exceptionDetails'].get('text')}")
        return result.get("result", {}).get("value")

    async def wait_for(self, expression: str, timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(BrowserError):
                value = await self.evaluate(expression)
                if value:
                    return value
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out waiting for {expression!r}; page errors: {self.errors}")
            await asyncio.sleep(0.05)

    async def count(self, selector: str) -> int:
        return await self.evaluate(f"document.querySelectorAll({json.dumps(selector)}).length")

    async def click(self, selector: str, text: str | None = None) -> None:
        """A real mouse click at the centre of the first element matching selector (and text)."""
        find = (f"Array.from(document.querySelectorAll({json.dumps(selector)}))"
                + (f".filter(e => e.textContent.includes({json.dumps(text)}))" if text else "")
                + "[0]")
        box = await self.wait_for(
            f"(() => {{ const e = {find}; if (!e) return null; e.scrollIntoView({{block: 'center'}});"
            " const r = e.getBoundingClientRect(); return r.width ? {x: r.x + r.width / 2, y: r.y + r.height / 2} : null; })()")
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            await self.send("Input.dispatchMouseEvent", {"type": kind, "x": box["x"], "y": box["y"],
                                                         "button": "left", "clickCount": 1})

    async def type(self, selector: str, text: str) -> None:
        await self.click(selector)
        await self.send("Input.insertText", {"text": text})

    async def press_enter(self) -> None:
        for kind in ("keyDown", "keyUp"):
            await self.send("Input.dispatchKeyEvent", {"type": kind, "key": "Enter", "code": "Enter",
                                                       "windowsVirtualKeyCode": 13, "text": "\r"})

    async def set_files(self, selector: str, paths: list[str]) -> None:
        doc = await self.send("DOM.getDocument")
        node = await self.send("DOM.querySelector", {"nodeId": doc["root"]["nodeId"], "selector": selector})
        await self.send("DOM.setFileInputFiles", {"nodeId": node["nodeId"],
                                                  "files": [os.path.abspath(p) for p in paths]})

    async def screenshot(self, path: str | Path) -> Path:
        data = await self.send("Page.captureScreenshot", {"format": "png"})
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(base64.b64decode(data["data"]))
        return out


async def _devtools_port(profile: Path, proc: asyncio.subprocess.Process, timeout: float = 20) -> int:
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if marker.exists():
            first = marker.read_text().splitlines()[:1]
            if first and first[0].strip().isdigit():
                return int(first[0])
        if proc.returncode is not None:
            raise BrowserError(f"chromium exited with code {proc.returncode}")
        await asyncio.sleep(0.05)
    raise BrowserError("chromium did not open its DevTools port")


def chromium_or_skip() -> str:
    """For pytest: the chromium path, or skip with the reason (fail under CI=true)."""
    import pytest

    path = find_chromium()
    if path is None:
        reason = ("chromium is not installed (scripts/ensure-chromium.sh installs Debian's "
                  "chromium package with apt-get)")
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(reason + "; CI must have it")
        pytest.skip(reason)
    return path
