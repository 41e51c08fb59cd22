"""The staff dashboard (issue 15): server-rendered pages on the bot's own web server at
``/dashboard/``, in zh and en, for the programme office (admins: every unit) and the units'
handlers (their units only).

    GET  /dashboard/login?t=…          the sign-in page of a link from /dashboard in the bot
    POST /dashboard/login              spends the link, opens a session (cookie)
    GET  /dashboard/login/telegram     Telegram's login widget comes back here (only with a public
                                       https address: ``telegram_login.py``)
    POST /dashboard/logout
    GET  /dashboard/                   reports by age, filters, the map
    GET  /dashboard/reports/{id}       one report: photos, place, timeline, actions
    POST /dashboard/reports/{id}/act   an action (compare-and-set, audited, outbox); "resolved"
                                       as multipart/form-data with an "after" photo (``forms.py``)
    GET  /dashboard/figures            the bulletin; campaigns and sorting (admins)
    GET  /dashboard/export/bulletin.csv | bulletin.xlsx | reports.csv | reports.geojson
    GET  /dashboard/static/…           the stylesheet; map.js and Leaflet (vendor/) for the tile map

Rules of access and CSRF are in ``auth.py``; Jinja2 templates in ``templates/`` (texts through
the bot's gettext catalogs, extracted by ``make i18n``); no script or style from the internet,
but Telegram's login widget on the sign-in page when it is offered. The map is server-drawn SVG
(``svgmap.py``), or on a configured tile server Leaflet (``tilemap.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.dashboard import auth, figures, pages, telegram_login
from bot.dashboard.auth import CONTEXT, Context
from bot.features.reports import media_store

if TYPE_CHECKING:
    from bot.app import WufeiApp

HERE = Path(__file__).resolve().parent


def make_app(app: WufeiApp) -> web.Application:
    """The dashboard as a sub-application, mounted by ``WufeiApp.web_app`` at ``/dashboard/``."""
    sub = web.Application(middlewares=[auth.security])
    media = app.reports.media if app.reports is not None else media_store(app.settings, app.clock.tz)
    sub[CONTEXT] = Context(app.sessions, app.clock, app.settings, app.i18n, media, app.bot)
    aiohttp_jinja2.setup(
        sub, loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined
    )
    sub.router.add_get("/login", auth.login_page)
    sub.router.add_post("/login", auth.login)
    if telegram_login.enabled(app.settings):  # without a public https address: no such page (404)
        sub.router.add_get("/login/telegram", auth.login_telegram)
    sub.router.add_post("/logout", auth.logout)
    sub.router.add_get("/", pages.reports_page)
    sub.router.add_get("/reports/{rid}", pages.report_page)
    sub.router.add_post("/reports/{rid}/act", pages.act)
    sub.router.add_get("/figures", figures.figures_page)
    sub.router.add_get("/export/bulletin.csv", figures.bulletin_csv)
    sub.router.add_get("/export/bulletin.xlsx", figures.bulletin_xlsx)
    sub.router.add_get("/export/reports.csv", figures.reports_csv)
    sub.router.add_get("/export/reports.geojson", figures.reports_geojson)
    sub.router.add_static("/static/", HERE / "static", append_version=True)
    return sub
