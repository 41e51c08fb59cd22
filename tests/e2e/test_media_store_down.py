"""The photos' object store stops (its moto server shut down) while the bot runs: ``/healthz``
names it, a resident's photo gets an apology at once (not a wait in the inbox) and the photo sent
before is kept; once the store is back, the same photo goes through."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from sandbox.driver import make_image
from tests.conftest import make_settings
from tests.support.s3 import stoppable_s3  # noqa: F401  (fixture)

pytestmark = pytest.mark.e2e


@pytest.fixture
def sandbox_settings(tmp_path, stoppable_s3):
    return make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/wufei.db", **stoppable_s3.settings())


async def _health(http: TestClient) -> tuple[int, dict]:
    response = await http.get("/healthz")
    return response.status, await response.json()


async def test_the_store_going_down_shows_in_healthz_and_a_photo_gets_an_apology(sandbox, stoppable_s3):
    store = stoppable_s3
    alice = sandbox.user("Alice", lang="en")
    async with TestClient(TestServer(sandbox.app.web_app())) as http:
        assert await _health(http) == (200, {"status": "ok", "mode": sandbox.app.settings.mode.value})
        await alice.send("/report")
        await alice.expect_message("Report illegal dumping")
        await alice.send_photo(make_image(text="first"))
        await alice.expect_message("1 of 5 photos")
        kept = store.keys()
        assert len(kept) == 2  # the original and the public copy

        store.stop()
        status, body = await _health(http)
        assert status == 503 and body["status"] == "error" and set(body) == {"status", "media"}
        await alice.send_photo(make_image(text="second"))
        assert "photos cannot be stored right now" in (await alice.expect_message()).content

        store.start()
        assert (await _health(http))[0] == 200
        await alice.send_photo(make_image(text="second"))
        await alice.expect_message("2 of 5 photos")  # the first photo was kept through the outage
        assert set(kept) < set(store.keys()) and len(store.keys()) == 4
    await sandbox.settle()
    assert not sandbox.bot_errors, sandbox.bot_errors
