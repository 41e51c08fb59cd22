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
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.web import FileField

from .botapi import ApiError, BotApi, Params
from .faults import Faults
from .limits import FloodControl, Limits
from .places import ATTRIBUTION, places
from .world import Chat, SandboxError, VirtualUser, World

log = logging.getLogger("sandbox")
STATIC = Path(__file__).with_name("static")
DEFAULT_BOT_ID = 7000000001
MAX_REQUEST_BYTES = 50 * 1024 * 1024  # Telegram's upload cap for bots


class SandboxServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, limits: Limits | None = None,
                 faults: Faults | None = None, token: str | None = None,
                 bot_name: str = "无废 Wufei", bot_username: str = "wufei_sandbox_bot",
                 accept_any_token: bool = False, validate_responses: bool = False,
                 require_start: bool = True) -> None:
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
        self._sse: set[asyncio.Queue] = set()
        self.world.add_listener(self._fan_out)
        self.app = self._build_app()

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> SandboxServer:
        self.api.closing = False
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0,
                                     handle_signals=False)
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
        for q in list(self._sse):
            q.put_nowait(None)
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
    def create_user(self, first_name: str, last_name: str | None = None, username: str | None = None,
                    language_code: str | None = "zh", user_id: int | None = None,
                    started: bool = False) -> VirtualUser:
        """A virtual Telegram user. ``started=True``: as if they had already written to the bot."""
        return self.world.create_user(first_name, last_name, username, language_code, user_id,
                                      started=started)

    def create_group(self, title: str, members: list[VirtualUser] | None = None,
                     bot_is_admin: bool = True, chat_id: int | None = None) -> Chat:
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
        r.add_get("/", self._to_webchat)
        r.add_get("/webchat", self._to_webchat)
        r.add_get("/webchat/", self._index)
        r.add_static("/webchat/static/", STATIC, append_version=False)
        r.add_get("/webchat/files/{file_id}", self._web_file)
        r.add_get("/webchat/api/state", self._web_state)
        r.add_get("/webchat/api/events", self._web_events)
        r.add_get("/webchat/api/chats/{chat_id}/messages", self._web_history)
        r.add_post("/webchat/api/users", self._web_create_user)
        r.add_post("/webchat/api/groups", self._web_create_group)
        r.add_post("/webchat/api/groups/{chat_id}/members", self._web_add_member)
        r.add_post("/webchat/api/send", self._web_send)
        r.add_post("/webchat/api/photos", self._web_photos)
        r.add_post("/webchat/api/document", self._web_document)
        r.add_post("/webchat/api/location", self._web_location)
        r.add_post("/webchat/api/contact", self._web_contact)
        r.add_post("/webchat/api/callback", self._web_callback)
        r.add_post("/webchat/api/block", self._web_block)
        r.add_post("/webchat/api/inline", self._web_inline)
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
        elif request.method == "POST" and ctype in ("multipart/form-data",
                                                     "application/x-www-form-urlencoded"):
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
                err = ApiError(429, f"Too Many Requests: retry after {int(fault.arg)}",
                               retry_after=int(fault.arg))
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
            return self._json({"ok": False, "error_code": 500,
                               "description": "Internal Server Error"}, 500, method)
        if fault is not None and fault.kind == "drop_after":
            return await self._drop(request, method)  # done, but the answer is lost
        payload = {"ok": True, "result": result}
        if self.validate_responses:
            problem = validate_result(method, payload)
            if problem:
                self.validation_errors.append(problem)
                log.error("sandbox: %s", problem)
                return self._json({"ok": False, "error_code": 500,
                                   "description": f"Internal Server Error: {problem}"}, 500, method)
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
        return web.Response(text=json.dumps(payload, ensure_ascii=False), status=status,
                            content_type="application/json")

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token and not self.accept_any_token:
            return web.json_response(ApiError(401, "Unauthorized").to_json(), status=401)
        f = self.world.files_by_path.get(request.match_info["path"])
        if f is None:
            return web.json_response(ApiError(404, "Not Found").to_json(), status=404)
        return web.Response(body=f.data, content_type=f.mime_type or "application/octet-stream")

    # ------------------------------------------------------------ web chat
    def _fan_out(self, event: dict[str, Any]) -> None:
        if event.get("event") == "update":
            return
        for q in list(self._sse):
            q.put_nowait(event)

    async def _to_webchat(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/webchat/")

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def _web_file(self, request: web.Request) -> web.StreamResponse:
        f = self.world.files.get(request.match_info["file_id"])
        if f is None:
            raise web.HTTPNotFound()
        headers = {"Cache-Control": "max-age=3600"}
        if f.file_name:
            headers["Content-Disposition"] = f'inline; filename="{f.file_name}"'
        return web.Response(body=f.data, content_type=f.mime_type or "application/octet-stream",
                            headers=headers)

    def state_json(self) -> dict[str, Any]:
        w = self.world
        return {
            "bot": w.bot,
            "users": [{**u.to_api(), "blocked": u.blocked_bot, "full_name": u.full_name}
                      for u in w.users.values()],
            "groups": [{"id": c.id, "title": c.title, "members": c.members,
                        "bot_is_member": c.bot_is_member}
                       for c in w.chats.values() if c.is_group],
            "places": [p.to_json() for p in places()],
            "places_attribution": ATTRIBUTION,
            "commands": next(iter(w.commands.values()), []),
            "commands_by_language": {k.rsplit("|", 1)[1]: v for k, v in w.commands.items()},
        }

    async def _web_state(self, request: web.Request) -> web.Response:
        return web.json_response(self.state_json())

    async def _web_history(self, request: web.Request) -> web.Response:
        chat_id = int(request.match_info["chat_id"])
        chat = self.world.chats.get(chat_id)
        if chat is None:
            raise web.HTTPNotFound()
        msgs = [{"message": m.data, "from_bot": m.from_bot} for m in self.world.history(chat_id)]
        return web.json_response({"messages": msgs, "reply_keyboard": chat.reply_keyboard})

    async def _web_events(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        await resp.prepare(request)
        q: asyncio.Queue = asyncio.Queue()
        self._sse.add(q)
        try:
            await resp.write(b"retry: 1000\n\n")
            while not self.api.closing:
                try:
                    event = await asyncio.wait_for(q.get(), 15)
                except TimeoutError:
                    await resp.write(b": ping\n\n")
                    continue
                if event is None:
                    break
                data = json.dumps(event, ensure_ascii=False)
                await resp.write(f"data: {data}\n\n".encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._sse.discard(q)
        return resp

    def _user(self, value: Any) -> VirtualUser:
        user = self.world.users.get(int(value))
        if user is None:
            raise web.HTTPNotFound(text="unknown user")
        return user

    def _chat_for(self, user: VirtualUser, value: Any) -> Chat:
        if value in (None, "", "null"):
            return self.world.chats[user.id]
        chat = self.world.chats.get(int(value))
        if chat is None:
            raise web.HTTPNotFound(text="unknown chat")
        return chat

    @staticmethod
    def _fail(exc: Exception) -> web.Response:
        return web.json_response({"ok": False, "error": str(exc)}, status=400)

    async def _web_create_user(self, request: web.Request) -> web.Response:
        body = await request.json()
        name = str(body.get("first_name") or "").strip()
        if not name:
            return self._fail(ValueError("a name is required"))
        user = self.create_user(name, body.get("last_name") or None, body.get("username") or None,
                                body.get("language_code") or "zh")
        return web.json_response({"ok": True, "user": user.to_api()})

    async def _web_create_group(self, request: web.Request) -> web.Response:
        body = await request.json()
        title = str(body.get("title") or "").strip()
        if not title:
            return self._fail(ValueError("a title is required"))
        members = [self._user(uid) for uid in body.get("member_ids") or []]
        if not members:
            return self._fail(ValueError("a group needs at least one member"))
        chat = self.create_group(title, members)
        return web.json_response({"ok": True, "chat": chat.to_api()})

    async def _web_add_member(self, request: web.Request) -> web.Response:
        body = await request.json()
        chat = self.world.chats.get(int(request.match_info["chat_id"]))
        if chat is None or not chat.is_group:
            raise web.HTTPNotFound()
        self.world.add_member(chat, self._user(body["user_id"]))
        return web.json_response({"ok": True})

    async def _web_send(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = self._user(body.get("user_id"))
        try:
            chat = self._chat_for(user, body.get("chat_id"))
            msg = self.world.user_text(user, chat, str(body.get("text") or ""),
                                       reply_to=body.get("reply_to"),
                                       via_bot=bool(body.get("via_bot")))
        except SandboxError as exc:
            return self._fail(exc)
        return web.json_response({"ok": True, "message": msg.data})

    async def _web_photos(self, request: web.Request) -> web.Response:
        post = await request.post()
        user = self._user(post.get("user_id"))
        images = [f.file.read() for f in post.getall("photo", []) if isinstance(f, FileField)]
        try:
            chat = self._chat_for(user, post.get("chat_id"))
            msgs = self.world.user_photos(user, chat, images, str(post.get("caption") or "") or None)
        except SandboxError as exc:
            return self._fail(exc)
        return web.json_response({"ok": True, "messages": [m.data for m in msgs]})

    async def _web_document(self, request: web.Request) -> web.Response:
        post = await request.post()
        user = self._user(post.get("user_id"))
        f = post.get("document")
        if not isinstance(f, FileField):
            return self._fail(ValueError("no file"))
        try:
            chat = self._chat_for(user, post.get("chat_id"))
            msg = self.world.user_document(user, chat, f.file.read(), f.filename,
                                           None if f.content_type == "application/octet-stream"
                                           else f.content_type,
                                           str(post.get("caption") or "") or None)
        except SandboxError as exc:
            return self._fail(exc)
        return web.json_response({"ok": True, "message": msg.data})

    async def _web_location(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = self._user(body.get("user_id"))
        try:
            chat = self._chat_for(user, body.get("chat_id"))
            lat, lon = float(body["latitude"]), float(body["longitude"])
            msg = self.world.user_location(user, chat, lat, lon, body.get("title") or None,
                                           body.get("address") or None)
        except (SandboxError, KeyError, TypeError, ValueError) as exc:
            return self._fail(exc)
        return web.json_response({"ok": True, "message": msg.data})

    async def _web_contact(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = self._user(body.get("user_id"))
        try:
            msg = self.world.user_contact(user, self._chat_for(user, body.get("chat_id")))
        except SandboxError as exc:
            return self._fail(exc)
        return web.json_response({"ok": True, "message": msg.data})

    async def _web_callback(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = self._user(body.get("user_id"))
        try:
            chat = self._chat_for(user, body.get("chat_id"))
            cb = self.world.user_callback(user, chat, int(body["message_id"]), str(body["data"]))
        except (SandboxError, KeyError) as exc:
            return self._fail(exc)
        return web.json_response({"ok": True, "callback_query_id": cb.id})

    async def _web_block(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.world.set_blocked(self._user(body.get("user_id")), bool(body.get("blocked")))
        return web.json_response({"ok": True})

    async def _web_inline(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = self._user(body.get("user_id"))
        qid = self.world.user_inline_query(user, str(body.get("query") or ""))
        return web.json_response({"ok": True, "inline_query_id": qid})

    # ------------------------------------------------------------ control (faults, limits)
    def control_json(self) -> dict[str, Any]:
        lim = self.limits
        return {"faults": self.faults.describe(),
                "limits": {k: getattr(lim, k) for k in lim.__dataclass_fields__},
                "pending_updates": len(self.world.updates)}

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
            return self._fail(exc)
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
