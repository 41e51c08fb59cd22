"""`make run` with no settings: the sandbox starts with a ready cast (bot/sandbox_cast.py) and typed
addresses go to the offline gazetteer at once. Through run_sandbox, the real app, real HTTP."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

import bot.sandbox_mode as sandbox_mode
from bot.app import create_app
from bot.outgoing.pacing import PaceLimits
from bot.sandbox_cast import CAST_ADMIN_ID
from core import accounts
from core.models import Role
from reports import service as svc
from sandbox.driver import GroupHandle, Sandbox, UserHandle
from tests.conftest import make_settings
from tests.e2e.test_reports_flow import card_of, finish, start_report

pytestmark = [pytest.mark.e2e, pytest.mark.dates]


@contextlib.asynccontextmanager
async def counting_geocoder():
    """An online geocoder that would answer (and counts who asks)."""
    asked: list[str] = []

    async def search(request):
        asked.append(request.query.get("q", ""))
        return web.json_response([{"lat": "31.9050", "lon": "120.2850", "display_name": "人民中路, 江阴市"}])

    app = web.Application()
    app.router.add_get("/search", search)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")), asked
    finally:
        await server.close()


@contextlib.asynccontextmanager
async def sandbox_mode_running(tmp_path, kb, monkeypatch, **overrides):
    """run_sandbox as `make run` starts it (no admins configured); yields the driver and the cast."""
    monkeypatch.setenv("WUFEI_SANDBOX_LIMITS", "off")
    made: dict = {}
    real_create_cast = sandbox_mode.create_cast

    async def spy(server, sessions, *args):
        made["cast"] = await real_create_cast(server, sessions, *args)
        made["server"], made["sessions"] = server, sessions
        return made["cast"]

    def factory(settings, api_base, token):
        made["settings"] = settings
        return create_app(settings, api_base=api_base, token=token, kb=kb, pace=PaceLimits.relaxed())

    monkeypatch.setattr(sandbox_mode, "create_cast", spy)
    settings = make_settings(
        tmp_path,
        f"sqlite+aiosqlite:///{tmp_path}/wufei.db",
        admin_ids=[],
        sandbox_host="127.0.0.1",
        sandbox_port=0,
        **overrides,
    )
    ready, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(sandbox_mode.run_sandbox(settings, app_factory=factory, ready=ready, stop=stop))
    await asyncio.wait_for(ready.wait(), 30)
    driver = Sandbox(made["server"])
    try:
        yield driver, made
    finally:
        driver.close()
        stop.set()
        assert await asyncio.wait_for(task, 20) == 0


async def test_the_ready_cast_plays_every_role(tmp_path, kb, monkeypatch):
    async with (
        counting_geocoder() as (geocoder_url, asked),
        sandbox_mode_running(tmp_path, kb, monkeypatch, geocoder_enabled=True, geocoder_url=geocoder_url) as (
            driver,
            made,
        ),
    ):
        cast = made["cast"]
        users = {u.username: u for u in driver.world.users.values()}
        assert {"wangfang", "tom", "admin_li", "zhang", "chen", "liu"} <= set(users)
        assert cast.admin.id == CAST_ADMIN_ID and made["settings"].admin_ids == [CAST_ADMIN_ID]
        async with made["sessions"]() as session:
            assert (await accounts.roles_of(session, cast.admin.id)).has(Role.ADMIN)
            assert (await accounts.roles_of(session, cast.handler.id)).units() == {"320281001"}
            assert (await accounts.roles_of(session, cast.campaign.id)).has(Role.CAMPAIGN_STAFF)
            assert await svc.unit_chat(session, "320281001") == cast.staff_group.id

        # The English resident types a place in pinyin: the offline gazetteer answers at once (the
        # online geocoder, which would answer, is not asked), and the report reaches the handler's group.
        tom, zhang = UserHandle(driver, cast.resident_en), UserHandle(driver, cast.handler)
        await start_report(tom)
        await tom.click("Done")
        await tom.expect_message("Where is it")
        await tom.send("Chengjiang Renmin Road")
        assert "(Chengjiang Subdistrict)" in (await tom.expect_message("Got it")).content
        await tom.expect_message("What kind of waste")
        ticket = await finish(tom, placed=True)
        card = await card_of(zhang, GroupHandle(driver, cast.staff_group), ticket)
        assert "澄江街道" in card.content  # the group reads the default locale
        assert asked == []

        # The README's example works as written, with a username from the web chat.
        admin = UserHandle(driver, cast.admin)
        await admin.send("/grant @liu handler 澄江街道")
        assert "@liu" in (await admin.expect_message("澄江街道")).content
        await admin.send("/staff")
        staff = (await admin.expect_message("张师傅")).content
        assert "陈老师" in staff and "刘新" in staff
