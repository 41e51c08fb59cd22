"""Several instances: when one changes a user (grant, revoke, language, blocked), the others'
user caches (``core.directory.UserDirectory``) forget that user at once instead of after their TTL.

A change made here is published on a Redis channel of this bot; every instance listens and forgets
the ids published by the others. Redis going away only means the TTL applies again until the
listener is back (it reconnects with a growing wait); nothing is lost that the database holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

from core.directory import UserDirectory

log = logging.getLogger(__name__)


class CacheRelay:
    def __init__(self, redis_url: str, directory: UserDirectory, channel: str) -> None:
        from redis.asyncio import Redis  # only with several instances: start-up of one does not pay it

        self.redis = Redis.from_url(redis_url)
        self.directory = directory
        self.channel = channel
        self.instance = uuid.uuid4().hex[:12]
        self.listening = asyncio.Event()  # subscribed (tests wait on it)
        self._task: asyncio.Task | None = None
        self._sends: set[asyncio.Task] = set()

    async def start(self) -> None:
        self.directory.forgotten.append(self._publish)
        self._task = asyncio.create_task(self._listen(), name="cache-relay")

    def _publish(self, user_id: int) -> None:
        task = asyncio.ensure_future(self._send(user_id))
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    async def _send(self, user_id: int) -> None:
        try:
            await self.redis.publish(self.channel, f"{self.instance}:{user_id}")
        except Exception as error:  # noqa: BLE001 - the others fall back on their TTL
            log.warning("could not relay a change of user %s: %s", user_id, error)

    async def _listen(self) -> None:
        wait = 0.5
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    self.listening.set()
                    wait = 0.5
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        sender, _, user_id = message["data"].decode().partition(":")
                        if sender != self.instance and user_id.isdigit():
                            self.directory.forget(int(user_id), relay=False)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - a lost Redis connection: listen again later
                self.listening.clear()
                log.warning("user cache relay: %s; listening again in %.1f s", error, wait)
                await asyncio.sleep(wait)
                wait = min(wait * 2, 30.0)

    async def stop(self) -> None:
        if self._publish in self.directory.forgotten:
            self.directory.forgotten.remove(self._publish)
        if self._sends:
            await asyncio.gather(*self._sends, return_exceptions=True)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.redis.aclose()
