"""Dumping reports as services over an ``AsyncSession``: create, route, state machine, queries,
reminders and drafts. Every service commits its own work and returns plain dataclasses.

State machine (``TRANSITIONS``)::

    submitted   -> accepted | rejected
    accepted    -> in_progress | resolved | rejected     (a quick clean-up may skip in_progress)
    in_progress -> resolved | rejected
    resolved    -> accepted      reopen: the unit already owns it, so it goes straight back to work
                                 (the reporter answering "not clean" to the follow-up does this)
    rejected    -> submitted     reopen: the rejection is revisited, the unit must accept it anew

Who may press what (unit handler of the report's unit, admin, the reporter for the follow-up) is
the caller's business (the bot checks roles); this module guards the state.

Concurrency: every change is a compare-and-set ``UPDATE reports SET ..., version = version + 1
WHERE id = :id AND version = :read_version AND status = :read_status``. When two handlers press at
once, exactly one UPDATE matches; the other gets ``Conflict(current_status, version)`` and nothing
is written for it. Buttons should carry the status they were drawn for (``expected_status``).
Bookkeeping that is not a state change (staff message ids, reminder stamps) does not bump
``version``, so it never invalidates a button.

The service is split by concern (``records``: the data and errors; ``reading``; ``creation``;
``changes``: the compare-and-set writer; ``reminders``; ``drafts``; ``unit_chats``); this module is
their public face: callers use ``reports.service`` only.

Notifications: every change writes, in its own transaction, the messages it owes people to the
outbox (``core/notifications.py``; kinds in ``Kind``): the unit's staff post of a new report, the
card refresh and a status message to the reporter and each follower (``Changed.notify``: minus the
actor), reminders. The bot's worker renders and sends them; nothing here talks to Telegram.
"""

from __future__ import annotations

from reports.changes import (
    add_comment,
    reassign,
    set_staff_message,
    staff_message,
    transition,
)
from reports.creation import (
    Quota,
    create_report,
    daily_quota,
)
from reports.drafts import (
    Draft,
    clear_draft,
    load_draft,
    photos_from_draft,
    save_draft,
    submit_draft,
)
from reports.queries import Stats, stats
from reports.reading import (
    FollowResult,
    Nearby,
    _read,
    event,
    events,
    follow,
    followers,
    get,
    infos_in_order,
    infos_of,
    list_by,
    my_reports,
    nearby_open_reports,
    parse_ref,
    unfollow,
)
from reports.records import (
    MAX_ADDRESS,
    MAX_COMMENT,
    MAX_DESCRIPTION,
    MAX_PHOTOS,
    MIN_PHOTOS,
    Changed,
    Conflict,
    Created,
    EventInfo,
    Kind,
    NewReport,
    NotAllowed,
    NotFound,
    Outcome,
    PhotoIn,
    PhotoInfo,
    ReportError,
    ReportErrorCode,
    ReportInfo,
    allowed_transitions,
)
from reports.reminders import (
    DueReminders,
    answer_followup,
    claim_due_reminders,
)
from reports.unit_chats import (
    bind_unit_chat,
    unbind_chat,
    unit_chat,
    units_of_chat,
)

__all__ = [
    "Changed",
    "Conflict",
    "Created",
    "Draft",
    "DueReminders",
    "EventInfo",
    "FollowResult",
    "Kind",
    "MAX_ADDRESS",
    "MAX_COMMENT",
    "MAX_DESCRIPTION",
    "MAX_PHOTOS",
    "MIN_PHOTOS",
    "Nearby",
    "NewReport",
    "NotAllowed",
    "NotFound",
    "Outcome",
    "PhotoIn",
    "PhotoInfo",
    "Quota",
    "ReportError",
    "ReportErrorCode",
    "ReportInfo",
    "Stats",
    "_read",
    "add_comment",
    "allowed_transitions",
    "answer_followup",
    "bind_unit_chat",
    "claim_due_reminders",
    "clear_draft",
    "create_report",
    "daily_quota",
    "event",
    "events",
    "follow",
    "followers",
    "get",
    "infos_in_order",
    "infos_of",
    "list_by",
    "load_draft",
    "my_reports",
    "nearby_open_reports",
    "parse_ref",
    "photos_from_draft",
    "reassign",
    "save_draft",
    "set_staff_message",
    "staff_message",
    "stats",
    "submit_draft",
    "transition",
    "unbind_chat",
    "unfollow",
    "unit_chat",
    "units_of_chat",
]
