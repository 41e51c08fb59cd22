"""The staff dashboard over real HTTP (aiohttp's test server) with the bot at the dispatcher level:
the sign-in link from /dashboard, sessions, roles (a handler sees their unit only), CSRF, the
actions through the reports service (the resident's status message goes out through the outbox),
a concurrent chat action, figures and exports."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from aiogram.methods import SendMessage
from aiohttp.test_utils import TestClient
from openpyxl import load_workbook
from sqlmodel import select

from core import accounts
from core.models import AuditEntry, Role
from reports import service as svc
from tests.conftest import ADMIN_ID
from tests.support.dashboard import dashboard_app, web_client
from tests.support.fakebot import Client, texts
from tests.test_reports_bot import CHENGJIANG, CHENGJIANG_CODE, QINGYANG_CODE, seed

pytestmark = pytest.mark.dates

LINK = re.compile(r"(http://\S+/dashboard/login\?t=[\w-]+&lang=\w+)")


@pytest.fixture
async def app(settings, kb):
    async with dashboard_app(settings, kb) as application:
        yield application


@pytest.fixture
async def http(app):
    async with web_client(app) as client:
        yield client


async def handler_of(app, client: Client, unit: str, name: str = "Handler"):
    person = client.person(name, "en")
    await person.send("/start")
    async with app.sessions() as session:
        await accounts.grant(session, ADMIN_ID, person.tg.id, Role.UNIT_HANDLER, unit)
    await app.outbox.drained()
    return person


async def link_for(person) -> str:
    calls = await person.send("/dashboard")
    found = [m.group(1) for text in texts(calls) if (m := LINK.search(text))]
    assert found, texts(calls)
    return found[0]


async def sign_in(http: TestClient, link: str):
    path = link.split("/", 3)[3]
    token = re.search(r"t=([\w-]+)", link).group(1)
    page = await http.get("/" + path)
    assert page.status == 200 and 'data-testid="sign-in"' in await page.text()
    return await http.post("/dashboard/login", data={"t": token}, allow_redirects=False)


async def csrf_of(http: TestClient, path: str) -> str:
    text = await (await http.get(path)).text()
    return re.search(r'name="csrf" value="([^"]+)"', text).group(1)


async def test_a_resident_gets_no_link(app, client):
    resident = client.person("Resident", "en")
    await resident.send("/start")
    answer = texts(await resident.send("/dashboard"))
    assert answer == ["The dashboard is for the programme office and the units' handlers."]


async def test_link_works_once_and_not_after_ten_minutes(app, client, http):
    handler = await handler_of(app, client, CHENGJIANG_CODE)
    first = await link_for(handler)
    assert (await sign_in(http, first)).status == 303
    http.session.cookie_jar.clear()
    again = await sign_in(http, first)
    assert again.status == 403 and "expired or was already used" in await again.text()
    late = await link_for(handler)
    app.clock.advance(minutes=10, seconds=1)
    assert (await sign_in(http, late)).status == 403
    assert (await http.get("/dashboard/")).status == 401
    async with app.sessions() as session:
        actions = (await session.exec(select(AuditEntry.action).where(AuditEntry.actor_id == handler.tg.id))).all()
    assert actions.count("dashboard.link") == 2 and actions.count("dashboard.signin") == 1


async def test_handler_accepts_on_the_page_and_the_resident_is_told(app, client, http):
    resident = client.person("Resident", "en")
    await resident.send("/start")
    mine = await seed(app, resident.tg.id)
    other = await seed(app, resident.tg.id, lat=31.76525, lon=120.25188)  # Qingyang
    assert other.unit_code != mine.unit_code
    handler = await handler_of(app, client, CHENGJIANG_CODE)
    response = await sign_in(http, await link_for(handler))
    cookie = response.cookies["wufei_dashboard"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"

    listing = await (await http.get("/dashboard/?lang=en")).text()
    assert mine.ticket in listing and other.ticket not in listing
    assert (await http.get(f"/dashboard/reports/{other.id}")).status == 403
    assert (await http.get(f"/dashboard/?unit={QINGYANG_CODE}")).status == 403

    csrf = await csrf_of(http, f"/dashboard/reports/{mine.id}")
    before = len(client.session.calls)
    done = await http.post(
        f"/dashboard/reports/{mine.id}/act", data={"csrf": csrf, "action": "accept", "expected": "submitted"}
    )
    assert done.status == 200 and "Done: 👷 Accepted." in await done.text()
    await app.outbox.drained()
    to_resident = [
        c.text for c in client.session.calls[before:] if isinstance(c, SendMessage) and int(c.chat_id) == resident.tg.id
    ]
    assert any(mine.ticket in text for text in to_resident), to_resident
    async with app.sessions() as session:
        assert (await svc.get(session, mine.id)).status == "accepted"
        audit = (await session.exec(select(AuditEntry).where(AuditEntry.action == "reports.status"))).all()
    assert [(a.actor_id, a.target, a.details["via"]) for a in audit] == [(handler.tg.id, mine.ticket, "dashboard")]


async def test_post_without_csrf_changes_nothing(app, client, http):
    mine = await seed(app, 4242)
    handler = await handler_of(app, client, CHENGJIANG_CODE)
    await sign_in(http, await link_for(handler))
    forged = await http.post(f"/dashboard/reports/{mine.id}/act", data={"action": "accept", "expected": "submitted"})
    assert forged.status == 403
    wrong = await http.post(
        f"/dashboard/reports/{mine.id}/act", data={"csrf": "guess", "action": "accept", "expected": "submitted"}
    )
    assert wrong.status == 403
    async with app.sessions() as session:
        assert (await svc.get(session, mine.id)).status == "submitted"


async def test_a_chat_action_first_the_page_is_told(app, client, http):
    mine = await seed(app, 4243)
    handler = await handler_of(app, client, CHENGJIANG_CODE)
    await sign_in(http, await link_for(handler))
    csrf = await csrf_of(http, f"/dashboard/reports/{mine.id}?lang=en")
    async with app.sessions() as session:  # a colleague presses "Accept" in the group meanwhile
        assert isinstance(
            await svc.transition(session, mine.id, ADMIN_ID, "accepted", expected_status="submitted"), svc.Changed
        )
    late = await http.post(
        f"/dashboard/reports/{mine.id}/act",
        data={"csrf": csrf, "action": "reject", "expected": "submitted", "reason": "duplicate"},
    )
    assert "Already handled by someone else: it is now 👷 Accepted." in await late.text()
    async with app.sessions() as session:
        assert (await svc.get(session, mine.id)).status == "accepted"


async def test_admin_figures_and_exports(app, client, http):
    mine = await seed(app, 4244)
    async with app.sessions() as session:
        await svc.transition(session, mine.id, ADMIN_ID, "accepted", now=mine.created_at + timedelta(hours=2))
    admin = client.person("Admin", "en", user_id=ADMIN_ID)
    await admin.send("/start")
    await sign_in(http, await link_for(admin))
    figures = await (await http.get("/dashboard/figures?lang=en")).text()
    assert "Campaign runs" in figures and "Sorting questions per day" in figures
    rows = list(
        csv.reader(io.StringIO((await (await http.get("/dashboard/export/bulletin.csv")).read()).decode("utf-8-sig")))
    )
    assert rows[0][:4] == ["unit", "unit_code", "week", "received"]
    assert rows[1][1] == CHENGJIANG_CODE and rows[1][3:5] == ["1", "1"] and rows[1][8] == "2.0"
    book = load_workbook(io.BytesIO(await (await http.get("/dashboard/export/bulletin.xlsx")).read()))
    assert [c.value for c in book.active[2]][1:5] == [CHENGJIANG_CODE, rows[1][2], 1, 1]
    geo = json.loads(await (await http.get("/dashboard/export/reports.geojson?status=accepted")).read())
    assert [f["properties"]["ticket"] for f in geo["features"]] == [mine.ticket]
    assert geo["features"][0]["geometry"]["coordinates"] == pytest.approx([CHENGJIANG[1], CHENGJIANG[0]], abs=1e-4)


async def test_an_export_cut_at_its_limit_says_so(app, client, http, monkeypatch):
    from reports import board

    monkeypatch.setattr(board, "EXPORT_MAX", 2)
    tickets = [(await seed(app, 4244 + n)).ticket for n in range(3)]
    admin = client.person("Admin", "en", user_id=ADMIN_ID)
    await admin.send("/start")
    await sign_in(http, await link_for(admin))
    page = await (await http.get("/dashboard/?lang=en")).text()
    assert "An export holds the oldest 2 reports of this view" in page
    rows = list(
        csv.reader(io.StringIO((await (await http.get("/dashboard/export/reports.csv")).read()).decode("utf-8-sig")))
    )
    assert [row[0] for row in rows[1:]] == tickets[:2]
    monkeypatch.setattr(board, "EXPORT_MAX", 3)
    assert "An export holds" not in await (await http.get("/dashboard/?lang=en")).text()


async def test_pages_in_chinese_by_default_and_english_on_request(app, client, http):
    handler = await handler_of(app, client, CHENGJIANG_CODE)
    async with app.sessions() as session:
        await accounts.set_language(session, handler.tg.id, "zh")
    await sign_in(http, await link_for(handler))
    chinese = await (await http.get("/dashboard/")).text()
    assert "无废管理平台" in chinese and "仅看超时" in chinese
    english = await (await http.get("/dashboard/?lang=en")).text()
    assert "Wufei dashboard" in english and "Overdue only" in english
    assert "Wufei dashboard" in await (await http.get("/dashboard/figures")).text()  # the choice is remembered


async def test_a_handlers_figures_are_their_units_only(app, client, http):
    await seed(app, 4245)  # Chengjiang
    await seed(app, 4246, lat=31.76525, lon=120.25188)  # Qingyang
    handler = await handler_of(app, client, QINGYANG_CODE)
    await sign_in(http, await link_for(handler))
    figures = await (await http.get("/dashboard/figures?lang=en")).text()
    assert "Qingyang Town" in figures and "Chengjiang Subdistrict" not in figures
    assert "Campaign runs" not in figures  # the programme office's figures
    rows = list(
        csv.reader(io.StringIO((await (await http.get("/dashboard/export/bulletin.csv")).read()).decode("utf-8-sig")))
    )
    assert [r[1] for r in rows[1:]] == [QINGYANG_CODE]
    geo = json.loads(await (await http.get("/dashboard/export/reports.geojson")).read())
    assert {f["properties"]["unit_code"] for f in geo["features"]} == {QINGYANG_CODE}
    assert (await http.get(f"/dashboard/export/reports.csv?unit={CHENGJIANG_CODE}")).status == 403


async def test_admin_rejects_reopens_and_hands_over_and_the_history_shows_it(app, client, http):
    mine = await seed(app, 4247)
    admin = client.person("Admin", "en", user_id=ADMIN_ID)
    await admin.send("/start")
    await sign_in(http, await link_for(admin))
    path = f"/dashboard/reports/{mine.id}"

    async def act(**form):
        csrf = await csrf_of(http, path)
        return await (await http.post(f"{path}/act", data={"csrf": csrf, **form})).text()

    assert "Choose a reason" in await act(action="reject", expected="submitted")
    assert "Done: ❌ Rejected." in await act(action="reject", expected="submitted", reason="duplicate")
    assert "Done: 🆕 Submitted." in await act(action="reopen", expected="rejected")
    report = await (await http.get(path)).text()
    version = re.search(r'name="version" value="(\d+)"', report).group(1)
    assert "Done: 🆕 Submitted." in await act(
        action="reassign", expected="submitted", unit=QINGYANG_CODE, version=version
    )
    history = await (await http.get(path + "?lang=en")).text()
    assert "Duplicate of another report" in history and "Chengjiang Subdistrict → Qingyang Town" in history
    async with app.sessions() as session:
        assert (await svc.get(session, mine.id)).unit_code == QINGYANG_CODE


async def test_a_handler_who_hands_a_report_over_returns_to_the_list(app, client, http):
    mine = await seed(app, 4248)
    handler = await handler_of(app, client, CHENGJIANG_CODE)
    await sign_in(http, await link_for(handler))
    path = f"/dashboard/reports/{mine.id}"
    csrf = await csrf_of(http, path)
    moved = await http.post(
        f"{path}/act",
        data={"csrf": csrf, "action": "reassign", "expected": "submitted", "unit": QINGYANG_CODE},
        allow_redirects=False,
    )
    assert (moved.status, moved.headers["Location"]) == (303, "/dashboard/")
    assert (await http.get(path)).status == 403  # no longer theirs
    async with app.sessions() as session:
        assert (await svc.get(session, mine.id)).unit_code == QINGYANG_CODE
