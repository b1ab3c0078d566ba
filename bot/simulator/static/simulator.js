/* The LINE simulator page: pretend residents talk to the bot, and what the bot sends is drawn
 * like the LINE app would (text, quick replies, Flex, templates). Plain JS, no libraries.
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

  const TEXT_PX = { xxs: 11, xs: 13, sm: 14, md: 16, lg: 19, xl: 22, xxl: 29, "3xl": 35, "4xl": 48, "5xl": 74 };
  const SPACE_PX = { none: 0, xs: 2, sm: 4, md: 8, lg: 12, xl: 16, xxl: 20 };
  const IMAGE_PX = { xxs: 40, xs: 60, sm: 80, md: 100, lg: 120, xl: 140, xxl: 160, "3xl": 180, "4xl": 200, "5xl": 220 };
  const BUBBLE_PX = { nano: 120, micro: 160, deca: 220, hecto: 241, kilo: 260, mega: 300, giga: 386 };

  const px = (value, table) => {
    if (value === undefined || value === null) return null;
    if (table && value in table) return table[value] + "px";
    if (/^-?\d+(\.\d+)?(px|%)$/.test(String(value))) return String(value);
    return null;
  };

  function tappable(node, action) {
    if (!action) return node;
    node.classList.add("fx-tappable");
    node.tabIndex = 0;
    node.setAttribute("role", "button");
    if (action.label) node.setAttribute("aria-label", action.label);
    node.addEventListener("click", (ev) => {
      ev.stopPropagation();
      act(action);
    });
    node.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") act(action);
    });
    return node;
  }

  function common(node, c, parent, index) {
    const style = node.style;
    const horizontal = parent && (parent.layout === "horizontal" || parent.layout === "baseline");
    let flex = c.flex;
    if (flex === undefined) flex = horizontal && c.type !== "separator" && c.type !== "spacer" ? 1 : 0;
    if (parent) style.flex = `${flex} ${flex} ${flex ? "0" : "auto"}`;
    const margin = px(c.margin, SPACE_PX) || (index > 0 && parent ? px(parent.spacing, SPACE_PX) : null);
    if (margin) style[horizontal ? "marginLeft" : "marginTop"] = margin;
    if (c.position === "absolute") {
      style.position = "absolute";
      for (const side of ["top", "bottom", "start", "end"]) {
        const key = "offset" + side[0].toUpperCase() + side.slice(1);
        const v = px(c[key], SPACE_PX);
        if (v) style[side === "start" ? "left" : side === "end" ? "right" : side] = v;
      }
    }
    if (c.gravity === "center") style.alignSelf = horizontal ? "center" : style.alignSelf;
    if (c.gravity === "bottom") style.alignSelf = horizontal ? "flex-end" : style.alignSelf;
    return node;
  }

  function flexComponent(c, parent, index) {
    if (!c || typeof c !== "object") return el("span");
    switch (c.type) {
      case "box":
        return flexBox(c, parent, index);
      case "text":
        return flexText(c, parent, index);
      case "image":
        return flexImage(c, parent, index);
      case "button":
        return flexButton(c, parent, index);
      case "separator": {
        const hr = common(el("hr", "fx-separator"), c, parent, index);
        if (c.color) hr.style.borderTopColor = c.color;
        if (parent && (parent.layout === "horizontal" || parent.layout === "baseline")) {
          hr.style.borderTop = "none";
          hr.style.borderLeft = `1px solid ${c.color || "#d4d6da"}`;
          hr.style.width = "0";
        }
        return hr;
      }
      case "filler": {
        const f = el("div");
        f.style.flex = String(c.flex === undefined ? 1 : c.flex);
        return f;
      }
      case "spacer": {
        const s = el("div");
        s.style.flex = "none";
        s.style.height = s.style.width = px(c.size || "md", SPACE_PX);
        return s;
      }
      case "icon": {
        const img = common(el("img", "fx-icon"), c, parent, index);
        img.src = c.url;
        img.alt = "";
        img.style.height = img.style.width = px(c.size || "md", TEXT_PX) || "16px";
        return img;
      }
      case "span":
        return flexSpan(c);
      case "video":
        return flexComponent(c.altContent, parent, index);
      default:
        return el("span", "unknown", `[${c.type}]`);
    }
  }

  function flexBox(c, parent, index) {
    const layout = c.layout || "vertical";
    const box = common(el("div", `fx-box fx-${layout}`), c, parent, index);
    const s = box.style;
    if (c.backgroundColor) s.backgroundColor = c.backgroundColor;
    if (c.borderColor) s.borderColor = c.borderColor;
    if (c.borderWidth) {
      s.borderStyle = "solid";
      s.borderWidth = px(c.borderWidth, { none: 0, light: 0.5, normal: 1, medium: 2, "semi-bold": 3, bold: 4 }) || "1px";
    }
    if (c.cornerRadius) s.borderRadius = px(c.cornerRadius, SPACE_PX);
    for (const [key, prop] of [
      ["paddingAll", "padding"],
      ["paddingTop", "paddingTop"],
      ["paddingBottom", "paddingBottom"],
      ["paddingStart", "paddingLeft"],
      ["paddingEnd", "paddingRight"],
      ["width", "width"],
      ["maxWidth", "maxWidth"],
      ["height", "height"],
      ["maxHeight", "maxHeight"],
    ]) {
      const v = px(c[key], SPACE_PX);
      if (v) s[prop] = v;
    }
    if (c.justifyContent) s.justifyContent = c.justifyContent;
    if (c.alignItems) s.alignItems = c.alignItems;
    if (c.position === "absolute" || (c.contents || []).some((k) => k && k.position === "absolute")) {
      s.position = s.position || "relative";
    }
    (c.contents || []).forEach((child, i) => box.append(flexComponent(child, c, i)));
    return tappable(box, c.action);
  }

  function flexSpan(c) {
    const span = el("span", null, c.text || "");
    if (c.color) span.style.color = c.color;
    if (c.size) span.style.fontSize = px(c.size, TEXT_PX);
    if (c.weight === "bold") span.style.fontWeight = "700";
    if (c.style === "italic") span.style.fontStyle = "italic";
    if (c.decoration && c.decoration !== "none") span.style.textDecoration = c.decoration;
    return span;
  }

  function flexText(c, parent, index) {
    const node = common(el("div", "fx-text " + (c.wrap ? "wrap" : "nowrap")), c, parent, index);
    if (Array.isArray(c.contents) && c.contents.length) c.contents.forEach((sp) => node.append(flexSpan(sp)));
    else node.textContent = c.text || "";
    const s = node.style;
    s.fontSize = px(c.size || "md", TEXT_PX);
    if (c.weight === "bold") s.fontWeight = "700";
    if (c.color) s.color = c.color;
    if (c.align) s.textAlign = c.align === "start" ? "left" : c.align === "end" ? "right" : "center";
    if (c.style === "italic") s.fontStyle = "italic";
    if (c.decoration && c.decoration !== "none") s.textDecoration = c.decoration;
    if (c.lineSpacing) s.lineHeight = `calc(1.4em + ${px(c.lineSpacing, SPACE_PX) || "0px"})`;
    if (c.wrap && c.maxLines) {
      s.display = "-webkit-box";
      s.webkitLineClamp = String(c.maxLines);
      s.webkitBoxOrient = "vertical";
      s.overflow = "hidden";
    }
    return tappable(node, c.action);
  }

  function flexImage(c, parent, index) {
    const wrap = common(el("div"), c, parent, index);
    wrap.style.display = "flex";
    wrap.style.justifyContent = c.align === "start" ? "flex-start" : c.align === "end" ? "flex-end" : "center";
    const img = el("img", "fx-image");
    img.src = c.url;
    img.alt = c.altText || "画像";
    img.loading = "lazy";
    const size = c.size || "md";
    img.style.width = size === "full" ? "100%" : px(size, IMAGE_PX) || "100px";
    img.style.maxWidth = "100%";
    const ratio = String(c.aspectRatio || "1:1").split(":");
    if (ratio.length === 2 && +ratio[0] > 0 && +ratio[1] > 0) img.style.aspectRatio = `${ratio[0]} / ${ratio[1]}`;
    img.style.objectFit = c.aspectMode === "cover" ? "cover" : "contain";
    if (c.backgroundColor) img.style.backgroundColor = c.backgroundColor;
    img.addEventListener("error", () => img.classList.add("broken"), { once: true });
    wrap.append(img);
    return tappable(wrap, c.action);
  }

  function flexButton(c, parent, index) {
    const style = c.style || "link";
    const button = common(el("button", `fx-button ${style} ${c.height === "sm" ? "sm" : ""}`), c, parent, index);
    button.type = "button";
    button.textContent = (c.action && c.action.label) || "";
    if (c.color) {
      if (style === "link") button.style.color = c.color;
      else button.style.backgroundColor = c.color;
    }
    button.addEventListener("click", () => act(c.action));
    return button;
  }

  function flexBubble(b) {
    const bubble = el("div", "fx-bubble");
    const width = BUBBLE_PX[b.size || "mega"];
    if (width) bubble.style.width = width + "px";
    const styles = b.styles || {};
    for (const part of ["header", "hero", "body", "footer"]) {
      if (!b[part]) continue;
      const block = el("div", "fx-block " + part);
      const st = styles[part] || {};
      if (st.backgroundColor) block.style.backgroundColor = st.backgroundColor;
      if (st.separator && part !== "header") block.style.borderTop = `1px solid ${st.separatorColor || "#d4d6da"}`;
      block.append(flexComponent(b[part], null, 0));
      bubble.append(block);
    }
    return tappable(bubble, b.action);
  }

  function flexMessage(m) {
    const c = m.contents || {};
    if (c.type === "carousel") {
      const row = el("div", "fx-carousel");
      (c.contents || []).forEach((b) => row.append(flexBubble(b)));
      return row;
    }
    return flexBubble(c);
  }

  function templateCard(t, actions) {
    const card = el("div", "tpl");
    const image = t.thumbnailImageUrl || t.imageUrl;
    if (image) {
      const img = el("img");
      img.src = image;
      img.alt = "";
      if (t.imageBackgroundColor) img.style.backgroundColor = t.imageBackgroundColor;
      card.append(img);
    }
    if (t.title) card.append(el("div", "tpl-title", t.title));
    if (t.text) card.append(el("div", "tpl-text", t.text));
    const row = el("div", "tpl-actions" + (t.type === "confirm" ? " confirm" : ""));
    for (const a of actions || []) {
      const b = el("button", null, (a && a.label) || "");
      b.type = "button";
      b.addEventListener("click", () => act(a));
      row.append(b);
    }
    card.append(row);
    return tappable(card, t.defaultAction);
  }

  function templateMessage(m) {
    const t = m.template || {};
    if (t.type === "carousel") {
      const row = el("div", "tpl-carousel");
      (t.columns || []).forEach((col) => row.append(templateCard(col, col.actions)));
      return row;
    }
    if (t.type === "image_carousel") {
      const row = el("div", "tpl-carousel");
      (t.columns || []).forEach((col) => row.append(templateCard({ imageUrl: col.imageUrl }, [col.action])));
      return row;
    }
    return templateCard(t, t.actions);
  }

  function botContent(m) {
    switch (m.type) {
      case "text":
      case "textV2":
        return el("div", "bubble", m.text);
      case "flex":
        return flexMessage(m);
      case "template":
        return templateMessage(m);
      case "image": {
        const img = el("img", "msg-image");
        img.src = m.previewImageUrl || m.originalContentUrl;
        img.alt = "画像";
        return img;
      }
      case "sticker":
        return el("div", "bubble sticker", "🙂");
      case "location":
        return el("div", "bubble", `📍 ${m.title || ""}\n${m.address || ""}`);
      default:
        return el("div", "bubble unknown", m.altText || `[${m.type}]`);
    }
  }

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
      const content = botContent(e.message || {});
      content.dataset.type = (e.message || {}).type || "";
      row.append(content, time);
    }
    return row;
  }

  function renderChat() {
    const chat = $("chat");
    const stick = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 80;
    chat.replaceChildren();
    for (const e of state.entries[state.current] || []) chat.append(entryNode(e));
    if (stick || chat.dataset.user !== state.current) chat.scrollTop = chat.scrollHeight;
    chat.dataset.user = state.current || "";
  }

  function renderQuick() {
    const bar = $("quick");
    bar.replaceChildren();
    const list = state.entries[state.current] || [];
    const last = [...list].reverse().find((e) => e.side !== "system" || e.kind === "refusal");
    const quick = last && last.side === "bot" && last.message && last.message.quickReply;
    if (!quick || state.busy) return;
    for (const item of quick.items || []) {
      const a = item.action || {};
      const b = el("button", "qr", a.label || "");
      b.type = "button";
      b.addEventListener("click", () => act(a));
      bar.append(b);
    }
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
