"""No update lost to a crash (issue 11): eight residents press "Send the report", the bot process
is killed with SIGKILL, and the restarted process on the same database sends each of them exactly
one receipt and stores exactly eight reports.

Two moments of the kill:
- ``acknowledged``: the instant the bot acknowledges the presses to the sandbox (its next
  getUpdates asks for an offset past them, so "Telegram" forgets them): from then on they exist
  only in the bot's inbox, whatever their handlers had done;
- ``in_flight``: the presses are stored and all eight handlers are under way (each waits for the
  removal of the spent buttons, editMessageReplyMarkup, which the sandbox holds back; that comes
  before the report is stored), so the restart must take them over from the inbox table, as
  redeliveries.
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from core import db, inbox as inbox_table
from reports.models import Report
from sandbox import Faults, Limits
from sandbox.driver import Sandbox, make_image
from sandbox.server import SandboxServer
from tests.e2e.processes import bot_env, free_port, health, kill_if_running, start_bot, wait_until

pytestmark = pytest.mark.e2e

RESIDENTS = 8
CHENGJIANG = (31.91102, 120.26302)


async def to_confirm_step(user) -> None:
    await user.send("/report")
    await user.expect_message("Report illegal dumping", timeout=20)
    await user.send_photo(make_image(text=user.user.first_name))
    await user.expect_message("1 of 5", timeout=20)
    await user.click("Done")
    await user.expect_message("Where is it", timeout=20)
    await user.send_location(*CHENGJIANG)
    await user.expect_message("Got it", timeout=20)
    await user.expect_message("What kind", timeout=20)
    await user.click("Household")
    await user.expect_message("How much", timeout=20)
    await user.click("A few bags")
    await user.expect_message("Did you see", timeout=20)
    await user.click("No")
    await user.expect_message("Anything the staff", timeout=20)
    await user.click("Skip")
    await user.expect_message("anonymous", timeout=20)
    await user.click("Stay anonymous")
    await user.expect_message("Please check your report", timeout=20)


def receipts(user) -> list[str]:
    return [m.content for m in user.messages() if "Thank you" in m.content and "JY-" in m.content]


@pytest.mark.parametrize("moment", ["acknowledged", "in_flight"])
async def test_presses_survive_sigkill_and_each_resident_gets_one_receipt(tmp_path: Path, moment: str):
    bot_id = 7_100_000_000 + secrets.randbelow(1_000_000)
    server = SandboxServer(
        host="127.0.0.1",
        port=0,
        limits=Limits.relaxed(),
        validate_responses=True,
        token=f"{bot_id}:SANDBOX-{secrets.token_urlsafe(24)}",
    )
    await server.start()
    sandbox = Sandbox(server)
    web_port = free_port()
    env = bot_env(
        tmp_path,
        WUFEI_BOT_TOKEN=server.token,
        WUFEI_API_BASE=server.base_url,
        WUFEI_WEB_PORT=str(web_port),
        WUFEI_DEFAULT_LOCALE="en",
    )
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path}/wufei.db")
    sessions = db.make_session_factory(engine)
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    first = await start_bot(tmp_path, env, logs[0])
    second = None
    try:
        async with aiohttp.ClientSession() as http:
            assert await health(http, web_port) == (200, {"status": "ok", "mode": "polling"})
        residents = [sandbox.user(f"Resident{i}", lang="en") for i in range(RESIDENTS)]
        await asyncio.gather(*(to_confirm_step(user) for user in residents))

        presses: set[int] = set()
        acknowledged = asyncio.Event()

        def on_update(event: dict) -> None:
            if event.get("event") == "update" and event.get("kind") == "callback_query":
                presses.add(event["update_id"])

        server.world.add_listener(on_update)
        take_updates = server.world.take_updates

        def take_and_watch(offset, *args, **kwargs):
            if len(presses) == RESIDENTS and offset and offset > max(presses) and not acknowledged.is_set():
                acknowledged.set()
                if moment == "acknowledged":
                    first.kill()
            return take_updates(offset, *args, **kwargs)

        server.world.take_updates = take_and_watch
        edits_before = server.method_counts.get("editMessageReplyMarkup", 0)
        if moment == "in_flight":  # every handler waits on the removal of the spent buttons
            server.faults = Faults(rate=1.0, kinds=["slow:60"], methods=["editMessageReplyMarkup"])
        for user in residents:
            await user.click("Send the report")
        await asyncio.wait_for(acknowledged.wait(), 20)
        if moment == "in_flight":
            await wait_until(
                lambda: server.method_counts.get("editMessageReplyMarkup", 0) >= edits_before + RESIDENTS,
                "eight handlers under way",
            )
            first.kill()
        await first.wait()
        server.world.take_updates = take_updates
        server.faults = Faults()
        assert not any(receipts(user) for user in residents), "a receipt went out before the kill"
        async with sessions() as session:  # the presses are in the inbox, and only there
            assert (await inbox_table.counts(session, bot_id)).get("pending", 0) >= 1
        assert not server.world.updates

        second = await start_bot(tmp_path, env, logs[1])
        for user in residents:
            await wait_until(lambda user=user: receipts(user), f"{user}'s receipt")

        async def all_handled() -> bool:
            async with sessions() as session:
                counts = await inbox_table.counts(session, bot_id)
            return not server.world.updates and counts.get("pending", 0) == 0

        await wait_until(all_handled, "every stored update handled")
        for user in residents:
            assert len(receipts(user)) == 1, (user, receipts(user))
        tickets = {receipts(user)[0].split("JY-")[1].split()[0] for user in residents}
        assert len(tickets) == RESIDENTS
        async with sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Report)) == RESIDENTS
        second.terminate()
        assert await second.wait() == 0
    except BaseException:
        for log in logs:  # shown by pytest with the failure
            print(f"--- {log.name}", log.read_text(errors="replace")[-4000:] if log.exists() else "(none)")
        raise
    finally:
        for process in (first, second):
            if process is not None:
                await kill_if_running(process)
        sandbox.close()
        await engine.dispose()
        await server.stop()
