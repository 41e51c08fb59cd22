"""Resolving from the dashboard's report page with an "after" photo (multipart/form-data) and/or a
comment, as the chat's "resolved" reply does: real HTTP (aiohttp's test server), real SQLite, the
media store on disk, the resident's message through the outbox to the fake bot."""

from __future__ import annotations

import io
import os
import re

import pytest
from aiogram.methods import SendMessage, SendPhoto
from aiogram.types import InputFile
from aiohttp import FormData
from PIL import Image
from sqlmodel import select

from core.models import AuditEntry
from reports import service as svc
from reports.media import MAX_BYTES
from reports.models import PhotoKind
from tests.conftest import ADMIN_ID
from tests.support.dashboard import dashboard_app, web_client
from tests.test_dashboard import csrf_of, handler_of, link_for, sign_in
from tests.test_reports_bot import CHENGJIANG_CODE, seed

pytestmark = pytest.mark.dates


@pytest.fixture
async def app(settings, kb):
    async with dashboard_app(settings, kb) as application:
        yield application


@pytest.fixture
async def http(app):
    async with web_client(app) as client:
        yield client


EXIF_MODEL = 0x0110
GPS_IFD = 0x8825


def jpeg_with_exif(side: int = 64, noise: bool = False) -> bytes:
    """A JPEG carrying a camera model and a GPS position in its EXIF; ``noise``: hard to compress
    (a picture over 1 MiB, aiohttp's default body limit)."""
    if noise:
        image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    else:
        image = Image.new("RGB", (side, side), (30, 140, 60))
    exif = Image.Exif()
    exif[EXIF_MODEL] = "SecretCam 3000"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (31.0, 54.0, 36.0), 3: "E", 4: (120.0, 16.0, 48.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, exif=exif.tobytes())
    return out.getvalue()


def resolve_form(csrf: str | None, *, comment: str = "", photo: bytes | None = None, expected: str = "accepted"):
    form = FormData()
    if csrf is not None:
        form.add_field("csrf", csrf)
    form.add_field("action", "resolve")
    form.add_field("expected", expected)
    form.add_field("comment", comment)
    if photo is not None:
        form.add_field("photo", photo, filename="after.jpg", content_type="image/jpeg")
    else:  # what a browser sends for a file input left empty
        form.add_field("photo", b"", filename="", content_type="application/octet-stream")
    return form


async def accepted_report(app, resident_id: int) -> svc.ReportInfo:
    report = await seed(app, resident_id)
    async with app.sessions() as session:
        await svc.transition(session, report.id, ADMIN_ID, "accepted", expected_status="submitted")
    await app.outbox.drained()
    return report


async def signed_in_handler(app, client, http, language: str = "en"):
    handler = await handler_of(app, client, CHENGJIANG_CODE)
    if language != "en":
        from core import accounts

        async with app.sessions() as session:
            await accounts.set_language(session, handler.tg.id, language)
    await sign_in(http, await link_for(handler))
    return handler


async def after_photos(app, report_id: int) -> list[svc.PhotoInfo]:
    async with app.sessions() as session:
        report = await svc.get(session, report_id)
    return [p for p in report.photos if p.kind == PhotoKind.AFTER]


async def test_an_after_photo_resolves_the_report_without_its_exif_and_the_resident_sees_it(app, client, http):
    resident = client.person("Resident", "en")
    await resident.send("/start")
    report = await accepted_report(app, resident.tg.id)
    handler = await signed_in_handler(app, client, http)
    path = f"/dashboard/reports/{report.id}"
    page = await (await http.get(path + "?lang=en")).text()
    assert 'enctype="multipart/form-data"' in page and 'type="file" name="photo" accept="image/*"' in page

    photo = jpeg_with_exif(1000, noise=True)
    assert len(photo) > 1024 * 1024  # above aiohttp's default client_max_size
    before = len(client.session.calls)
    done = await http.post(f"{path}/act", data=resolve_form(await csrf_of(http, path), comment="Swept", photo=photo))
    text = await done.text()
    assert done.status == 200 and "Done: ✅ Resolved." in text, text

    (after,) = await after_photos(app, report.id)
    assert after.file_id is None  # no Telegram file behind it
    public = app.reports.media.public_bytes(after.sha256)
    assert b"SecretCam" not in public and not Image.open(io.BytesIO(public)).getexif()
    assert b"SecretCam" in app.reports.media.read(after.original_path)  # the evidence is kept as sent
    assert 'data-kind="after"' in text and after.sha256 in text  # among the report's photos

    await app.outbox.drained()
    told = [c for c in client.session.calls[before:] if getattr(c, "chat_id", None) == resident.tg.id]
    assert [type(c) for c in told] == [SendPhoto], told
    assert report.ticket in told[0].caption and "Swept" in told[0].caption
    assert isinstance(told[0].photo, InputFile)  # uploaded from the store, not a file id
    assert b"".join([chunk async for chunk in told[0].photo.read(app.bot)]) == public

    async with app.sessions() as session:
        assert (await svc.get(session, report.id)).status == "resolved"
        audit = (await session.exec(select(AuditEntry).where(AuditEntry.action == "reports.status"))).all()
    assert [(a.actor_id, a.details["to"], a.details["via"]) for a in audit] == [
        (handler.tg.id, "resolved", "dashboard")
    ]


async def test_without_csrf_a_photo_changes_nothing(app, client, http):
    report = await accepted_report(app, 4301)
    await signed_in_handler(app, client, http)
    for csrf in (None, "guess"):
        forged = await http.post(f"/dashboard/reports/{report.id}/act", data=resolve_form(csrf, photo=jpeg_with_exif()))
        assert forged.status == 403
    async with app.sessions() as session:
        assert (await svc.get(session, report.id)).status == "accepted"
    assert await after_photos(app, report.id) == []
    assert not (app.settings.media_dir / "public").exists() or not any((app.settings.media_dir / "public").iterdir())


async def test_a_file_too_large_or_not_a_picture_is_said_and_the_comment_kept(app, client, http):
    report = await accepted_report(app, 4302)
    await signed_in_handler(app, client, http, language="zh")
    path = f"/dashboard/reports/{report.id}"

    huge = await http.post(
        f"{path}/act", data=resolve_form(await csrf_of(http, path), comment="扫干净了", photo=b"\xff" * (MAX_BYTES + 1))
    )
    page = await huge.text()
    assert huge.status == 400 and "文件超过 20 MB" in page
    assert re.search(r'name="comment"[^>]*value="扫干净了"', page)  # nothing typed is lost
    odd = await http.post(
        f"{path}/act?lang=en", data=resolve_form(await csrf_of(http, path), comment="Swept", photo=b"not a picture")
    )
    page = await odd.text()
    assert odd.status == 400 and "That file is not a photo I can read" in page and 'value="Swept"' in page
    nothing = await http.post(f"{path}/act", data=resolve_form(await csrf_of(http, path)))
    assert "Add an “after” photo or write what was done" in await nothing.text()
    async with app.sessions() as session:
        assert (await svc.get(session, report.id)).status == "accepted"

    photo_only = await http.post(f"{path}/act", data=resolve_form(await csrf_of(http, path), photo=jpeg_with_exif()))
    assert "Done: ✅ Resolved." in await photo_only.text()
    assert len(await after_photos(app, report.id)) == 1


async def test_a_chat_action_first_the_photo_form_is_told(app, client, http):
    report = await accepted_report(app, 4303)
    await signed_in_handler(app, client, http)
    path = f"/dashboard/reports/{report.id}"
    csrf = await csrf_of(http, path + "?lang=en")
    async with app.sessions() as session:  # a colleague resolves it in the group meanwhile
        done = await svc.transition(
            session, report.id, ADMIN_ID, "resolved", comment="done", expected_status="accepted"
        )
        assert isinstance(done, svc.Changed)
    late = await http.post(f"{path}/act", data=resolve_form(csrf, comment="Swept", photo=jpeg_with_exif()))
    assert "Already handled by someone else: it is now ✅ Resolved." in await late.text()
    assert await after_photos(app, report.id) == []  # nothing stored for a change that did not happen
    assert not any(isinstance(c, SendMessage) and "Swept" in (c.text or "") for c in client.session.calls)
