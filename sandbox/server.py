"""SandboxServer: a local Telegram Bot API server plus a web chat, over real HTTP (aiohttp).

server = SandboxServer(port=0)
await server.start()
bot = Bot(server.token, session=AiohttpSession(api=TelegramAPIServer.from_base(server.base_url)))
alice = server.create_user("Alice", language_code="en")
server.world.user_text(alice, server.private_chat(alice), "/start")
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections import Counter
from typing import Any

from aiohttp import web

from .botapi import ApiError, BotApi, Params
from .faults import Faults
from .limits import FloodControl, Limits
from .webchat import WebChat
from .world import Chat, SandboxError, VirtualUser, World

log = logging.getLogger("sandbox")
DEFAULT_BOT_ID = 7000000001
MAX_REQUEST_BYTES = 50 * 1024 * 1024  # Telegram's upload cap for bots


class SandboxServer:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        limits: Limits | None = None,
        faults: Faults | None = None,
        token: str | None = None,
        bot_name: str = "无废 Wufei",
        bot_username: str = "wufei_sandbox_bot",
        accept_any_token: bool = False,
        validate_responses: bool = False,
        require_start: bool = True,
    ) -> None:
        self.host, self.port = host, port
        self.limits = limits or Limits()
        self.faults = faults or Faults()
        self.token = token or f"{DEFAULT_BOT_ID}:SANDBOX-{secrets.token_urlsafe(24)}"
        bot_id = int(self.token.split(":", 1)[0])
        self.accept_any_token = accept_any_token
        self.validate_responses = validate_responses
        self.validation_errors: list[str] = []
        self.world = World(bot_id, bot_name, bot_username)
        self.flood = FloodControl(self.limits)
        self.api = BotApi(self.world, self.flood)
        self.api.require_start = require_start  # bots cannot message users who never wrote to them
        self.request_log: list[tuple[str, int]] = []  # (method, status) once answered; recent only
        self.status_counts: Counter[tuple[str, int]] = Counter()  # every answer, by (method, status)
        self.method_counts: dict[str, int] = {}  # requests received, by method (as called)
        # time.monotonic() until which the latest 429s told the bot to wait (0: never told to)
        self.retry_after_until = 0.0
        self._runner: web.AppRunner | None = None
        self.webchat = WebChat(self)
        self.app = self._build_app()

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> SandboxServer:
        self.api.closing = False
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sock = site._server.sockets[0]  # type: ignore[union-attr]
        self.port = sock.getsockname()[1]
        log.info("sandbox listening on %s", self.base_url)
        return self

    async def stop(self) -> None:
        self.api.closing = True
        self.world._wake_pollers()
        self.webchat.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SandboxServer:
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def webchat_url(self) -> str:
        return f"{self.base_url}/webchat/"

    # ------------------------------------------------------------ in-process API
    def create_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh",
        user_id: int | None = None,
        started: bool = False,
    ) -> VirtualUser:
        """A virtual Telegram user. ``started=True``: as if they had already written to the bot."""
        return self.world.create_user(first_name, last_name, username, language_code, user_id, started=started)

    def create_group(
        self,
        title: str,
        members: list[VirtualUser] | None = None,
        bot_is_admin: bool = True,
        chat_id: int | None = None,
    ) -> Chat:
        return self.world.create_group(title, members, bot_is_admin, chat_id)

    def private_chat(self, user: VirtualUser) -> Chat:
        return self.world.chats[user.id]

    def set_limits(self, limits: Limits) -> None:
        self.limits = limits
        self.flood.limits = limits
        self.flood.reset()

    # ------------------------------------------------------------ app
    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        r = app.router
        r.add_route("*", "/bot{token}/{method}", self._handle_api)
        r.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self.webchat.add_routes(r)
        r.add_get("/sandbox/api/control", self._control_get)
        r.add_post("/sandbox/api/control", self._control_post)
        return app

    # ------------------------------------------------------------ Bot API
    async def _read_params(self, request: web.Request) -> Params:
        fields: dict[str, Any] = dict(request.query)
        ctype = request.content_type
        if ctype == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                fields.update(body)
        elif request.method == "POST" and ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            post = await request.post()
            for key, value in post.items():
                fields[key] = value
        return Params(fields)

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        token, method = request.match_info["token"], request.match_info["method"]
        self.method_counts[method] = self.method_counts.get(method, 0) + 1
        if token != self.token and not self.accept_any_token:
            return self._json(ApiError(401, "Unauthorized").to_json(), 401, method)
        fault = self.faults.next_fault(method)
        if fault is not None:
            if fault.kind == "slow":
                await asyncio.sleep(fault.arg)
            elif fault.kind == "drop":
                return await self._drop(request, method)
            elif fault.kind in ("500", "502"):
                code = int(fault.kind)
                desc = "Internal Server Error" if code == 500 else "Bad Gateway"
                return self._json({"ok": False, "error_code": code, "description": desc}, code, method)
            elif fault.kind == "429":
                err = ApiError(429, f"Too Many Requests: retry after {int(fault.arg)}", retry_after=int(fault.arg))
                return self._json(err.to_json(), 429, method)
        try:
            params = await self._read_params(request)
            result = await self.api.call(method, params)
        except ApiError as err:
            return self._json(err.to_json(), err.code, method)
        except web.HTTPRequestEntityTooLarge:
            return self._json(ApiError(413, "Request Entity Too Large").to_json(), 413, method)
        except SandboxError as err:
            return self._json(ApiError(400, f"Bad Request: {err}").to_json(), 400, method)
        except Exception:
            log.exception("sandbox: %s failed", method)
            return self._json({"ok": False, "error_code": 500, "description": "Internal Server Error"}, 500, method)
        if fault is not None and fault.kind == "drop_after":
            return await self._drop(request, method)  # done, but the answer is lost
        payload = {"ok": True, "result": result}
        if self.validate_responses:
            problem = validate_result(method, payload)
            if problem:
                self.validation_errors.append(problem)
                log.error("sandbox: %s", problem)
                return self._json(
                    {"ok": False, "error_code": 500, "description": f"Internal Server Error: {problem}"}, 500, method
                )
        return self._json(payload, 200, method)

    async def _drop(self, request: web.Request, method: str) -> web.StreamResponse:
        self.request_log.append((method, 0))
        if request.transport is not None:
            request.transport.abort()
        await asyncio.sleep(0)
        raise asyncio.CancelledError()

    def answers(self, status: int) -> int:
        """How many Bot API answers had this HTTP status (e.g. 429) since the server started."""
        return sum(n for (_, s), n in self.status_counts.items() if s == status)

    def _json(self, payload: Any, status: int, method: str) -> web.Response:
        self.status_counts[(method, status)] += 1
        if status == 429:
            wait = float((payload.get("parameters") or {}).get("retry_after") or 0)
            self.retry_after_until = max(self.retry_after_until, time.monotonic() + wait)
        self.request_log.append((method, status))
        if len(self.request_log) > 10000:
            del self.request_log[:5000]
        return web.Response(
            text=json.dumps(payload, ensure_ascii=False), status=status, content_type="application/json"
        )

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token and not self.accept_any_token:
            return web.json_response(ApiError(401, "Unauthorized").to_json(), status=401)
        f = self.world.files_by_path.get(request.match_info["path"])
        if f is None:
            return web.json_response(ApiError(404, "Not Found").to_json(), status=404)
        return web.Response(body=f.data, content_type=f.mime_type or "application/octet-stream")

    # ------------------------------------------------------------ control (faults, limits)
    def control_json(self) -> dict[str, Any]:
        lim = self.limits
        return {
            "faults": self.faults.describe(),
            "limits": {k: getattr(lim, k) for k in lim.__dataclass_fields__},
            "pending_updates": len(self.world.updates),
        }

    async def _control_get(self, request: web.Request) -> web.Response:
        return web.json_response(self.control_json())

    async def _control_post(self, request: web.Request) -> web.Response:
        body = await request.json()
        try:
            if "faults" in body:
                self.faults = Faults.parse(body["faults"]) if body["faults"] else Faults()
            if "limits" in body:
                self.set_limits(Limits.parse(body["limits"]) if body["limits"] else Limits())
        except ValueError as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        return web.json_response(self.control_json())


_RETURN_TYPES: dict[str, Any] | None = None


def validate_result(method: str, payload: dict[str, Any]) -> str | None:
    """Check a successful answer against aiogram's own pydantic type for the method."""
    global _RETURN_TYPES
    if _RETURN_TYPES is None:
        import aiogram.methods as methods
        from aiogram.methods.base import TelegramMethod

        _RETURN_TYPES = {}
        for name in dir(methods):
            cls = getattr(methods, name)
            if isinstance(cls, type) and issubclass(cls, TelegramMethod) and cls is not TelegramMethod:
                api_name = getattr(cls, "__api_method__", None)
                if isinstance(api_name, str):
                    _RETURN_TYPES[api_name.lower()] = cls.__returning__
    returning = _RETURN_TYPES.get(method.lower())
    if returning is None:
        return None
    from aiogram.methods.base import Response
    from pydantic import ValidationError

    try:
        Response[returning].model_validate(payload)  # type: ignore[valid-type]  # a runtime generic parameter
    except ValidationError as exc:
        return f"{method} answer does not validate as {returning}: {exc.errors()[:3]}"
    return None


__all__ = ["SandboxServer", "Limits", "Faults", "validate_result"]
