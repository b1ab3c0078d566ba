/* LINE messages drawn like the LINE app draws them (text, quick replies, Flex, templates),
 * shared by the simulator and the console's phone-sized survey preview. Plain JS, no libraries.
 * Everything is drawn with textContent (never innerHTML): message JSON is untrusted.
 *
 *   LineRender.message(m, onTap)        → the node for one message (LINE wire JSON)
 *   LineRender.quickReplies(items, onTap) → the quick-reply buttons of m.quickReply.items
 *
 * onTap(action) is called when a button or tappable area is used; without it (the preview)
 * buttons are drawn the same but are inert. */
"use strict";

(function () {
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };

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

  // One drawing of a message: every listener calls this drawing's onTap.
  function drawing(onTap) {
    const act = (action) => onTap(action);

    function inertOr(button, action) {
      if (onTap) button.addEventListener("click", () => act(action));
      else button.setAttribute("aria-disabled", "true");
      return button;
    }

    function tappable(node, action) {
      if (!action || !onTap) return node;
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
      inertOr(button, c.action);
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
        inertOr(b, a);
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

    function quickReplies(items) {
      return (items || []).map((item) => {
        const a = (item && item.action) || {};
        const b = el("button", "qr", a.label || "");
        b.type = "button";
        return inertOr(b, a);
      });
    }

    return { botContent, quickReplies };
  }

  window.LineRender = {
    message: (m, onTap) => drawing(onTap || null).botContent(m || {}),
    quickReplies: (items, onTap) => drawing(onTap || null).quickReplies(items),
  };
})();
