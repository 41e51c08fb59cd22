"""Fixtures for the reports domain: a migrated database, sessions, photos."""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta

from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from reports.models import ReportStatus, WasteType

UNITS = ["320281001", "320281103", "320281107"]  # 澄江街道, 青阳镇, 华士镇


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


def synthetic_reports(count: int, now: datetime, seed: int = 16, first_id: int = 1) -> list[dict]:
    """Reports with microsecond times, some sharing a creation time (ties for the pages)."""
    rng = random.Random(seed)
    rows = []
    for i in range(first_id, first_id + count):
        created = now - timedelta(
            days=rng.randint(0, 60), seconds=rng.randint(0, 86400), microseconds=rng.randint(0, 999_999)
        )
        if rows and i % 7 == 0:
            created = rows[-1]["created_at"]  # the same instant as the previous report
        status = rng.choice(list(ReportStatus))
        accepted = resolved = None
        if status in (ReportStatus.ACCEPTED, ReportStatus.IN_PROGRESS, ReportStatus.RESOLVED) or (
            status == ReportStatus.REJECTED and i % 2
        ):  # rejected after an acceptance
            accepted = created + timedelta(seconds=rng.uniform(60, 3 * 86400))
        if status == ReportStatus.RESOLVED or (status == ReportStatus.ACCEPTED and i % 3 == 0):
            resolved = (accepted or created) + timedelta(seconds=rng.uniform(60, 5 * 86400))
            # an accepted report with resolved_at set: reopened data must not count as resolved
        rows.append(
            dict(
                id=i,
                ticket=f"JY-2026-{i:06d}",
                channel="telegram",
                reporter_id=None,
                anonymous=True,
                lat=31.9,
                lon=120.26,
                location_source="telegram",
                unit_code=rng.choice(UNITS),
                waste_type=rng.choice([WasteType.CONSTRUCTION, WasteType.HOUSEHOLD, WasteType.BULKY]).value,
                witnessed=False,
                status=status.value,
                created_at=created,
                updated_at=created,
                assigned_at=created,
                accepted_at=accepted,
                resolved_at=resolved,
                version=1,
            )
        )
    return rows
