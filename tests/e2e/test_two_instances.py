"""Two webhook instances of the bot behind a load balancer, as the README deploys them: one
PostgreSQL, one Redis, report photos in one S3-compatible bucket (moto's server mode), and the
sandbox as Telegram, everything over real HTTP.

The sandbox keeps the updates as Telegram does; ``Balancer`` plays Telegram's webhook delivery and
the load balancer in one: it takes each update from the sandbox's Bot API and POSTs it, with the
secret-token header, to one instance's webhook, the same person's updates to A, B, A, ... in
turn (or to the instance a test pins them to); an instance that is down or answers other than
200 gets its update sent to the other one instead, as Telegram retries.

One report (the resident's conversation alternating between the instances, the staff's accept
through the other) and one campaign (scheduled through the instance that does not lead, sent by
the leader, which is stopped in the middle: the other takes over) end to end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections import Counter

import aiohttp
import pytest
from sqlmodel import select

from bot.app import create_app
from bot.intake import SECRET_HEADER
from bot.outgoing.pacing import PaceLimits
from bot.serving import serve_web
from campaigns import service, subscriptions as subs
from campaigns.models import CampaignRun, RunStatus, Target
from core import accounts
from core.inbox import UpdateInbox
from sandbox import Limits
from sandbox.server import SandboxServer
from sandbox.testing import running_sandbox
from tests.conftest import ADMIN_ID, REDIS_URL, make_settings
from tests.e2e.processes import free_port, wait_until
from tests.e2e.test_campaigns_sandbox import click, expect_preview, staff_campaign
from tests.e2e.test_reports_flow import card_of, finish, report_of, staff_group, start_report, to_type_step
from tests.support.s3 import s3, s3_server  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.dates]

PROGRAMME = "📣 来自江阴“无废城市”建设"  # the sender line of an announcement to every subscriber

SECRET = "two-instances-secret"
CAMPAIGNER = ADMIN_ID + 1  # a second configured admin, who speaks Chinese
SUBSCRIBERS = 20


def _sender(update: dict) -> int | None:
    """The person an update comes from (message, callback query, my_chat_member ...)."""
    for key, value in update.items():
        if key != "update_id" and isinstance(value, dict) and "from" in value:
            return value["from"]["id"]
    return None


class Balancer:
    """Telegram's webhook delivery and a round-robin load balancer in front of the instances."""

    def __init__(self, server, hooks: list[str], allowed_updates: list[str]) -> None:
        self.api = f"{server.base_url}/bot{server.token}/getUpdates"
        self.hooks = hooks
        self.allowed = json.dumps(allowed_updates)
        self.down: set[int] = set()  # instances taken out of the rotation (a failing health check)
        self.pin: dict[int, int] = {}  # person -> instance, for the steps a test wants on one
        self.log: list[tuple[int, int | None, int]] = []  # (update_id, person, instance) accepted
        self._turn: Counter[int | None] = Counter()
        self._task: asyncio.Task | None = None

    def instances_of(self, person: int) -> list[int]:
        return [i for _, who, i in self.log if who == person]

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="balancer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        offset = 0
        async with aiohttp.ClientSession() as http:
            while True:
                params = {"offset": offset, "timeout": 1, "allowed_updates": self.allowed}
                try:
                    async with http.post(self.api, data=params) as answer:
                        updates = (await answer.json())["result"]
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
                    continue
                for update in updates:  # one at a time, in order, as Telegram's webhook
                    await self._deliver(http, update)
                    offset = update["update_id"] + 1

    async def _deliver(self, http: aiohttp.ClientSession, update: dict) -> None:
        person = _sender(update)
        while True:
            first = self.pin.get(person, self._turn[person] % len(self.hooks))
            for index in (first, *(i for i in range(len(self.hooks)) if i != first)):
                if index in self.down:
                    continue
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.post(self.hooks[index], json=update, headers={SECRET_HEADER: SECRET}) as answer:
                        if answer.status == 200:
                            self._turn[person] += 1
                            self.log.append((update["update_id"], person, index))
                            return
            await asyncio.sleep(0.1)  # no instance took it: Telegram tries again later


class Instance:
    """One webhook instance in this process: the app and its web server on a port of its own."""

    def __init__(self, app) -> None:
        self.app = app
        self.port = free_port()
        self.hook = f"http://127.0.0.1:{self.port}{app.settings.webhook_path}"
        self.runner = None

    async def start(self) -> None:
        self.app.jobs.retry_s = 0.2  # the non-leader tries the leader lock often: a quick takeover
        await self.app.prepare()
        self.runner = await serve_web(self.app.web_app(webhook=True), "127.0.0.1", self.port)
        await self.app.dp.emit_startup(bot=self.app.bot)  # as bot/runner.py's run_webhook

    async def stop(self) -> None:
        if self.runner is not None:
            runner, self.runner = self.runner, None
            await self.app.dp.emit_shutdown(bot=self.app.bot)
            await runner.cleanup()
            await self.app.stop()


async def _forget_redis_keys(bot_id: int) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        keys = [key async for key in client.scan_iter(f"wufei:*{bot_id}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@contextlib.asynccontextmanager
async def two_instances(tmp_path, postgres_url, s3, kb):
    bot_id = 7_300_000_000 + secrets.randbelow(1_000_000)  # Redis keys of this test only
    token = f"{bot_id}:SANDBOX-{secrets.token_urlsafe(24)}"
    server = SandboxServer(host="127.0.0.1", port=0, limits=Limits.relaxed(), token=token, validate_responses=True)
    instances: list[Instance] = []
    balancer = None
    async with running_sandbox(server=server) as sb:
        try:
            for name in ("a", "b"):
                settings = make_settings(
                    tmp_path / name, postgres_url, media_dir=tmp_path / name / "media", bot_token=token,
                    api_base=server.base_url, redis_url=REDIS_URL, webhook_base_url="https://wufei.example.org",
                    webhook_secret=SECRET, admin_ids=[ADMIN_ID, CAMPAIGNER], default_locale="en", flood_limit=1000,
                    quiet_hours="", campaign_rate_per_s=8, campaign_inflight=2, **s3.settings(),
                )  # fmt: skip
                instance = Instance(create_app(settings, kb=kb, pace=PaceLimits.relaxed()))
                instances.append(instance)
                await instance.start()
            balancer = Balancer(server, [i.hook for i in instances], instances[0].app.dp.resolve_used_update_types())
            balancer.start()
            sb.app = instances[1].app  # what the helpers read the database through: B lives to the end
            yield sb, instances, balancer
        finally:
            if balancer is not None:
                await balancer.stop()
            for instance in instances:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(instance.stop(), 15)
            await _forget_redis_keys(bot_id)
    assert not server.validation_errors, server.validation_errors


async def _one_report(sb, instances: list[Instance], balancer: Balancer, s3, tmp_path) -> None:
    _, hank, group = await staff_group(sb)
    alice = sb.user("Alice", lang="en")
    await start_report(alice)
    await to_type_step(alice)
    ticket = await finish(alice, placed=True)  # exactly one receipt: checked below with the rest

    # Her conversation went A, B, A, ... : each instance stored (and so handled) half of it.
    went = balancer.instances_of(alice.id)
    assert len(went) >= 8 and went == [n % 2 for n in range(len(went))], went
    async with instances[0].app.sessions() as session:
        rows = (await session.exec(select(UpdateInbox).where(UpdateInbox.bot_id == instances[0].app.bot.id))).all()
    mine = {u for u, who, _ in balancer.log if who == alice.id}
    owners = Counter(r.owner for r in rows if r.update_id in mine)
    assert set(owners) == {i.app.inbox.owner for i in instances}, owners

    # The photo is in the bucket, not in either instance's folder, and reached the unit's group.
    report = await report_of(sb, ticket)
    assert sorted(s3.keys()) == sorted(k for p in report.photos for k in (p.original_path, p.public_path))
    assert not [p for name in "ab" for p in (tmp_path / name / "media").rglob("*") if p.is_file()]
    card = await card_of(hank, group, ticket)
    assert any(m.photo for m in group.messages())

    # The staff accept through the instance that did not take the report.
    balancer.pin[hank.id] = 1 - went[-1]
    await (await hank.click("Accept", message=card, chat=group)).answer()
    assert balancer.instances_of(hank.id)[-1] == 1 - went[-1]
    assert "Accepted" in (await alice.expect_message(ticket)).content
    await wait_until(lambda: "Resolved" in " ".join(card.buttons), "the card to show the next step", 5)
    await sb.settle()
    assert "Accepted" in card.content
    # Once each: the card in the group, the receipt, "the unit has it", the acceptance.
    assert sum(ticket in m.content for m in group.messages()) == 1
    to_alice = [m.content for m in alice.messages()]
    assert sum("Thank you" in t for t in to_alice) == 1
    assert sum("has your report" in t for t in to_alice) == 1
    assert sum("Accepted" in t for t in to_alice) == 1
    assert (await report_of(sb, ticket)).status == "accepted"


async def _subscribers(app, sb, n: int) -> list:
    people = [sb.user(f"R{i}", lang="zh", started=True) for i in range(n)]
    async with app.sessions() as session:
        for person in people:
            await accounts.touch_user(
                session,
                person.id,
                display_name=person.user.full_name,
                username=None,
                language_code="zh",
                default_locale="zh",
            )
            await subs.subscribe(session, person.id, Target.ALL, "")
    return people


async def _one_campaign(sb, instances: list[Instance], balancer: Balancer) -> None:
    leader, other = instances
    assert leader.app.jobs.leader and not other.app.jobs.leader
    people = await _subscribers(leader.app, sb, SUBSCRIBERS)
    chen = sb.user("陈", lang="zh", user_id=CAMPAIGNER, started=True)
    balancer.pin[chen.id] = 1  # the staff schedule it through the instance that does not lead
    await staff_campaign(chen, ["🌐 所有订阅者"], "周六上午旧物交换", None)
    # to every subscriber: the announcement's first line names the programme as its sender
    summary = await expect_preview(chen, f"{PROGRAMME}\n\n周六上午旧物交换")
    await click(chen, "✅ 确认发布", summary)
    await chen.expect_message("已安排")
    assert set(balancer.instances_of(chen.id)) == {1}

    def delivered() -> int:
        return sum(bool(p.messages()) for p in people)

    # The leader follows the campaign created through the other, and starts sending ...
    await wait_until(lambda: delivered() >= 5, "the leader to start sending", 10)
    assert leader.app.campaigns.engine.active_runs
    # ... and stops in the middle (taken out of the balancer first, as a rolling restart does).
    balancer.down.add(0)
    await leader.stop()
    assert delivered() < SUBSCRIBERS, "the run ended before the leader stopped: nothing was taken over"
    await wait_until(lambda: delivered() == SUBSCRIBERS, "the other instance to take over and finish", 15)
    assert other.app.jobs.leader
    done = await chen.expect_message("发送已完成", timeout=10)
    assert f"已送达：{SUBSCRIBERS}" in done.content
    await sb.settle()
    assert Counter(len(p.messages()) for p in people) == {1: SUBSCRIBERS}  # nobody twice, nobody lost
    assert all(p.messages()[0].content == f"{PROGRAMME}\n\n周六上午旧物交换" for p in people)
    assert sum("发送已完成" in m.content for m in chen.messages()) == 1
    async with other.app.sessions() as session:
        (info,) = await service.list_campaigns(session)
        run = (await session.exec(select(CampaignRun).where(CampaignRun.campaign_id == info.id))).one()
    assert (run.status, run.targeted, run.sent, run.uncertain) == (RunStatus.DONE.value, SUBSCRIBERS, SUBSCRIBERS, 0)


async def test_two_webhook_instances_share_a_report_and_a_campaign(tmp_path, postgres_url, redis_client, s3, kb):
    async with two_instances(tmp_path, postgres_url, s3, kb) as (sb, instances, balancer):
        await _one_report(sb, instances, balancer, s3, tmp_path)
        await _one_campaign(sb, instances, balancer)
        assert not sb.bot_errors, sb.bot_errors
