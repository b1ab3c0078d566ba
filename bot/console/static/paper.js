// まちの声 職員コンソール — paper sheet entry by keyboard (the form works without it).
// In a group of choices, number keys 1–9 choose (checkboxes toggle) and 0 clears;
// Enter moves to the next field, and on the last one saves. Shift+Enter: a line break.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-paper]");
  if (!form) return;

  // The stops Enter walks through: one per group of choices, every other field, the button.
  const stops = () => {
    const out = [];
    const seen = new Set();
    form.querySelectorAll("input, textarea, select, button[type=submit]").forEach((el) => {
      if (el.type === "hidden" || el.disabled) return;
      const group = el.closest("fieldset[data-keys]");
      if (group) {
        if (seen.has(group)) return;
        seen.add(group);
      }
      out.push(el);
    });
    return out;
  };
  const focusStop = (el) => {
    const group = el.closest && el.closest("fieldset[data-keys]");
    if (group) {
      const target = group.querySelector("input:checked") || group.querySelector("input");
      target.focus();
    } else {
      el.focus();
      if (el.select && el.type !== "date") el.select();
    }
  };
  const indexOf = (el, list) => {
    const group = el.closest("fieldset[data-keys]");
    return list.findIndex((s) => s === el || (group && s.closest("fieldset[data-keys]") === group));
  };

  form.addEventListener("keydown", (ev) => {
    const el = ev.target;
    const group = el.closest("fieldset[data-keys]");
    if (group && /^[0-9]$/.test(ev.key) && !ev.ctrlKey && !ev.metaKey && !ev.altKey) {
      const inputs = [...group.querySelectorAll("input")];
      ev.preventDefault();
      if (ev.key === "0") {
        inputs.forEach((i) => (i.checked = false));
        return;
      }
      const pick = inputs[Number(ev.key) - 1];
      if (!pick) return;
      if (pick.type === "checkbox") pick.checked = !pick.checked;
      else pick.checked = true;
      pick.focus();
      return;
    }
    if (ev.key !== "Enter" || ev.isComposing) return;
    if (el.tagName === "TEXTAREA" && ev.shiftKey) return;
    if (el.tagName === "BUTTON") return; // Enter on the button saves, as always
    ev.preventDefault();
    const list = stops();
    const next = list[indexOf(el, list) + 1];
    if (next) focusStop(next);
    else form.requestSubmit();
  });

  // After a refusal, start at the first field with a problem.
  const wrong = form.querySelector("[aria-invalid=true]");
  if (wrong) focusStop(wrong.matches("fieldset") ? wrong.querySelector("input, textarea") : wrong);
});
