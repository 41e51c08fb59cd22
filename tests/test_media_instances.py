"""Two instances of the bot sharing report photos through an S3-compatible object store (moto's
server mode over HTTP): a photo saved by instance A (its own, empty, media folder) reaches the
unit's staff chat through instance B's outbox and is served by B's Open311 media route."""

from __future__ import annotations

import io
from datetime import datetime

import httpx
import pytest
from aiogram.methods import SendMediaGroup
from aiohttp.test_utils import TestServer
from PIL import Image

from bot.features.reports import media_store, web_routes
from bot.notifications.reports import StoredPhoto
from reports import service as svc
from reports.media import exif_info
from reports.media_s3 import S3Storage
from tests.conftest import make_settings
from tests.reports.conftest import jpeg
from tests.support.s3 import s3, s3_server  # noqa: F401  (fixtures)
from tests.test_reports_bot import CHENGJIANG, GROUP, bind, with_media


@pytest.fixture
def settings(tmp_path, sqlite_url, s3):
    """Instance B: photos in the bucket, its media folder of its own."""
    return make_settings(tmp_path / "b", sqlite_url, media_dir=tmp_path / "b" / "media", **s3.settings())


@pytest.fixture
def client(client):
    with_media(client.session)
    return client


def _files(folder) -> list:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


async def _read(bot, upload) -> bytes:
    return b"".join([chunk async for chunk in upload.read(bot)])


@pytest.mark.dates
async def test_a_photo_saved_by_instance_a_is_posted_and_served_by_instance_b(app, client, s3, tmp_path):
    # Instance A: the same bucket, another media folder (its database is not needed here).
    settings_a = make_settings(
        tmp_path / "a", "sqlite+aiosqlite:///unused.db", media_dir=tmp_path / "a" / "media", **s3.settings()
    )
    store_a = media_store(settings_a, app.clock.tz)
    assert isinstance(store_a.storage, S3Storage) and isinstance(app.reports.media.storage, S3Storage)
    photos = [
        await store_a.save_async(
            jpeg(2000, 1500, gps=CHENGJIANG, taken=datetime(2026, 5, 1, 8, 30), color=(40 * n, 90, 120))
        )
        for n in range(2)
    ]

    await bind(app)
    new = svc.NewReport(
        lat=CHENGJIANG[0],
        lon=CHENGJIANG[1],
        location_source="exif",
        waste_type="construction",
        amount="bags",
        anonymous=True,
    )
    async with app.sessions() as session:
        await svc.create_report(session, 4242, new, [svc.PhotoIn.of(p, f"file{n}") for n, p in enumerate(photos)])
    await app.outbox.drained()

    [album] = [c for c in client.session.calls if isinstance(c, SendMediaGroup)]
    assert int(album.chat_id) == GROUP.id and len(album.media) == 2
    for item, stored in zip(album.media, photos, strict=True):
        sent = await _read(app.bot, item.media)  # what the upload to Telegram carries
        assert sent == await store_a.read_async(stored.public_path)
        assert not exif_info(sent).has_gps
        with Image.open(io.BytesIO(sent)) as image:
            assert image.size == (1600, 1200)
    # Neither instance kept anything in its folder: the bucket is the one place.
    assert _files(tmp_path / "a" / "media") == [] and _files(tmp_path / "b" / "media") == []

    [(_, open311_app)] = web_routes(app)
    server = TestServer(open311_app, host="127.0.0.1")
    await server.start_server()
    try:
        async with httpx.AsyncClient() as http:
            base = f"http://127.0.0.1:{server.port}/media/public"
            got = await http.get(f"{base}/{photos[0].sha256}.jpg")
            assert got.status_code == 200 and got.content == await store_a.read_async(photos[0].public_path)
            assert (await http.get(f"{base}/{'4' * 64}.jpg")).status_code == 404
    finally:
        await server.close()


async def test_a_photo_missing_from_the_store_fails_the_upload_with_an_oserror(app):
    """Not (yet) in the bucket: the upload fails with an OSError, which the outbox retries, as it
    did for a missing file; the post is never sent without its photo."""
    upload = StoredPhoto(app.reports.media, f"public/{'5' * 64}.jpg", "x.jpg")
    with pytest.raises(FileNotFoundError):
        await _read(app.bot, upload)
