"""Dumping reports end to end: the real app polling the sandbox over HTTP (issue items)."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from bot.app import create_app
from reports import service as svc
from sandbox.driver import make_image
from sandbox.testing import wait_for_polling
from tests.conftest import ADMIN_ID, make_settings

pytestmark = [pytest.mark.e2e, pytest.mark.dates]

CHENGJIANG = (31.91102, 120.26302)  # 澄江街道 seat: the sandbox's "current location" default
QINGYANG = (31.76525, 120.25188)
SHANGHAI = (31.2304, 121.4737)


@pytest.fixture
def sandbox_settings(tmp_path: Path):
    return make_settings(
        tmp_path, f"sqlite+aiosqlite:///{tmp_path}/wufei.db", default_locale="en", geocoder_enabled=False
    )


def gps_jpeg(lat: float, lon: float) -> bytes:
    """A JPEG carrying EXIF GPS and DateTimeOriginal, as a phone camera writes it."""

    def dms(v: float):
        d = int(v)
        m = int((v - d) * 60)
        s = (v - d - m / 60) * 3600
        return (IFDRational(d, 1), IFDRational(m, 1), IFDRational(round(s * 1_000_000), 1_000_000))

    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: dms(lat), 3: "E", 4: dms(lon)}
    exif[0x8769] = {36867: "2026:11:27 08:30:00"}
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 120, 60)).save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


async def draft_of(sandbox, user) -> svc.Draft | None:
    async with sandbox.app.sessions() as session:
        return await svc.load_draft(session, user.id)


async def report_of(sandbox, ticket: str) -> svc.ReportInfo:
    async with sandbox.app.sessions() as session:
        return await svc.get(session, ticket)


async def start_report(user, photos: int = 1) -> None:
    await user.send("/report")
    await user.expect_message("Report illegal dumping")
    if photos == 1:
        await user.send_photo(make_image(text="dump"))
    else:
        await user.send_album([make_image(text=f"dump {i}", color=f"#{30 * i:02x}7d44") for i in range(photos)])
    await user.expect_message(f"{photos} of 5 photos")


async def to_type_step(user, location=CHENGJIANG) -> None:
    await user.click("Done")
    await user.expect_message("Where is it")
    await user.send_location(*location)
    await user.expect_message("Got it")
    await user.expect_message("What kind of waste")


async def finish(
    user,
    *,
    witnessed: bool = False,
    plate: str | None = None,
    description: str | None = None,
    anonymous: bool = True,
    placed: bool = False,
) -> str:
    """The last steps; returns the ticket of the receipt. ``placed``: a unit group is bound, so
    "the unit has it" follows once the card is there."""
    await user.click("Construction")
    await user.expect_message("How much")
    await user.click("A few bags")
    await user.expect_message("Did you see")
    if witnessed:
        await user.click("Yes, I saw it")
        await user.expect_message("plate number")
        await user.send(plate) if plate else await user.click("Skip")
    else:
        await user.click("No")
    await user.expect_message("Anything the staff")
    if description:
        await user.send(description)
    else:
        await user.click("Skip")
    await user.expect_message("anonymous")
    await user.click("Stay anonymous" if anonymous else "Show my name")
    summary = await user.expect_message("Please check your report")
    await user.click("Send the report", message=summary)
    done = await user.expect_message("Thank you")
    ticket = next(w for w in done.content.replace(".", " ").split() if w.startswith("JY-"))
    if placed:
        assert ticket in (await user.expect_message("has your report")).content
    return ticket


async def card_of(hank, group, ticket: str):
    """The unit group's card of ``ticket``: waits for it (it follows the album and the pin)."""
    while True:
        message = await hank.expect_message(chat=group)
        if ticket in message.content:
            return message


async def staff_group(sandbox, unit: str = "澄江街道"):
    """The configured admin, a unit handler granted through the chat, and the unit's bound group."""
    admin = sandbox.user("Ada", lang="en", user_id=ADMIN_ID, started=True)
    hank = sandbox.user("Hank", lang="en", username="hank")
    await hank.send("/start")
    await hank.expect_message()
    await admin.send(f"/grant {hank.id} handler {unit}")
    await admin.expect_message("now")
    await hank.expect_message("/bindunit")  # the welcome: what a handler does next
    group = sandbox.group(f"{unit} staff", [hank])
    await hank.send(f"/bindunit {unit}", chat=group)
    await hank.expect_message("now receives", chat=group)
    return admin, hank, group


async def test_complete_report_with_an_album_reaches_the_unit_chat(sandbox):
    _, hank, group = await staff_group(sandbox)
    alice = sandbox.user("Alice", lang="en")
    await start_report(alice, photos=3)
    await alice.expect_no_message(1.3)  # one answer for the whole album
    await to_type_step(alice)
    ticket = await finish(
        alice, witnessed=True, plate="苏B 12345", description="Behind the market", anonymous=False, placed=True
    )

    report = await report_of(sandbox, ticket)
    assert len(report.photos) == 3 and report.unit_code == "320281001"
    assert report.plate == "苏B12345" and report.description == "Behind the market" and not report.anonymous
    assert await draft_of(sandbox, alice) is None
    album = await hank.expect_messages(3, chat=group)
    assert all(m.photo for m in album) and len({m.media_group_id for m in album}) == 1
    assert (await hank.expect_message(chat=group)).location
    card = await hank.expect_message(ticket, chat=group)
    assert "Alice" in card.content and "Accept" in " ".join(card.buttons)
    await sandbox.settle()
    assert not sandbox.bot_errors, sandbox.bot_errors


async def test_image_file_with_exif_gps_proposes_the_photo_location(sandbox):
    alice = sandbox.user("Alice", lang="en")
    await alice.send("/report")
    await alice.expect_message()
    await alice.send_document(gps_jpeg(*QINGYANG), file_name="IMG_0001.jpg", mime_type="image/jpeg")
    ack = await alice.expect_message("1 of 5 photos")
    assert "GPS" in ack.content
    await alice.click("Done")
    ask = await alice.expect_message("Where is it")
    assert any("photo's location" in b for b in ask.reply_buttons)
    await alice.click("Use the photo's location")
    got = await alice.expect_message("Got it")
    assert "(Qingyang Town)" in got.content  # an English reader
    await alice.expect_message("What kind")
    summary_ticket = await finish(alice)
    report = await report_of(sandbox, summary_ticket)
    assert report.location_source == "exif" and report.unit_code == "320281103"
    assert report.lat == pytest.approx(QINGYANG[0], abs=1e-4)
    # the public copy is EXIF-free
    public = sandbox.app.reports.media.read(report.photos[0].public_path)
    assert not Image.open(io.BytesIO(public)).getexif().get(0x8825)


async def test_refusals_out_of_area_pin_typed_zone_and_non_images(sandbox):
    alice = sandbox.user("Alice", lang="en")
    await alice.send("/report")
    await alice.expect_message()
    await alice.send_document(b"%PDF-1.4 not a photo", file_name="report.pdf", mime_type="application/pdf")
    assert "not a photo" in (await alice.expect_message()).content
    await alice.send_document(b"\x00garbage" * 10, file_name="fake.jpg", mime_type="image/jpeg")
    assert "not a photo" in (await alice.expect_message()).content
    await alice.send("hello")
    await alice.expect_message("send a photo")
    await alice.send_photo(make_image())
    await alice.expect_message("1 of 5")
    await alice.click("Done")
    await alice.expect_message("Where is it")
    await alice.send_location(*SHANGHAI)
    assert "outside Jiangyin" in (await alice.expect_message()).content
    await alice.send("高新区")
    assert "pin" in (await alice.expect_message()).content
    await alice.send("Atlantis Avenue 1")
    assert "couldn't find" in (await alice.expect_message()).content
    await alice.send("青阳镇")
    assert "青阳镇 (Qingyang Town)" in (await alice.expect_message("Got it")).content
    await alice.expect_message("What kind")
    assert (await draft_of(sandbox, alice)).data["location_source"] == "gazetteer"


async def test_duplicate_offered_and_followed_then_the_follower_hears_of_changes(sandbox):
    _, hank, group = await staff_group(sandbox)
    alice = sandbox.user("Alice", lang="en")
    await start_report(alice)
    await to_type_step(alice)
    ticket = await finish(alice, placed=True)

    bob = sandbox.user("Bob", lang="en")
    await start_report(bob)
    await bob.click("Done")
    await bob.expect_message("Where is it")
    await bob.send_location(CHENGJIANG[0] + 0.001, CHENGJIANG[1])  # about 110 m away
    await bob.expect_message("Got it")
    offer = await bob.expect_message("already reported")
    assert ticket in offer.content
    await bob.click(f"Follow {ticket}")
    assert "You now follow" in (await bob.expect_message()).content
    assert await draft_of(sandbox, bob) is None

    card = await card_of(hank, group, ticket)
    click = await hank.click("Accept", message=card, chat=group)
    await click.answer()
    for person in (alice, bob):
        note = await person.expect_message(ticket)
        assert "Accepted" in note.content
    assert "A report you follow" in bob.messages()[-1].content


async def test_staff_accept_and_resolve_notify_the_reporter(sandbox):
    _, hank, group = await staff_group(sandbox)
    alice = sandbox.user("Alice", lang="en")
    await start_report(alice)
    await to_type_step(alice)
    ticket = await finish(alice, placed=True)
    card = await card_of(hank, group, ticket)
    assert "Alice" not in card.content  # anonymous to staff

    await (await hank.click("Accept", message=card, chat=group)).answer()
    assert "Accepted" in (await alice.expect_message(ticket)).content
    await sandbox.settle()
    assert "Accepted" in card.content and "Resolved" in " ".join(card.buttons)

    await (await hank.click("Resolved", message=card, chat=group)).answer()
    await sandbox.settle()
    await hank.send_photo(make_image(color="#dddddd", text="clean"), caption="Cleared by the street team", chat=group)
    note = await alice.expect_message(ticket)
    assert note.photo and "Resolved" in note.content and "Cleared by the street team" in note.content
    report = await report_of(sandbox, ticket)
    assert report.status == "resolved" and any(p.kind == "after" for p in report.photos)
    await sandbox.settle()
    assert "Reopen" in " ".join(card.buttons)
    assert not sandbox.bot_errors, sandbox.bot_errors


async def test_non_staff_pressing_a_staff_button_is_refused(sandbox):
    _, hank, group = await staff_group(sandbox)
    mallory = sandbox.user("Mallory", lang="en")
    group.add(mallory)
    alice = sandbox.user("Alice", lang="en")
    await start_report(alice)
    await to_type_step(alice)
    ticket = await finish(alice, placed=True)
    card = await card_of(hank, group, ticket)
    answer = await (await mallory.click("Accept", message=card, chat=group)).answer()
    assert answer["show_alert"] and "Only the handlers" in answer["text"]
    assert (await report_of(sandbox, ticket)).status == "submitted"
    mallory.skip_messages(group)
    await mallory.send("/reports", chat=group)
    assert "staff only" in (await mallory.expect_message(chat=group)).content


STEPS = ["photos", "location", "type", "amount", "witnessed", "plate", "description", "anonymous", "confirm"]


async def advance_to(user, step: str) -> None:
    await user.send("/report")
    await user.expect_message()
    if step == "photos":
        return
    await user.send_photo(make_image())
    await user.expect_message("1 of 5")
    await user.click("Done")
    await user.expect_message("Where is it")
    if step == "location":
        return
    await user.send_location(*QINGYANG)
    await user.expect_message("Got it")
    await user.expect_message("What kind")
    if step == "type":
        return
    await user.click("Household")
    await user.expect_message("How much")
    if step == "amount":
        return
    await user.click("A car boot")
    await user.expect_message("Did you see")
    if step == "witnessed":
        return
    await user.click("Yes, I saw it")
    await user.expect_message("plate")
    if step == "plate":
        return
    await user.send("not a plate!")
    await user.expect_message("doesn't look like")
    await user.send("苏B·D1234")
    await user.expect_message("Anything the staff")
    if step == "description":
        return
    await user.send("x" * 501)
    await user.expect_message("under 500")
    await user.send("Old sofa")
    await user.expect_message("anonymous")
    if step == "anonymous":
        return
    await user.click("Stay anonymous")
    await user.expect_message("Please check")


async def test_cancel_at_every_step_leaves_no_draft(sandbox):
    for i, step in enumerate(STEPS):
        user = sandbox.user(f"Carol{i}", lang="en")
        await advance_to(user, step)
        assert await draft_of(sandbox, user) is not None, step
        await user.send("/cancel")
        assert "Cancelled" in (await user.expect_message()).content, step
        assert await draft_of(sandbox, user) is None, step
        await user.send("/cancel")
        assert "nothing to cancel" in (await user.expect_message()).content, step
    await sandbox.settle()
    assert not sandbox.bot_errors, sandbox.bot_errors


async def restart(sandbox, settings) -> object:
    """Stop the running app and start a fresh one (new memory FSM) on the same database."""
    await sandbox.app.stop()
    await asyncio.wait_for(sandbox.poll_task, 10)
    app = create_app(settings, api_base=sandbox.server.base_url, token=sandbox.server.token)
    await app.prepare()
    sandbox.app = app
    sandbox.poll_task = asyncio.create_task(app.poll())
    await wait_for_polling(sandbox.server, sandbox.poll_task)
    return app


async def test_restart_in_the_middle_of_a_draft_resumes_it(sandbox, sandbox_settings):
    alice = sandbox.user("Alice", lang="en")
    await advance_to(alice, "amount")
    old_app = sandbox.app
    app = await restart(sandbox, sandbox_settings)
    try:
        # a button of the old conversation still works: the draft is in the database
        await alice.click("A few bags")
        await alice.expect_message("Did you see")
        await alice.click("No")
        await alice.expect_message("Anything the staff")
        app2 = await restart(sandbox, sandbox_settings)
        await app.stop()
        app = app2
        # a typed message after the restart: resumed, and the user is told where they are
        await alice.send("Next to the bridge")
        resumed = await alice.expect_message("restarted")
        assert "description" in resumed.content
        await alice.expect_message("anonymous")
        await alice.click("Stay anonymous")
        summary = await alice.expect_message("Please check")
        assert "Next to the bridge" in summary.content and "Qingyang Town" in summary.content
        await alice.click("Send the report", message=summary)
        assert "JY-" in (await alice.expect_message("Thank you")).content
    finally:
        await app.stop()
        assert old_app is not app


async def test_chinese_menu_button_big_album_and_oversized_file(sandbox):
    wang = sandbox.user("王芳", lang="zh")
    await wang.send("/start")
    await wang.expect_message()
    await wang.click("📸 举报乱倒")
    assert "举报非法倾倒" in (await wang.expect_message()).content
    await wang.send_document(b"\xff\xd8" + b"\x00" * (21 * 1024 * 1024), file_name="huge.jpg", mime_type="image/jpeg")
    assert "20 MB" in (await wang.expect_message()).content
    await wang.send_album([make_image(text=str(i), color=f"#{20 * i:02x}4020") for i in range(7)])
    ack = await wang.expect_message()
    assert "最多 5 张" in ack.content and "5 张照片" in ack.content
    await wang.expect_no_message(1.2)
    assert len((await draft_of(sandbox, wang)).data["photos"]) == 5
    await wang.click("好了")
    assert "在哪里" in (await wang.expect_message()).content


async def test_answers_stay_in_the_chat_and_the_summary_changes_a_field(sandbox):
    """Issue #14: the answered question shows the choice; "Change something" → Amount → back to
    the summary with the new amount and the photo and place kept."""
    alice = sandbox.user("Alice", lang="en")
    await start_report(alice)
    await alice.click("Done")
    await alice.expect_message("Where is it")
    await alice.send_location(*CHENGJIANG)
    await alice.expect_message("Got it")
    kind = await alice.expect_message("What kind of waste")
    await alice.click("Construction")
    await alice.expect_message("How much")
    assert "🧱 Construction debris" in kind.content and not kind.buttons
    await alice.click("A few bags")
    await alice.expect_message("Did you see")
    await alice.click("No")
    await alice.expect_message("Anything the staff")
    await alice.click("Skip")
    await alice.expect_message("anonymous")
    await alice.click("Stay anonymous")
    summary = await alice.expect_message("Please check your report")
    assert "A few bags" in summary.content

    await alice.click("Change something", message=summary)
    while "⚖️ Amount" not in summary.buttons:  # the summary's buttons become the field menu
        await alice.expect_edit()
    await alice.click("Amount", message=summary)
    await alice.expect_message("How much")
    await alice.click("A truckload")
    again = await alice.expect_message("Please check your report")
    assert "A truckload or more" in again.content and "Photos: 1" in again.content
    assert "Chengjiang Subdistrict" in again.content
    await alice.click("Send the report", message=again)
    done = await alice.expect_message("Thank you")
    ticket = next(w for w in done.content.replace(".", " ").split() if w.startswith("JY-"))
    report = await report_of(sandbox, ticket)
    assert report.amount == "truck" and report.waste_type == "construction" and len(report.photos) == 1
    await sandbox.settle()
    assert not sandbox.bot_errors, sandbox.bot_errors
