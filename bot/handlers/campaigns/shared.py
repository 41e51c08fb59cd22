"""Small helpers every router of the campaigns feature uses."""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from campaigns import cells as cells_service
from campaigns.cells import CellInfo


async def edit(query: CallbackQuery, text: str | None, markup: InlineKeyboardMarkup | None) -> None:
    """Edit the message the button belongs to (only its keyboard when ``text`` is None)."""
    if not isinstance(query.message, Message):
        return
    try:
        if text is None:
            await query.message.edit_reply_markup(reply_markup=markup)
        else:
            await query.message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as error:
        if "message is not modified" not in error.message:  # a double tap changes nothing
            raise


async def cells_by_id(session: AsyncSession) -> dict[int, CellInfo]:
    """Every place, retired ones too, by id (to name the places a subscription or audience has)."""
    return {c.id: c for c in await cells_service.list_cells(session, include_retired=True)}


def toggled(values: list, value) -> list:
    """``values`` with ``value`` removed if present, else appended."""
    return [x for x in values if x != value] if value in values else [*values, value]


def content(message: Message) -> tuple[str | None, str | None]:
    """(HTML text, photo file id) of the staff's message."""
    if message.photo:
        return (message.html_text if message.caption else None), message.photo[-1].file_id
    if message.text:
        return message.html_text, None
    return None, None
