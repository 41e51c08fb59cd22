"""/newcampaign, steps 2 and 3: the announcement in Chinese (a text, or a photo with its caption),
then optionally in English for residents who use English (the photo is the Chinese version's)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.features.campaigns import CampaignRuntime
from bot.handlers.campaigns.scheduling import ask_timing
from bot.handlers.campaigns.shared import content, edit
from bot.handlers.campaigns.states import NewCampaign
from bot.keyboards import campaigns as kb
from bot.keyboards.campaign_callbacks import CampAction, CampCb
from campaigns.service import MAX_CAPTION, MAX_TEXT


async def text_zh(message: Message, state: FSMContext) -> None:
    text, photo = content(message)
    if not text:
        await message.answer(_("Please send a text, or a photo with the text as its caption."))
        return
    limit = MAX_CAPTION if photo else MAX_TEXT
    if len(text) > limit:
        await message.answer(_("That is too long: at most {n} characters.").format(n=limit))
        return
    await state.update_data(text_zh=text, photo=photo)
    await state.set_state(NewCampaign.text_en)
    await message.answer(
        _("Step 3 of 4: send the same announcement <b>in English</b> for residents who use English, or skip."),
        reply_markup=kb.single_button(_("Skip ▶"), CampCb(action=CampAction.SKIP_ENGLISH)),
    )


async def text_en(message: Message, state: FSMContext, campaign_runtime: CampaignRuntime) -> None:
    text, photo = content(message)
    if not text or photo:
        await message.answer(_("Please send a text (the photo is the one of the Chinese version)."))
        return
    limit = MAX_CAPTION if (await state.get_data()).get("photo") else MAX_TEXT
    if len(text) > limit:
        await message.answer(_("That is too long: at most {n} characters.").format(n=limit))
        return
    await state.update_data(text_en=text)
    await ask_timing(message, state, campaign_runtime)


async def skip_english(query: CallbackQuery, state: FSMContext, campaign_runtime: CampaignRuntime) -> None:
    await state.update_data(text_en=None)
    await edit(query, None, None)
    await ask_timing(query.message, state, campaign_runtime)


def build() -> Router:
    """Staff only: the package sets the role filter."""
    router = Router(name=__name__)
    router.message.register(text_zh, NewCampaign.text_zh)
    router.message.register(text_en, NewCampaign.text_en)
    skip = CampCb.filter(F.action == CampAction.SKIP_ENGLISH)
    router.callback_query.register(skip_english, skip, NewCampaign.text_en)
    return router
