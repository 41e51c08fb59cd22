"""Photo storage: content-addressed originals and EXIF-free public copies.

Layout (keys of the storage)::

    originals/ab/cd/<sha256>.<ext>   the bytes as received (kept as evidence, never served)
    public/<sha256>.jpg              re-encoded JPEG, EXIF/GPS stripped, at most 1600 px a side

The public copy is named after the original's hash, so one photo sent twice is stored once.
Paths in ``StoredMedia`` are relative (what the database keeps) and are the keys of the storage:
files under ``WUFEI_MEDIA_DIR`` by default, objects of an S3-compatible bucket for several
instances (``reports.media_storage``, ``reports.media_s3``).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from enum import StrEnum
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from core.clock import zone
from reports.media_storage import LocalStorage, MediaUnavailable, Storage

__all__ = [
    "MAX_BYTES",
    "SHA_RE",
    "ExifInfo",
    "MediaError",
    "MediaErrorCode",
    "MediaStore",
    "MediaUnavailable",
    "StoredMedia",
    "exif_info",
    "public_copy",
]

MAX_BYTES = 20 * 1024 * 1024  # what a Telegram bot can download at most
MAX_SIDE = 1600
JPEG_QUALITY = 85
MAX_PIXELS = 80_000_000  # refuse decompression bombs well before Pillow's own limit
SHA_RE = re.compile(r"^[0-9a-f]{64}$")

_FORMAT_EXT = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "BMP": "bmp", "TIFF": "tif", "MPO": "jpg"}

GPS_IFD = 0x8825
EXIF_IFD = 0x8769
TAG_DATETIME_ORIGINAL = 36867
TAG_OFFSET_TIME_ORIGINAL = 36881


class MediaErrorCode(StrEnum):
    TOO_LARGE = "too_large"
    NOT_IMAGE = "not_image"
    EMPTY = "empty"


class MediaError(ValueError):
    def __init__(self, code: MediaErrorCode) -> None:
        super().__init__(code.value)
        self.code = code


@dataclass(frozen=True, slots=True)
class ExifInfo:
    lat: float | None = None
    lon: float | None = None
    # DateTimeOriginal made aware with OffsetTimeOriginal, or China Standard Time when absent.
    taken_at: datetime | None = None

    @property
    def has_gps(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclass(frozen=True, slots=True)
class StoredMedia:
    sha256: str
    original_path: str
    public_path: str
    width: int  # of the public copy
    height: int
    exif: ExifInfo


def _ratio(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        num, den = value
        return float(num) / float(den)


def _dms(values, ref) -> float | None:
    try:
        d, m, s = (_ratio(v) for v in values)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    decimal = d + m / 60 + s / 3600
    ref = ref.decode() if isinstance(ref, bytes) else (ref or "")
    if ref.strip().upper() in ("S", "W"):
        decimal = -decimal
    return decimal


def _exif_of(image: Image.Image, local_tz: tzinfo) -> ExifInfo:
    exif = image.getexif()
    lat = lon = None
    gps = exif.get_ifd(GPS_IFD)
    if gps and 2 in gps and 4 in gps:
        lat = _dms(gps[2], gps.get(1, "N"))
        lon = _dms(gps[4], gps.get(3, "E"))
        if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
            lat = lon = None
        if lat == 0 and lon == 0:  # cameras without a fix write zeros
            lat = lon = None
    taken_at = None
    sub = exif.get_ifd(EXIF_IFD)
    raw = sub.get(TAG_DATETIME_ORIGINAL) or exif.get(306)  # 306: DateTime (IFD0) as a fallback
    if isinstance(raw, str):
        try:
            naive = datetime.strptime(raw.strip("\x00 ").strip(), "%Y:%m:%d %H:%M:%S")
        except ValueError:
            naive = None
        if naive is not None:
            tz: tzinfo = local_tz  # no offset written: the camera's clock is the city's
            offset = sub.get(TAG_OFFSET_TIME_ORIGINAL)
            if isinstance(offset, str) and re.fullmatch(r"[+-]\d\d:\d\d", offset.strip("\x00 ")):
                text = offset.strip("\x00 ")
                sign = -1 if text[0] == "-" else 1
                tz = timezone(sign * timedelta(hours=int(text[1:3]), minutes=int(text[4:6])))
            taken_at = naive.replace(tzinfo=tz)
    return ExifInfo(lat=lat, lon=lon, taken_at=taken_at)


def _open(data: bytes) -> Image.Image:
    if not data:
        raise MediaError(MediaErrorCode.EMPTY)
    if len(data) > MAX_BYTES:
        raise MediaError(MediaErrorCode.TOO_LARGE)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise MediaError(MediaErrorCode.TOO_LARGE)
            image.load()
    except MediaError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as error:
        if isinstance(error, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
            raise MediaError(MediaErrorCode.TOO_LARGE) from error
        raise MediaError(MediaErrorCode.NOT_IMAGE) from error
    return image


def exif_info(data: bytes, local_tz: tzinfo | None = None) -> ExifInfo:
    """GPS position (WGS-84 decimal degrees) and capture time, when the photo carries them. A
    capture time without an offset is read in ``local_tz`` (default: the default WUFEI_TIMEZONE)."""
    return _exif_of(_open(data), local_tz or zone(None))


def public_copy(image: Image.Image, max_side: int = MAX_SIDE, quality: int = JPEG_QUALITY) -> tuple[bytes, int, int]:
    """Upright, RGB, bounded JPEG without any metadata."""
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "L"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    elif image.mode == "L":
        image = image.convert("RGB")
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    # A fresh image carries no info dict, so nothing (EXIF, XMP, ICC, comments) is written.
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue(), clean.width, clean.height


class MediaStore:
    """Saves and reads photos through a ``Storage`` (a folder by default; see
    ``reports.media_storage``). Storage errors surface as ``MediaUnavailable`` (an ``OSError``)."""

    def __init__(
        self,
        storage: Storage | Path | str,
        *,
        max_bytes: int = MAX_BYTES,
        max_side: int = MAX_SIDE,
        quality: int = JPEG_QUALITY,
        local_tz: tzinfo | None = None,
    ) -> None:
        self.storage: Storage = LocalStorage(storage) if isinstance(storage, (Path, str)) else storage
        self.local_tz = local_tz or zone(None)
        self.max_bytes = max_bytes
        self.max_side = max_side
        self.quality = quality

    def read(self, key: str) -> bytes | None:
        """The bytes under a relative path the database keeps (``StoredMedia`` paths), or None."""
        return self.storage.get(key)

    async def read_async(self, key: str) -> bytes | None:
        return await asyncio.to_thread(self.read, key)

    def public_bytes(self, sha256: str) -> bytes | None:
        """The public copy of a photo, or None (also for anything that is not a sha256)."""
        if not SHA_RE.match(sha256):
            return None
        return self.storage.get(f"public/{sha256}.jpg")

    async def public_bytes_async(self, sha256: str) -> bytes | None:
        return await asyncio.to_thread(self.public_bytes, sha256)

    def save(self, data: bytes) -> StoredMedia:
        """Validate, store the original and its public copy; raises ``MediaError``. Saving the same
        bytes again (by any instance sharing the storage) writes nothing and returns the same."""
        if len(data) > self.max_bytes:
            raise MediaError(MediaErrorCode.TOO_LARGE)
        image = _open(data)
        info = _exif_of(image, self.local_tz)
        sha = hashlib.sha256(data).hexdigest()
        ext = _FORMAT_EXT.get(image.format or "", "img")
        original = f"originals/{sha[:2]}/{sha[2:4]}/{sha}.{ext}"
        public = f"public/{sha}.jpg"
        if not self.storage.exists(original):
            self.storage.put(original, data, Image.MIME.get(image.format or "", "application/octet-stream"))
        existing = self.storage.get(public)
        if existing is not None:
            with Image.open(io.BytesIO(existing)) as copy:
                width, height = copy.size
        else:
            encoded, width, height = public_copy(image, self.max_side, self.quality)
            self.storage.put(public, encoded, "image/jpeg")
        return StoredMedia(sha, original, public, width, height, info)

    async def save_async(self, data: bytes) -> StoredMedia:
        return await asyncio.to_thread(self.save, data)

    def close(self) -> None:
        self.storage.close()
