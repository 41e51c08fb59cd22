"""Photos: content-addressed originals, EXIF-free bounded public copies, EXIF GPS and time."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from reports.media import MAX_BYTES, MediaError, MediaErrorCode, MediaStore, exif_info
from tests.reports.conftest import jpeg

pytestmark = pytest.mark.dates


def test_exif_gps_and_time_are_read_in_wgs84_decimal():
    data = jpeg(gps=(31.76525, 120.25188), taken=datetime(2026, 5, 1, 8, 30, 15), offset="+08:00")
    info = exif_info(data)
    assert info.has_gps
    assert info.lat == pytest.approx(31.76525, abs=1e-6) and info.lon == pytest.approx(120.25188, abs=1e-6)
    assert info.taken_at == datetime(2026, 5, 1, 0, 30, 15, tzinfo=UTC)
    south_west = exif_info(jpeg(gps=(-33.5, -70.25), taken=datetime(2026, 5, 1, 8, 30), offset="-04:00"))
    assert (south_west.lat, south_west.lon) == (pytest.approx(-33.5), pytest.approx(-70.25))
    assert south_west.taken_at.utcoffset() == timedelta(hours=-4)
    # No offset written: China Standard Time is assumed.
    assert exif_info(jpeg(taken=datetime(2026, 5, 1, 8, 30))).taken_at.utcoffset() == timedelta(hours=8)
    plain = exif_info(jpeg())
    assert plain.lat is None and plain.lon is None and plain.taken_at is None


def test_save_keeps_the_original_and_publishes_a_clean_bounded_copy(tmp_path):
    store = MediaStore(tmp_path)
    data = jpeg(3200, 2400, gps=(31.91102, 120.26302), taken=datetime(2026, 5, 1, 8, 30))
    stored = store.save(data)
    sha = stored.sha256
    assert stored.original_path == f"originals/{sha[:2]}/{sha[2:4]}/{sha}.jpg"
    assert (tmp_path / stored.original_path).read_bytes() == data
    assert stored.exif.has_gps  # read before stripping, for the location step
    public = (tmp_path / stored.public_path).read_bytes()
    assert stored.public_path == f"public/{sha}.jpg" and store.public_bytes(sha) == public
    with Image.open(io.BytesIO(public)) as image:
        assert image.format == "JPEG" and image.size == (1600, 1200) == (stored.width, stored.height)
        assert not image.getexif() and "exif" not in image.info
    assert not exif_info(public).has_gps and b"TestCam" not in public

    again = store.save(data)
    assert again == stored
    assert len(list((tmp_path / "originals").rglob("*.jpg"))) == 1


def test_public_copy_is_upright_and_rgb(tmp_path):
    store = MediaStore(tmp_path)
    rotated = store.save(jpeg(400, 200, orientation=6))  # camera held sideways
    assert (rotated.width, rotated.height) == (200, 400)
    rgba = Image.new("RGBA", (50, 40), (255, 0, 0, 0))
    buffer = io.BytesIO()
    rgba.save(buffer, "PNG")
    png = store.save(buffer.getvalue())
    assert png.original_path.endswith(".png")
    with Image.open(tmp_path / png.public_path) as image:
        assert image.mode == "RGB" and image.getpixel((10, 10)) == pytest.approx((255, 255, 255), abs=2)


def test_non_images_and_oversized_input_are_refused(tmp_path):
    store = MediaStore(tmp_path)
    for data, code in [
        (b"%PDF-1.7 not a photo", MediaErrorCode.NOT_IMAGE),
        (b"", MediaErrorCode.EMPTY),
        (jpeg()[:200], MediaErrorCode.NOT_IMAGE),  # truncated
        (b"\xff" * (MAX_BYTES + 1), MediaErrorCode.TOO_LARGE),
    ]:
        with pytest.raises(MediaError) as error:
            store.save(data)
        assert error.value.code == code
    with pytest.raises(MediaError) as error:
        MediaStore(tmp_path, max_bytes=1000).save(jpeg(300, 300))
    assert error.value.code == MediaErrorCode.TOO_LARGE
    bomb = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(bomb, "PNG")
    with pytest.raises(MediaError) as error:
        store.save(bomb.getvalue())
    assert error.value.code == MediaErrorCode.TOO_LARGE
    assert not (tmp_path / "originals").exists() and not (tmp_path / "public").exists()
    assert store.public_bytes("../../etc/passwd") is None and store.public_bytes("0" * 64) is None


async def test_save_async_runs_off_the_event_loop(tmp_path):
    store = MediaStore(tmp_path)
    stored = await store.save_async(jpeg())
    assert (tmp_path / stored.public_path).is_file()
    assert await store.read_async(stored.public_path) == (tmp_path / stored.public_path).read_bytes()
    assert await store.public_bytes_async(stored.sha256) == (tmp_path / stored.public_path).read_bytes()
    assert await store.read_async("public/missing.jpg") is None
    with pytest.raises(ValueError):
        store.read("../outside.jpg")  # keys are relative paths inside the storage
