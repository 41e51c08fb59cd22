/* Wufei sandbox web chat: the page's texts in zh and en. Loaded first (classic scripts share globals). */
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
    new_messages: "新消息 ↓", group_owner: "你，群主，必在群内", err_title_required: "请填写群名称",
    err_no_members: "工作群至少需要一名成员", err_name_required: "请填写名字",
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
    new_messages: "New messages ↓", group_owner: "you, the owner: always in the group",
    err_title_required: "Please give the group a title", err_no_members: "A staff group needs at least one member",
    err_name_required: "Please give a name",
  },
};
let lang = localStorage.getItem("wufei.lang") || ((navigator.language || "zh").startsWith("zh") ? "zh" : "en");
const t = (k) => (I18N[lang] && I18N[lang][k]) || I18N.en[k] || k;
const hasText = (k) => Boolean(k && I18N.en[k]);

/* ---------------------------------------------------------------- i18n */
function applyI18n() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-i18n]").forEach((n) => { n.textContent = t(n.dataset.i18n); });
  document.querySelectorAll("[data-i18n-placeholder]").forEach((n) => { n.placeholder = t(n.dataset.i18nPlaceholder); });
  $("#lang-toggle").textContent = lang === "zh" ? "EN" : "中文";
  $("#new-user-lang").value = lang;
}

