"""End to end with report photos in an S3-compatible object store (moto's server mode): a
resident's album goes into the bucket, never into the media folder, and the unit's chat receives
the EXIF-free copies uploaded from the bucket over real HTTP to the sandbox's Bot API."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from reports.media import MediaStore, exif_info
from sandbox.driver import make_image
from tests.conftest import make_settings
from tests.e2e.test_reports_flow import finish, report_of, staff_group, start_report, to_type_step
from tests.support.s3 import S3Bucket, s3, s3_server, unreachable_endpoint  # noqa: F401  (fixtures)

pytestmark = pytest.mark.e2e


def _looks(data: bytes) -> list[int]:
    """A 4x4 thumbnail's pixels: enough to tell the photos of one album apart."""
    with Image.open(io.BytesIO(data)) as image:
        return list(image.convert("RGB").resize((4, 4)).tobytes())


@pytest.fixture
def sandbox_settings(tmp_path, s3):
    return make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/wufei.db", **s3.settings())


async def test_an_album_goes_through_the_bucket_to_the_unit_chat(sandbox, s3, tmp_path):
    _, hank, group = await staff_group(sandbox)
    alice = sandbox.user("Alice", lang="en")
    await start_report(alice, photos=2)
    await to_type_step(alice)
    ticket = await finish(alice, placed=True)

    report = await report_of(sandbox, ticket)
    assert sorted(s3.keys()) == sorted(k for p in report.photos for k in (p.original_path, p.public_path))
    assert not [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
    album = await hank.expect_messages(2, chat=group)
    other_instance = MediaStore(s3.storage())
    received = [m.file_bytes(sandbox.world.files) for m in album]
    expected = [other_instance.read(p.public_path) for p in report.photos]
    # The sandbox re-encodes uploads as Telegram does: the same pictures, not the same bytes.
    for got, sent in zip(received, expected, strict=True):
        assert max(abs(a - b) for a, b in zip(_looks(got), _looks(sent), strict=True)) <= 6
    assert all(not exif_info(b).has_gps for b in received)
    await sandbox.settle()
    assert not sandbox.bot_errors, sandbox.bot_errors


async def test_a_photo_sent_while_the_store_is_down_gets_an_apology_and_can_be_sent_again(sandbox, s3):
    media = sandbox.app.reports.media
    working = media.storage
    media.storage = S3Bucket(unreachable_endpoint(), s3.bucket).storage(attempts=1)
    alice = sandbox.user("Alice", lang="en")
    await alice.send("/report")
    await alice.expect_message("Report illegal dumping")
    await alice.send_photo(make_image(text="dump"))
    assert "photos cannot be stored right now" in (await alice.expect_message()).content
    assert s3.keys() == []

    media.storage = working  # the store is back
    await alice.send_photo(make_image(text="dump"))
    await alice.expect_message("1 of 5 photos")
    assert len(s3.keys()) == 2
    await sandbox.settle()
