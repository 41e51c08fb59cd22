"""What bench/chaos.py prepares before the load: bound staff groups, the residents' places and
photos, and the status labels a status message names."""

from __future__ import annotations

import math
import random

from chaos_people import Handler, Observer, Pace
from core.units import Unit, all_units
from reports import geo
from sandbox.driver import make_image
from sandbox.world import World

SPACING_M = 300  # more than the bot's 250 m "already reported near here" radius
SETUP_TIMEOUT_S = 60.0


async def bind_units(
    world: World, observer: Observer, admin_id: int, count: int, rng: random.Random, pace: Pace
) -> tuple[list[Unit], list[Handler]]:
    """The first ``count`` units (seated ones first) each get a handler, granted by the configured
    admin in the chat, and a staff group the handler binds with /bindunit. Returns the units
    residents can be routed to (those with a seat) and the handlers."""
    units = list(all_units())[:count]
    admin = world.create_user("Ada", language_code="en", user_id=admin_id, started=True)
    staff = [world.create_user(f"Hank{i}", language_code=rng.choice(["zh", "en"])) for i in range(len(units))]
    for person in staff:
        world.user_text(person, world.chats[person.id], "/start")
    for person in staff:
        await _answered(observer, person.id, 0, "/start")
    mark = len(observer.messages(admin.id))
    for person, unit in zip(staff, units):
        world.user_text(admin, world.chats[admin.id], f"/grant {person.id} handler {unit.code}")
    await _answered(observer, admin.id, mark + len(units) - 1, "/grant")
    handlers = []
    for person, unit in zip(staff, units):
        group = world.create_group(f"{unit.name} staff", [person])
        world.user_text(person, group, f"/bindunit {unit.code}")
        handlers.append(
            Handler(
                world,
                observer,
                person,
                group,
                make_image(320, 240, "#dddddd", "clean"),
                random.Random(rng.random()),
                pace,
            )
        )
    for h in handlers:
        reply = await _answered(observer, h.group.id, 0, "/bindunit")
        if not reply.content.startswith("✅"):
            raise RuntimeError(f"/bindunit in {h.group.title} was answered: {reply.content!r}")
    return [u for u in units if u.lat is not None], handlers


async def _answered(observer: Observer, chat_id: int, index: int, what: str):
    seen = await observer.wait(chat_id, lambda: observer.messages(chat_id)[index : index + 1], SETUP_TIMEOUT_S)
    if not seen:
        raise RuntimeError(f"setup: no answer to {what} in chat {chat_id}")
    return seen[0]


def spots(units: list[Unit], count: int) -> list[tuple[float, float]]:
    """``count`` pins, round robin over ``units``: points of one lattice with ``SPACING_M`` between
    neighbours, each inside Jiangyin and routed by the bot's rule to its unit."""
    if not units:
        raise ValueError("no unit with a seat to route reports to")
    per_unit = math.ceil(count / len(units))
    dlat = SPACING_M / 111_320
    dlon = SPACING_M / (111_320 * math.cos(math.radians(31.85)))
    router = geo.Router()
    found: dict[str, list[tuple[float, float]]] = {}
    for unit in units:
        row0, col0 = round(unit.lat / dlat), round(unit.lon / dlon)
        points: list[tuple[float, float]] = []
        radius = 0
        while len(points) < per_unit and radius < 40:
            for row in range(row0 - radius, row0 + radius + 1):
                for col in range(col0 - radius, col0 + radius + 1):
                    if max(abs(row - row0), abs(col - col0)) != radius:
                        continue  # only the ring at this radius
                    lat, lon = row * dlat, col * dlon
                    if geo.inside_jiangyin(lat, lon) and router.route(lat, lon).unit_code == unit.code:
                        points.append((round(lat, 6), round(lon, 6)))
            radius += 1
        if len(points) < per_unit:
            raise ValueError(f"only {len(points)} places found for {unit.name}")
        found[unit.code] = points
    return [found[units[i % len(units)].code][i // len(units)] for i in range(count)]


def photo_pool(size: int = 12) -> list[bytes]:
    """Distinct small photos (a draft refuses the same photo twice)."""
    return [
        make_image(320, 240, f"#{(37 * i) % 200 + 30:02x}{(91 * i) % 200 + 30:02x}50", f"dump {i}") for i in range(size)
    ]


def labels_by_status() -> dict[str, set[str]]:
    """ "accepted" -> {"👷 Accepted", its zh translation}: how a status message names the change."""
    from bot.i18n import make_i18n
    from bot.views.reports import status_label

    make_i18n()
    return {s: {status_label(lang, s) for lang in ("zh", "en")} for s in ("accepted", "resolved")}
