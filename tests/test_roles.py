"""Roles: admins from configuration, /grant and /revoke, the audit log, and enforcement."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select, update

from bot.app import create_app
from bot.outgoing.pacing import PaceLimits
from core import accounts
from core.models import AuditEntry, Role
from reports import service as svc
from tests.conftest import ADMIN_ID, make_settings
from tests.support.fakebot import Client, FakeSession, texts


async def _audit_actions(app) -> list[tuple]:
    async with app.sessions() as session:
        rows = (await session.exec(select(AuditEntry).order_by(AuditEntry.id))).all()
    return [(r.actor_id, r.action, r.target, (r.details or {}).get("role")) for r in rows]


def to(calls, chat_id: int) -> list:
    return [c for c in calls if int(getattr(c, "chat_id", 0) or 0) == chat_id]


async def test_config_admin_is_seeded_and_audited(app):
    async with app.sessions() as session:
        roles = await accounts.roles_of(session, ADMIN_ID)
    assert roles.has(Role.ADMIN) and roles.has(Role.CURATOR)
    assert (None, "role.grant", str(ADMIN_ID), "admin") in await _audit_actions(app)


async def test_admin_grants_and_revokes_roles_with_audit(client, app):
    admin = client.person("Boss", "en", user_id=ADMIN_ID)
    wang = client.person("Wang", "zh")
    await wang.send("/start")  # known to the bot

    calls = await admin.send(f"/grant {wang.tg.id} handler 澄江")
    assert texts(to(calls, ADMIN_ID)) == [
        f"✅ Wang ({wang.tg.id}) is now unit handler · Chengjiang Subdistrict."
    ]  # Boss reads English
    [welcome] = texts(to(calls, wang.tg.id))  # in Wang's language: what a handler does next
    assert "澄江街道" in welcome and "/bindunit" in welcome
    calls = await admin.send(f"/grant {wang.tg.id} campaign")
    assert texts(to(calls, ADMIN_ID)) == [f"✅ Wang ({wang.tg.id}) is now campaign staff."]
    assert "/newcampaign" in texts(to(calls, wang.tg.id))[0]
    async with app.sessions() as session:
        roles = await accounts.roles_of(session, wang.tg.id)
    assert roles.units() == {"320281001"} and roles.has(Role.CAMPAIGN_STAFF)
    assert not roles.has(Role.ADMIN)

    staff = texts(await admin.send("/staff"))[0]
    assert "Wang" in staff and "unit handler · Chengjiang Subdistrict" in staff

    reply = texts(await admin.send(f"/revoke {wang.tg.id} campaign"))
    assert reply == [f"✅ Wang ({wang.tg.id}) is no longer campaign staff."]
    async with app.sessions() as session:
        assert not (await accounts.roles_of(session, wang.tg.id)).has(Role.CAMPAIGN_STAFF)

    actions = await _audit_actions(app)
    assert (ADMIN_ID, "role.grant", str(wang.tg.id), "unit_handler") in actions
    assert (ADMIN_ID, "role.revoke", str(wang.tg.id), "campaign_staff") in actions
    assert "role.revoke" in texts(await admin.send("/audit 5"))[0]


async def test_grant_input_errors_are_explained(client):
    admin = client.person("Boss", "zh", user_id=ADMIN_ID)
    assert "用法" in texts(await admin.send("/grant"))[0]
    assert "请对方先给机器人发送 /start" in texts(await admin.send("/grant @nobody admin"))[0]
    li = client.person("Li", "zh")
    await li.send("/start")
    assert "必须绑定一个单位" in texts(await admin.send(f"/grant {li.tg.id} handler"))[0]
    reply = texts(await admin.send(f"/grant {li.tg.id} handler 火星"))[0]
    assert "未知单位" in reply and "临港经济开发区" in reply
    assert "用法" in texts(await admin.send(f"/grant {li.tg.id} emperor"))[0]


async def test_admin_cannot_revoke_own_admin_role(client):
    admin = client.person("Boss", "en", user_id=ADMIN_ID)
    assert texts(await admin.send(f"/revoke {ADMIN_ID} admin")) == ["You cannot revoke your own admin role."]


async def test_non_admin_trying_every_staff_command_is_refused(client, app):
    from bot.handlers.admin import ADMIN_COMMANDS

    mallory = client.person("Mallory", "en")
    victim = client.person("Victim", "en")
    await victim.send("/start")
    before = await _audit_actions(app)
    for command in ADMIN_COMMANDS:
        for args in ("", f" {mallory.tg.id} admin", f" {victim.tg.id} handler 澄江"):
            reply = texts(await mallory.send(f"/{command}{args}"))
            assert reply == ["⛔ This command is for staff only."], (command, args)
    async with app.sessions() as session:
        assert not await accounts.roles_of(session, mallory.tg.id)
    assert await _audit_actions(app) == before


async def test_granted_admin_can_then_administer(client):
    admin = client.person("Boss", "en", user_id=ADMIN_ID)
    deputy = client.person("Deputy", "en")
    await deputy.send("/start")
    assert texts(await deputy.send("/staff")) == ["⛔ This command is for staff only."]
    await admin.send(f"/grant {deputy.tg.id} admin")
    assert "Staff" in texts(await deputy.send("/staff"))[0]


async def test_help_lists_staff_commands_only_to_staff(client):
    resident = texts(await client.person("Res", "en").send("/help"))[0]
    assert "/grant" not in resident and "/newcampaign" not in resident
    admin = texts(await client.person("Boss", "en", user_id=ADMIN_ID).send("/help"))[0]
    assert "/grant" in admin and "/newcampaign" in admin and "/bindunit" in admin and "/unanswered" in admin


async def test_non_staff_trying_every_staff_command_of_every_feature(client, app):
    from bot.handlers.admin import ADMIN_COMMANDS
    from bot.handlers.curation import CURATOR_COMMANDS
    from bot.handlers.reports.queue import STAFF_COMMANDS as REPORT_COMMANDS

    mallory = client.person("Mallory", "en")
    commands = ADMIN_COMMANDS + CURATOR_COMMANDS + REPORT_COMMANDS + ("cells", "newcell", "newcampaign", "campaigns")
    before = await _audit_actions(app)
    for command in commands:
        reply = texts(await mallory.send(f"/{command}"))
        assert reply == ["⛔ This command is for staff only."], (command, reply)
    assert await _audit_actions(app) == before


@pytest.mark.dates
@pytest.mark.parametrize("zone, local", [("Asia/Shanghai", "2026-12-03 15:30"), ("Europe/London", "2026-12-03 07:30")])
async def test_audit_reads_as_words_in_local_time(tmp_path, sqlite_url, kb, zone, local):
    """/audit: times in WUFEI_TIMEZONE, people's and units' names, role and status labels; no
    codes, no UTC, no Python reprs."""
    fake = FakeSession()
    app = create_app(
        make_settings(tmp_path, sqlite_url, timezone=zone), bot_session=fake, kb=kb, pace=PaceLimits.relaxed()
    )
    await app.prepare()
    try:
        client = Client(app.dp, app.bot, fake, settle=app.outbox.drained)
        admin = client.person("Boss", "zh", user_id=ADMIN_ID)
        await admin.send("/start")
        wang = client.person("Wang", "zh")
        await wang.send("/start")
        await admin.send(f"/grant {wang.tg.id} handler 澄江街道")
        async with app.sessions() as session:
            await accounts.audit(
                session,
                ADMIN_ID,
                "reports.accept",
                "JY-2026-000001",
                {
                    "from": "submitted",
                    "to": "accepted",
                    "new_unit": "320281103",
                    "photos": ["a", "b"],
                    "anonymous": True,
                    "note": None,
                },
            )
            await session.exec(update(AuditEntry).values(at=datetime(2026, 12, 3, 7, 30, tzinfo=UTC)))
            await session.commit()
        log = texts(await admin.send("/audit 2"))[0]
    finally:
        await app.stop()
    lines = log.splitlines()
    assert zone in lines[0]
    assert lines[1] == (
        f"{local} · Boss · reports.accept → JY-2026-000001 · from: 🆕 已提交; to: 👷 已受理; "
        "new_unit: 青阳镇; photos: a、b; anonymous: 是"
    )
    assert lines[2] == f"{local} · Boss · role.grant → Wang · role: 属地处置人员; unit: 澄江街道"
    assert "UTC" not in log and "320281" not in log and "{" not in log and "None" not in log


async def test_a_handler_of_a_unit_whose_group_is_bound_is_not_told_to_bind_it(client, app):
    async with app.sessions() as session:
        await svc.bind_unit_chat(session, "320281001", -100_777, ADMIN_ID)
    admin = client.person("Boss", "en", user_id=ADMIN_ID)
    wang = client.person("Wang", "en")
    await wang.send("/start")
    [welcome] = texts(to(await admin.send(f"/grant {wang.tg.id} handler 澄江"), wang.tg.id))
    assert "staff group" in welcome and "/bindunit" not in welcome and "Chengjiang" in welcome
