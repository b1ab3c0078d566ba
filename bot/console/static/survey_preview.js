/* スマホ表示のプレビュー: draws each screen's LINE messages (JSON embedded in the page) with
 * line_render.js, the simulator's renderer. No onTap is given, so every button is inert. */
"use strict";

(function () {
  const data = JSON.parse(document.getElementById("sp-data").textContent);
  for (const chat of document.querySelectorAll(".sp-chat")) {
    const messages = data[Number(chat.dataset.screen)] || [];
    for (const m of messages) {
      const row = document.createElement("div");
      row.className = "sp-row";
      const avatar = document.createElement("span");
      avatar.className = "sp-avatar";
      avatar.setAttribute("aria-hidden", "true");
      const body = document.createElement("div");
      body.className = "sp-msg";
      const content = LineRender.message(m);
      content.dataset.type = m.type || "";
      body.append(content);
      row.append(avatar, body);
      chat.append(row);
    }
    const last = messages[messages.length - 1];
    const bar = chat.parentElement.querySelector(".sp-quick");
    if (last && last.quickReply) bar.append(...LineRender.quickReplies(last.quickReply.items));
  }
  document.body.dataset.ready = "1";
})();
