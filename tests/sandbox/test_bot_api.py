"""Bot API fidelity: shapes validated by aiogram's own types, Telegram's errors and wording."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramUnauthorizedError,
)
from aiogram.methods import GetUpdates, SendMessage
from aiogram.methods.base import Response
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputMediaPhoto,
    InputTextMessageContent,
    Message,
    ReplyParameters,
    Update,
)

from sandbox.driver import Sandbox, make_image

MENU = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Go", callback_data="go")]])


async def test_get_me_and_auth(server, bot):
    me = await bot.get_me()
    assert me.is_bot and me.id == bot.id and me.username == "wufei_sandbox_bot"
    wrong = Bot("42:WRONG", session=AiohttpSession(api=TelegramAPIServer.from_base(server.base_url)))
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await wrong.get_me()
    finally:
        await wrong.session.close()


async def test_unknown_method_is_404(server):
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.base_url}/bot{server.token}/sendHologram") as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_plain_json_and_query_requests_work(server):
    user = server.create_user("Curl", started=True)
    async with aiohttp.ClientSession() as http:
        url = f"{server.base_url}/bot{server.token}/sendMessage"
        async with http.post(url, json={"chat_id": user.id, "text": "<b>x</b>", "parse_mode": "HTML"}) as resp:
            body = await resp.json()
        parsed = Response[Message].model_validate(body)
        assert parsed.ok and parsed.result.text == "x"
        async with http.get(f"{server.base_url}/bot{server.token}/getMe") as resp:
            assert (await resp.json())["result"]["is_bot"] is True


async def test_updates_offsets_limit_and_negative_offset(server, bot):
    alice = server.create_user("Alice", started=True)
    for i in range(5):
        server.world.user_text(alice, server.private_chat(alice), f"m{i}")
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first] == ["m0", "m1"]
    again = await bot.get_updates(limit=2)  # not confirmed yet: same ones
    assert [u.update_id for u in again] == [u.update_id for u in first]
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest] == ["m2", "m3", "m4"]
    last = await bot.get_updates(offset=-1)
    assert [u.message.text for u in last] == ["m4"]
    await bot.get_updates(offset=last[-1].update_id + 1)
    assert server.world.updates == []


async def test_handed_out_counts_what_get_updates_returned_and_names_a_press(server, bot):
    """A benchmark asks which presses reached the bot: each getUpdates answer is counted per update,
    an unconfirmed update counts again when handed out again, one never fetched not at all."""
    alice = server.create_user("Alice", started=True)
    chat = server.private_chat(alice)
    menu = await bot.send_message(alice.id, "menu", reply_markup=MENU)
    press = server.world.user_callback(alice, chat, menu.message_id, "go")
    server.world.user_text(alice, chat, "after")
    assert press.update_id and server.world.handed_out == {}
    [first] = await bot.get_updates(limit=1)
    assert first.update_id == press.update_id and first.callback_query.id == press.id
    assert server.world.handed_out == {press.update_id: 1}
    await bot.get_updates(limit=1)  # not confirmed: handed out again
    assert server.world.handed_out == {press.update_id: 2}
    [text] = await bot.get_updates(offset=press.update_id + 1)
    assert server.world.handed_out == {press.update_id: 2, text.update_id: 1}


async def test_long_poll_waits_then_returns_early_on_update(server, bot):
    t0 = time.monotonic()
    assert await bot.get_updates(timeout=1) == []
    waited = time.monotonic() - t0
    assert 0.9 <= waited < 1.8

    alice = server.create_user("Alice", started=True)
    loop = asyncio.get_running_loop()
    loop.call_later(0.2, lambda: server.world.user_text(alice, server.private_chat(alice), "hi"))
    t0 = time.monotonic()
    updates = await bot.get_updates(timeout=5)
    assert [u.message.text for u in updates] == ["hi"]
    assert time.monotonic() - t0 < 1.0


async def test_allowed_updates_filter_and_persist(server, bot):
    alice = server.create_user("Alice", started=True)
    chat = server.private_chat(alice)
    msg = await bot.send_message(alice.id, "menu", reply_markup=MENU)
    server.world.user_callback(alice, chat, msg.message_id, "go")
    server.world.user_text(alice, chat, "text")
    got = await bot.get_updates(allowed_updates=["message"])
    assert [u.message.text for u in got] == ["text"]
    server.world.user_callback(alice, chat, msg.message_id, "go")
    assert await bot.get_updates(offset=got[-1].update_id + 1) == []  # setting persisted


async def test_message_shapes_validate(server, bot):
    alice = server.create_user("Alice", language_code="en", started=True)
    chat = server.private_chat(alice)
    sent = server.world.user_text(alice, chat, "/start now")
    update = Update.model_validate({"update_id": 1, "message": sent.data})
    assert update.message.entities[0].type == "bot_command"
    reply = await bot.send_message(alice.id, "ok", reply_parameters=ReplyParameters(message_id=sent.message_id))
    assert reply.reply_to_message.message_id == sent.message_id
    photo = await bot.send_photo(
        alice.id, BufferedInputFile(make_image(2000, 1000), "p.jpg"), caption="<i>c</i>", parse_mode="HTML"
    )
    assert [p.width for p in photo.photo] == [90, 320, 800, 1280]
    assert photo.caption_entities[0].type == "italic"
    again = await bot.send_photo(alice.id, photo.photo[0].file_id)
    assert [p.file_id for p in again.photo] == [p.file_id for p in photo.photo]
    album = await bot.send_media_group(
        alice.id,
        [
            InputMediaPhoto(media=BufferedInputFile(make_image(), "a.jpg")),
            InputMediaPhoto(media=photo.photo[0].file_id),
        ],
    )
    assert len({m.media_group_id for m in album}) == 1 and album[0].media_group_id
    loc = await bot.send_location(alice.id, 31.9, 120.26)
    assert loc.location.latitude == pytest.approx(31.9)
    venue = await bot.send_venue(alice.id, 31.9, 120.26, "Bin", "Road")
    assert venue.venue.title == "Bin"
    doc = await bot.send_document(alice.id, BufferedInputFile(b"%PDF-1.4", "r.pdf"))
    assert doc.document.mime_type == "application/pdf"
    assert await bot.send_chat_action(alice.id, "typing") is True
    copy = await bot.copy_message(alice.id, alice.id, photo.message_id)
    assert copy.message_id > photo.message_id
    fwd = await bot.forward_message(alice.id, alice.id, sent.message_id)
    assert fwd.forward_origin.type == "user"
    assert (await bot.get_chat(alice.id)).first_name == "Alice"
    member = await bot.get_chat_member(alice.id, alice.id)
    assert member.status == "member"


async def test_edit_delete_and_callback_answers(server, bot):
    alice = server.create_user("Alice", started=True)
    chat = server.private_chat(alice)
    msg = await bot.send_message(alice.id, "one", reply_markup=MENU)
    edited = await bot.edit_message_text("two", chat_id=alice.id, message_id=msg.message_id, reply_markup=MENU)
    assert edited.text == "two" and edited.edit_date and edited.reply_markup
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("two", chat_id=alice.id, message_id=msg.message_id, reply_markup=MENU)
    plain = await bot.edit_message_reply_markup(chat_id=alice.id, message_id=msg.message_id)
    assert plain.reply_markup is None
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=alice.id, message_id=999)
    photo = await bot.send_photo(alice.id, BufferedInputFile(make_image(), "p.jpg"), caption="a")
    cap = await bot.edit_message_caption(chat_id=alice.id, message_id=photo.message_id, caption="b")
    assert cap.caption == "b"
    with pytest.raises(TelegramBadRequest, match="there is no text in the message to edit"):
        await bot.edit_message_text("t", chat_id=alice.id, message_id=photo.message_id)
    assert await bot.delete_message(alice.id, msg.message_id) is True
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(alice.id, msg.message_id)

    menu = await bot.send_message(alice.id, "menu", reply_markup=MENU)
    cb = server.world.user_callback(alice, chat, menu.message_id, "go")
    update = (await bot.get_updates())[-1]
    assert update.callback_query.data == "go" and update.callback_query.message.message_id == menu.message_id
    assert await bot.answer_callback_query(cb.id, text="done", show_alert=True) is True
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(cb.id)


@pytest.mark.parametrize(
    "kwargs, wording",
    [
        ({"text": ""}, "Bad Request: message text is empty"),
        ({"text": "   "}, "Bad Request: message text is empty"),
        ({"text": "x" * 4097}, "Bad Request: message is too long"),
        ({"text": "<b>x", "parse_mode": "HTML"}, "Bad Request: can't parse entities"),
        (
            {
                "text": "x",
                "reply_markup": InlineKeyboardMarkup(
                    inline_keyboard=[[InlineKeyboardButton(text="b", callback_data="d" * 65)]]
                ),
            },
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        (
            {"text": "x", "reply_parameters": ReplyParameters(message_id=999)},
            "Bad Request: message to be replied not found",
        ),
    ],
)
async def test_send_message_bad_requests(server, bot, kwargs, wording):
    alice = server.create_user("Alice", started=True)
    with pytest.raises(TelegramBadRequest) as exc:
        await bot.send_message(alice.id, **kwargs)
    assert exc.value.message.startswith(wording)


async def test_more_bad_requests(server, bot):
    alice = server.create_user("Alice", started=True)
    assert len((await bot.send_message(alice.id, "x" * 4096)).text) == 4096
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(123456, "hi")
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(alice.id, BufferedInputFile(make_image(), "p.jpg"), caption="c" * 1025)
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(alice.id, BufferedInputFile(b"not an image", "p.jpg"))
    with pytest.raises(TelegramBadRequest, match="failed to get HTTP URL content"):
        await bot.send_photo(alice.id, "https://example.com/p.jpg")
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(alice.id, "AgACnotafileid")
    ok = await bot.send_message(
        alice.id, "x", reply_parameters=ReplyParameters(message_id=999, allow_sending_without_reply=True)
    )
    assert ok.reply_to_message is None


async def test_blocked_user_is_403(server, bot):
    alice = server.create_user("Alice", started=True)
    server.world.set_blocked(alice, True)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(alice.id, "hi")
    updates = await bot.get_updates()
    change = updates[-1].my_chat_member
    assert change.old_chat_member.status == "member" and change.new_chat_member.status == "kicked"
    server.world.set_blocked(alice, False)
    assert (await bot.send_message(alice.id, "back")).text == "back"


async def test_files_get_file_download_and_size_cap(server, bot):
    alice = server.create_user("Alice", started=True)
    msg = server.world.user_photos(alice, server.private_chat(alice), [make_image(300, 200)])[0]
    file_id = msg.data["photo"][-1]["file_id"]
    f = await bot.get_file(file_id)
    assert f.file_path.startswith("photos/") and f.file_size > 0
    data = (await bot.download_file(f.file_path)).read()
    assert data[:2] == b"\xff\xd8"  # re-encoded as JPEG
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.base_url}/file/bot{server.token}/photos/nope.jpg") as resp:
            assert resp.status == 404
    server.limits.max_download_bytes = 10
    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await bot.get_file(file_id)


async def test_commands_webhook_conflict(server, bot):
    await bot.set_my_commands([BotCommand(command="start", description="开始")])
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])
    await bot.set_webhook("https://example.org/hook")
    with pytest.raises(TelegramConflictError):
        await bot.get_updates()
    assert await bot.delete_webhook() is True
    assert await bot.get_updates() == []


async def test_inline_query_round_trip(server, bot):
    driver = Sandbox(server)
    alice = driver.user("Alice")

    async def bot_side() -> None:
        updates = await bot.get_updates(timeout=5)
        q = updates[-1].inline_query
        await bot.answer_inline_query(
            q.id,
            [
                InlineQueryResultArticle(
                    id="1",
                    title=f"result for {q.query}",
                    input_message_content=InputTextMessageContent(message_text="x"),
                )
            ],
        )

    task = asyncio.create_task(bot_side())
    results = await alice.inline_query("battery")
    await task
    assert results[0]["title"] == "result for battery"
    driver.close()


async def test_group_privacy_for_non_admin_bot(server, bot):
    carol = server.create_user("Carol", started=True)
    group = server.create_group("Staff", [carol], bot_is_admin=False)
    server.world.user_text(carol, group, "chit-chat")
    server.world.user_text(carol, group, "/status")
    updates = await bot.get_updates()
    assert updates[0].my_chat_member.new_chat_member.status == "member"
    assert [u.message.text for u in updates if u.message] == ["/status"]
    admins = await bot.get_chat_administrators(group.id)
    assert [a.status for a in admins] == ["creator"]


async def test_unknown_method_via_aiogram_raises_not_found(server, bot):
    class Hologram(SendMessage):
        __api_method__ = "sendHologram"

    with pytest.raises(TelegramNotFound):
        await bot(Hologram(chat_id=1, text="x"))


def test_get_updates_method_is_what_polling_uses():
    assert GetUpdates.__api_method__ == "getUpdates"


async def test_two_pollers_conflict_like_telegram(server, bot):
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    second = asyncio.create_task(bot.get_updates(timeout=1))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await first
    assert await second == []


async def test_every_answer_validated_against_aiogram_types(server, bot):
    """The fixture server validates all answers; a broken shape would have turned into a 500."""
    from sandbox.server import validate_result

    assert server.validate_responses
    alice = server.create_user("Alice", started=True)
    await bot.send_message(alice.id, "x")
    assert server.validation_errors == []
    assert validate_result("sendMessage", {"ok": True, "result": {"message_id": 1}}) is not None
    assert validate_result("getMe", {"ok": True, "result": {"id": 1, "is_bot": True, "first_name": "b"}}) is None


async def test_bot_cannot_start_conversations_or_write_to_groups_it_left(server, bot):
    stranger = server.create_user("Stranger")
    with pytest.raises(TelegramForbiddenError, match="bot can't initiate conversation with a user"):
        await bot.send_message(stranger.id, "hello")
    server.world.user_text(stranger, server.private_chat(stranger), "/start")
    assert (await bot.send_message(stranger.id, "hello")).text == "hello"

    staff = server.create_group("Staff", [stranger])
    assert (await bot.send_message(staff.id, "to staff")).chat.type == "supergroup"
    server.world.remove_bot(staff, stranger)
    with pytest.raises(TelegramForbiddenError, match="bot is not a member"):
        await bot.send_message(staff.id, "still there?")
    kinds = [u.my_chat_member.new_chat_member.status for u in await bot.get_updates() if u.my_chat_member]
    assert kinds == ["administrator", "kicked"]


def test_implemented_methods_are_real_bot_api_methods():
    from sandbox.botapi import METHODS
    from sandbox.server import validate_result

    validate_result("getMe", {"ok": True, "result": {"id": 1, "is_bot": True, "first_name": "b"}})
    from sandbox import server as server_module

    known = server_module._RETURN_TYPES
    assert known, "aiogram's method table was not loaded"
    assert sorted(m for m in METHODS if m not in known) == []


async def test_upload_over_50_mb_is_413(server, bot):
    from aiogram.exceptions import TelegramEntityTooLarge

    alice = server.create_user("Alice", started=True)
    with pytest.raises(TelegramEntityTooLarge):
        await bot.send_document(alice.id, BufferedInputFile(b"\0" * (51 * 1024 * 1024), "big.bin"))
