"""Fixtures for the reports domain: a migrated database, sessions, photos."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational



def _rational(value: float) -> IFDRational:
    return IFDRational(round(value * 1_000_000), 1_000_000)


def jpeg(
    width: int = 64,
    height: int = 48,
    *,
    color: tuple[int, int, int] = (120, 160, 90),
    gps: tuple[float, float] | None = None,
    taken: datetime | None = None,
    offset: str | None = None,
    orientation: int | None = None,
    fmt: str = "JPEG",
) -> bytes:
    """A real image; JPEGs may carry EXIF GPS (WGS-84), DateTimeOriginal and Orientation."""
    image = Image.new("RGB", (width, height), color)
    exif = Image.Exif()
    if gps is not None:
        lat, lon = gps

        def dms(v: float):
            v = abs(v)
            d = int(v)
            m = int((v - d) * 60)
            s = (v - d - m / 60) * 3600
            return (IFDRational(d, 1), IFDRational(m, 1), _rational(s))

        exif[0x8825] = {1: "N" if lat >= 0 else "S", 2: dms(lat), 3: "E" if lon >= 0 else "W", 4: dms(lon)}
    if taken is not None or offset is not None:
        sub = {}
        if taken is not None:
            sub[36867] = taken.strftime("%Y:%m:%d %H:%M:%S")
        if offset is not None:
            sub[36881] = offset
        exif[0x8769] = sub
    if orientation is not None:
        exif[0x0112] = orientation
    exif[0x010F] = "TestCam"  # Make
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", exif=exif, quality=90)
    else:
        image.save(out, fmt)
    return out.getvalue()
