"""The echo bot through the real polling loop, over HTTP, driven by virtual users."""

from __future__ import annotations

import pytest

from sandbox.driver import make_image

from .conftest import member_updates


async def test_start_menu_and_callback(sandbox):
    alice = sandbox.user("Alice", lang="en")
    await alice.send("/start")
    msg = await alice.expect_message()
    assert msg.text == "Welcome to the echo bot"
    assert [e["type"] for e in msg.entities] == ["bold", "italic"]
    assert msg.buttons == ["Report", "Sort", "Alert me"]
    click = await alice.click("Report")
    answer = await click.answer()
    assert answer["text"] == "Reporting…" and answer["show_alert"] is False
    edited = await alice.expect_edit()
    assert edited.message_id == msg.message_id and edited.text.startswith("Send a photo")
    assert edited.buttons == []  # the edit dropped the keyboard


async def test_alert_and_unanswered_button(sandbox):
    bob = sandbox.user("Bob", lang="zh")
    await bob.send("/start")
    await bob.expect_message()
    await bob.click("alert me")  # case-insensitive substring
    answer = await bob.expect_answer()
    assert answer["show_alert"] is True
    await bob.click("Sort")
    assert (await bob.expect_message()).text == "pressed menu:sort"


async def test_photo_upload_download_and_file_id_resend(sandbox):
    alice = sandbox.user("Alice")
    await alice.send_photo(make_image(1600, 900))
    info = await alice.expect_message()
    # the bot downloaded the largest size through /file/bot<token>/<path>; Telegram caps at 1280
    assert info.text.startswith("photo 1280x720 ")
    echo = await alice.expect_message()
    assert echo.photo and echo.caption == "echo"


async def test_album_arrives_as_separate_updates(sandbox):
    alice = sandbox.user("Alice")
    sent = await alice.send_album([make_image(), make_image(color="red"), make_image(color="blue")], caption="three")
    group = sent[0].data["media_group_id"]
    assert all(m.data["media_group_id"] == group for m in sent)
    replies = [await alice.expect_message() for _ in range(6)]
    texts = [r.text for r in replies if r.text]
    assert len(texts) == 3 and all(t.endswith(f"group={group}") for t in texts)


async def test_bot_sends_album_and_document(sandbox):
    alice = sandbox.user("Alice")
    await alice.send("/album")
    first, second = await alice.expect_messages(2)
    assert first.media_group_id and first.media_group_id == second.media_group_id
    assert first.caption == "two photos" and second.caption is None
    await alice.send("/qr")
    doc = await alice.expect_message()
    assert doc.document["file_name"] == "ticket-qr.png" and doc.document["mime_type"] == "image/png"


async def test_reply_keyboard_location_and_removal(sandbox):
    alice = sandbox.user("Alice")
    await alice.send("/keyboard")
    msg = await alice.expect_message()
    assert msg.reply_buttons == ["Send location", "Cancel"]
    await alice.click("Send location", location=(31.85529, 120.24105))
    reply = await alice.expect_message()
    assert reply.text == "location 31.85529,120.24105"
    assert reply.data["reply_to_message"]["location"]["latitude"] == pytest.approx(31.85529)
    assert alice.reply_buttons() == []  # one_time_keyboard hides after use
    await alice.send("/keyboard")
    await alice.expect_message()
    await alice.click("Cancel")
    assert (await alice.expect_message()).text == "Cancelled"
    assert alice.reply_buttons() == []


async def test_preset_place_venue_and_document(sandbox):
    alice = sandbox.user("Alice")
    await alice.send_place("南闸街道")
    assert (await alice.expect_message()).text == "location 31.85529,120.24105"
    await alice.send_venue(31.9, 120.2, "Bin point", "Road 1")
    assert (await alice.expect_message()).text.startswith("location 31.90000")
    await alice.send_document(b"hello", file_name="note.txt")
    assert (await alice.expect_message()).text == "document note.txt 5"


async def test_group_chat_for_staff(sandbox):
    carol, dave = sandbox.user("Carol"), sandbox.user("Dave")
    staff = sandbox.group("Staff 工作群", [carol, dave])
    await carol.send("hello staff", chat=staff)
    reply = await dave.expect_message(chat=staff)
    assert reply.text == "hello staff" and reply.chat_id == staff.id < 0
    assert reply.data["chat"]["type"] == "supergroup"


async def test_block_and_unblock_sends_my_chat_member(sandbox):
    alice = sandbox.user("Alice")
    await alice.block()
    await alice.unblock()
    await sandbox.settle()
    assert member_updates == ["kicked", "member"]


async def test_expect_message_timeout_reports_diagnostics(sandbox):
    alice = sandbox.user("Alice")
    with pytest.raises(AssertionError, match="timed out"):
        await alice.expect_message(timeout=0.2)
    await alice.send("/start")
    await alice.expect_message()
    with pytest.raises(AssertionError, match="no button"):
        await alice.click("Nonexistent")
