"""Fixtures for the sandbox's own tests: a sandbox server and a small echo bot polling it."""

from __future__ import annotations

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InputMediaPhoto,
    InputTextMessageContent,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from sandbox import Limits, SandboxServer
from sandbox.driver import make_image
from sandbox.testing import SimpleApp, close_quickly, running_sandbox


@pytest.fixture
async def server():
    srv = SandboxServer(limits=Limits.relaxed(), validate_responses=True)
    await srv.start()
    try:
        yield srv
    finally:
        await srv.stop()


@pytest.fixture
async def bot(server):
    b = Bot(server.token, session=AiohttpSession(api=TelegramAPIServer.from_base(server.base_url)))
    try:
        yield b
    finally:
        await close_quickly(b)


def echo_router() -> Router:
    """A bot exercising most of the Bot API surface the sandbox implements."""
    router = Router(name="echo")

    @router.message(CommandStart())
    async def start(message: Message, command: CommandObject) -> None:
        if command.args:
            await message.answer(f"started with {command.args}")
            return
        await message.answer(
            "<b>Welcome</b> to the <i>echo</i> bot",
            parse_mode="HTML",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(text="Report", callback_data="menu:report"),
                        InlineKeyboardButton(text="Sort", callback_data="menu:sort"),
                    ],
                    [InlineKeyboardButton(text="Alert me", callback_data="menu:alert")],
                ]
            ),
        )

    @router.message(Command("keyboard"))
    async def keyboard(message: Message) -> None:
        await message.answer(
            "Share your location",
            reply_markup=ReplyKeyboardMarkup(
                keyboard=[
                    [KeyboardButton(text="Send location", request_location=True)],
                    [KeyboardButton(text="Cancel")],
                ],
                resize_keyboard=True,
                one_time_keyboard=True,
            ),
        )

    @router.message(Command("where"))
    async def where(message: Message) -> None:
        # labels that already carry their icon, as Wufei's do
        await message.answer(
            "Where is it?",
            reply_markup=ReplyKeyboardMarkup(
                keyboard=[
                    [KeyboardButton(text="📍 Send my location", request_location=True)],
                    [KeyboardButton(text="Share contact", request_contact=True)],
                ],
                resize_keyboard=True,
            ),
        )

    @router.message(F.text == "Cancel")
    async def cancel(message: Message) -> None:
        await message.answer("Cancelled", reply_markup=ReplyKeyboardRemove())

    @router.message(Command("album"))
    async def album(message: Message) -> None:
        await message.answer_media_group(
            [
                InputMediaPhoto(media=BufferedInputFile(make_image(200, 100, "red"), "a.jpg"), caption="two photos"),
                InputMediaPhoto(media=BufferedInputFile(make_image(100, 200, "blue"), "b.jpg")),
            ]
        )

    @router.message(Command("qr"))
    async def qr(message: Message) -> None:
        await message.answer_document(
            BufferedInputFile(make_image(64, 64, "black", fmt="PNG"), "ticket-qr.png"), caption="your QR"
        )

    @router.callback_query(F.data == "menu:report")
    async def report(query: CallbackQuery) -> None:
        await query.answer("Reporting…")
        await query.message.edit_text("Send a photo of the dumped waste")

    @router.callback_query(F.data == "menu:alert")
    async def alert(query: CallbackQuery) -> None:
        await query.answer("This is an alert", show_alert=True)

    @router.callback_query()
    async def other(query: CallbackQuery) -> None:
        await query.answer()
        await query.message.answer(f"pressed {query.data}")

    @router.message(F.photo)
    async def photo(message: Message, bot: Bot) -> None:
        largest = message.photo[-1]
        data = await bot.download(largest.file_id)
        size = len(data.read())
        await message.answer(
            f"photo {largest.width}x{largest.height} {size} bytes"
            + (f" group={message.media_group_id}" if message.media_group_id else "")
        )
        await message.answer_photo(largest.file_id, caption="echo")

    @router.message(F.location)
    async def location(message: Message) -> None:
        loc = message.location
        await message.reply(f"location {loc.latitude:.5f},{loc.longitude:.5f}")

    @router.message(F.document)
    async def document(message: Message) -> None:
        await message.answer(f"document {message.document.file_name} {message.document.file_size}")

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(message.text)

    @router.inline_query()
    async def inline(query: InlineQuery) -> None:
        await query.answer(
            [
                InlineQueryResultArticle(
                    id="1",
                    title=f"Bin for {query.query}",
                    description="recyclable",
                    input_message_content=InputTextMessageContent(
                        message_text=f"<b>{query.query}</b>: recyclable", parse_mode="HTML"
                    ),
                )
            ]
        )

    @router.my_chat_member()
    async def member(update) -> None:
        member_updates.append(update.new_chat_member.status)

    return router


member_updates: list[str] = []


@pytest.fixture
async def sandbox():
    """Sandbox + echo bot polling it; yields the test driver."""
    member_updates.clear()

    def factory(api_base: str, token: str) -> SimpleApp:
        dp = Dispatcher()
        dp.include_router(echo_router())
        return SimpleApp(api_base, token, dp, polling_timeout=5)

    async with running_sandbox(factory, limits=Limits.relaxed()) as sb:
        yield sb
