"""Who is using the dashboard: the session cookie, the roles, the language, the CSRF check.

Rules:
- Every page but the sign-in page and the static files needs a live session (``core.web_sessions``);
  without one the answer is a page that says how to get a link (401).
- Roles are read on every request: an admin sees every unit; a unit handler only their units (a
  page about another unit answers 403); anyone else is turned away (403).
- Every POST must carry the session's CSRF token in its form (``csrf``), compared in constant time;
  without it the answer is 403 and nothing changes. Multipart forms too: the form is read once
  here (``forms.read``) and handed to the handler (``form(request)``).
- The cookie is HttpOnly, SameSite=Lax, Secure when the public address is https; pages are not
  cached and not framed; the sign-in link's token never leaves in a Referer. Scripts and styles
  come from this server only; images also from the configured tile server (``tilemap.py``).
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp_jinja2
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.utils.i18n import I18n
from aiohttp import web
from multidict import MultiDictProxy
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.config import Settings
from bot.dashboard import forms, telegram_login
from bot.dashboard.tilemap import image_sources
from bot.i18n import unit_label
from bot.views.reports import PHOTO_TOO_LARGE, local_time, reject_label, status_label, waste_label
from core import accounts, web_sessions
from core.accounts import Roles, UserInfo
from core.clock import Clock
from core.models import Role
from reports.media import MediaStore

log = logging.getLogger(__name__)

COOKIE = "wufei_dashboard"
LANG_COOKIE = "wufei_lang"
PUBLIC = ("/dashboard/login", "/dashboard/static/")


@dataclass
class Context:
    sessions: async_sessionmaker
    clock: Clock
    settings: Settings
    i18n: I18n
    media: MediaStore  # the reports' photo store (the "after" photo of a resolution)
    bot: Bot  # its username for the login widget; its token checks the widget's signature


CONTEXT = web.AppKey("dashboard", Context)
LANG = web.RequestKey("dashboard_lang", str)
SET_LANG = web.RequestKey("dashboard_set_lang", str)
FORM = web.RequestKey("dashboard_form", MultiDictProxy)


@dataclass(frozen=True)
class Staff:
    user: UserInfo
    roles: Roles
    csrf: str

    @property
    def is_admin(self) -> bool:
        return self.roles.has(Role.ADMIN)

    @property
    def units(self) -> tuple[str, ...] | None:
        """The units this person may see; None: every unit."""
        return None if self.is_admin else tuple(sorted(self.roles.units()))

    def may_handle(self, unit_code: str) -> bool:
        return self.is_admin or unit_code in self.roles.units()


STAFF = web.RequestKey("dashboard_staff", Staff)


def is_staff(roles: Roles) -> bool:
    return roles.has(Role.ADMIN) or bool(roles.units())


def ctx(request: web.Request) -> Context:
    return request.app[CONTEXT]


def staff(request: web.Request) -> Staff:
    return request[STAFF]


def form(request: web.Request) -> MultiDictProxy:
    """The POST's form, read once by the CSRF check (``forms.read``: text fields and uploads)."""
    return request[FORM]


def language(request: web.Request) -> str:
    return request.get(LANG) or ctx(request).settings.default_locale


def _helpers(request: web.Request) -> dict:
    """What every template may use: the request's language and its translations."""
    lang = language(request)
    context = ctx(request)
    tz = context.settings.timezone
    found = request.get(STAFF)
    return {
        "lang": lang,
        "staff": found,
        "csrf": found.csrf if found else "",
        "_": lambda msgid: context.i18n.gettext(msgid, locale=lang),
        "unit_name": lambda code: unit_label(code, lang),
        "status_name": lambda value: status_label(lang, value),
        "waste_name": lambda value: waste_label(lang, value),
        "reason_name": lambda value: reject_label(lang, value),
        "when": lambda value: local_time(value, tz),
        "path": request.path,
        "query_string": request.query_string,
    }


def page(request: web.Request, template: str, context: dict[str, Any], status: int = 200) -> web.Response:
    response = aiohttp_jinja2.render_template(template, request, {**_helpers(request), **context}, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def refuse(request: web.Request, status: int, message: str) -> web.Response:
    return page(request, "message.html", {"message": message}, status=status)


def _choose_language(request: web.Request, user: UserInfo | None) -> str:
    asked = request.query.get("lang")
    if asked in accounts.LOCALES:
        request[SET_LANG] = asked
        return asked
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in accounts.LOCALES:
        return cookie
    return user.language if user is not None else ctx(request).settings.default_locale


@web.middleware
async def security(request: web.Request, handler):
    """The session, roles, language and CSRF check of every request; safe headers on every answer."""
    request[LANG] = _choose_language(request, None)
    if not request.path.startswith(PUBLIC):
        refused = await _authenticate(request)
        if refused is not None:
            return _headers(request, refused)
    response = await handler(request)
    return _headers(request, response)


async def _authenticate(request: web.Request) -> web.Response | None:
    context = ctx(request)
    _ = context.i18n.gettext
    async with context.sessions() as session:
        info = await web_sessions.current(session, request.cookies.get(COOKIE), context.clock())
        user = await accounts.get_user(session, info.user_id) if info else None
        roles = await accounts.roles_of(session, info.user_id) if info else Roles()
    if info is None or user is None:
        return refuse(
            request,
            401,
            _("Please sign in: send /dashboard to the bot in a private chat for a link.", locale=request[LANG]),
        )
    request[LANG] = _choose_language(request, user)
    if not is_staff(roles):
        return refuse(
            request, 403, _("The dashboard is for the programme office and the units' handlers.", locale=request[LANG])
        )
    request[STAFF] = Staff(user, roles, info.csrf)
    if request.method == "POST":
        try:
            request[FORM] = await forms.read(request)
        except forms.BodyTooLarge:
            return refuse(request, 413, _(PHOTO_TOO_LARGE, locale=request[LANG]))
        given = str(request[FORM].get("csrf", ""))
        if not hmac.compare_digest(given.encode(), info.csrf.encode()):
            return refuse(request, 403, _("This page has expired. Reload it and try again.", locale=request[LANG]))
    return None


def _headers(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault(
        "Content-Security-Policy",
        f"default-src 'self'; img-src {image_sources(ctx(request).settings)}; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'",
    )
    if request.get(SET_LANG):
        response.set_cookie(
            LANG_COOKIE, request[SET_LANG], max_age=365 * 86400, httponly=True, samesite="Lax", path="/dashboard"
        )
    return response


def set_session_cookie(request: web.Request, response: web.StreamResponse, opened: web_sessions.Opened) -> None:
    secure = ctx(request).settings.public_url.startswith("https://")
    max_age = int((opened.expires_at - ctx(request).clock()).total_seconds())
    response.set_cookie(
        COOKIE, opened.cookie, max_age=max_age, httponly=True, samesite="Lax", secure=secure, path="/dashboard"
    )


async def login_page(request: web.Request) -> web.Response:
    """GET: a button that spends the link (a link preview or a prefetch never signs anyone in); and
    Telegram's login widget when the dashboard has a public https address."""
    widget = await _widget(ctx(request))
    response = page(request, "login.html", {"token": request.query.get("t", ""), "widget": widget})
    if widget is not None:
        response.headers["Content-Security-Policy"] = telegram_login.CSP
    return response


async def _widget(context: Context) -> telegram_login.Widget | None:
    if not telegram_login.enabled(context.settings):
        return None
    try:
        me = await context.bot.me()  # asked once, then aiogram keeps it
    except TelegramAPIError:
        log.warning("no login widget: the bot's username is unknown (getMe failed)", exc_info=True)
        return None
    if not me.username:
        return None
    return telegram_login.Widget(telegram_login.SCRIPT, me.username, telegram_login.auth_url(context.settings))


async def login(request: web.Request) -> web.StreamResponse:
    context = ctx(request)
    form = await request.post()
    async with context.sessions() as session:
        opened = await web_sessions.redeem(session, str(form.get("t", "")), context.clock())
        if opened is not None:
            await accounts.audit(session, opened.user_id, "dashboard.signin", None, {"method": "link"})
            await web_sessions.purge(session, context.clock())  # expired links and sessions go
    if opened is None:
        return refuse(
            request,
            403,
            context.i18n.gettext(
                "This link has expired or was already used. Send /dashboard to the bot for a new one.",
                locale=request[LANG],
            ),
        )
    response = redirect("/dashboard/")
    set_session_cookie(request, response, opened)
    return response


async def login_telegram(request: web.Request) -> web.StreamResponse:
    """GET /login/telegram: where the widget sends a person back, with Telegram's signed data."""
    context = ctx(request)
    token = context.bot.token
    user_id = telegram_login.verify(request.query.items(), token, context.clock())
    if user_id is None:
        return refuse(
            request,
            403,
            context.i18n.gettext(
                "This Telegram sign-in could not be checked or is more than a day old. Please try again.",
                locale=request[LANG],
            ),
        )
    opened = None
    async with context.sessions() as session:
        user = await accounts.get_user(session, user_id)
        if user is not None and is_staff(await accounts.roles_of(session, user_id)):
            opened = await web_sessions.open_session(session, user_id, context.clock())
            await accounts.audit(session, user_id, "dashboard.signin", None, {"method": "telegram_widget"})
            await web_sessions.purge(session, context.clock())
    if opened is None:
        request[LANG] = _choose_language(request, user)
        return refuse(
            request,
            403,
            context.i18n.gettext(
                "The dashboard is for the programme office and the units' handlers.", locale=request[LANG]
            ),
        )
    response = redirect("/dashboard/")  # the signed data leaves the address bar
    set_session_cookie(request, response, opened)
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    context = ctx(request)
    async with context.sessions() as session:
        await web_sessions.close(session, request.cookies.get(COOKIE))
        await accounts.audit(session, staff(request).user.id, "dashboard.signout")
    response = redirect("/dashboard/login")
    response.del_cookie(COOKIE, path="/dashboard")
    return response
