/* The LINE simulator page: pretend residents talk to the bot, and what the bot sends is drawn
 * like the LINE app would (text, quick replies, Flex, templates) by line_render.js, which the
 * console's survey preview shares. Plain JS, no libraries.
 * Everything from the bot is drawn with textContent (never innerHTML): it is untrusted. */
"use strict";

(function () {
  const config = JSON.parse(document.getElementById("sim-config").textContent);
  const STORE = "machikoe-simulator-residents";
  const CURRENT = "machikoe-simulator-current";
  const API = "/simulator/api";
  const POLL_MS = 1000;

  const state = {
    residents: [], // {id, name, language, status}
    current: null,
    entries: {}, // user id -> [entry]
    seen: new Set(),
    after: 0,
    refused: 0,
    unread: {},
    busy: false,
    refusals: [],
    pinned: true, // keep the newest message in view (false once the reader scrolls up)
    autoTop: -1, // where we last scrolled the chat ourselves
  };

  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };

  // ---------------------------------------------------------------- server calls

  async function post(path, body) {
    const response = await fetch(API + path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": config.csrf },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    let data = {};
    try {
      data = await response.json();
    } catch (e) {
      data = { error: "HTTP " + response.status };
    }
    if (!response.ok && !data.error) data.error = "HTTP " + response.status;
    data.httpStatus = response.status;
    return data;
  }

  async function get(path) {
    const response = await fetch(API + path, { credentials: "same-origin" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.json();
  }

  function toast(text) {
    const node = $("toast");
    node.textContent = text;
    node.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => (node.hidden = true), 4000);
  }

  // ---------------------------------------------------------------- residents

  function saveResidents() {
    const keep = state.residents.map((r) => ({ id: r.id, name: r.name, language: r.language }));
    localStorage.setItem(STORE, JSON.stringify(keep));
    if (state.current) localStorage.setItem(CURRENT, state.current);
  }

  async function loadResidents() {
    const known = (await get("/residents")).residents;
    let stored = [];
    try {
      stored = JSON.parse(localStorage.getItem(STORE) || "[]");
    } catch (e) {
      stored = [];
    }
    const ids = new Set(known.map((r) => r.id));
    for (const r of stored) {
      if (r && r.id && !ids.has(r.id)) {
        const got = await post("/residents", r);
        if (got.resident) {
          known.push(got.resident);
          ids.add(r.id);
        }
      }
    }
    if (!known.length) {
      for (const r of config.defaults) {
        const got = await post("/residents", r);
        if (got.resident) known.push(got.resident);
      }
    }
    state.residents = known;
    const wanted = localStorage.getItem(CURRENT);
    state.current = known.some((r) => r.id === wanted) ? wanted : known.length ? known[0].id : null;
    saveResidents();
  }

  async function addResident(name, language) {
    const got = await post("/residents", { name, language });
    if (got.error) {
      toast(got.error);
      return null;
    }
    state.residents.push(got.resident);
    state.current = got.resident.id;
    saveResidents();
    renderAll();
    return got.resident;
  }

  const resident = () => state.residents.find((r) => r.id === state.current);
  const STATUS = { new: "まだ友だちではありません", friend: "友だち", blocked: "ブロック中" };
  const LANG = { ja: "日本語", en: "English" };

  function renderResidents() {
    const list = $("resident-list");
    list.replaceChildren();
    for (const r of state.residents) {
      const li = el("li");
      const button = el("button", "resident");
      button.type = "button";
      button.dataset.user = r.id;
      button.setAttribute("aria-current", r.id === state.current ? "true" : "false");
      button.append(el("span", "avatar", (r.name || "?").slice(0, 1)));
      const meta = el("span", "meta");
      meta.append(el("span", "name", r.name));
      meta.append(el("span", "info", `${LANG[r.language] || r.language}・${STATUS[r.status] || ""}`));
      button.append(meta);
      if (state.unread[r.id]) button.append(el("span", "badge", state.unread[r.id]));
      button.addEventListener("click", () => {
        state.current = r.id;
        state.unread[r.id] = 0;
        saveResidents();
        renderAll();
      });
      li.append(button);
      list.append(li);
    }
  }

  function renderHead() {
    const r = resident();
    $("chat-title").textContent = r ? r.name : "—";
    $("chat-status").textContent = r ? `${STATUS[r.status] || ""}・LINEの言語: ${LANG[r.language] || r.language}` : "";
    $("btn-follow").hidden = !r || r.status !== "new";
    $("btn-unblock").hidden = !r || r.status !== "blocked";
    $("btn-block").hidden = !r || r.status !== "friend";
    const canType = !!r && r.status === "friend" && !state.busy;
    $("text").disabled = !canType;
    $("send").disabled = !canType;
    $("text").placeholder = !r
      ? "住民を追加してください"
      : r.status === "new"
        ? "まず「友だち追加」を押してください"
        : r.status === "blocked"
          ? "ブロック中です（「ブロック解除」で戻せます）"
          : "メッセージを入力（Enterで送信）";
    $("busy").hidden = !state.busy;
  }

  // ---------------------------------------------------------------- events to the bot

  async function send(body) {
    const r = resident();
    if (!r || state.busy) return;
    state.busy = true;
    renderHead();
    renderQuick();
    try {
      const got = await post("/send", Object.assign({ user: r.id }, body));
      if (got.error) {
        toast("送れませんでした: " + got.error);
      } else {
        r.status = got.resident;
        merge(got.entries || [], true);
      }
    } catch (e) {
      toast("サーバーに届きませんでした: " + e.message);
    } finally {
      state.busy = false;
      renderAll();
      if (!$("text").disabled) $("text").focus();
    }
  }

  const JST = new Intl.DateTimeFormat("ja-JP", { timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit" });

  function act(action) {
    if (!action || state.busy) return;
    switch (action.type) {
      case "postback":
        if (action.fillInText !== undefined && action.inputOption === "openKeyboard") {
          $("text").value = action.fillInText;
          $("text").focus();
        }
        return send({ kind: "postback", data: action.data, display: action.displayText || "" });
      case "message":
        return send({ kind: "text", text: action.text });
      case "uri": {
        const uri = action.uri || "";
        if (/^(https?:|tel:|mailto:)/i.test(uri)) window.open(uri, "_blank", "noopener");
        else toast("このリンクはシミュレーターでは開けません: " + uri);
        return;
      }
      case "datetimepicker":
        return openPicker(action);
      case "clipboard":
        if (navigator.clipboard) navigator.clipboard.writeText(action.clipboardText || "");
        toast("コピーしました");
        return;
      default:
        toast(`「${action.type}」アクションはシミュレーターでは使えません`);
    }
  }

  function openPicker(action) {
    const mode = action.mode || "datetime";
    const input = $("picker-input");
    input.type = mode === "datetime" ? "datetime-local" : mode;
    input.value = action.initial || "";
    input.min = action.min || "";
    input.max = action.max || "";
    $("picker-title").textContent = mode === "date" ? "日付を選ぶ" : mode === "time" ? "時刻を選ぶ" : "日時を選ぶ";
    const dialog = $("picker");
    const form = $("picker-form");
    form.onsubmit = (ev) => {
      ev.preventDefault();
      if (!input.value) return;
      dialog.close();
      const params = {};
      params[mode] = input.value;
      send({ kind: "postback", data: action.data, params, display: "" });
    };
    $("picker-cancel").onclick = () => dialog.close();
    dialog.showModal();
    input.focus();
  }

  // ---------------------------------------------------------------- drawing LINE messages
  // (bot/console/static/line_render.js draws each message; taps come back to act)

  const SYSTEM_TEXT = {
    follow: "友だち追加しました",
    unblock: "ブロックを解除しました",
    unfollow: "ブロックしました",
    preview: "アンケートのプレビューを始めました（職員用）",
  };

  function entryNode(e) {
    const time = el("span", "time", JST.format(new Date(e.time * 1000)));
    if (e.side === "system") {
      if (e.kind === "refusal") {
        const r = e.refusal;
        return el(
          "div",
          "refusal-entry",
          `⚠ LINEが受け付けませんでした（${r.method} ${r.path} → ${r.status}）\n` + r.problems.join("\n"),
        );
      }
      if (e.kind === "webhook_error") {
        return el("div", "refusal-entry", `⚠ /callback が ${e.status} を返しました\n${e.detail || ""}`);
      }
      return el("div", "system", SYSTEM_TEXT[e.kind] || e.kind);
    }
    const row = el("div", "row " + e.side);
    row.dataset.seq = e.seq;
    if (e.side === "user") {
      row.append(time, el("div", "bubble", e.text));
    } else {
      const content = LineRender.message(e.message || {}, act);
      content.dataset.type = (e.message || {}).type || "";
      row.append(content, time);
    }
    return row;
  }

  function renderChat() {
    const chat = $("chat");
    const entries = state.entries[state.current] || [];
    const top = chat.scrollTop;
    const fresh = chat.dataset.user !== (state.current || "") || Number(chat.dataset.count || 0) !== entries.length;
    chat.replaceChildren();
    for (const e of entries) chat.append(entryNode(e));
    chat.dataset.user = state.current || "";
    chat.dataset.count = String(entries.length);
    if (fresh) state.pinned = true; // something new (or another resident): show it
    if (!state.pinned) chat.scrollTop = top;
  }

  // The newest reply: the bot's messages after the resident's last one. The chat scrolls to
  // the bottom, but never past the start of that reply (a long one is read from its top).
  function newestReplyStart(chat) {
    let first = null;
    for (let node = chat.lastElementChild; node; node = node.previousElementSibling) {
      if (node.classList.contains("user")) break;
      if (node.classList.contains("bot")) first = node;
    }
    return first;
  }

  function scrollToNewest() {
    const chat = $("chat");
    if (!state.pinned) return;
    const bottom = chat.scrollHeight - chat.clientHeight;
    const first = newestReplyStart(chat);
    const start = first ? first.offsetTop - 8 : bottom;
    chat.scrollTop = Math.max(0, Math.min(bottom, start));
    state.autoTop = chat.scrollTop;
  }

  function renderQuick() {
    const bar = $("quick");
    const list = state.entries[state.current] || [];
    const last = [...list].reverse().find((e) => e.side !== "system" || e.kind === "refusal");
    const quick = last && last.side === "bot" && last.message && last.message.quickReply;
    const key = quick && !state.busy ? `${state.current}/${last.seq}` : "";
    if (bar.dataset.key === key) return; // the same buttons: keep where the reader is
    bar.dataset.key = key;
    bar.replaceChildren();
    bar.scrollLeft = 0; // a new message's buttons start from the first one
    if (!key) return;
    bar.append(...LineRender.quickReplies(quick.items || [], act));
    bar.scrollLeft = 0;
  }

  async function renderRichMenu() {
    const r = resident();
    const box = $("richmenu");
    const key = r ? `${r.id}/${r.status}` : "";
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    if (!r || r.status !== "friend") {
      box.hidden = true;
      return;
    }
    let got;
    try {
      got = await get(`/richmenu?user=${encodeURIComponent(r.id)}`);
    } catch (e) {
      return;
    }
    if (!got.menu || box.dataset.key !== key) {
      box.hidden = !got.menu;
      return;
    }
    const menu = got.menu;
    $("richmenu-bar").dataset.text = menu.chatBarText || "メニュー";
    $("richmenu-img").src = `/simulator/richmenu.png?user=${encodeURIComponent(r.id)}&v=${Date.now()}`;
    $("richmenu-img").alt = menu.name || "リッチメニュー";
    const areas = $("richmenu-areas");
    areas.replaceChildren();
    const W = menu.size.width;
    const H = menu.size.height;
    for (const area of menu.areas || []) {
      const b = el("button");
      b.type = "button";
      const a = area.action || {};
      b.setAttribute("aria-label", a.label || a.text || a.type);
      b.title = a.label || a.text || "";
      b.dataset.richmenu = a.label || a.text || "";
      const k = area.bounds;
      Object.assign(b.style, {
        left: `${(100 * k.x) / W}%`,
        top: `${(100 * k.y) / H}%`,
        width: `${(100 * k.width) / W}%`,
        height: `${(100 * k.height) / H}%`,
      });
      b.addEventListener("click", () => act(a));
      areas.append(b);
    }
    showRichMenu(false);
    box.hidden = false;
  }

  // Like the LINE app, the rich menu and the keyboard take turns (it starts closed here so
  // that the conversation stays in view on small screens).
  function showRichMenu(open) {
    $("richmenu-body").hidden = !open;
    $("composer").hidden = open;
    const bar = $("richmenu-bar");
    bar.setAttribute("aria-expanded", open ? "true" : "false");
    bar.textContent = `${bar.dataset.text || "メニュー"} ${open ? "▼（閉じて入力する）" : "▲"}`;
  }

  function renderAll() {
    renderResidents();
    renderHead();
    renderChat();
    renderQuick();
    renderRichMenu();
    scrollToNewest(); // after the quick-reply row and the menu took their room
  }

  // The chat shrinks when the quick-reply row appears or the rich menu opens, and grows
  // when an image loads: keep the newest message in view through each of them.
  function watchChat() {
    const chat = $("chat");
    if (window.ResizeObserver) new ResizeObserver(() => scrollToNewest()).observe(chat);
    chat.addEventListener("load", () => scrollToNewest(), true);
    chat.addEventListener("scroll", () => {
      if (Math.abs(chat.scrollTop - state.autoTop) < 2) return; // our own scrolling
      state.pinned = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 40;
    });
  }

  // ---------------------------------------------------------------- news from the server

  function merge(entries, own) {
    let changed = false;
    for (const e of entries) {
      if (state.seen.has(e.seq)) continue;
      state.seen.add(e.seq);
      (state.entries[e.user] = state.entries[e.user] || []).push(e);
      state.entries[e.user].sort((a, b) => a.seq - b.seq);
      if (e.user !== state.current && e.side === "bot" && !own) state.unread[e.user] = (state.unread[e.user] || 0) + 1;
      changed = true;
    }
    return changed;
  }

  function renderRefusals() {
    if (!state.refusals.length) return;
    const list = $("refusal-list");
    list.replaceChildren();
    for (const r of state.refusals.slice(-20)) {
      const li = el("li");
      li.append(el("strong", null, `${r.method} ${r.path} → ${r.status}`));
      for (const p of r.problems) li.append(el("br"), el("code", null, p));
      list.append(li);
    }
    $("refusal-count").textContent = state.refusals.length;
    $("refusals").hidden = false;
  }

  async function poll() {
    try {
      const got = await get(`/messages?after=${state.after}&refused=${state.refused}`);
      state.after = Math.max(state.after, got.last);
      state.refused = got.refused;
      if (got.refusals.length) {
        state.refusals.push(...got.refusals);
        renderRefusals();
      }
      if (merge(got.entries, false) && !state.busy) renderAll();
    } catch (e) {
      /* the server restarted or is busy: try again next time */
    } finally {
      setTimeout(poll, POLL_MS);
    }
  }

  // ---------------------------------------------------------------- jobs and preview

  function renderJobs() {
    const box = $("jobs");
    for (const job of config.jobs) {
      const row = el("div", "job");
      const b = el("button", "btn", job.name);
      b.type = "button";
      b.dataset.job = job.name;
      b.addEventListener("click", () => runJob(job.name, b));
      row.append(b, el("span", null, job.about));
      box.append(row);
    }
  }

  async function runJob(name, button) {
    const out = $("job-result");
    button.disabled = true;
    out.className = "job-result";
    out.textContent = `${name} を実行中…`;
    const got = await post("/jobs", { name });
    button.disabled = false;
    out.replaceChildren();
    if (got.error && !got.name) {
      out.className = "job-result error";
      out.textContent = got.error;
      return;
    }
    out.className = "job-result" + (got.ok ? "" : " error");
    out.append(el("div", null, `${name}: ${got.result}（送信 ${got.sent.length}件）`));
    const ul = el("ul");
    for (const s of got.sent.slice(0, 30)) ul.append(el("li", null, `${s.name}: ${s.text}`));
    if (got.sent.length) out.append(ul);
  }

  async function setupPreview() {
    if (!config.preview) return;
    $("preview-panel").hidden = false;
    $("preview-text").textContent = `アンケート「${config.preview}」を、公開前でも職員用のプレビュー住民で試せます。`;
    $("preview-start").addEventListener("click", async () => {
      let r = state.residents.find((x) => x.name === "プレビュー（職員）");
      if (!r) r = await addResident("プレビュー（職員）", "ja");
      if (!r) return;
      state.current = r.id;
      renderAll();
      const got = await post("/preview", { user: r.id, survey: config.preview });
      if (got.error) {
        $("preview-note").textContent = got.error;
        return;
      }
      r.status = got.resident || r.status;
      merge(got.entries || [], true);
      renderAll();
    });
  }

  // ---------------------------------------------------------------- wiring

  function wire() {
    $("composer").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const text = $("text").value;
      if (!text.trim()) return;
      $("text").value = "";
      send({ kind: "text", text });
    });
    $("btn-follow").addEventListener("click", () => send({ kind: "follow" }));
    $("btn-unblock").addEventListener("click", () => send({ kind: "unblock" }));
    $("btn-block").addEventListener("click", () => {
      if (confirm("この住民としてアカウントをブロックしますか？")) send({ kind: "unfollow" });
    });
    $("add-resident").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const name = $("new-name").value.trim();
      if (!name) return;
      if (await addResident(name, $("new-language").value)) $("new-name").value = "";
    });
    $("refusal-close").addEventListener("click", () => ($("refusals").hidden = true));
    $("richmenu-bar").addEventListener("click", () => showRichMenu($("richmenu-body").hidden));
  }

  async function start() {
    wire();
    watchChat();
    renderJobs();
    await loadResidents();
    const got = await get("/messages?after=0&refused=0");
    state.after = got.last;
    state.refused = got.refused;
    state.refusals = got.refusals;
    merge(got.entries, true);
    renderRefusals();
    renderAll();
    await setupPreview();
    document.body.dataset.ready = "1";
    setTimeout(poll, POLL_MS);
  }

  start().catch((e) => toast("シミュレーターを始められませんでした: " + e.message));
})();
