"""The web chat page in headless Chromium (tests/support/browser.py) against the echo bot:
following new messages without yanking a reader who scrolled up, one icon per keyboard button,
bot HTML and inline results (via_bot) shown formatted, and creating a staff group."""

from __future__ import annotations

import aiohttp
from playwright.async_api import Page, expect

from sandbox.driver import make_image
from tests.support.browser import ARTIFACTS, open_page

AT_BOTTOM = (
    "(() => { const b = document.querySelector('#messages');"
    " return b.scrollHeight - b.scrollTop - b.clientHeight < 2; })()"
)


async def open_chat(page: Page, url: str, user_id: int, lang: str = "en") -> None:
    await page.add_init_script(f"localStorage.setItem('wufei.lang', '{lang}')")
    await page.goto(f"{url}?user={user_id}")
    await page.wait_for_function("document.body.dataset.ready === '1'")


async def bot_call(http: aiohttp.ClientSession, server, method: str, **fields) -> dict:
    """The bot's side, over the sandbox's Bot API (as a notification would arrive)."""
    url = f"{server.base_url}/bot{server.token}/{method}"
    if "photo" in fields:
        form = aiohttp.FormData()
        for key, value in fields.items():
            if key == "photo":
                form.add_field(key, value, filename="p.jpg", content_type="image/jpeg")
            else:
                form.add_field(key, str(value))
        request = http.post(url, data=form)
    else:
        request = http.post(url, json=fields)
    async with request as resp:
        body = await resp.json()
    assert body["ok"], body
    return body["result"]


async def test_new_messages_follow_the_reader_unless_they_scrolled_up(sandbox):
    server = sandbox.server
    alice = sandbox.user("Alice", lang="en", started=True)
    async with aiohttp.ClientSession() as http, open_page(width=420, height=700) as (page, errors):
        await open_chat(page, server.webchat_url, alice.id)
        bot_messages = page.get_by_test_id("bot-message")
        pill = page.get_by_test_id("new-messages")
        for i in range(30):
            await bot_call(http, server, "sendMessage", chat_id=alice.id, text=f"notice {i}")
        await expect(bot_messages).to_have_count(30)
        await expect(bot_messages.last).to_be_in_viewport()

        # The reader scrolls up to read: a new message does not move the list, a pill says so.
        await page.get_by_test_id("messages").hover()
        await page.mouse.wheel(0, -5000)
        await page.wait_for_function("document.querySelector('#messages').scrollTop === 0")
        await bot_call(http, server, "sendMessage", chat_id=alice.id, text="while you read")
        await expect(bot_messages).to_have_count(31)
        await expect(pill).to_be_visible()
        await expect(bot_messages.last).not_to_be_in_viewport()
        assert await page.evaluate("document.querySelector('#messages').scrollTop") == 0
        await page.screenshot(path=ARTIFACTS / "webchat-new-messages-pill.png")
        await pill.click()
        await expect(bot_messages.last).to_be_in_viewport()
        await expect(pill).to_be_hidden()

        # At the bottom again: a message taller than the screen's slack, and a photo that loads
        # after it is placed, both end in view.
        tall = "\n".join(f"line {i}" for i in range(25))
        await bot_call(http, server, "sendMessage", chat_id=alice.id, text=tall)
        await expect(bot_messages).to_have_count(32)
        await page.wait_for_function(AT_BOTTOM)
        await bot_call(
            http, server, "sendPhoto", chat_id=alice.id, caption="the bin", photo=make_image(600, 900, text="bin")
        )
        await expect(bot_messages).to_have_count(33)
        await page.wait_for_function("document.querySelector('[data-testid=photo]')?.complete")
        await page.wait_for_function(AT_BOTTOM)
        await expect(pill).to_be_hidden()
        assert not errors, errors


async def test_one_icon_per_button_html_and_inline_results_via_bot(sandbox):
    alice = sandbox.user("Alice", lang="en")
    async with open_page(width=420, height=820) as (page, errors):
        await open_chat(page, sandbox.server.webchat_url, alice.id)
        composer = page.get_by_test_id("composer-input")
        await composer.fill("/where")
        await composer.press("Enter")
        reply_buttons = page.get_by_test_id("reply-keyboard").locator("button")
        # the bot's label already has its pin: the page adds none (one pin, not two)
        await expect(reply_buttons.first).to_have_text("📍 Send my location")
        await expect(reply_buttons.nth(1)).to_have_text("👤 Share contact")  # no icon: one added

        await composer.fill("/start")
        await composer.press("Enter")
        bot_messages = page.get_by_test_id("bot-message")
        await expect(bot_messages.last.locator(".body b")).to_have_text("Welcome")
        await expect(bot_messages.last.locator(".body")).to_have_text("Welcome to the echo bot")

        # Inline mode: the chosen result is sent by Alice via the bot, formatted as the bot asked.
        await composer.fill("@wufei_sandbox_bot battery")
        await composer.press("Enter")
        await page.get_by_test_id("inline-result").filter(has_text="Bin for battery").click()
        sent = page.get_by_test_id("user-message").filter(has_text="recyclable")
        await expect(sent.locator(".body")).to_have_text("battery: recyclable")
        await expect(sent.locator(".body b")).to_have_text("battery")
        await expect(sent.locator(".forwarded")).to_have_text("via @wufei_sandbox_bot")
        await expect(bot_messages.filter(has_text="battery: recyclable")).to_have_count(1)  # echoed
        await page.screenshot(path=ARTIFACTS / "webchat-inline-via-bot.png")
        assert not errors, errors
    via = [m.data for m in sandbox.world.history(alice.id) if "via_bot" in m.data]
    assert len(via) == 1 and via[0]["via_bot"]["id"] == sandbox.world.bot["id"]
    assert via[0]["entities"] == [{"type": "bold", "offset": 0, "length": 7}]


async def test_creating_a_group_keeps_its_creator_and_speaks_the_page_language(sandbox):
    alice = sandbox.user("Alice", lang="zh")
    bob = sandbox.user("Bob", lang="zh")
    async with open_page() as (page, errors):
        await open_chat(page, sandbox.server.webchat_url, alice.id, lang="zh")
        await page.locator("#new-group-box summary").click()
        owner = page.get_by_test_id("group-owner")
        await expect(owner).to_contain_text("Alice")
        await expect(owner.locator("input")).to_be_checked()
        await expect(owner.locator("input")).to_be_disabled()  # cannot be unticked
        members = page.get_by_test_id("group-members")
        await members.locator("label", has_text="Bob").locator("input").check()
        # someone joins the sandbox meanwhile: the form is redrawn, Bob's tick stays
        sandbox.user("Carol", lang="zh")
        await expect(members.locator("label", has_text="Carol")).to_be_visible()
        await expect(members.locator("label", has_text="Bob").locator("input")).to_be_checked()

        create = page.locator("#new-group button[type=submit]")
        error = page.get_by_test_id("group-error")
        await create.click()
        await expect(error).to_have_text("请填写群名称")
        await page.locator("#lang-toggle").click()
        await create.click()
        await expect(error).to_have_text("Please give the group a title")
        await page.screenshot(path=ARTIFACTS / "webchat-new-group-form.png")

        await page.get_by_test_id("group-title").fill("Staff")
        await create.click()
        await expect(page.locator("#chat-name")).to_have_text("👥 Staff")
        await expect(error).to_be_hidden()
        assert not errors, errors
    group = next(c for c in sandbox.world.chats.values() if c.title == "Staff")
    assert group.members == [alice.id, bob.id]
    assert sandbox.world.chat_member(group, alice.id)["status"] == "creator"


async def test_a_start_link_to_the_bot_opens_its_chat_with_the_payload(sandbox):
    """A t.me/<bot>?start=… link (a waste-free cell's invitation, say) in a message or on a button
    sends /start with its payload in the bot's private chat, as Telegram does."""
    server = sandbox.server
    alice = sandbox.user("Alice", lang="en", started=True)
    link = f"https://t.me/{server.world.bot['username']}?start="
    async with aiohttp.ClientSession() as http, open_page(width=420, height=700) as (page, errors):
        await open_chat(page, server.webchat_url, alice.id)
        await bot_call(
            http,
            server,
            "sendMessage",
            chat_id=alice.id,
            text=f'Join <a href="{link}cell-7">the school</a>',
            parse_mode="HTML",
            reply_markup={"inline_keyboard": [[{"text": "Open the market", "url": f"{link}cell-8"}]]},
        )
        bot_messages = page.get_by_test_id("bot-message")
        await page.locator("[data-start='cell-7']").click()
        await expect(bot_messages.last).to_contain_text("started with cell-7")
        button = page.locator("[data-start='cell-8']")
        await expect(button).to_have_text("Open the market")  # no "opens elsewhere" arrow
        await button.click()
        await expect(bot_messages.last).to_contain_text("started with cell-8")
        assert not errors, errors
