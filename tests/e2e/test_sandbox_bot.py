"""The real Wufei bot through the sandbox: real polling loop, HTTP, uploads and downloads."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


async def test_start_replies_with_a_keyboard(sandbox):
    alice = sandbox.user("Alice", lang="zh")
    await alice.send("/start")
    msg = await alice.expect_message()
    assert msg.content.strip()
    assert msg.has_keyboard, f"/start should offer a menu, got {msg!r}"
    # every inline button the bot sends must be pressable under Telegram's 64-byte rule
    for row in msg.inline_keyboard:
        for button in row:
            assert len(button.get("callback_data", "").encode()) <= 64
    await sandbox.settle()
    assert not sandbox.bot_errors, sandbox.bot_errors


async def test_english_user_gets_a_reply(sandbox):
    tom = sandbox.user("Tom", lang="en")
    await tom.send("/start")
    msg = await tom.expect_message()
    assert msg.content.strip()


async def test_prepare_set_the_command_menu(sandbox):
    commands = sandbox.world.commands
    assert commands, "app.prepare() should call setMyCommands"
    names = {c["command"] for cmds in commands.values() for c in cmds}
    assert "start" in names


async def test_language_switch_through_inline_buttons(sandbox):
    alice = sandbox.user("Alice", lang="zh")
    await alice.send("/start")
    menu_zh = (await alice.expect_message()).reply_buttons
    await alice.send("/language")
    chooser = await alice.expect_message()
    assert len(chooser.buttons) >= 2
    target = next(b for b in chooser.inline_keyboard for b in b if b["callback_data"].endswith("en"))
    click = await alice.click(target["text"], message=chooser)
    await click.answer()  # the spinner is always stopped
    edited = await alice.expect_edit()
    assert edited.message_id == chooser.message_id
    confirmation = await alice.expect_message()
    assert confirmation.reply_buttons and confirmation.reply_buttons != menu_zh
    await sandbox.settle()
    assert not sandbox.bot_errors, sandbox.bot_errors


async def test_photo_and_location_are_answered_without_errors(sandbox):
    from sandbox.driver import make_image

    alice = sandbox.user("Alice", lang="zh")
    await alice.send("/start")
    await alice.expect_message()
    await alice.send_photo(make_image(1024, 768), caption="路边垃圾")
    await alice.send_place("南闸街道")
    await sandbox.settle()
    assert not sandbox.bot_errors, sandbox.bot_errors
    assert not sandbox.server.validation_errors
