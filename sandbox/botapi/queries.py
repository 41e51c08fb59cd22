"""Bot API: answering callback queries (inline buttons) and inline queries."""

from __future__ import annotations

import time
from typing import Any

from ..formatting import EntityParseError, parse_text, utf16_len
from .core import MAX_TEXT, BotApi, method
from .params import Params, bad

CALLBACK_TTL = 15 * 60


@method("answerCallbackQuery")
async def answer_callback_query(api: BotApi, p: Params) -> Any:
    qid = p.str("callback_query_id", True)
    cb = api.world.callbacks.get(qid or "")
    if cb is None or cb.answered or time.monotonic() - cb.created > CALLBACK_TTL:
        raise bad("query is too old and response timeout expired or query ID is invalid")
    text = p.str("text") or ""
    if len(text) > 200:
        raise bad("MESSAGE_TOO_LONG")
    cb.answered = True
    api.world.emit(
        {
            "event": "callback_answer",
            "callback_query_id": qid,
            "user_id": cb.user_id,
            "chat_id": cb.chat_id,
            "message_id": cb.message_id,
            "text": text,
            "show_alert": p.bool("show_alert"),
            "url": p.str("url"),
        }
    )
    return True


@method("answerInlineQuery")
async def answer_inline_query(api: BotApi, p: Params) -> Any:
    qid = p.str("inline_query_id", True)
    q = api.world.inline_queries.get(qid or "")
    if q is None or q["results"] is not None:
        raise bad("query is too old and response timeout expired or query ID is invalid")
    results = p.json("results")
    if not isinstance(results, list) or len(results) > 50:
        raise bad("RESULTS_TOO_MUCH" if isinstance(results, list) else "results is empty")
    q["messages"] = {str(r.get("id")): _result_message(r) for r in results if isinstance(r, dict)}
    q["results"] = results
    api.world.emit({"event": "inline_results", "inline_query_id": qid, "user_id": q["user_id"], "results": results})
    return True


def _result_message(result: dict[str, Any]) -> dict[str, Any] | None:
    """The message a user sends by picking this result, as Telegram builds it (text parsed with
    the result's parse_mode, its inline keyboard); None for content the sandbox does not model."""
    content = result.get("input_message_content")
    if not isinstance(content, dict):
        return None
    out: dict[str, Any] = {}
    if "message_text" in content:
        try:
            text, entities = parse_text(
                str(content["message_text"]), content.get("parse_mode"), content.get("entities")
            )
        except EntityParseError as exc:
            raise bad(str(exc)) from None
        if not text.strip() or utf16_len(text) > MAX_TEXT:
            raise bad("MESSAGE_EMPTY" if not text.strip() else "MESSAGE_TOO_LONG")
        out["text"] = text
        if entities:
            out["entities"] = entities
    elif "latitude" in content and "longitude" in content:
        loc = {"latitude": float(content["latitude"]), "longitude": float(content["longitude"])}
        out["location"] = loc
        if content.get("title"):
            out["venue"] = {"location": loc, "title": content["title"], "address": content.get("address") or ""}
    else:
        return None
    markup = result.get("reply_markup")
    if isinstance(markup, dict) and markup.get("inline_keyboard"):
        out["reply_markup"] = markup
    return out
