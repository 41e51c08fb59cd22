"""/newcampaign, steps 2 and 3 (aiogram Scenes): the announcement in Chinese (a text, or a photo
with its caption), then optionally in English for residents who use English (the photo is the
Chinese version's). A press of Skip at another step falls to the package's "this step is over"."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.scene import ScenesManager, on
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.handlers.campaigns.shared import content, edit
from bot.handlers.campaigns.states import NewCampaign
from bot.handlers.campaigns.wizard import STAFF, CampaignStep, not_command
from bot.keyboards import campaigns as kb
from bot.keyboards.campaign_callbacks import CampAction, CampCb
from campaigns.service import MAX_CAPTION, MAX_TEXT


class TextZhStep(CampaignStep, state=NewCampaign.text_zh.state):
    async def ask(self, message: Message, **kw: Any) -> None:
        await message.answer(
            _(
                "Step 2 of 4: send the announcement <b>in Chinese</b>. Formatting is kept. To add a "
                "photo, send the photo with the text as its caption (up to 1024 characters)."
            )
        )

    @on.message(STAFF, not_command)
    async def typed(self, message: Message, state: FSMContext, scenes: ScenesManager) -> None:
        text, photo = content(message)
        if not text:
            await message.answer(_("Please send a text, or a photo with the text as its caption."))
            return
        limit = MAX_CAPTION if photo else MAX_TEXT
        if len(text) > limit:
            await message.answer(_("That is too long: at most {n} characters.").format(n=limit))
            return
        await state.update_data(text_zh=text, photo=photo)
        await scenes.enter(NewCampaign.text_en)


class TextEnStep(CampaignStep, state=NewCampaign.text_en.state):
    async def ask(self, message: Message, **kw: Any) -> None:
        await message.answer(
            _("Step 3 of 4: send the same announcement <b>in English</b> for residents who use English, or skip."),
            reply_markup=kb.single_button(_("Skip ▶"), CampCb(action=CampAction.SKIP_ENGLISH)),
        )

    @on.message(STAFF, not_command)
    async def typed(self, message: Message, state: FSMContext, scenes: ScenesManager) -> None:
        text, photo = content(message)
        if not text or photo:
            await message.answer(_("Please send a text (the photo is the one of the Chinese version)."))
            return
        limit = MAX_CAPTION if (await state.get_data()).get("photo") else MAX_TEXT
        if len(text) > limit:
            await message.answer(_("That is too long: at most {n} characters.").format(n=limit))
            return
        await state.update_data(text_en=text)
        await scenes.enter(NewCampaign.timing)

    @on.callback_query(CampCb.filter(F.action == CampAction.SKIP_ENGLISH), STAFF)
    async def skip_english(self, query: CallbackQuery, state: FSMContext, scenes: ScenesManager) -> None:
        await state.update_data(text_en=None)
        await edit(query, None, None)
        await scenes.enter(NewCampaign.timing)


SCENES = (TextZhStep, TextEnStep)
