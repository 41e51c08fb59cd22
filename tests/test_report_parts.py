"""The reports feature's long-lived parts (bot/features/report_parts.py)."""

from __future__ import annotations

import asyncio
import gc

from bot.features.report_parts import AlbumCollector, UserLocks


async def test_one_lock_per_person_while_held_and_none_kept_after():
    locks = UserLocks()
    order: list[str] = []

    async def update(name: str, gate: asyncio.Event | None = None) -> None:
        async with locks.of(7):
            order.append(f"{name} in")
            if gate is not None:
                await gate.wait()
            order.append(f"{name} out")

    gate = asyncio.Event()
    first = asyncio.create_task(update("first", gate))
    await asyncio.sleep(0)  # the first holds the lock
    second = asyncio.create_task(update("second"))
    await asyncio.sleep(0)
    assert order == ["first in"]  # the second waits for the person's lock
    gate.set()
    await asyncio.gather(first, second)
    assert order == ["first in", "first out", "second in", "second out"]
    for user_id in range(1000):
        async with locks.of(user_id):
            pass
    gc.collect()
    assert len(locks) == 0  # a thousand people wrote once: nothing kept


async def test_an_album_is_answered_once_after_its_last_photo():
    albums = AlbumCollector(wait_s=0.01)
    answers: list[list[str]] = []
    done = asyncio.Event()

    async def answer() -> None:
        answers.append(albums.notes.pop("album", []))
        done.set()

    for photo in range(5):
        albums.notes.setdefault("album", []).append(f"photo {photo}")
        albums.debounce("album", answer)
    await done.wait()
    await asyncio.gather(*albums._tasks, return_exceptions=True)
    assert answers == [[f"photo {n}" for n in range(5)]]
    await albums.close()
