"""Callback data of the campaigns feature's buttons (subscriptions, cells, campaigns).

Callback data is never trusted. Each factory validates its own argument against its action (a
kind, a unit code, a place id, a weekday; ids fit in 32 bits), so a forged or outdated press does
not parse and falls through to the fallback router's "this button has expired"; handlers still
re-check roles (router filters), states and ids. The packed formats are those of the string-coded
buttons they replace (``sb:k:school``, ``ce:qr:7:``, ``cp:pause:3``…): buttons already in chats
keep working. Prefixes stay short: Telegram allows 64 bytes.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from aiogram.filters.callback_data import CallbackData
from pydantic import Field, model_validator

from campaigns.models import CellKind, Target
from core.units import all_units

MAX_ID = 2**31 - 1


def is_kind(value: str) -> bool:
    return value in {kind.value for kind in CellKind}


def is_unit(value: str) -> bool:
    return value in {unit.code for unit in all_units()}


def is_cell(value: str) -> bool:
    return value.isascii() and value.isdigit() and 0 < int(value) <= MAX_ID


def is_subscription(value: str) -> bool:
    target, dot, _rest = value.partition(".")
    return bool(dot) and target in {t.value for t in Target}


def _require(ok: bool, what: str) -> None:
    if not ok:
        raise ValueError(f"not {what}")


class SubAction(StrEnum):
    """A resident's subscription button (the short codes are what Telegram stores)."""

    MENU = "menu"
    KIND = "k"  # value: a CellKind
    ALL = "all"
    UNITS = "units"  # the towns/streets to follow
    UNIT = "u"  # value: a unit code
    PLACES = "places"  # the towns/streets, to find a place in
    PLACES_OF_UNIT = "pu"  # value: a unit code
    CELL = "c"  # value: a place id
    LIST = "list"
    REMOVE = "rm"  # value: "target.value" of the subscription


class AudAction(StrEnum):
    """A button of the new campaign's audience step."""

    EVERYONE = "all"
    KIND = "k"  # value: a CellKind
    UNITS = "units"
    UNIT = "u"  # value: a unit code
    PLACES = "places"
    PLACES_OF_UNIT = "pu"  # value: a unit code
    CELL = "c"  # value: a place id
    BACK = "back"
    NEXT = "next"


# The picker's actions share their codes in both factories; each takes one kind of argument.
_ARGUMENT_CHECKS = {
    "k": (is_kind, "a kind"),
    "u": (is_unit, "a unit"),
    "pu": (is_unit, "a unit"),
    "c": (is_cell, "a place"),
    "rm": (is_subscription, "a subscription"),
}


class _PickerCb(CallbackData, prefix="_"):
    """Action ``action`` with its argument ``value`` (checked against the action); the fields are
    declared by each factory, in their packed order."""

    @model_validator(mode="after")
    def _check_value(self) -> Self:
        check = _ARGUMENT_CHECKS.get(self.action.value)  # type: ignore[attr-defined]
        if check is not None:
            _require(check[0](self.value), check[1])  # type: ignore[attr-defined]
        return self

    @property
    def cell_id(self) -> int:
        return int(self.value)  # type: ignore[attr-defined]


class SubCb(_PickerCb, prefix="sb"):
    """A resident's subscription button."""

    action: SubAction
    value: str = ""


class AudCb(_PickerCb, prefix="au"):
    """A button of the new campaign's audience step."""

    action: AudAction
    value: str = ""


class CellAction(StrEnum):
    """A staff button about places ("cells")."""

    PAGE = "page"  # id: the page
    NEW = "new"
    NEW_KIND = "nk"  # value: the new place's CellKind
    NEW_UNIT = "nu"  # value: the new place's unit code
    SKIP_ADDRESS = "skip"  # the new place has no address
    SHOW = "open"
    LINK = "link"
    QR = "qr"
    NAME = "name"
    ADDRESS = "addr"
    NO_ADDRESS = "noaddr"
    KIND = "kind"
    SET_KIND = "setkind"  # value: a CellKind
    UNIT = "unit"
    SET_UNIT = "setunit"  # value: a unit code
    RETIRE = "retire"
    RESTORE = "restore"


_CELL_ARGUMENTS = {
    CellAction.NEW_KIND: (is_kind, "a kind"),
    CellAction.SET_KIND: (is_kind, "a kind"),
    CellAction.NEW_UNIT: (is_unit, "a unit"),
    CellAction.SET_UNIT: (is_unit, "a unit"),
}


class CellCb(CallbackData, prefix="ce"):
    """Staff: ``action`` on place ``id`` (the page for PAGE), with its argument ``value``."""

    action: CellAction
    id: int = Field(default=0, ge=0, le=MAX_ID)
    value: str = ""

    @model_validator(mode="after")
    def _check_value(self) -> Self:
        if (check := _CELL_ARGUMENTS.get(self.action)) is not None:
            _require(check[0](self.value), check[1])
        return self


class TimeAction(StrEnum):
    """A button of the timing step (of a new campaign, or of an edited one)."""

    NOW = "now"
    AT = "at"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    WEEKDAY = "wd"  # day: 0 (Monday) to 6, toggled
    WEEKDAYS_DONE = "wdok"
    NO_END = "noend"


class TimeCb(CallbackData, prefix="tm"):
    action: TimeAction
    day: int | None = Field(default=None, ge=0, le=6)

    @model_validator(mode="after")
    def _check_day(self) -> Self:
        _require((self.day is not None) == (self.action is TimeAction.WEEKDAY), "a weekday")
        return self


class CampAction(StrEnum):
    """A staff button about campaigns: the draft's (id 0) and an existing campaign's."""

    SKIP_ENGLISH = "skipen"
    CONFIRM = "ok"
    DISCARD = "drop"
    LIST = "list"
    SHOW = "open"
    PAUSE = "pause"
    RESUME = "resume"
    EDIT = "edit"
    EDIT_ZH = "etext"
    EDIT_EN = "eten"
    EDIT_TIMING = "etime"
    REMOVE_EN = "noen"
    CANCEL = "cancel"  # asks to confirm
    CANCEL_CONFIRMED = "cancelok"
    BACK = "back"


class CampCb(CallbackData, prefix="cp"):
    action: CampAction
    id: int = Field(default=0, ge=0, le=MAX_ID)


class AnnAction(StrEnum):
    """A resident's button under an announcement."""

    UNSUBSCRIBE = "off"  # target/value: the subscription that brought it
    UNDO = "undo"  # target/value: the subscription to restore
    STOP_ALL = "stop"


_TARGET_CHECKS = {
    Target.KIND: (is_kind, "a kind"),
    Target.UNIT: (is_unit, "a unit"),
    Target.CELL: (is_cell, "a place"),
    Target.ALL: (lambda value: value == "", "empty"),
}


class AnnCb(CallbackData, prefix="an"):
    """Under an announcement: stop (or restore) the subscription ``target``/``value``, or all."""

    action: AnnAction
    target: Target = Target.ALL
    value: str = ""

    @model_validator(mode="after")
    def _check_value(self) -> Self:
        check = _TARGET_CHECKS[self.target]
        _require(check[0](self.value), check[1])
        return self
