"""The web chat's HTTP side: its page, live events (server-sent) and the actions of the people
in it (write, send photos and places, press buttons, create users and groups).

Errors the page shows carry a ``code`` the page translates (zh/en) and an English ``error``.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.web import FileField

from .places import ATTRIBUTION, places
from .world import Chat, SandboxError, VirtualUser, World

if TYPE_CHECKING:
    from .server import SandboxServer

STATIC = Path(__file__).with_name("static")


class WebChat:
    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self._sse: set[asyncio.Queue] = set()
        server.world.add_listener(self.fan_out)

    @property
    def world(self) -> World:
        return self.server.world

    def add_routes(self, r: web.UrlDispatcher) -> None:
        r.add_get("/", self.to_webchat)
        r.add_get("/webchat", self.to_webchat)
        r.add_get("/webchat/", self.index)
        r.add_static("/webchat/static/", STATIC, append_version=False)
        r.add_get("/webchat/files/{file_id}", self.file)
        r.add_get("/webchat/api/state", self.state)
        r.add_get("/webchat/api/events", self.events)
        r.add_get("/webchat/api/chats/{chat_id}/messages", self.history)
        r.add_post("/webchat/api/users", self.create_user)
        r.add_post("/webchat/api/groups", self.create_group)
        r.add_post("/webchat/api/groups/{chat_id}/members", self.add_member)
        r.add_post("/webchat/api/send", self.send)
        r.add_post("/webchat/api/photos", self.photos)
        r.add_post("/webchat/api/document", self.document)
        r.add_post("/webchat/api/location", self.location)
        r.add_post("/webchat/api/contact", self.contact)
        r.add_post("/webchat/api/callback", self.callback)
        r.add_post("/webchat/api/block", self.block)
        r.add_post("/webchat/api/inline", self.inline)
        r.add_post("/webchat/api/inline/choose", self.inline_choose)

    def close(self) -> None:
        for q in list(self._sse):
            q.put_nowait(None)

    def fan_out(self, event: dict[str, Any]) -> None:
        if event.get("event") == "update":
            return
        for q in list(self._sse):
            q.put_nowait(event)

    async def to_webchat(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/webchat/")

    async def index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def file(self, request: web.Request) -> web.StreamResponse:
        f = self.world.files.get(request.match_info["file_id"])
        if f is None:
            raise web.HTTPNotFound()
        headers = {"Cache-Control": "max-age=3600"}
        if f.file_name:
            headers["Content-Disposition"] = f'inline; filename="{f.file_name}"'
        return web.Response(body=f.data, content_type=f.mime_type or "application/octet-stream", headers=headers)

    def state_json(self) -> dict[str, Any]:
        w = self.world
        return {
            "bot": w.bot,
            "users": [{**u.to_api(), "blocked": u.blocked_bot, "full_name": u.full_name} for u in w.users.values()],
            "groups": [
                {"id": c.id, "title": c.title, "members": c.members, "bot_is_member": c.bot_is_member}
                for c in w.chats.values()
                if c.is_group
            ],
            "places": [p.to_json() for p in places()],
            "places_attribution": ATTRIBUTION,
            "commands": next(iter(w.commands.values()), []),
            "commands_by_language": {k.rsplit("|", 1)[1]: v for k, v in w.commands.items()},
        }

    async def state(self, request: web.Request) -> web.Response:
        return web.json_response(self.state_json())

    async def history(self, request: web.Request) -> web.Response:
        chat_id = int(request.match_info["chat_id"])
        chat = self.world.chats.get(chat_id)
        if chat is None:
            raise web.HTTPNotFound()
        msgs = [{"message": m.data, "from_bot": m.from_bot} for m in self.world.history(chat_id)]
        return web.json_response({"messages": msgs, "reply_keyboard": chat.reply_keyboard})

    async def events(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )
        await resp.prepare(request)
        q: asyncio.Queue = asyncio.Queue()
        self._sse.add(q)
        try:
            await resp.write(b"retry: 1000\n\n")
            while not self.server.api.closing:
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

    def user(self, value: Any) -> VirtualUser:
        user = self.world.users.get(int(value))
        if user is None:
            raise web.HTTPNotFound(text="unknown user")
        return user

    def chat_for(self, user: VirtualUser, value: Any) -> Chat:
        if value in (None, "", "null"):
            return self.world.chats[user.id]
        chat = self.world.chats.get(int(value))
        if chat is None:
            raise web.HTTPNotFound(text="unknown chat")
        return chat

    @staticmethod
    def fail(exc: Exception, code: str | None = None) -> web.Response:
        """A refusal the page shows; ``code`` names a text the page has in zh and en."""
        body: dict[str, Any] = {"ok": False, "error": str(exc)}
        if code:
            body["code"] = code
        return web.json_response(body, status=400)

    async def create_user(self, request: web.Request) -> web.Response:
        body = await request.json()
        name = str(body.get("first_name") or "").strip()
        if not name:
            return self.fail(ValueError("a name is required"), "err_name_required")
        user = self.server.create_user(
            name, body.get("last_name") or None, body.get("username") or None, body.get("language_code") or "zh"
        )
        return web.json_response({"ok": True, "user": user.to_api()})

    async def create_group(self, request: web.Request) -> web.Response:
        """A new staff group. ``creator_id`` (the person creating it in the page) is always its
        first member and its owner, whatever the ticked ``member_ids`` say."""
        body = await request.json()
        title = str(body.get("title") or "").strip()
        if not title:
            return self.fail(ValueError("a title is required"), "err_title_required")
        ids = [body["creator_id"]] if body.get("creator_id") is not None else []
        ids += body.get("member_ids") or []
        members = [self.user(uid) for uid in dict.fromkeys(int(i) for i in ids)]
        if not members:
            return self.fail(ValueError("a group needs at least one member"), "err_no_members")
        chat = self.server.create_group(title, members)
        return web.json_response({"ok": True, "chat": chat.to_api()})

    async def add_member(self, request: web.Request) -> web.Response:
        body = await request.json()
        chat = self.world.chats.get(int(request.match_info["chat_id"]))
        if chat is None or not chat.is_group:
            raise web.HTTPNotFound()
        self.world.add_member(chat, self.user(body["user_id"]))
        return web.json_response({"ok": True})

    async def send(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = self.user(body.get("user_id"))
        try:
            chat = self.chat_for(user, body.get("chat_id"))
            msg = self.world.user_text(user, chat, str(body.get("text") or ""), reply_to=body.get("reply_to"))
        except SandboxError as exc:
            return self.fail(exc)
        return web.json_response({"ok": True, "message": msg.data})

    async def photos(self, request: web.Request) -> web.Response:
        post = await request.post()
        user = self.user(post.get("user_id"))
        images = [f.file.read() for f in post.getall("photo", []) if isinstance(f, FileField)]
        try:
            chat = self.chat_for(user, post.get("chat_id"))
            msgs = self.world.user_photos(user, chat, images, str(post.get("caption") or "") or None)
        except SandboxError as exc:
            return self.fail(exc)
        return web.json_response({"ok": True, "messages": [m.data for m in msgs]})

    async def document(self, request: web.Request) -> web.Response:
        post = await request.post()
        user = self.user(post.get("user_id"))
        f = post.get("document")
        if not isinstance(f, FileField):
            return self.fail(ValueError("no file"))
        try:
            chat = self.chat_for(user, post.get("chat_id"))
            msg = self.world.user_document(
                user,
                chat,
                f.file.read(),
                f.filename,
                None if f.content_type == "application/octet-stream" else f.content_type,
                str(post.get("caption") or "") or None,
            )
        except SandboxError as exc:
            return self.fail(exc)
        return web.json_response({"ok": True, "message": msg.data})

    async def location(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = self.user(body.get("user_id"))
        try:
            chat = self.chat_for(user, body.get("chat_id"))
            lat, lon = float(body["latitude"]), float(body["longitude"])
            msg = self.world.user_location(user, chat, lat, lon, body.get("title") or None, body.get("address") or None)
        except (SandboxError, KeyError, TypeError, ValueError) as exc:
            return self.fail(exc)
        return web.json_response({"ok": True, "message": msg.data})

    async def contact(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = self.user(body.get("user_id"))
        try:
            msg = self.world.user_contact(user, self.chat_for(user, body.get("chat_id")))
        except SandboxError as exc:
            return self.fail(exc)
        return web.json_response({"ok": True, "message": msg.data})

    async def callback(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = self.user(body.get("user_id"))
        try:
            chat = self.chat_for(user, body.get("chat_id"))
            cb = self.world.user_callback(user, chat, int(body["message_id"]), str(body["data"]))
        except (SandboxError, KeyError) as exc:
            return self.fail(exc)
        return web.json_response({"ok": True, "callback_query_id": cb.id})

    async def block(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.world.set_blocked(self.user(body.get("user_id")), bool(body.get("blocked")))
        return web.json_response({"ok": True})

    async def inline(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = self.user(body.get("user_id"))
        chat = self.chat_for(user, body.get("chat_id"))
        qid = self.world.user_inline_query(user, str(body.get("query") or ""), chat)
        return web.json_response({"ok": True, "inline_query_id": qid})

    async def inline_choose(self, request: web.Request) -> web.Response:
        """The user picks an inline result: its message goes into the chat ``via_bot``."""
        body = await request.json()
        user = self.user(body.get("user_id"))
        try:
            chat = self.chat_for(user, body.get("chat_id"))
            msg = self.world.user_choose_inline(
                user, chat, str(body.get("inline_query_id")), str(body.get("result_id"))
            )
        except SandboxError as exc:
            return self.fail(exc)
        return web.json_response({"ok": True, "message": msg.data})
