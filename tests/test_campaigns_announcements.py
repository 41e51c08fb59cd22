"""What a resident gets from a campaign (issue #14): a first line naming the waste-free cell(s) or
the programme, in the reader's language, and buttons to stop the subscription that brought it (with
undo) or every announcement. Delivered through the real scheduler, delivery engine and send
adapter; the presses go through the dispatcher."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiogram.methods import EditMessageReplyMarkup, SendMessage, SendPhoto

from campaigns import subscriptions as subs
from campaigns.models import CellKind, Target
from campaigns.schedule import Schedule
from tests import test_campaigns_bot as base
from tests.conftest import ADMIN_ID
from tests.support.fakebot import inline_data, last_message, toast
from tests.test_campaigns_bot import CHENGJIANG, NANZHA, make_cell

clock, settings, app, runtime = base.clock, base.settings, base.app, base.runtime  # the same fixtures

pytestmark = pytest.mark.dates


async def _deliver(app, runtime, clock, audience: subs.Audience, *, photo: str | None = None) -> dict[int, SendMessage]:
    """Run a campaign to ``audience`` now; the message each recipient got, by chat id."""
    info = await runtime.scheduler.create(
        author_id=ADMIN_ID, audience=audience, text_zh="周六旧物交换", text_en="Swap day on Saturday", photo=photo,
        schedule=Schedule(kind="once", at=clock.now + timedelta(hours=1), quiet=None),
    )  # fmt: skip
    session = app.bot.session
    session.calls.clear()
    clock.advance(hours=1)
    await runtime.scheduler.fire(info.id)
    await runtime.scheduler.wait_deliveries()
    await app.outbox.drained()  # the author's statistics, so that they do not arrive amid a press
    kinds = (SendPhoto,) if photo else (SendMessage,)
    return {int(c.chat_id): c for c in session.calls if isinstance(c, kinds) and int(c.chat_id) != ADMIN_ID}


async def _subscriptions(app, person) -> set[tuple[Target, str]]:
    async with app.sessions() as session:
        return {(s.target, s.value) for s in await subs.list_subscriptions(session, person.tg.id)}


async def test_an_announcement_names_its_cell_and_unsubscribes_with_undo(client, app, runtime, clock):
    cell = await make_cell(app)
    li, tom = client.person("Li", "zh"), client.person("Tom", "en")
    await li.send(f"/start cell-{cell.id}")
    await tom.send("/subscribe")  # the user row
    async with app.sessions() as session:
        await subs.subscribe(session, li.tg.id, Target.KIND, "market")  # does not match: kept
        await subs.subscribe(session, tom.tg.id, Target.UNIT, CHENGJIANG)

    got = await _deliver(app, runtime, clock, subs.Audience(cells={cell.id}))
    assert got[li.tg.id].text == "📣 来自无废细胞：澄江实验小学\n\n周六旧物交换"
    assert got[tom.tg.id].text.startswith("📣 From the waste-free cell: 澄江实验小学\n\nSwap day")
    assert list(inline_data(got[li.tg.id])) == ["🔕 退订：澄江实验小学", "🔕 不再接收任何通知"]
    assert list(inline_data(got[tom.tg.id]))[1:] == ["🔕 Stop all announcements"]  # and his town, first

    # Li stops the cell at once; the toast says so and the message offers undo.
    announcement = app.bot.session._message(got[li.tg.id])
    calls = await li.press(inline_data(got[li.tg.id])["🔕 退订：澄江实验小学"], announcement)
    assert toast(calls) == "🔕 已退订：澄江实验小学。如需恢复，请点“撤销”。"
    assert await _subscriptions(app, li) == {(Target.KIND, "market")}
    undo = last_message(calls)
    assert isinstance(undo, EditMessageReplyMarkup) and list(inline_data(undo)) == ["↩️ 撤销"]
    calls = await li.press(inline_data(undo)["↩️ 撤销"], announcement)
    assert toast(calls) == "✅ 已重新订阅：澄江实验小学"
    assert await _subscriptions(app, li) == {(Target.KIND, "market"), (Target.CELL, str(cell.id))}
    assert "🔕 退订：澄江实验小学" in inline_data(last_message(calls))

    # A second press of an old "unsubscribe" after it was done elsewhere says so, changes nothing else.
    async with app.sessions() as session:
        await subs.unsubscribe(session, li.tg.id, Target.CELL, cell.id)
    calls = await li.press(inline_data(got[li.tg.id])["🔕 退订：澄江实验小学"], announcement)
    assert toast(calls) == "您已不再关注澄江实验小学。"
    assert last_message(calls).reply_markup is None


async def test_stop_all_removes_every_subscription(client, app, runtime, clock):
    cell = await make_cell(app)
    tom = client.person("Tom", "en")
    await tom.send(f"/start cell-{cell.id}")
    async with app.sessions() as session:
        await subs.subscribe(session, tom.tg.id, Target.KIND, "school")
    got = await _deliver(app, runtime, clock, subs.Audience(kinds={CellKind.SCHOOL}), photo="file-1")
    caption = got[tom.tg.id].caption
    assert caption == "📣 From the waste-free cell: 澄江实验小学\n\nSwap day on Saturday"
    buttons = inline_data(got[tom.tg.id])
    # The most specific matching subscription is offered: the cell, not the kind.
    assert "🔕 Unsubscribe from 澄江实验小学" in buttons
    calls = await tom.press(buttons["🔕 Stop all announcements"])
    assert toast(calls) == "🔕 You will get no more announcements. Send /subscribe to choose again."
    assert await _subscriptions(app, tom) == set()
    assert last_message(calls).reply_markup is None  # nothing more to press


async def test_every_subscriber_hears_from_the_programme(client, app, runtime, clock):
    for name in ("南闸菜场", "南闸小学", "观山社区", "南闸工厂"):
        await make_cell(app, name=name, unit=NANZHA)
    one, several = client.person("One", "zh"), client.person("Several", "zh")
    for person in (one, several):
        await person.send("/subscribe")  # the user row
    async with app.sessions() as session:
        await subs.subscribe(session, one.tg.id, Target.KIND, "school")
        await subs.subscribe(session, several.tg.id, Target.ALL)
        await subs.subscribe(session, several.tg.id, Target.UNIT, NANZHA)

    got = await _deliver(app, runtime, clock, subs.Audience(everyone=True))
    assert got[one.tg.id].text == "📣 来自江阴“无废城市”建设\n\n周六旧物交换"
    # One subscription: it is the one to stop. Several: only "stop all" makes sense.
    assert list(inline_data(got[one.tg.id])) == ["🔕 退订：🏫 无废校园", "🔕 不再接收任何通知"]
    assert list(inline_data(got[several.tg.id])) == ["🔕 不再接收任何通知"]

    # A town's four cells: the first three are named, then how many more.
    got = await _deliver(app, runtime, clock, subs.Audience(units={NANZHA}))
    assert got[several.tg.id].text.startswith("📣 来自 4 个无废细胞：南闸菜场、南闸小学、观山社区等\n\n")
    assert list(inline_data(got[several.tg.id])) == ["🔕 退订：南闸街道", "🔕 不再接收任何通知"]
