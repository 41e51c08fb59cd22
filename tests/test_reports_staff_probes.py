"""Probes of the staff buttons at the dispatcher level: garbage callback data gets the "button has
expired" answer (never the generic apology, never a change); a forged "resolved" is refused before
anyone is asked for an after photo; and every staff action on a report is in the audit log with
its actor, as the README promises."""

from __future__ import annotations

import pytest
from aiogram.methods import AnswerCallbackQuery, SendMessage, SendPhoto
from aiogram.types import Message, Update
from sqlmodel import select

from bot.i18n import gettext_for
from bot.keyboards.reports import FollowupCb
from bot.middlewares.errors import APOLOGY
from core.models import AuditEntry
from reports import service as svc
from tests.conftest import make_settings
from tests.support.fakebot import texts
from tests.test_reports_bot import (  # noqa: F401  (client: that module's fixture, with photo responders)
    CHENGJIANG_CODE,
    GROUP,
    QINGYANG_CODE,
    _bot_message,
    _ids,
    alerts,
    bind,
    client,
    press,
    seed,
    staff,
    status_of,
)

pytestmark = pytest.mark.dates


@pytest.fixture
def settings(tmp_path, sqlite_url):
    """A flood limit above the probes' burst: every press must reach the handlers."""
    return make_settings(tmp_path, sqlite_url, flood_limit=100)


EXPIRED = "This button has expired. Send /start to begin again."
NOT_POSSIBLE = "That is not possible in the report's current state."


def garbage(report_id: int) -> list[str]:
    r = report_id
    return [
        f"rs:rjr:{r}:submitted:not_a_reason",
        "rs:acc:99999999999999999999:submitted:",
        f"rs:rjr:{r}:submitted:",
        f"rs:rau:{r}:submitted:",
        f"rs:rau:{r}:submitted:999999999",
        "rs:",
        "rs",
        "rs:::::",
        "rs:acc",
        f"rs:acc:{r}",
        f"rs:acc:{r}:submitted",
        f"rs:acc:{r}:submitted::",
        "rs:acc:0:submitted:",
        f"rs:acc:-{r}:submitted:",
        f"rs:acc:{r}.5:submitted:",
        "rs:acc:1e3:submitted:",
        f"rs:acc:{r}:SUBMITTED:",
        f"rs:ACC:{r}:submitted:",
        f"rs:zap:{r}:submitted:",
        f"rs:acc:{r}:nonsense:",
        "rs:acc:abc:submitted:",
        f"rs:接受:{r}:submitted:",
        "rs:" + "9" * 60,
        "rf:abc:1",
        f"rf:{r}:maybe",
        "rf:99999999999999999999999:1",
        f"rf:{r}",
        "rp:nope",
        "zz:whatever",
        "",
    ]


async def test_garbage_buttons_get_the_expired_answer_not_the_apology(client, app):
    await bind(app)
    hank = await staff(client, app)
    report = await seed(app, 4242)
    card = _bot_message(GROUP)
    apology = {gettext_for(locale, APOLOGY) for locale in ("en", "zh")}
    for data in garbage(report.id):
        calls = await hank.press(data, card)
        answers = [c for c in calls if isinstance(c, AnswerCallbackQuery)]
        assert [(a.text, a.show_alert) for a in answers] == [(EXPIRED, True)], data
        assert not apology & set(texts(calls)), data
        assert not [c for c in calls if isinstance(c, (SendMessage, SendPhoto))], data
    assert await status_of(app, report.id) == "submitted"


async def test_a_forged_resolved_is_refused_before_the_after_photo_is_asked(client, app):
    await bind(app)
    hank = await staff(client, app)
    report = await seed(app, 4242)
    card = _bot_message(GROUP)
    # Not yet accepted: "resolved" is not a step from "submitted".
    calls = await hank.press(press(report, "res", "submitted"), card)
    assert alerts(calls) == [NOT_POSSIBLE] and not [c for c in calls if isinstance(c, SendMessage)]

    await hank.press(press(report, "rjr", x="not_dumping"), card)
    assert await status_of(app, report.id) == "rejected"
    for drawn_for in ("rejected", "accepted", "in_progress"):  # forged, or a card from before
        calls = await hank.press(press(report, "res", drawn_for), card)
        assert len(alerts(calls)) == 1 and alerts(calls)[0] in (
            NOT_POSSIBLE,
            "Already handled by someone else: it is now ❌ Rejected.",
        ), drawn_for
        assert not [c for c in calls if isinstance(c, SendMessage)], drawn_for
    # No "reply with an after photo" state was left behind: a message in the group resolves nothing.
    said = Message(message_id=next(_ids), date=card.date, chat=GROUP, from_user=hank.tg, text="done!")
    await client.feed(Update(update_id=client.next_update_id(), message=said))
    assert await status_of(app, report.id) == "rejected"


async def _audit(app) -> list[tuple]:
    async with app.sessions() as session:
        rows = (await session.exec(select(AuditEntry).order_by(AuditEntry.id))).all()
    return [
        (r.actor_id, r.action, r.target, (r.details or {}).get("from"), (r.details or {}).get("to"))
        for r in rows
        if r.action.startswith("reports.") and r.action != "reports.bindunit"
    ]


async def test_every_staff_action_on_a_report_is_audited_with_its_actor(client, app):
    await bind(app)
    hank = await staff(client, app)
    wang = await staff(client, app, name="Wang")
    one, two = await seed(app, 4242), await seed(app, 4343)
    card = _bot_message(GROUP)

    async def resolve(person, report) -> None:
        calls = await person.press(press(report, "res", "in_progress"), card)
        assert "reply to this message" in texts(calls)[-1]
        reply = Message(message_id=next(_ids), date=card.date, chat=GROUP, from_user=person.tg, text="cleared")
        await client.feed(Update(update_id=client.next_update_id(), message=reply))

    H, W = hank.tg.id, wang.tg.id
    steps = [
        (lambda: hank.press(press(one, "acc", "submitted"), card), (H, "reports.status", "submitted", "accepted")),
        (lambda: wang.press(press(one, "prog", "accepted"), card), (W, "reports.status", "accepted", "in_progress")),
        (lambda: resolve(hank, one), (H, "reports.status", "in_progress", "resolved")),
        (lambda: wang.press(press(one, "reo", "resolved"), card), (W, "reports.status", "resolved", "accepted")),
        (
            lambda: hank.press(press(one, "rjr", "accepted", "duplicate"), card),
            (H, "reports.status", "accepted", "rejected"),
        ),
        (lambda: wang.press(press(one, "reo", "rejected"), card), (W, "reports.status", "rejected", "submitted")),
        (
            lambda: hank.press(press(two, "rauok", "submitted", QINGYANG_CODE), card),
            (H, "reports.reassign", "submitted", "submitted"),
        ),
    ]
    expected = []
    for act, (actor, action, old, new) in steps:
        await act()
        ticket = two.ticket if action == "reports.reassign" else one.ticket
        expected.append((actor, action, ticket, old, new))
        assert await _audit(app) == expected, action
    async with app.sessions() as session:
        rows = (await session.exec(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert rows[-3].details["reason"] == "duplicate"
    assert (rows[-1].details["old_unit"], rows[-1].details["new_unit"]) == (CHENGJIANG_CODE, QINGYANG_CODE)

    # A refused press (a stale card, a step that is not possible) writes no audit row.
    await hank.press(press(one, "acc", "accepted"), card)
    await hank.press(press(one, "res", "submitted"), card)
    await hank.press(FollowupCb(r=one.id, clean=True).pack(), card)
    assert await _audit(app) == expected
    async with app.sessions() as session:
        assert (await svc.get(session, one.id)).status == "submitted"
