// まちの声 職員コンソール — small progressive enhancements (served by the app, no CDN).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Ask before a form marked data-confirm is sent.
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (ev) => {
      if (!window.confirm(form.dataset.confirm)) ev.preventDefault();
    });
  });

  // A LINE-like preview that follows what is typed (textContent: never HTML).
  document.querySelectorAll("[data-preview-source]").forEach((source) => {
    const target = document.getElementById(source.dataset.previewSource);
    const counter = document.getElementById(source.dataset.counter || "");
    const update = () => {
      if (target) target.textContent = source.value || "（本文を入力すると、ここに表示されます）";
      if (counter) counter.textContent = String([...source.value].length);
    };
    source.addEventListener("input", update);
    update();
  });

  // A progress bar that polls a JSON endpoint until the work is finished.
  document.querySelectorAll("[data-progress-url]").forEach((box) => {
    const bar = box.querySelector("progress");
    const label = box.querySelector("[data-progress-label]");
    const tick = async () => {
      try {
        const res = await fetch(box.dataset.progressUrl, { headers: { Accept: "application/json" } });
        if (!res.ok) return;
        const p = await res.json();
        bar.max = Math.max(1, p.total || 0);
        bar.value = p.done || 0;
        if (label) label.textContent = p.label || `${p.done} / ${p.total}`;
        if (!p.finished) setTimeout(tick, 2000);
      } catch (e) {
        setTimeout(tick, 5000);
      }
    };
    tick();
  });
});
