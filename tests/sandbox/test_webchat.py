"""The web chat: its JSON API and live event stream, then the page itself in headless Chromium
(Playwright driving Debian's Chromium, tests/support/browser.py)."""

from __future__ import annotations

import asyncio
import json
import re

import aiohttp
import pytest
from playwright.async_api import expect

from sandbox.driver import make_image
from tests.support.browser import ARTIFACTS, open_page


async def test_page_is_self_contained(server):
    async with aiohttp.ClientSession() as http:
        async with http.get(server.webchat_url) as resp:
            html = await resp.text()
        async with http.get(f"{server.base_url}/webchat/static/app.js") as resp:
            js = await resp.text()
        async with http.get(f"{server.base_url}/webchat/static/style.css") as resp:
            css = await resp.text()
    for text in (html, js, css):
        # nothing is fetched from the internet: no CDN, fonts or tiles
        assert (
            "//cdn" not in text
            and "fonts.googleapis" not in text
            and "https://" not in text.replace("https://core.telegram.org", "")
        )
    assert "innerHTML" not in js  # bot HTML is rendered from entities into DOM nodes


async def test_webchat_api_and_events(sandbox):
    server = sandbox.server
    base = f"{server.base_url}/webchat/api"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/users", json={"first_name": "Web", "language_code": "en"}) as r:
            user = (await r.json())["user"]
        events = await http.get(f"{base}/events")
        await events.content.readline()  # "retry:" preamble

        async def next_event(kind: str) -> dict:
            while True:
                line = (await asyncio.wait_for(events.content.readline(), 5)).decode()
                if line.startswith("data: "):
                    event = json.loads(line[6:])
                    if event["event"] == kind:
                        return event

        async with http.post(f"{base}/send", json={"user_id": user["id"], "text": "/start"}) as r:
            assert (await r.json())["ok"]
        assert (await next_event("message"))["message"]["text"] == "/start"
        bot_msg = await next_event("message")
        assert bot_msg["from_bot"] and bot_msg["message"]["reply_markup"]["inline_keyboard"]

        async with http.post(
            f"{base}/callback",
            json={"user_id": user["id"], "message_id": bot_msg["message"]["message_id"], "data": "menu:alert"},
        ) as r:
            assert (await r.json())["ok"]
        answer = await next_event("callback_answer")
        assert answer["show_alert"] and answer["text"] == "This is an alert"
        async with http.post(f"{base}/groups", json={"title": "Empty", "member_ids": []}) as r:
            assert r.status == 400

        form = aiohttp.FormData()
        form.add_field("user_id", str(user["id"]))
        form.add_field("caption", "two bins")
        form.add_field("photo", make_image(), filename="a.jpg", content_type="image/jpeg")
        form.add_field("photo", make_image(color="red"), filename="b.jpg", content_type="image/jpeg")
        async with http.post(f"{base}/photos", data=form) as r:
            sent = (await r.json())["messages"]
        assert len(sent) == 2 and sent[0]["media_group_id"] == sent[1]["media_group_id"]
        async with http.get(f"{server.base_url}/webchat/files/{sent[0]['photo'][-1]['file_id']}") as r:
            assert r.status == 200 and r.content_type == "image/jpeg"

        async with http.post(
            f"{base}/location", json={"user_id": user["id"], "latitude": 31.76525, "longitude": 120.25188}
        ) as r:
            assert (await r.json())["message"]["location"]["latitude"] == pytest.approx(31.76525)
        async with http.post(f"{base}/send", json={"user_id": user["id"], "text": " "}) as r:
            assert r.status == 400 and "empty" in (await r.json())["error"]

        async with http.post(f"{base}/groups", json={"title": "Staff", "member_ids": [user["id"]]}) as r:
            group = (await r.json())["chat"]
        async with http.post(
            f"{base}/send", json={"user_id": user["id"], "chat_id": group["id"], "text": "in group"}
        ) as r:
            assert (await r.json())["ok"]
        async with http.post(f"{base}/block", json={"user_id": user["id"], "blocked": True}) as r:
            assert (await r.json())["ok"]
        async with http.post(f"{base}/send", json={"user_id": user["id"], "text": "hi"}) as r:
            assert r.status == 400
        async with http.get(f"{base}/state") as r:
            state = await r.json()
        assert any(u["id"] == user["id"] and u["blocked"] for u in state["users"])
        assert len(state["places"]) == 16 and "GeoNames" in state["places_attribution"]
        async with http.get(f"{base}/chats/{user['id']}/messages") as r:
            history = (await r.json())["messages"]
        assert any(m["from_bot"] for m in history) and any(not m["from_bot"] for m in history)
        events.close()


async def test_browser_inline_buttons_toast_photo_and_location(sandbox, tmp_path):
    alice = sandbox.user("Alice", lang="en")
    photo = tmp_path / "bin.jpg"
    photo.write_bytes(make_image(800, 600, text="bin"))
    async with open_page(width=420, height=820) as (page, errors):  # phone-sized
        await page.goto(f"{sandbox.server.webchat_url}?user={alice.id}")
        await page.wait_for_function("document.body.dataset.ready === '1'")
        bot_messages = page.get_by_test_id("bot-message")
        # markup typed by a person or echoed by the bot is shown as text, never interpreted
        markup = '<b>x</b><img src=x onerror="window.pwned=1">'
        await page.locator("#text").fill(markup)
        await page.locator("#text").press("Enter")
        await expect(bot_messages).to_have_count(1)
        await expect(bot_messages.locator(".body")).to_have_text(markup)
        assert await page.evaluate("!window.pwned && !document.querySelector('.msg img[src=x]')")
        await page.locator("#text").fill("/start")
        await page.locator("#text").press("Enter")
        buttons = page.get_by_test_id("inline-keyboard").locator("button")
        await expect(buttons).to_have_count(3)
        # HTML formatting arrives as entities and is rendered as elements, not markup
        await expect(bot_messages.last.locator(".body b")).to_have_text("Welcome")
        await buttons.filter(has_text="Alert me").click()
        await expect(page.locator("#alert-dialog")).to_have_js_property("open", True)
        await page.locator("#alert-dialog button").click()
        await buttons.filter(has_text="Report").click()
        await expect(page.locator(".toast")).to_have_text("Reporting…")
        await expect(bot_messages.locator(".body").filter(has_text=re.compile("^Send a photo"))).to_have_count(1)
        await page.locator("#photo-input").set_input_files(photo)
        await page.wait_for_function("document.querySelectorAll('[data-testid=photo]').length >= 2")
        await page.locator("#loc-btn").click()
        await page.locator("#place-list button").filter(has_text="南闸").click()
        await expect(bot_messages.filter(has_text="location 31.85529,120.24105")).to_have_count(1)
        # inline mode: "@bot query" shows the bot's results; choosing one sends it
        await page.locator("#text").fill("@wufei_sandbox_bot battery")
        await page.locator("#text").press("Enter")
        await page.locator("#inline-results div").filter(has_text="Bin for battery").first.click()
        await expect(bot_messages.filter(has_text="battery: recyclable")).to_have_count(1)
        await page.screenshot(path=ARTIFACTS / "sandbox-webchat-mobile.png")
        assert not errors, errors
    texts = [m.content for m in alice.messages()]
    assert any(t.startswith("photo 800x600") for t in texts)


async def test_group_creator_error_codes_and_inline_choice(sandbox):
    server = sandbox.server
    base = f"{server.base_url}/webchat/api"
    alice, bob = sandbox.user("Alice", lang="en"), sandbox.user("Bob", lang="en")
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/groups", json={"title": " ", "creator_id": alice.id}) as r:
            assert r.status == 400 and (await r.json())["code"] == "err_title_required"
        async with http.post(f"{base}/groups", json={"title": "Staff", "member_ids": []}) as r:
            assert r.status == 400 and (await r.json())["code"] == "err_no_members"
        # the creator is a member (and the owner) even when not ticked
        async with http.post(
            f"{base}/groups", json={"title": "Staff", "creator_id": alice.id, "member_ids": [bob.id]}
        ) as r:
            chat_id = (await r.json())["chat"]["id"]
        group = server.world.chats[chat_id]
        assert group.members == [alice.id, bob.id]
        assert server.world.chat_member(group, alice.id)["status"] == "creator"

        results = await alice.inline_query("glass")
        qid = next(q for q, v in server.world.inline_queries.items() if v["results"] is results)
        async with http.post(
            f"{base}/inline/choose", json={"user_id": bob.id, "inline_query_id": qid, "result_id": "1"}
        ) as r:
            assert r.status == 400  # not Bob's query
        async with http.post(
            f"{base}/inline/choose", json={"user_id": alice.id, "inline_query_id": qid, "result_id": "1"}
        ) as r:
            message = (await r.json())["message"]
    assert message["text"] == "glass: recyclable" and message["via_bot"]["id"] == server.world.bot["id"]
    assert message["entities"] == [{"type": "bold", "offset": 0, "length": 5}]


async def test_answer_inline_query_checks_the_results_html(server, bot):
    from aiogram.exceptions import TelegramBadRequest
    from aiogram.types import InlineQueryResultArticle, InputTextMessageContent

    user = server.create_user("Alice", language_code="en")
    qid = server.world.user_inline_query(user, "x")
    broken = InlineQueryResultArticle(
        id="1", title="x", input_message_content=InputTextMessageContent(message_text="<b>unclosed", parse_mode="HTML")
    )
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.answer_inline_query(qid, [broken])
