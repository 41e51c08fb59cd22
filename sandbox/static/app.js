/* Wufei sandbox web chat. Plain JS, no build step, no external resources. */
"use strict";

const I18N = {
  zh: {
    sandbox_note: "本地沙盒 · 不连接 Telegram", residents: "居民与工作人员", staff_groups: "工作群",
    new_user_name: "新用户名字", add: "添加", new_group: "＋ 新建工作群", group_title: "群名称",
    create: "创建", offline_note: "所有数据仅在本机，不访问互联网。", speak_as: "发言人",
    block: "屏蔽机器人", unblock: "取消屏蔽", blocked: "已屏蔽机器人", empty: "发送 /start 开始与无废对话。",
    share_location: "发送位置", send: "发送", message: "输入消息…", private_chat: "私聊 · 无废机器人",
    members: "成员", typing: "正在输入…", edited: "已编辑", you: "你", bot: "机器人",
    pick_user: "请先在左侧选择或添加一个用户", forwarded: "转发自", location: "位置", near: "靠近",
    contact: "联系人", not_member: "不是该群成员", uploading: "正在上传…", commands: "命令",
    joined: "加入了群", inline_hint: "输入 @机器人 查询…", no_results: "没有结果", add_member: "＋ 添加成员",
  },
  en: {
    sandbox_note: "Local sandbox · no Telegram", residents: "Residents & staff", staff_groups: "Staff groups",
    new_user_name: "New user's name", add: "Add", new_group: "＋ New staff group", group_title: "Group title",
    create: "Create", offline_note: "Everything stays on this machine; nothing is fetched from the internet.",
    speak_as: "Speak as", block: "Block bot", unblock: "Unblock", blocked: "Bot blocked",
    empty: "Send /start to begin talking with Wufei.", share_location: "Share location", send: "Send",
    message: "Message…", private_chat: "Private chat · Wufei bot", members: "members", typing: "typing…",
    edited: "edited", you: "You", bot: "bot", pick_user: "Pick or add a user on the left first",
    forwarded: "Forwarded from", location: "Location", near: "near", contact: "Contact",
    not_member: "not a member of this group", uploading: "Uploading…", commands: "Commands",
    joined: "joined the group", inline_hint: "Type @bot query…", no_results: "No results", add_member: "＋ Add member",
  },
};
let lang = localStorage.getItem("wufei.lang") || ((navigator.language || "zh").startsWith("zh") ? "zh" : "en");
const t = (k) => (I18N[lang] && I18N[lang][k]) || I18N.en[k] || k;

const S = {
  state: null,          // /webchat/api/state
  userId: null,         // who I am (private chat = this user)
  chatId: null,         // current chat id (user id for private, negative for groups)
  asUser: null,         // in a group: which member speaks
  messages: new Map(),  // message_id -> {message, from_bot}
  replyKb: null,
  typingTimer: null,
};
const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, ...kids) => {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") n.className = v;
    else if (k.startsWith("on")) n.addEventListener(k.slice(2), v);
    else if (k === "text") n.textContent = v;
    else n.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat()) if (kid !== null && kid !== undefined) n.append(kid);
  return n;
};

async function api(path, body, isForm = false) {
  const opts = body === undefined ? {} : {
    method: "POST",
    body: isForm ? body : JSON.stringify(body),
    headers: isForm ? {} : { "Content-Type": "application/json" },
  };
  const resp = await fetch("/webchat/api/" + path, opts);
  let data = {};
  try { data = await resp.json(); } catch (e) { data = { ok: false, error: resp.statusText }; }
  if (!resp.ok || data.ok === false) {
    toast(data.error || resp.statusText, true);
    throw new Error(data.error || resp.statusText);
  }
  return data;
}

function toast(text, isError = false) {
  const n = el("div", { class: "toast" + (isError ? " error" : ""), text });
  $("#toasts").append(n);
  setTimeout(() => n.remove(), 3200);
}

/* ---------------------------------------------------------------- i18n */
function applyI18n() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-i18n]").forEach((n) => { n.textContent = t(n.dataset.i18n); });
  document.querySelectorAll("[data-i18n-placeholder]").forEach((n) => { n.placeholder = t(n.dataset.i18nPlaceholder); });
  $("#lang-toggle").textContent = lang === "zh" ? "EN" : "中文";
  $("#new-user-lang").value = lang;
}

/* ---------------------------------------------------------------- state */
const COLORS = ["#3a7d44", "#2f6f9f", "#9b5de5", "#d1495b", "#e07a1f", "#00798c", "#6a994e", "#bc4749"];
const colorFor = (id) => COLORS[Math.abs(Number(id)) % COLORS.length];
const initials = (name) => (name || "?").trim().slice(0, 1).toUpperCase();
const userById = (id) => S.state.users.find((u) => u.id === Number(id));
const groupById = (id) => S.state.groups.find((g) => g.id === Number(id));
const isGroup = () => S.chatId !== null && S.chatId < 0;

async function loadState() {
  S.state = await api("state");
  $("#attribution").textContent = S.state.places_attribution;
  if (S.userId === null || !userById(S.userId)) {
    const saved = Number(localStorage.getItem("wufei.user"));
    const first = userById(saved) || S.state.users[0];
    if (first) { S.userId = first.id; if (S.chatId === null) S.chatId = first.id; }
  }
  if (S.chatId !== null && S.chatId < 0 && !groupById(S.chatId)) S.chatId = S.userId;
  renderSidebar();
  renderHeader();
}

function renderSidebar() {
  const ul = $("#user-list");
  ul.replaceChildren(...S.state.users.map((u) => el("li", {
    class: u.id === S.chatId ? "active" : "", "data-user-id": u.id, "data-testid": "user-item",
    onclick: () => openChat(u.id, u.id),
  }, el("div", { class: "avatar", style: `background:${colorFor(u.id)}`, text: initials(u.first_name) }),
     el("div", { class: "who" }, el("div", { text: u.full_name }),
        el("div", { class: "muted", text: `${u.language_code || ""} · ${u.username ? "@" + u.username + " · " : ""}id ${u.id}` })),
     u.blocked ? el("span", { class: "badge", text: "⛔" }) : null)));
  const gl = $("#group-list");
  gl.replaceChildren(...S.state.groups.filter((g) => g.bot_is_member).map((g) => el("li", {
    class: g.id === S.chatId ? "active" : "", "data-chat-id": g.id, "data-testid": "group-item",
    onclick: () => openChat(g.members.includes(S.userId) ? S.userId : g.members[0], g.id),
  }, el("div", { class: "avatar", style: `background:${colorFor(g.id)}`, text: "👥" }),
     el("div", { class: "who" }, el("div", { text: g.title }),
        el("div", { class: "muted", text: `${g.members.length} ${t("members")}` })))));
  $("#new-group-members").replaceChildren(...S.state.users.map((u) => el("label", {},
    el("input", { type: "checkbox", value: u.id, checked: u.id === S.userId }), " " + u.full_name)));
}

function renderHeader() {
  const chat = $("#chat");
  chat.classList.toggle("is-group", isGroup());
  const me = userById(S.userId);
  if (isGroup()) {
    const g = groupById(S.chatId);
    $("#chat-name").textContent = "👥 " + g.title;
    $("#chat-sub").textContent = g.members.map((id) => (userById(id) || {}).first_name).join(", ") + " + 🤖";
    const sel = $("#as-user");
    sel.replaceChildren(...g.members.map((id) => el("option", { value: id, text: (userById(id) || {}).full_name })));
    if (!g.members.includes(S.asUser)) S.asUser = g.members.includes(S.userId) ? S.userId : g.members[0];
    sel.value = S.asUser;
    const others = S.state.users.filter((u) => !g.members.includes(u.id));
    $("#add-member").hidden = !others.length;
    $("#add-member").replaceChildren(el("option", { value: "", text: t("add_member") }),
      ...others.map((u) => el("option", { value: u.id, text: u.full_name })));
  } else if (me) {
    $("#chat-name").textContent = `${me.full_name} ⇄ ${S.state.bot.first_name}`;
    $("#chat-sub").textContent = t("private_chat") + ` · @${S.state.bot.username}`;
    $("#block-btn").textContent = me.blocked ? t("unblock") : t("block");
  } else {
    $("#chat-name").textContent = t("pick_user");
    $("#chat-sub").textContent = "";
  }
  const disabled = !me || (!isGroup() && me.blocked);
  $("#composer").classList.toggle("disabled", disabled);
  $("#text").placeholder = me && me.blocked && !isGroup() ? t("blocked") : t("message");
}

function speaker() { return isGroup() ? Number(S.asUser) : S.userId; }

async function openChat(userId, chatId) {
  S.userId = userId; S.chatId = chatId; S.asUser = userId;
  localStorage.setItem("wufei.user", userId);
  $("#sidebar").classList.remove("open");
  $("#location-panel").hidden = true;
  $("#inline-results").hidden = true;
  renderSidebar(); renderHeader();
  await loadHistory();
  $("#text").focus();
}

async function loadHistory() {
  S.messages.clear();
  $("#messages").replaceChildren(el("div", { id: "empty", class: "empty", text: t("empty") }));
  if (S.chatId === null) return;
  const data = await api(`chats/${S.chatId}/messages`);
  for (const item of data.messages) addMessage(item.message, item.from_bot, false);
  setReplyKeyboard(data.reply_keyboard);
  scrollDown(true);
}

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
    case "text_link": return el("a", { href: safeUrl(e.url) || "#", target: "_blank", rel: "noopener noreferrer" });
    case "url": return el("a", { href: safeUrl(raw) || "#", target: "_blank", rel: "noopener noreferrer" });
    case "bot_command": {
      const a = el("a", { href: "#" });
      a.onclick = (ev) => { ev.preventDefault(); sendText(raw); };
      return a;
    }
    default: return el("span");
  }
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
    node.append(el("div", { class: "album" }, el("img", { src, alt: "photo", loading: "lazy", onclick: () => lightbox(src) })));
  } else if (m.photo) {
    const src = fileUrl(bestPhoto(m.photo).file_id);
    node.append(el("img", { class: "photo", src, alt: "photo", "data-testid": "photo", onclick: () => lightbox(src) }));
  }
  if (m.document) {
    const d = m.document;
    const isImg = (d.mime_type || "").startsWith("image/");
    node.append(el("a", { class: "doc", href: fileUrl(d.file_id), target: "_blank", download: d.file_name || true },
      isImg ? el("img", { src: fileUrl(d.file_id), alt: d.file_name }) : el("div", { class: "doc-icon", text: "📄" }),
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
      if (b.url) return el("a", { href: /^https?:/i.test(b.url) ? b.url : "#", target: "_blank", rel: "noopener noreferrer", text: b.text + " ↗" });
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
  if (live) scrollDown(!fromBot);
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

function scrollDown(force) {
  const box = $("#messages");
  if (force || box.scrollHeight - box.scrollTop - box.clientHeight < 160) {
    requestAnimationFrame(() => { box.scrollTop = box.scrollHeight; });
  }
}

function setReplyKeyboard(kb) {
  S.replyKb = kb;
  const box = $("#reply-kb");
  if (!kb || !kb.keyboard || !kb.keyboard.length) { box.hidden = true; box.replaceChildren(); return; }
  box.hidden = false;
  box.replaceChildren(...kb.keyboard.map((row) => el("div", { class: "row" }, row.map((b) => {
    const btn = typeof b === "string" ? { text: b } : b;
    const icon = btn.request_location ? "📍 " : btn.request_contact ? "👤 " : "";
    return el("button", { type: "button", text: icon + btn.text, onclick: () => pressReply(btn) });
  }))));
  if (kb.input_field_placeholder) $("#text").placeholder = kb.input_field_placeholder;
}

/* ---------------------------------------------------------------- actions */
function target() { return { user_id: speaker(), chat_id: S.chatId }; }

async function sendText(text) {
  text = (text || "").trim();
  if (!text || S.userId === null) return;
  const botTag = "@" + S.state.bot.username;
  if (text.startsWith(botTag + " ") || text === botTag) {
    return inlineQuery(text.slice(botTag.length).trim());
  }
  await api("send", { ...target(), text });
}

async function pressInline(m, b, btn) {
  if (!b.callback_data) return;
  btn.classList.add("pending");
  try {
    await api("callback", { ...target(), message_id: m.message_id, data: b.callback_data });
  } finally {
    setTimeout(() => btn.classList.remove("pending"), 400);
  }
}

async function pressReply(b) {
  if (b.request_location) { openLocationPanel(); return; }
  if (b.request_contact) { await api("contact", target()); return; }
  if (S.replyKb && S.replyKb.one_time_keyboard) setReplyKeyboard(null);
  await sendText(b.text);
}

async function sendLocation(lat, lon, title) {
  $("#location-panel").hidden = true;
  const body = { ...target(), latitude: lat, longitude: lon };
  if (S.replyKb && S.replyKb.one_time_keyboard) setReplyKeyboard(null);
  await api("location", body);
}

function openLocationPanel() {
  const panel = $("#location-panel");
  panel.hidden = false;
  $("#place-list").replaceChildren(...S.state.places.map((p) => el("button", {
    type: "button", title: `${p.latitude}, ${p.longitude}`, text: `${p.name} · ${p.name_en}`,
    onclick: () => sendLocation(p.latitude, p.longitude),
  })));
}

async function uploadPhotos(files) {
  if (!files.length) return;
  const form = new FormData();
  form.append("user_id", speaker());
  form.append("chat_id", S.chatId);
  const caption = $("#text").value.trim();
  if (caption) form.append("caption", caption);
  for (const f of Array.from(files).slice(0, 10)) form.append("photo", f, f.name);
  toast(t("uploading"));
  await api("photos", form, true);
  $("#text").value = "";
}

async function uploadDocument(file) {
  if (!file) return;
  const form = new FormData();
  form.append("user_id", speaker());
  form.append("chat_id", S.chatId);
  const caption = $("#text").value.trim();
  if (caption) form.append("caption", caption);
  form.append("document", file, file.name);
  await api("document", form, true);
  $("#text").value = "";
}

async function inlineQuery(query) {
  const box = $("#inline-results");
  box.hidden = false;
  box.replaceChildren(el("div", { class: "muted", text: "…" }));
  await api("inline", { user_id: speaker(), query });
}

function showInlineResults(results) {
  const box = $("#inline-results");
  box.hidden = false;
  if (!results.length) { box.replaceChildren(el("div", { class: "muted", text: t("no_results") })); return; }
  box.replaceChildren(...results.map((r) => el("div", {
    onclick: async () => {
      box.hidden = true;
      const content = r.input_message_content || {};
      if (content.message_text) await api("send", { ...target(), text: content.message_text, via_bot: true });
    },
  }, el("b", { text: r.title || r.id }), el("div", { class: "muted", text: r.description || "" }))));
}

function showCommands() {
  const menu = $("#cmd-menu");
  if (!menu.hidden) { menu.hidden = true; return; }
  const me = userById(speaker());
  const byLang = S.state.commands_by_language || {};
  const cmds = (me && byLang[me.language_code]) || byLang[""] || S.state.commands || [];
  menu.replaceChildren(el("div", { class: "muted", text: t("commands") }), ...cmds.map((c) => el("div", {
    onclick: () => { menu.hidden = true; sendText("/" + c.command); },
  }, el("b", { text: "/" + c.command }), el("span", { text: c.description }))));
  menu.hidden = false;
}

/* ---------------------------------------------------------------- live events */
function connectEvents() {
  const es = new EventSource("/webchat/api/events");
  es.onmessage = (ev) => {
    const e = JSON.parse(ev.data);
    switch (e.event) {
      case "message":
        if (e.chat_id === S.chatId) {
          addMessage(e.message, e.from_bot);
          if (e.from_bot) $("#typing").hidden = true;
        }
        break;
      case "edit": replaceMessage(e.message); break;
      case "delete": removeMessage(e.chat_id, e.message_id); break;
      case "keyboard": if (e.chat_id === S.chatId) setReplyKeyboard(e.keyboard); break;
      case "action":
        if (e.chat_id === S.chatId) {
          const n = $("#typing");
          n.textContent = `${S.state.bot.first_name} ${t("typing")}`;
          n.hidden = false;
          clearTimeout(S.typingTimer);
          S.typingTimer = setTimeout(() => { n.hidden = true; }, 5000);
        }
        break;
      case "callback_answer":
        if (e.chat_id === S.chatId && e.text) {
          if (e.show_alert) { $("#alert-text").textContent = e.text; $("#alert-dialog").showModal(); }
          else toast(e.text);
        }
        break;
      case "inline_results": if (e.user_id === speaker()) showInlineResults(e.results); break;
      case "state": case "blocked": case "commands": loadState(); break;
    }
  };
  es.onopen = () => { if (S.connectedOnce) loadHistory(); S.connectedOnce = true; };
}

/* ---------------------------------------------------------------- wiring */
function wire() {
  $("#composer").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const input = $("#text");
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    try { await sendText(text); } catch (e) { input.value = text; }
  });
  $("#photo-input").addEventListener("change", async (ev) => { await uploadPhotos(ev.target.files); ev.target.value = ""; });
  $("#doc-input").addEventListener("change", async (ev) => { await uploadDocument(ev.target.files[0]); ev.target.value = ""; });
  $("#loc-btn").addEventListener("click", () => {
    const p = $("#location-panel");
    if (p.hidden) openLocationPanel(); else p.hidden = true;
  });
  $("#loc-close").addEventListener("click", () => { $("#location-panel").hidden = true; });
  $("#loc-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const lat = parseFloat($("#loc-lat").value), lon = parseFloat($("#loc-lon").value);
    if (Number.isFinite(lat) && Number.isFinite(lon)) sendLocation(lat, lon);
  });
  $("#cmd-btn").addEventListener("click", showCommands);
  $("#menu-btn").addEventListener("click", () => $("#sidebar").classList.toggle("open"));
  $("#as-user").addEventListener("change", (ev) => { S.asUser = Number(ev.target.value); });
  $("#add-member").addEventListener("change", async (ev) => {
    const id = Number(ev.target.value);
    if (!id || !isGroup()) return;
    await api(`groups/${S.chatId}/members`, { user_id: id });
    S.asUser = id;
  });
  $("#block-btn").addEventListener("click", async () => {
    const me = userById(S.userId);
    await api("block", { user_id: S.userId, blocked: !me.blocked });
  });
  $("#lang-toggle").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    localStorage.setItem("wufei.lang", lang);
    applyI18n(); renderSidebar(); renderHeader(); loadHistory();
  });
  $("#new-user").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const name = $("#new-user-name").value.trim();
    if (!name) return;
    const data = await api("users", { first_name: name, language_code: $("#new-user-lang").value });
    $("#new-user-name").value = "";
    await loadState();
    await openChat(data.user.id, data.user.id);
  });
  $("#new-group").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const ids = Array.from(document.querySelectorAll("#new-group-members input:checked")).map((i) => Number(i.value));
    const data = await api("groups", { title: $("#new-group-title").value.trim(), member_ids: ids });
    $("#new-group-title").value = "";
    $("#new-group-box").open = false;
    await loadState();
    await openChat(ids[0] || S.userId, data.chat.id);
  });
  document.addEventListener("click", (ev) => {
    if (!ev.target.closest("#cmd-menu") && ev.target.id !== "cmd-btn") $("#cmd-menu").hidden = true;
  });
}

async function main() {
  applyI18n();
  wire();
  await loadState();
  const params = new URLSearchParams(location.search);
  if (params.get("user")) S.userId = Number(params.get("user"));
  if (params.get("chat")) S.chatId = Number(params.get("chat")); else if (S.userId !== null) S.chatId = S.userId;
  renderSidebar(); renderHeader();
  await loadHistory();
  connectEvents();
  document.body.dataset.ready = "1";
}
main();
