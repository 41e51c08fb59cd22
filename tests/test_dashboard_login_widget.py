"""Telegram's Login Widget as a second way into the dashboard, offered only with a public https
address: the signature checked as Telegram specifies (the test signs with the bot token), a day's
validity on the app's clock, staff only; without the address nothing external and no route."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from sqlmodel import select

from core.models import AuditEntry
from tests.conftest import make_settings
from tests.support.dashboard import dashboard_app, web_client
from tests.test_dashboard import handler_of
from tests.test_reports_bot import CHENGJIANG_CODE

pytestmark = pytest.mark.dates


@pytest.fixture
async def app(settings, kb):
    async with dashboard_app(settings, kb) as application:
        yield application


@pytest.fixture
async def http(app):
    async with web_client(app) as client:
        yield client


TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_x"
PUBLIC = "https://wufei.example.org"


@pytest.fixture
def settings(request, tmp_path, sqlite_url):
    if getattr(request, "param", "https") == "none":
        return make_settings(tmp_path, sqlite_url)
    return make_settings(tmp_path, sqlite_url, public_base_url=PUBLIC, bot_token=TOKEN)


def signed(fields: dict[str, str], token: str = TOKEN) -> dict[str, str]:
    """What Telegram appends to the auth URL, computed here from its documentation."""
    check = "\n".join(f"{k}={fields[k]}" for k in sorted(fields))
    secret = hashlib.sha256(token.encode()).digest()
    return {**fields, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()}


def payload(app, person_id: int, age_s: int = 60) -> dict[str, str]:
    auth_date = int(app.clock().timestamp()) - age_s
    return {"id": str(person_id), "first_name": "Handler", "username": "handler", "auth_date": str(auth_date)}


async def test_the_sign_in_page_shows_the_widget_and_its_csp_allows_only_it(app, http):
    page = await http.get("/dashboard/login?lang=en")
    text = await page.text()
    assert '<script async src="https://telegram.org/js/telegram-widget.js?22"' in text
    assert 'data-telegram-login="wufei_bot"' in text
    assert f'data-auth-url="{PUBLIC}/dashboard/login/telegram"' in text
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self' https://telegram.org" in csp and "frame-src https://oauth.telegram.org" in csp
    other = await http.get("/dashboard/")  # any other page: nothing from outside
    assert "telegram.org" not in other.headers["Content-Security-Policy"]


async def test_a_signed_payload_signs_a_handler_in(app, client, http):
    handler = await handler_of(app, client, CHENGJIANG_CODE)
    back = await http.get(
        "/dashboard/login/telegram", params=signed(payload(app, handler.tg.id)), allow_redirects=False
    )
    assert (back.status, back.headers["Location"]) == (303, "/dashboard/")
    cookie = back.cookies["wufei_dashboard"]
    assert cookie["secure"] and cookie["httponly"]  # the public address is https
    inside = await http.get("/dashboard/?lang=en", headers={"Cookie": f"wufei_dashboard={cookie.value}"})
    assert inside.status == 200 and 'data-testid="report-list"' in await inside.text()
    async with app.sessions() as session:
        audit = (await session.exec(select(AuditEntry).where(AuditEntry.action == "dashboard.signin"))).all()
    assert [(a.actor_id, a.details) for a in audit] == [(handler.tg.id, {"method": "telegram_widget"})]


async def test_tampered_old_or_unsigned_payloads_are_refused(app, client, http):
    handler = await handler_of(app, client, CHENGJIANG_CODE)
    good = signed(payload(app, handler.tg.id))
    refusals = {
        "tampered": {**good, "first_name": "Mallory"},
        "another id": {**good, "id": "777"},
        "day old": signed(payload(app, handler.tg.id, age_s=86400 + 1)),
        "wrong key": signed(payload(app, handler.tg.id), token="987654321:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_x"),
        "no hash": payload(app, handler.tg.id),
    }
    for name, params in refusals.items():
        answer = await http.get("/dashboard/login/telegram?lang=en", params=params, allow_redirects=False)
        assert answer.status == 403, name
        assert "could not be checked or is more than a day old" in await answer.text(), name
        assert "wufei_dashboard" not in answer.cookies, name
    app.clock.advance(hours=23, minutes=58)  # the good one is still within its day
    assert (await http.get("/dashboard/login/telegram", params=good, allow_redirects=False)).status == 303


async def test_a_resident_with_a_valid_signature_is_turned_away(app, client, http):
    resident = client.person("Resident", "en")
    await resident.send("/start")
    answer = await http.get("/dashboard/login/telegram", params=signed(payload(app, resident.tg.id)))
    assert answer.status == 403
    assert "The dashboard is for the programme office" in await answer.text()
    stranger = await http.get("/dashboard/login/telegram", params=signed(payload(app, 555000111)))
    assert stranger.status == 403 and "wufei_dashboard" not in stranger.cookies
    async with app.sessions() as session:
        assert (await session.exec(select(AuditEntry).where(AuditEntry.action == "dashboard.signin"))).all() == []


@pytest.mark.parametrize("settings", ["none"], indirect=True)
async def test_without_a_public_https_address_there_is_no_widget_and_no_route(app, client, http):
    handler = await handler_of(app, client, CHENGJIANG_CODE)
    page = await http.get("/dashboard/login")
    text = await page.text()
    assert "telegram.org" not in text and "<script" not in text
    assert "telegram.org" not in page.headers["Content-Security-Policy"]
    answer = await http.get("/dashboard/login/telegram", params=signed(payload(app, handler.tg.id)))
    assert answer.status == 404
