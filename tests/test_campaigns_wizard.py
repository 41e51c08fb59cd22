"""/newcampaign's steps 2–4 are aiogram Scenes, whose routers meet updates before the campaigns
router and outside its staff filter: a command sent at a typing step goes to its own handler
instead of becoming the announcement, and a staff member whose role was revoked mid-draft can no
longer answer a step, typed or pressed."""

from __future__ import annotations

import pytest

from core import accounts
from core.models import Role
from tests.conftest import ADMIN_ID
from tests.support.fakebot import inline_data, last_message, texts, toast
from tests.test_campaigns_bot import _last_markup_call, app, clock, settings  # noqa: F401 (fixtures)

pytestmark = pytest.mark.dates

STAFF_ID = 4321


async def _at_chinese_text_step(staff) -> None:
    calls = await staff.send("/newcampaign")
    calls = await staff.press(inline_data(calls[0])["🌐 Every subscriber"])
    calls = await staff.press(inline_data(_last_markup_call(calls))["Next ▶"])
    assert "Step 2 of 4" in texts(calls)[-1]


async def test_a_command_at_a_typing_step_is_not_taken_as_the_announcement(client):
    staff = client.person("Staff", "en", user_id=ADMIN_ID)
    await _at_chinese_text_step(staff)
    answer = texts(await staff.send("/cells"))
    assert answer[0].startswith("<b>Waste-free cells</b>")
    assert not any("Step 3 of 4" in text for text in answer)


async def test_a_revoked_staff_member_cannot_answer_the_next_steps(client, app):  # noqa: F811 (fixture)
    async with app.sessions() as session:
        await accounts.touch_user(
            session, STAFF_ID, display_name="Staff", username="st", language_code="en", default_locale="zh"
        )
        await accounts.grant(session, ADMIN_ID, STAFF_ID, Role.CAMPAIGN_STAFF)
    await app.outbox.drained()  # the welcome for new campaign staff
    staff = client.person("Staff", "en", user_id=STAFF_ID)
    await _at_chinese_text_step(staff)
    calls = await staff.send("周六旧物交换")
    skip = inline_data(last_message(calls))["Skip ▶"]
    calls = await staff.press(skip)
    timing = inline_data(_last_markup_call(calls))
    async with app.sessions() as session:
        await accounts.revoke(session, ADMIN_ID, STAFF_ID, Role.CAMPAIGN_STAFF)
    assert toast(await staff.press(timing["📅 At a date and time"])) == "⛔ This command is for staff only."
    async with app.sessions() as session:  # the role back, then gone again at a typing step
        await accounts.grant(session, ADMIN_ID, STAFF_ID, Role.CAMPAIGN_STAFF)
    await app.outbox.drained()
    assert "Send the date and time" in texts(await staff.press(timing["📅 At a date and time"]))[-1]
    async with app.sessions() as session:
        await accounts.revoke(session, ADMIN_ID, STAFF_ID, Role.CAMPAIGN_STAFF)
    calls = await staff.send("2027-03-05 09:30")
    assert not any("Preview" in text for text in texts(calls))
