/* Wufei sandbox web chat: drawing messages (text + Bot API entities, media, places, buttons),
   the message list and its scrolling, the reply keyboard. Uses S, $, el, t from app.js/i18n.js. */
"use strict";

/* ---------------------------------------------------------------- rendering */
// Build DOM from text + Bot API entities (UTF-16 offsets, like JS strings); never parses HTML.
function renderEntities(text, entities) {
  const frag = document.createDocumentFragment();
  if (!text) return frag;
  const ents = (entities || []).slice().sort((a, b) => a.offset - b.offset || b.length - a.length);
  function build(start, end, list, parent) {
    let pos = start;
    let i = 0;
    while (i < list.length) {
      const e = list[i];
      if (e.offset > pos) parent.append(text.slice(pos, e.offset));
      const eEnd = Math.min(e.offset + e.length, end);
      const inner = [];
      let j = i + 1;
      while (j < list.length && list[j].offset < eEnd) { inner.push(list[j]); j++; }
      const node = entityNode(e, text.slice(e.offset, eEnd));
      build(e.offset, eEnd, inner.filter((x) => x.offset + x.length <= eEnd), node);
      parent.append(node);
      pos = Math.max(pos, eEnd);
      i = j;
    }
    if (pos < end) parent.append(text.slice(pos, end));
  }
  build(0, text.length, ents, frag);
  return frag;
}

function entityNode(e, raw) {
  const safeUrl = (u) => (/^(https?:|tg:|mailto:)/i.test(u || "") ? u : null);
  switch (e.type) {
    case "bold": return el("b");
    case "italic": return el("i");
    case "underline": return el("u");
    case "strikethrough": return el("s");
    case "code": return el("code");
    case "pre": return el("pre");
    case "blockquote": case "expandable_blockquote": return el("blockquote");
    case "spoiler": { const s = el("span", { class: "spoiler" }); s.onclick = () => s.classList.add("shown"); return s; }
    case "text_link": return linkTo(e.url);
    case "url": return linkTo(raw);
    case "bot_command": {
      const a = el("a", { href: "#" });
      a.onclick = (ev) => { ev.preventDefault(); sendText(raw); };
      return a;
    }
    default: return el("span");
  }
}

/* A t.me link to this bot with a start payload opens the bot's private chat and sends
   "/start <payload>", as Telegram does; any other link opens in a new tab. */
function startPayload(url) {
  const m = /^https?:\/\/t\.me\/([A-Za-z0-9_]+)\?start=([A-Za-z0-9_-]{1,64})$/.exec(url || "");
  return m && m[1].toLowerCase() === S.state.bot.username.toLowerCase() ? m[2] : null;
}

function linkTo(url, attrs = {}) {
  const payload = startPayload(url);
  const safe = /^(https?:|tg:|mailto:)/i.test(url || "") ? url : "#";
  if (payload === null) return el("a", { href: safe, target: "_blank", rel: "noopener noreferrer", ...attrs });
  const a = el("a", { href: url, "data-start": payload, ...attrs });
  a.onclick = (ev) => { ev.preventDefault(); startWith(payload); };
  return a;
}

const fileUrl = (fileId) => `/webchat/files/${encodeURIComponent(fileId)}`;
const bestPhoto = (sizes) => sizes[sizes.length - 1];

function nearestPlace(lat, lon) {
  let best = null, bestD = Infinity;
  for (const p of S.state.places) {
    const dLat = (p.latitude - lat) * Math.PI / 180, dLon = (p.longitude - lon) * Math.PI / 180;
    const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat * Math.PI / 180) * Math.cos(p.latitude * Math.PI / 180) * Math.sin(dLon / 2) ** 2;
    const d = 2 * 6371 * Math.asin(Math.sqrt(a));
    if (d < bestD) { bestD = d; best = p; }
  }
  return best ? `${t("near")} ${best.name} ${best.name_en} (${bestD.toFixed(1)} km)` : "";
}

function lightbox(src) {
  const box = el("div", { class: "lightbox", onclick: () => box.remove() }, el("img", { src }));
  document.body.append(box);
}

function messageNode(m, fromBot) {
  const mine = !fromBot;
  const node = el("div", {
    class: "msg " + (fromBot ? "bot" : "me"), "data-message-id": m.message_id,
    "data-testid": fromBot ? "bot-message" : "user-message",
  });
  if (m.new_chat_members) {
    return el("div", { class: "service", "data-message-id": m.message_id,
      text: `${m.new_chat_members.map((u) => u.first_name).join(", ")} ${t("joined")}` });
  }
  if (isGroup() || (mine && m.from && m.from.id !== S.userId)) {
    node.append(el("div", { class: "sender", style: fromBot ? "" : `color:${colorFor(m.from.id)}`,
      text: fromBot ? `🤖 ${S.state.bot.first_name}` : m.from.first_name }));
  }
  if (m.via_bot) node.append(el("div", { class: "forwarded", text: `via @${m.via_bot.username}` }));
  if (m.forward_origin) {
    const o = m.forward_origin.sender_user || {};
    node.append(el("div", { class: "forwarded", text: `↪ ${t("forwarded")} ${o.first_name || ""}` }));
  }
  if (m.reply_to_message) {
    const r = m.reply_to_message;
    node.append(el("div", { class: "quote", text: r.text || r.caption || (r.photo ? "📷" : r.location ? "📍" : "…") }));
  }
  if (m.photo && m.media_group_id) {
    node.dataset.mediaGroup = m.media_group_id;
    const src = fileUrl(bestPhoto(m.photo).file_id);
    node.append(el("div", { class: "album" }, el("img", { src, alt: "photo", onload: keepPinned, onclick: () => lightbox(src) })));
  } else if (m.photo) {
    const src = fileUrl(bestPhoto(m.photo).file_id);
    node.append(el("img", { class: "photo", src, alt: "photo", "data-testid": "photo", onload: keepPinned, onclick: () => lightbox(src) }));
  }
  if (m.document) {
    const d = m.document;
    const isImg = (d.mime_type || "").startsWith("image/");
    node.append(el("a", { class: "doc", href: fileUrl(d.file_id), target: "_blank", download: d.file_name || true },
      isImg ? el("img", { src: fileUrl(d.file_id), alt: d.file_name, onload: keepPinned }) : el("div", { class: "doc-icon", text: "📄" }),
      el("div", {}, el("div", { text: d.file_name || "file" }),
        el("div", { class: "muted", text: `${((d.file_size || 0) / 1024).toFixed(1)} KB · ${d.mime_type || ""}` }))));
  }
  if (m.location) {
    const { latitude: la, longitude: lo } = m.location;
    const v = m.venue;
    node.append(el("div", { class: "loc" }, el("div", { class: "pin", text: "📍" }),
      el("div", {}, el("div", { text: v ? v.title : t("location") }),
        el("div", { class: "muted", text: v && v.address ? v.address : "" }),
        el("div", { class: "muted", text: `${la.toFixed(5)}, ${lo.toFixed(5)}` }),
        el("div", { class: "muted", text: nearestPlace(la, lo) }))));
  }
  if (m.contact) {
    node.append(el("div", { class: "contact" }, el("span", { text: "👤" }),
      el("div", {}, el("div", { text: m.contact.first_name }), el("div", { class: "muted", text: m.contact.phone_number }))));
  }
  const text = m.text ?? m.caption;
  if (text) {
    const body = el("div", { class: "body" });
    body.append(renderEntities(text, m.entities || m.caption_entities));
    node.append(body);
  }
  const kb = m.reply_markup && m.reply_markup.inline_keyboard;
  if (fromBot && kb && kb.length) node.append(inlineKeyboard(m, kb));
  const time = new Date(m.date * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  node.append(el("div", { class: "meta", text: (m.edit_date ? t("edited") + " · " : "") + time }));
  return node;
}

function inlineKeyboard(m, rows) {
  return el("div", { class: "inline-kb", "data-testid": "inline-keyboard" }, rows.map((row) => el("div", { class: "row" },
    row.map((b) => {
      if (b.url) return linkTo(b.url, { text: b.text + (startPayload(b.url) === null ? " ↗" : "") });
      return el("button", {
        type: "button", text: b.text, "data-callback": b.callback_data || "",
        onclick: (ev) => pressInline(m, b, ev.currentTarget),
      });
    }))));
}

function addMessage(m, fromBot, live = true) {
  if (m.chat.id !== S.chatId) return;
  $("#empty")?.remove();
  S.messages.set(m.message_id, { message: m, from_bot: fromBot });
  const node = messageNode(m, fromBot);
  const box = $("#messages");
  const last = box.lastElementChild;
  // Albums: consecutive photos sharing a media_group_id go into one bubble.
  if (m.media_group_id && m.photo && last && last.dataset.mediaGroup === m.media_group_id) {
    last.querySelector(".album").append(...node.querySelector(".album").children);
    const body = node.querySelector(".body");
    if (body) last.insertBefore(body, last.querySelector(".meta"));
    last.dataset.messageIds = (last.dataset.messageIds || last.dataset.messageId) + "," + m.message_id;
  } else {
    box.append(node);
  }
  if (!live) return;
  // What I send myself always brings me down; others' messages only while I follow the list.
  const mine = !fromBot && m.from && m.from.id === speaker();
  if (!mine && !S.stick) $("#new-pill").hidden = false;
  scrollDown(mine);
}

function replaceMessage(m) {
  const entry = S.messages.get(m.message_id);
  if (!entry || m.chat.id !== S.chatId) return;
  entry.message = m;
  const old = document.querySelector(`#messages [data-message-id="${m.message_id}"]`);
  if (old && !old.dataset.mediaGroup) old.replaceWith(messageNode(m, entry.from_bot));
}

function removeMessage(chatId, messageId) {
  if (chatId !== S.chatId) return;
  S.messages.delete(messageId);
  document.querySelector(`#messages [data-message-id="${messageId}"]`)?.remove();
}

/* Scrolling: the list follows new messages while the reader is at the bottom. Whether they are is
   decided when they scroll (before a message arrives, not after it has made the list taller);
   once they scroll up on purpose the list stays put and a "new messages ↓" pill shows the way down. */
const NEAR_BOTTOM_PX = 48;

function onMessagesScroll() {
  const box = $("#messages");
  // A scroll event for where we put the list ourselves is not the reader's: by the time it is
  // dispatched a photo may have made the list taller, which must not read as "scrolled up".
  const near = box.scrollHeight - box.scrollTop - box.clientHeight <= NEAR_BOTTOM_PX;
  const ours = S.pinnedAt !== null && Math.abs(box.scrollTop - S.pinnedAt) < 2;
  S.pinnedAt = null;  // one event per scroll of ours
  if (!near && ours) return;
  S.stick = near;
  if (S.stick) $("#new-pill").hidden = true;
}

function scrollDown(force) {
  if (force) S.stick = true;
  if (!S.stick) return;
  pin($("#messages"));
  $("#new-pill").hidden = true;
}

function pin(box) {
  box.scrollTop = box.scrollHeight;
  S.pinnedAt = box.scrollTop;
}

// Photos load after their message is placed, and the list's box changes size (keyboards, panels).
function keepPinned() {
  if (S.stick) pin($("#messages"));
}

function setReplyKeyboard(kb) {
  S.replyKb = kb;
  const box = $("#reply-kb");
  if (!kb || !kb.keyboard || !kb.keyboard.length) { box.hidden = true; box.replaceChildren(); return; }
  box.hidden = false;
  box.replaceChildren(...kb.keyboard.map((row) => el("div", { class: "row" }, row.map((b) => {
    const btn = typeof b === "string" ? { text: b } : b;
    // One icon: the bot's label may already start with one (e.g. "📍 Send my current location").
    const labelled = /^\p{Extended_Pictographic}/u.test(btn.text || "");
    const icon = labelled ? "" : btn.request_location ? "📍 " : btn.request_contact ? "👤 " : "";
    return el("button", { type: "button", text: icon + btn.text, onclick: () => pressReply(btn) });
  }))));
  if (kb.input_field_placeholder) $("#text").placeholder = kb.input_field_placeholder;
}
