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

  // The survey builder: show only the fields of each question's type; bring a moved or
  // new question into view. Without JavaScript every field shows and the server ignores the
  // ones that do not belong to the type.
  document.querySelectorAll(".builder .question").forEach((box) => {
    const select = box.querySelector("[data-question-type]");
    const kind = () => (select ? select.value : (box.querySelector("input[name$='.type']") || {}).value);
    const show = () => {
      box.querySelectorAll(".for-type").forEach((part) => {
        part.hidden = !part.dataset.for.split(" ").includes(kind());
      });
    };
    if (select) select.addEventListener("change", show);
    show();
  });
  const focused = document.querySelector(".builder [data-focus]") || document.querySelector("#problems");
  if (focused) {
    focused.scrollIntoView({ block: "start" });
    focused.focus({ preventScroll: true });
  }

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
