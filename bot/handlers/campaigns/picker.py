"""The town/street → place picker that residents (/subscribe) and campaign staff (a campaign's
audience) share.

It draws three views on the message of the pressed button: the towns/streets to tick, the
towns/streets that have places (with their number), and the places of one town/street to tick.
What a tick means (a subscription, a line of the audience) stays with the caller; the picker only
draws, and refuses a place that no longer takes part.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape

from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handlers.campaigns.shared import edit
from bot.i18n import unit_label
from bot.keyboards import campaigns as kb
from bot.keyboards.campaign_callbacks import AudAction, AudCb, SubAction, SubCb
from campaigns import cells as cells_service
from campaigns.cells import CellInfo


@dataclass(frozen=True)
class Picker:
    """How one feature's picker buttons are made."""

    unit: Callable[[str], CallbackData]  # ticks a town/street
    places_of: Callable[[str], CallbackData]  # opens the places of a town/street
    cell: Callable[[int], CallbackData]  # ticks a place
    places: CallbackData  # back to the towns/streets that have places
    back: CallbackData  # back to the feature's own view

    @classmethod
    def of(
        cls, factory: type[SubCb] | type[AudCb], actions: type[SubAction] | type[AudAction], back: SubAction | AudAction
    ) -> Picker:
        """The picker of a factory whose actions have the picker's members (UNIT, PLACES…)."""
        return cls(
            unit=lambda code: factory(action=actions.UNIT, value=code),
            places_of=lambda code: factory(action=actions.PLACES_OF_UNIT, value=code),
            cell=lambda cell_id: factory(action=actions.CELL, value=str(cell_id)),
            places=factory(action=actions.PLACES),
            back=factory(action=back),
        )

    def units_markup(self, selected: Iterable[str]) -> InlineKeyboardMarkup:
        return kb.units_keyboard(selected, self.unit, self.back)

    async def show_units(
        self, query: CallbackQuery, callback_answer: CallbackAnswer, text: str, selected: Iterable[str]
    ) -> None:
        await edit(query, text, self.units_markup(selected))

    async def show_places_units(self, query: CallbackQuery, session: AsyncSession, text: str) -> None:
        """The towns/streets, each with its number of places, to find a place in."""
        counts: dict[str, int] = {}
        for cell in await cells_service.list_cells(session):
            counts[cell.unit_code] = counts.get(cell.unit_code, 0) + 1
        await edit(query, text, kb.units_keyboard((), self.places_of, self.back, counts))

    async def places_markup(
        self, session: AsyncSession, unit_code: str, selected: Iterable[int]
    ) -> InlineKeyboardMarkup | None:
        """The places of a town/street to tick; None when it has none."""
        cells = await cells_service.list_cells(session, unit_code=unit_code)
        return kb.cells_keyboard(cells, selected, self.cell, self.places) if cells else None

    async def show_places(
        self,
        query: CallbackQuery,
        callback_answer: CallbackAnswer,
        session: AsyncSession,
        unit_code: str,
        template: str,
        selected: Iterable[int],
    ) -> None:
        """``template`` names the town/street as ``{unit}``."""
        markup = await self.places_markup(session, unit_code, selected)
        if markup is None:
            callback_answer.text = _("No waste-free cells are registered there yet.")
            callback_answer.show_alert = True
            return
        await edit(query, template.format(unit=escape(unit_label(unit_code))), markup)

    async def redraw_places(
        self, query: CallbackQuery, session: AsyncSession, unit_code: str, selected: Iterable[int]
    ) -> None:
        """After a tick: the same places, with the ticks as they now are."""
        if (markup := await self.places_markup(session, unit_code, selected)) is not None:
            await edit(query, None, markup)


async def live_cell(
    query: CallbackQuery, callback_answer: CallbackAnswer, session: AsyncSession, cell_id: int
) -> CellInfo | None:
    """The place a tick is about, if it still takes part (the caller is told otherwise)."""
    cell = await cells_service.get_cell(session, cell_id)
    if cell is None or cell.retired:
        callback_answer.text = _("This waste-free cell no longer takes part.")
        callback_answer.show_alert = True
        return None
    return cell
