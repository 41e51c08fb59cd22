"""The states of the campaign staff's flows: a new campaign (audience → texts → timing → preview)
and the edit of an existing one's text; editing a campaign's timing reuses the timing steps, with
the campaign's id as ``edit_id`` in the state data."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class NewCampaign(StatesGroup):
    audience = State()
    text_zh = State()
    text_en = State()
    timing = State()
    at = State()
    weekdays = State()
    month_day = State()
    time = State()
    end = State()
    preview = State()


class EditCampaign(StatesGroup):
    text_zh = State()
    text_en = State()
