"""Address -> point: a Nominatim-style online geocoder with an offline gazetteer fallback.

The flow never hangs: the online lookup has a short timeout and two retries with backoff; when it
fails or finds nothing inside Jiangyin, the gazetteer answers from the 18 unit names (and short
names such as 青阳, 华士, 周庄; pinyin and English too) with the town-seat point. 高新区 and 临港
have no point: the result says "ask for a pin" but still names the unit.

Offline first when the online service cannot help: a disabled geocoder (sandbox mode, tests) and,
for ``cooldown`` seconds after the online lookup failed, every geocoder answers from the gazetteer at
once instead of waiting for a service that just did not answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from core.units import Unit, all_units, find_latin
from reports.geo import JIANGYIN_BBOX, inside_jiangyin

if TYPE_CHECKING:  # httpx is imported when the online geocoder is first used (start-up is faster)
    import httpx

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://nominatim.openstreetmap.org"
DEFAULT_USER_AGENT = "Wufei/0.1 (Jiangyin waste-free city bot)"
DEFAULT_COOLDOWN_S = 300.0  # after a failure, the online service is left alone this long
_SUFFIXES = ("经济开发区", "街道", "镇", "区")
# Names people use that the suffix rule does not derive.
_EXTRA_ALIASES = {"临港": "320281404", "临港开发区": "320281404", "高新": "320281400", "徐霞客": "320281104"}


class GeocodeStatus(StrEnum):
    OK = "ok"  # a point inside Jiangyin
    NEEDS_PIN = "needs_pin"  # a unit is known but has no point (高新区, 临港): ask for a location pin
    OUTSIDE = "outside"  # found, but only outside Jiangyin
    NOT_FOUND = "not_found"  # nothing known; the online service may also have been unreachable
    EMPTY = "empty"  # no query


@dataclass(frozen=True, slots=True)
class GeocodeResult:
    status: GeocodeStatus
    lat: float | None = None
    lon: float | None = None
    source: str | None = None  # "geocoded" or "gazetteer" (a LocationSource value)
    label: str | None = None  # the geocoder's display name or the unit name
    unit_code: str | None = None  # set by the gazetteer
    online_failed: bool = False  # the online lookup errored/timed out, now or recently (the gazetteer answered)

    @property
    def ok(self) -> bool:
        return self.status == GeocodeStatus.OK


def _aliases() -> list[tuple[str, Unit]]:
    pairs: dict[str, Unit] = {}
    units = {u.code: u for u in all_units()}
    for unit in units.values():
        pairs[unit.name] = unit
        for suffix in _SUFFIXES:
            if unit.name.endswith(suffix) and len(unit.name) > len(suffix) + 1:
                pairs.setdefault(unit.name[: -len(suffix)], unit)
                break
    for alias, code in _EXTRA_ALIASES.items():
        if code in units:
            pairs.setdefault(alias, units[code])
    # Longest first, so 临港经济开发区 wins over 临港 and 徐霞客镇 over 徐霞客.
    return sorted(pairs.items(), key=lambda kv: -len(kv[0]))


_ALIASES = _aliases()


def gazetteer(query: str) -> GeocodeResult:
    """Offline lookup: the first unit name or short name found in the query, in Chinese, then in
    pinyin or English ("Qingyang", "qingyang zhen", "Chengjiang Renmin Road")."""
    text = "".join(query.split())
    if not text:
        return GeocodeResult(GeocodeStatus.EMPTY)
    unit = next((unit for alias, unit in _ALIASES if alias in text), None) or find_latin(query)
    if unit is None:
        return GeocodeResult(GeocodeStatus.NOT_FOUND)
    if unit.lat is None or unit.lon is None:
        return GeocodeResult(GeocodeStatus.NEEDS_PIN, source="gazetteer", label=unit.name, unit_code=unit.code)
    return GeocodeResult(GeocodeStatus.OK, unit.lat, unit.lon, "gazetteer", unit.name, unit.code)


class Geocoder:
    """``await Geocoder(...).geocode("青阳镇 ...")``; pass ``transport`` in tests (httpx.MockTransport)."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout: float = 3.0,
        retries: int = 2,
        backoff: float = 0.5,
        language: str = "zh-CN",
        enabled: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
        cooldown: float = DEFAULT_COOLDOWN_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.user_agent = user_agent
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.language = language
        self.enabled = enabled
        self.transport = transport
        self.cooldown = cooldown
        self.clock = clock
        self._offline_until: float | None = None

    def failed(self) -> None:
        """The online lookup just failed (also when a caller's deadline cut it short): for
        ``cooldown`` seconds, answer from the gazetteer without asking it."""
        self._offline_until = self.clock() + self.cooldown

    @property
    def resting(self) -> bool:
        """The online service failed less than ``cooldown`` seconds ago."""
        return self._offline_until is not None and self.clock() < self._offline_until

    def _params(self, query: str) -> dict[str, str]:
        min_lon, min_lat, max_lon, max_lat = JIANGYIN_BBOX
        return {
            "format": "jsonv2",
            "q": query,
            "viewbox": f"{min_lon},{max_lat},{max_lon},{min_lat}",
            "bounded": "1",
            "limit": "5",
            "countrycodes": "cn",
            "accept-language": self.language,
        }

    async def _search(self, query: str) -> list[dict]:
        """The raw hits; raises httpx errors after the retries are used up."""
        import httpx

        headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        async with httpx.AsyncClient(
            base_url=self.base_url, headers=headers, timeout=self.timeout, transport=self.transport
        ) as client:
            attempt = 0
            while True:
                try:
                    response = await client.get("/search", params=self._params(query))
                    response.raise_for_status()  # 429 and 5xx are retried below, other 4xx are not
                    data = response.json()
                    return data if isinstance(data, list) else []
                except (httpx.TransportError, httpx.HTTPStatusError, ValueError) as error:
                    retryable = not (
                        isinstance(error, httpx.HTTPStatusError)
                        and 400 <= error.response.status_code < 500
                        and error.response.status_code != 429
                    )
                    if attempt >= self.retries or not retryable:
                        raise
                    await asyncio.sleep(self.backoff * (2**attempt))
                    attempt += 1

    async def geocode(self, query: str) -> GeocodeResult:
        query = query.strip()
        if not query:
            return GeocodeResult(GeocodeStatus.EMPTY)
        online_failed = self.enabled and self.resting
        outside = False
        if self.enabled and not online_failed:
            import httpx

            try:
                hits = await self._search(query)
            except (httpx.HTTPError, ValueError) as error:
                log.warning(
                    "geocoder unavailable (%s); using the gazetteer for %.0f s", error.__class__.__name__, self.cooldown
                )
                self.failed()
                online_failed = True
                hits = []
            for hit in hits:
                try:
                    lat, lon = float(hit["lat"]), float(hit["lon"])
                except (KeyError, TypeError, ValueError):
                    continue
                if inside_jiangyin(lat, lon):
                    return GeocodeResult(GeocodeStatus.OK, lat, lon, "geocoded", hit.get("display_name"))
                outside = True
        offline = gazetteer(query)
        if offline.status in (GeocodeStatus.OK, GeocodeStatus.NEEDS_PIN):
            return GeocodeResult(
                offline.status,
                offline.lat,
                offline.lon,
                offline.source,
                offline.label,
                offline.unit_code,
                online_failed,
            )
        if outside:
            return GeocodeResult(GeocodeStatus.OUTSIDE, online_failed=online_failed)
        return GeocodeResult(GeocodeStatus.NOT_FOUND, online_failed=online_failed)
