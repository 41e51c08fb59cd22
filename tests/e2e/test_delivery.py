"""The report chain under Telegram's limits and faults, end to end through the sandbox over HTTP.

Every test here runs with the sandbox enforcing Telegram's flood limits and the bot pacing itself
by them (no relaxed limits): what a resident is told must be true, and nothing owed is lost.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from core import accounts
from core.models import Notification, Role
from core.notifications import NoteStatus
from reports import service as svc
from sandbox import Limits
from tests.conftest import ADMIN_ID, make_settings
from tests.e2e.test_reports_flow import card_of, finish, staff_group, start_report, to_type_step

pytestmark = pytest.mark.e2e


@pytest.fixture
def sandbox_settings(tmp_path: Path):
    return make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/wufei.db", default_locale="en")


@pytest.fixture
def sandbox_limits() -> Limits:
    return Limits()  # Telegram's: 30/s, 1/s per chat with a burst of 4, 20/min per group


@pytest.fixture
def app_pace():
    return None  # the bot's own pacing, as in production


async def report(user, photos: int, placed: bool = False) -> str:
    await start_report(user, photos=photos)
    await to_type_step(user)
    return await finish(user, placed=placed)


def album_photos(group) -> int:
    return sum(1 for m in group.messages() if m.photo and m.media_group_id)


async def stored(sandbox, ticket: str) -> svc.ReportInfo:
    async with sandbox.app.sessions() as session:
        return await svc.get(session, ticket)


async def outbox_rows(sandbox, kind: str) -> list[Notification]:
    async with sandbox.app.sessions() as session:
        return list((await session.exec(select(Notification).where(Notification.kind == kind))).all())


@pytest.mark.parametrize("photos", [3, 5])
async def test_an_album_its_pin_and_card_reach_the_group_and_then_the_resident_is_told(sandbox, photos):
    """3 or more photos used to run into the flood limit and lose the card (and with 5, the pin)."""
    _, hank, group = await staff_group(sandbox)
    alice = sandbox.user("Alice", lang="en")
    ticket = await report(alice, photos)
    card = await card_of(hank, group, ticket)
    assert album_photos(group) == photos
    assert sum(1 for m in group.messages() if m.location) == 1
    assert "Accept" in " ".join(card.buttons)
    # Told only once the card is there (the receipt said "stored", not "sent"), in her language.
    placed = (await alice.expect_message("has your report")).content
    assert ticket in placed and "Chengjiang Subdistrict" in placed
    assert (await stored(sandbox, ticket)).staff_message_id == card.message_id
    assert sandbox.server.answers(429) == 0  # the bot kept Telegram's limits itself


FAULTS = [
    ("502", "sendMediaGroup", 2),
    ("500", "sendMessage", 2),
    ("429:3", "sendPhoto", 1),  # Telegram says when to retry: the bot waits that long
    ("drop", "sendLocation", 2),  # the connection is cut before Telegram did anything
    ("drop_after", "sendMessage", 2),  # done, but the answer is lost: the card's id is unknown
    ("drop", "answerCallbackQuery", 1),  # the "Send" press's own answer: the report must not suffer
]


@pytest.mark.parametrize(("fault", "method", "photos"), FAULTS, ids=[f"{f}-{m}" for f, m, _ in FAULTS])
async def test_one_failed_call_loses_nothing(sandbox, sandbox_faults, fault, method, photos):
    _, hank, group = await staff_group(sandbox)
    alice = sandbox.user("Alice", lang="en")
    await start_report(alice, photos=photos)
    await to_type_step(alice)
    sandbox_faults.script(fault, methods=[method])
    ticket = await finish(alice)
    await alice.expect_message("has your report", timeout=20)  # a 429 is waited out: seconds
    assert sandbox_faults.pending == 0 and sandbox_faults.injected == [(method, fault.split(":")[0])]
    await card_of(hank, group, ticket)  # the card is posted
    # One album and one pin: a retry goes on after the last step done instead of repeating it.
    assert album_photos(group) == (photos if photos > 1 else 0)
    assert sum(1 for m in group.messages() if m.location) == 1
    recorded = (await stored(sandbox, ticket)).staff_message_id
    cards = [m for m in group.messages() if ticket in m.content and m.buttons]
    assert recorded in {m.message_id for m in cards}
    # A later change edits the recorded card, and the resident hears of it.
    live = next(m for m in cards if m.message_id == recorded)
    await (await hank.click("Accept", message=live, chat=group)).answer()
    assert "Accepted" in (await alice.expect_message(ticket)).content
    await sandbox._wait(lambda: "Accepted" in live.content, 5, "the recorded card to show the change")


async def test_a_unit_without_a_reachable_chat_alerts_the_admins_and_posts_once_a_group_is_bound(sandbox):
    ada = sandbox.user("Ada", lang="en", user_id=ADMIN_ID, started=True)
    zed = sandbox.user("Zed", lang="en")  # an admin who never wrote to the bot: unreachable
    async with sandbox.app.sessions() as session:
        await accounts.grant(session, ADMIN_ID, zed.id, Role.ADMIN)
    alice = sandbox.user("Alice", lang="en")
    ticket = await report(alice, 2)
    alert = await ada.expect_message(ticket)
    assert "/bindunit" in alert.content and "Accept" in " ".join(alert.buttons)
    assert not zed.messages()
    [post] = await outbox_rows(sandbox, svc.Kind.POST)
    assert post.status == NoteStatus.WAITING
    assert not any("has your report" in m.content for m in alice.messages())

    hank = sandbox.user("Hank", lang="en")
    await hank.send("/start")
    await hank.expect_message()
    await ada.send(f"/grant {hank.id} handler 澄江街道")
    await ada.expect_message("now")
    await hank.expect_message("/bindunit")
    group = sandbox.group("澄江街道 staff", [hank])
    await hank.send("/bindunit 澄江街道", chat=group)
    card = await card_of(hank, group, ticket)
    assert "Accept" in " ".join(card.buttons)
    assert ticket in (await alice.expect_message("has your report")).content


async def test_a_bound_chat_the_bot_was_removed_from_waits_and_the_resident_is_not_told_it_was_passed_on(sandbox):
    ada, hank, group = await staff_group(sandbox)
    await group.remove_bot()
    alice = sandbox.user("Alice", lang="en")
    ticket = await report(alice, 1)
    alert = await ada.expect_message(ticket)
    assert "/bindunit" in alert.content
    [post] = await outbox_rows(sandbox, svc.Kind.POST)
    assert post.status == NoteStatus.WAITING and post.last_error
    assert not any("has your report" in m.content for m in alice.messages())
    new_group = sandbox.group("澄江街道 staff (new)", [hank])
    await hank.send("/bindunit", chat=new_group)
    await card_of(hank, new_group, ticket)
    await alice.expect_message("has your report")


async def test_staff_open_any_report_from_the_queue_with_its_buttons(sandbox):
    ada, hank, group = await staff_group(sandbox)
    alice = sandbox.user("Alice", lang="en")
    ticket = await report(alice, 1, placed=True)
    await card_of(hank, group, ticket)
    await hank.send("/reports")
    queue = await hank.expect_message(ticket)
    opened = await hank.click(ticket, message=queue)
    await opened.answer()
    card = await hank.expect_message(ticket)
    assert "Accept" in " ".join(card.buttons)
    await (await hank.click("Accept", message=card)).answer()
    assert "Accepted" in (await alice.expect_message(ticket)).content


async def test_a_new_handler_is_welcomed_after_grant(sandbox):
    ada = sandbox.user("Ada", lang="en", user_id=ADMIN_ID, started=True)
    hank = sandbox.user("Hank", lang="en")
    await hank.send("/start")
    await hank.expect_message()
    await ada.send(f"/grant {hank.id} handler 澄江街道")
    welcome = await hank.expect_message("/bindunit")
    assert "Chengjiang Subdistrict" in welcome.content  # Hank reads English
