/* Wufei sandbox web chat. Plain JS, no build step, no external resources. */
"use strict";


const S = {
  state: null,          // /webchat/api/state
  userId: null,         // who I am (private chat = this user)
  stick: true,          // the message list follows new messages (false once scrolled up on purpose)
  pinnedAt: null,       // where the list was last put at its bottom by us (its scroll event is ours)
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

async function api(path, body, isForm = false, quiet = false) {
  const opts = body === undefined ? { quiet } : { quiet,
    method: "POST",
    body: isForm ? body : JSON.stringify(body),
    headers: isForm ? {} : { "Content-Type": "application/json" },
  };
  const resp = await fetch("/webchat/api/" + path, opts);
  let data = {};
  try { data = await resp.json(); } catch (e) { data = { ok: false, error: resp.statusText }; }
  if (!resp.ok || data.ok === false) {
    // The server names refusals the page has words for with a code (shown in the page's language).
    const text = hasText(data.code) ? t(data.code) : (data.error || resp.statusText);
    if (!opts.quiet) toast(text, true);
    throw Object.assign(new Error(text), { code: data.code });
  }
  return data;
}

function toast(text, isError = false) {
  const n = el("div", { class: "toast" + (isError ? " error" : ""), text });
  $("#toasts").append(n);
  setTimeout(() => n.remove(), 3200);
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
  renderGroupForm();
}

// The person creating the group is always in it (its owner): shown ticked and locked, never
// silently dropped. Other people's ticks survive the sidebar being redrawn.
function renderGroupForm() {
  const box = $("#new-group-members");
  const ticked = new Set(Array.from(box.querySelectorAll("input:checked:not(:disabled)")).map((i) => Number(i.value)));
  const me = userById(S.userId);
  const owner = me ? el("label", { class: "owner", "data-testid": "group-owner" },
    el("input", { type: "checkbox", value: me.id, checked: true, disabled: true }),
    ` ${me.full_name} (${t("group_owner")})`) : null;
  box.replaceChildren(...[owner].filter(Boolean), ...S.state.users.filter((u) => !me || u.id !== me.id).map((u) =>
    el("label", {}, el("input", { type: "checkbox", value: u.id, checked: ticked.has(u.id) }), " " + u.full_name)));
}

function groupFormError(key) {
  const n = $("#new-group-error");
  n.textContent = key ? t(key) : "";
  n.hidden = !key;
}

async function createGroup() {
  const title = $("#new-group-title").value.trim();
  if (S.userId === null || !userById(S.userId)) return groupFormError("pick_user");
  if (!title) return groupFormError("err_title_required");
  const ids = Array.from(document.querySelectorAll("#new-group-members input:checked:not(:disabled)")).map((i) => Number(i.value));
  let data;
  try {
    data = await api("groups", { title, creator_id: S.userId, member_ids: ids }, false, true);
  } catch (e) {
    return groupFormError(hasText(e.code) ? e.code : "err_no_members");
  }
  groupFormError(null);
  $("#new-group-title").value = "";
  $("#new-group-members").replaceChildren();
  $("#new-group-box").open = false;
  await loadState();
  await openChat(S.userId, data.chat.id);
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

async function startWith(payload) {
  if (S.userId === null) return;
  if (S.chatId !== S.userId) await openChat(S.userId, S.userId);
  await api("send", { user_id: S.userId, chat_id: S.userId, text: `/start ${payload}` });
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
  await api("inline", { ...target(), query });
}

function showInlineResults(queryId, results) {
  const box = $("#inline-results");
  box.hidden = false;
  if (!results.length) { box.replaceChildren(el("div", { class: "muted", text: t("no_results") })); return; }
  box.replaceChildren(...results.map((r) => el("div", {
    "data-testid": "inline-result",
    onclick: async () => {
      box.hidden = true;
      await api("inline/choose", { ...target(), inline_query_id: queryId, result_id: r.id });
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
      case "inline_results": if (e.user_id === speaker()) showInlineResults(e.inline_query_id, e.results); break;
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
  $("#new-group").addEventListener("submit", (ev) => { ev.preventDefault(); createGroup(); });
  $("#new-group-title").addEventListener("input", () => groupFormError(null));
  $("#messages").addEventListener("scroll", onMessagesScroll, { passive: true });
  $("#new-pill").addEventListener("click", () => scrollDown(true));
  new ResizeObserver(keepPinned).observe($("#messages"));
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
