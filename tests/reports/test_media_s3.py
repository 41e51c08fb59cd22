"""Photos in an S3-compatible object store (a real one: moto's server mode over HTTP), as several
instances of the bot keep them: what one instance saves, another one serves; the same photo is
stored once; originals are never served; a missing photo is a 404 and an unreachable store a 503."""

from __future__ import annotations

import io
from datetime import datetime

import httpx
import pytest
from aiohttp.test_utils import TestServer
from PIL import Image

from reports import open311
from reports.media import MediaStore, MediaUnavailable, exif_info
from tests.reports.conftest import jpeg
from tests.support.s3 import S3Bucket, s3, s3_server, unreachable_endpoint  # noqa: F401  (fixtures)

CHENGJIANG = (31.91102, 120.26302)


def _photo() -> bytes:
    return jpeg(2000, 1500, gps=CHENGJIANG, taken=datetime(2026, 5, 1, 8, 30))


async def _serve(media: MediaStore):
    # The media route reads no database: no sessions are needed to serve photos.
    server = TestServer(open311.make_app(None, [], "http://placeholder", media), host="127.0.0.1")
    await server.start_server()
    return server


async def test_a_photo_saved_by_one_instance_is_served_by_another(s3, tmp_path):
    one = MediaStore(s3.storage())
    other = MediaStore(s3.storage())  # another process: its own client, nothing in common but the bucket
    data = _photo()
    stored = await one.save_async(data)
    assert stored.exif.has_gps  # read before stripping, for the location step
    assert s3.keys() == sorted([stored.original_path, stored.public_path])  # the same keys as the folder's

    server = await _serve(other)
    base = f"http://127.0.0.1:{server.port}/media/public"
    try:
        async with httpx.AsyncClient() as http:
            got = await http.get(f"{base}/{stored.sha256}.jpg")
            assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
            with Image.open(io.BytesIO(got.content)) as image:
                assert image.size == (1600, 1200) and not image.getexif()
            assert not exif_info(got.content).has_gps and b"TestCam" not in got.content
            assert got.content == await other.read_async(stored.public_path)
            # Content-addressed, so a browser's copy is always good.
            again = await http.get(f"{base}/{stored.sha256}.jpg", headers={"If-None-Match": got.headers["etag"]})
            assert again.status_code == 304 and not again.content
            # A photo nobody saved, and anything that is not the public copy of one: 404, never a 500.
            for path in [
                f"{'1' * 64}.jpg",
                f"{stored.sha256}.png",
                f"{stored.sha256}",
                f"..%2F{stored.original_path.replace('/', '%2F')}",
                f"..%2F..%2Foriginals%2F{stored.sha256[:2]}%2F{stored.sha256[2:4]}%2F{stored.sha256}.jpg",
            ]:
                missing = await http.get(f"{base}/{path}")
                assert missing.status_code == 404, path
                assert data not in missing.content
            assert (await http.get(f"http://127.0.0.1:{server.port}/media/{stored.original_path}")).status_code == 404
    finally:
        await server.close()


def test_originals_are_written_private(s3):
    store = MediaStore(s3.storage())
    stored = store.save(_photo())
    client = s3.storage().client
    for key in (stored.original_path, stored.public_path):
        grants = client.get_object_acl(Bucket=s3.bucket, Key=key)["Grants"]
        assert not [
            g
            for g in grants
            if "AllUsers" in g["Grantee"].get("URI", "") or "AuthenticatedUsers" in g["Grantee"].get("URI", "")
        ], (key, grants)
    head = client.head_object(Bucket=s3.bucket, Key=stored.original_path)
    assert head["ContentType"] == "image/jpeg"


def test_the_same_photo_from_two_instances_is_stored_once(s3):
    data = _photo()
    puts: list[str] = []
    first, second = s3.storage(), s3.storage()
    for storage in (first, second):
        storage.client.meta.events.register(
            "before-parameter-build.s3.PutObject", lambda params, **_: puts.append(params["Key"])
        )
    stored = MediaStore(first).save(data)
    assert sorted(puts) == sorted([stored.original_path, stored.public_path])
    assert MediaStore(second).save(data) == stored
    assert len(puts) == 2 and len(s3.keys()) == 2  # the second instance wrote nothing


def test_a_prefix_keeps_environments_apart_in_one_bucket(s3):
    staging = MediaStore(s3.storage(prefix="/staging/"))
    stored = staging.save(_photo())
    assert s3.keys() == sorted([f"staging/{stored.original_path}", f"staging/{stored.public_path}"])
    assert MediaStore(s3.storage()).public_bytes(stored.sha256) is None
    assert staging.public_bytes(stored.sha256) == staging.read(stored.public_path) is not None


async def test_an_unreachable_store_is_a_503_and_an_oserror(s3):
    down = MediaStore(s3.storage(endpoint_url=unreachable_endpoint(), attempts=1, connect_timeout_s=1))
    with pytest.raises(MediaUnavailable) as error:
        down.save(_photo())
    assert isinstance(error.value, OSError)  # what the outbox worker retries
    with pytest.raises(MediaUnavailable):
        await down.read_async(f"public/{'2' * 64}.jpg")
    server = await _serve(down)
    try:
        async with httpx.AsyncClient() as http:
            got = await http.get(f"http://127.0.0.1:{server.port}/media/public/{'2' * 64}.jpg")
        assert got.status_code == 503 and "unavailable" in got.text
    finally:
        await server.close()


def test_a_bucket_that_does_not_exist_is_unavailable_not_missing(s3):
    wrong = MediaStore(S3Bucket(s3.endpoint, "no-such-bucket-here").storage())
    with pytest.raises(MediaUnavailable):
        wrong.public_bytes("3" * 64)
