/*
 * Drawing what the bot sends that is more than text: Flex messages, templates and imagemaps.
 *
 * A reasonable subset of LINE's layout rules, so that every element is readable and every
 * action is tappable; pixel fidelity is not the goal. Everything is built with DOM calls and
 * textContent, never innerHTML, because message content comes from the bot.
 * Exposes `window.MadoguchiRender`; chat.js passes `onAction(action)` for taps.
 */
"use strict";

(() => {
  // LINE's keyword sizes, in CSS pixels, as the LINE app draws them (approximately).
  const TEXT_SIZES = {
    xxs: 11, xs: 13, sm: 14, md: 16, lg: 19, xl: 22, xxl: 29, "3xl": 35, "4xl": 48, "5xl": 74,
  };
  const SPACING = { none: 0, xs: 2, sm: 4, md: 8, lg: 12, xl: 16, xxl: 20 };
  const IMAGE_SIZES = {
    xxs: 40, xs: 60, sm: 80, md: 100, lg: 120, xl: 140, xxl: 160,
    "3xl": 180, "4xl": 200, "5xl": 240,
  };
  const BUBBLE_WIDTHS = {
    nano: 120, micro: 160, deca: 220, hecto: 241, kilo: 260, mega: 300, giga: 386,
  };
  const CORNER_RADIUS = { none: 0, xs: 2, sm: 4, md: 8, lg: 12, xl: 16, xxl: 20 };
  const BORDER_WIDTH = {
    none: 0, light: 0.5, normal: 1, medium: 2, "semi-bold": 3, bold: 4,
  };
  const ALIGN = { start: "flex-start", end: "flex-end", center: "center" };
  const JUSTIFY = {
    "flex-start": "flex-start", center: "center", "flex-end": "flex-end",
    "space-between": "space-between", "space-around": "space-around",
    "space-evenly": "space-evenly",
  };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function px(value, table) {
    if (value === undefined || value === null) return null;
    if (table && Object.prototype.hasOwnProperty.call(table, value)) return `${table[value]}px`;
    if (typeof value === "string" && /^-?\d+(\.\d+)?(px|%)$/.test(value)) return value;
    return null;
  }

  // Colours come from the bot: only LINE's #RRGGBB / #RRGGBBAA forms are applied.
  function colour(value) {
    return typeof value === "string" && /^#([0-9a-f]{6}|[0-9a-f]{8})$/i.test(value) ? value : null;
  }

  function isLocalUrl(url) {
    try {
      const parsed = new URL(url, window.location.href);
      return parsed.protocol === "data:" || parsed.origin === window.location.origin;
    } catch (_error) {
      return false;
    }
  }

  /*
   * An image the page may not fetch (the page makes no outside requests): a labelled box of
   * the right shape. Same-origin images (e.g. served by the simulator) are drawn for real.
   */
  function picture(url, label, ratio) {
    const box = el("div", "picture");
    if (ratio) box.style.aspectRatio = ratio;
    if (typeof url === "string" && isLocalUrl(url)) {
      const img = el("img");
      img.src = url;
      img.alt = label;
      box.append(img);
      return box;
    }
    box.classList.add("picture-placeholder");
    box.append(el("span", "picture-icon", "▣"), el("span", "picture-label", label));
    if (typeof url === "string" && url) box.title = url;
    return box;
  }

  function aspect(value) {
    if (typeof value !== "string") return null;
    const match = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(value);
    return match ? `${match[1]} / ${match[2]}` : null;
  }

  function actionLabel(action) {
    if (!action || typeof action !== "object") return "";
    return action.label || action.displayText || action.text || "";
  }

  /* Make a non-button element behave as a button for mouse, touch and keyboard. */
  function tappable(node, action, onAction) {
    if (!action || typeof action !== "object") return node;
    node.classList.add("tappable");
    node.tabIndex = 0;
    node.setAttribute("role", action.type === "uri" ? "link" : "button");
    const label = actionLabel(action);
    if (label && !node.getAttribute("aria-label")) node.title = label;
    node.addEventListener("click", (event) => {
      event.stopPropagation();
      onAction(action);
    });
    node.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        event.stopPropagation();
        onAction(action);
      }
    });
    return node;
  }

  /* What a uri may open, as LINE would: the web, a phone call or a mail; else null. */
  function safeUri(uri) {
    try {
      const parsed = new URL(uri, window.location.href);
      return ["http:", "https:", "tel:", "mailto:"].includes(parsed.protocol) ? parsed.href : null;
    } catch (_error) {
      return null;
    }
  }

  function actionButton(action, onAction, className) {
    const label = actionLabel(action) || "（ラベルなし）";
    const href = action && action.type === "uri" ? safeUri(action.uri) : null;
    if (href) {
      // A real link, so a tel: button dials (or offers to) on the device showing the page.
      const link = el("a", className || "action-button", label);
      link.href = href;
      if (!href.startsWith("tel:") && !href.startsWith("mailto:")) {
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        link.append(el("span", "external", " ↗"));
      }
      return link;
    }
    const button = el("button", className || "action-button", label);
    button.type = "button";
    if (action && action.type === "uri") button.append(el("span", "external", " ↗"));
    button.addEventListener("click", () => onAction(action));
    return button;
  }

  // ---- Flex ----------------------------------------------------------------------------

  function flexChildStyle(node, component, parentLayout) {
    const horizontal = parentLayout === "horizontal" || parentLayout === "baseline";
    let grow = component.flex;
    if (typeof grow !== "number") grow = horizontal ? 1 : 0;
    if (component.type === "filler") grow = typeof component.flex === "number" ? component.flex : 1;
    node.style.flex = grow > 0 ? `${grow} 1 0` : "0 0 auto";
    if (horizontal) node.style.minWidth = "0";
    const position = component.position === "absolute" ? "absolute" : null;
    if (position) node.style.position = "absolute";
    for (const side of ["Top", "Bottom", "Start", "End"]) {
      const offset = px(component[`offset${side}`], SPACING);
      if (!offset) continue;
      const css = side === "Start" ? "left" : side === "End" ? "right" : side.toLowerCase();
      if (position) node.style[css] = offset;
      else {
        node.style.position = "relative";
        if (side === "Top" || side === "Start") node.style[css] = offset;
        else node.style[css === "bottom" ? "top" : "left"] = `-${offset}`;
      }
    }
  }

  function flexBox(box, onAction) {
    const node = el("div", "fx-box");
    const layout = ["horizontal", "vertical", "baseline"].includes(box.layout)
      ? box.layout : "vertical";
    node.classList.add(`fx-${layout}`);
    const bg = colour(box.backgroundColor);
    if (bg) node.style.backgroundColor = bg;
    if (box.background && box.background.type === "linearGradient") {
      const start = colour(box.background.startColor);
      const end = colour(box.background.endColor);
      const angle = /^\d+(\.\d+)?deg$/.test(box.background.angle || "") ? box.background.angle : "0deg";
      if (start && end) node.style.backgroundImage = `linear-gradient(${angle}, ${start}, ${end})`;
    }
    const border = colour(box.borderColor);
    const borderWidth = px(box.borderWidth, BORDER_WIDTH);
    if (borderWidth) node.style.border = `${borderWidth} solid ${border || "#000000"}`;
    const radius = px(box.cornerRadius, CORNER_RADIUS);
    if (radius) node.style.borderRadius = radius;
    if (radius && radius !== "0px") node.style.overflow = "hidden";
    const padding = px(box.paddingAll, SPACING);
    if (padding) node.style.padding = padding;
    for (const [key, css] of [
      ["paddingTop", "paddingTop"], ["paddingBottom", "paddingBottom"],
      ["paddingStart", "paddingLeft"], ["paddingEnd", "paddingRight"],
    ]) {
      const value = px(box[key], SPACING);
      if (value) node.style[css] = value;
    }
    for (const [key, css] of [
      ["width", "width"], ["maxWidth", "maxWidth"], ["height", "height"], ["maxHeight", "maxHeight"],
    ]) {
      const value = px(box[key]);
      if (value) node.style[css] = value;
    }
    if (JUSTIFY[box.justifyContent]) node.style.justifyContent = JUSTIFY[box.justifyContent];
    if (JUSTIFY[box.alignItems]) node.style.alignItems = JUSTIFY[box.alignItems];
    const spacing = px(box.spacing, SPACING);
    const horizontal = layout !== "vertical";
    (Array.isArray(box.contents) ? box.contents : []).forEach((child, index) => {
      if (!child || typeof child !== "object") return;
      const childNode = flexComponent(child, onAction, layout);
      if (!childNode) return;
      flexChildStyle(childNode, child, layout);
      // LINE: a child's own margin replaces the box's spacing before it; the first child has none.
      const gap = px(child.margin, SPACING) || (index > 0 ? spacing : null);
      if (gap && (index > 0 || child.margin)) {
        childNode.style[horizontal ? "marginLeft" : "marginTop"] = gap;
      }
      node.append(childNode);
    });
    return tappable(node, box.action, onAction);
  }

  function applyTextStyle(node, item) {
    const size = px(item.size, TEXT_SIZES);
    if (size) node.style.fontSize = size;
    if (item.weight === "bold") node.style.fontWeight = "700";
    const fg = colour(item.color);
    if (fg) node.style.color = fg;
    if (item.style === "italic") node.style.fontStyle = "italic";
    if (item.decoration === "underline") node.style.textDecoration = "underline";
    if (item.decoration === "line-through") node.style.textDecoration = "line-through";
  }

  function flexText(text, onAction) {
    const node = el("div", "fx-text");
    if (Array.isArray(text.contents) && text.contents.length) {
      for (const span of text.contents) {
        if (!span || span.type !== "span") continue;
        const part = el("span", null, span.text || "");
        applyTextStyle(part, span);
        node.append(part);
      }
    } else {
      node.textContent = text.text || "";
    }
    applyTextStyle(node, text);
    if (!px(text.size, TEXT_SIZES)) node.style.fontSize = `${TEXT_SIZES.md}px`;
    if (text.wrap) node.classList.add("fx-wrap");
    if (typeof text.maxLines === "number" && text.maxLines > 0 && text.wrap) {
      node.classList.add("fx-clamp");
      node.style.webkitLineClamp = String(text.maxLines);
    }
    if (ALIGN[text.align]) node.style.textAlign = text.align === "end" ? "right" : text.align === "center" ? "center" : "left";
    if (ALIGN[text.gravity]) node.style.alignSelf = ALIGN[text.gravity];
    if (typeof text.lineSpacing === "string" && /^\d+px$/.test(text.lineSpacing)) {
      node.style.lineHeight = `calc(1.35em + ${text.lineSpacing})`;
    }
    return tappable(node, text.action, onAction);
  }

  function flexImage(image, onAction) {
    const wrap = el("div", "fx-image");
    const size = image.size === "full" ? "100%" : px(image.size, IMAGE_SIZES) || `${IMAGE_SIZES.md}px`;
    const pic = picture(image.url, "画像 (image)", aspect(image.aspectRatio) || "1 / 1");
    pic.style.width = size;
    pic.style.maxWidth = "100%";
    const bg = colour(image.backgroundColor);
    if (bg) pic.style.backgroundColor = bg;
    if (image.aspectMode === "cover") pic.classList.add("cover");
    wrap.style.justifyContent = ALIGN[image.align] || "center";
    if (ALIGN[image.gravity]) wrap.style.alignSelf = ALIGN[image.gravity];
    wrap.append(pic);
    return tappable(wrap, image.action, onAction);
  }

  function flexButton(button, onAction) {
    const style = ["primary", "secondary", "link"].includes(button.style) ? button.style : "link";
    const node = actionButton(button.action, onAction, `fx-button fx-button-${style}`);
    if (button.height === "sm") node.classList.add("fx-button-sm");
    const tint = colour(button.color);
    if (tint && style === "link") node.style.color = tint;
    else if (tint) node.style.backgroundColor = tint;
    if (ALIGN[button.gravity]) node.style.alignSelf = ALIGN[button.gravity];
    return node;
  }

  function flexComponent(component, onAction, parentLayout) {
    switch (component.type) {
      case "box":
        return flexBox(component, onAction);
      case "text":
        return flexText(component, onAction);
      case "image":
        return flexImage(component, onAction);
      case "video": {
        const node = el("div", "fx-video");
        node.append(picture(component.previewUrl, "動画 (video)", aspect(component.aspectRatio) || "16 / 9"));
        return tappable(node, component.action, onAction);
      }
      case "button":
        return flexButton(component, onAction);
      case "icon": {
        const size = px(component.size, TEXT_SIZES) || `${TEXT_SIZES.md}px`;
        const node = el("span", "fx-icon");
        node.style.width = size;
        node.style.height = size;
        if (typeof component.url === "string" && isLocalUrl(component.url)) {
          const img = el("img");
          img.src = component.url;
          img.alt = "";
          node.append(img);
        } else {
          node.textContent = "◆";
          node.setAttribute("aria-hidden", "true");
        }
        return node;
      }
      case "separator": {
        const node = el("div", parentLayout === "vertical" ? "fx-separator" : "fx-separator fx-separator-v");
        const line = colour(component.color);
        if (line) node.style.backgroundColor = line;
        node.setAttribute("role", "separator");
        return node;
      }
      case "spacer": {
        const node = el("div", "fx-spacer");
        const size = px(component.size, { ...SPACING, md: 8 }) || "8px";
        node.style[parentLayout === "vertical" ? "height" : "width"] = size;
        return node;
      }
      case "filler":
        return el("div", "fx-filler");
      default: {
        // An element this page does not know still shows up, so nothing is silently dropped.
        return el("div", "fx-unknown", `［${component.type || "?"}］`);
      }
    }
  }

  function flexBubble(bubble, onAction) {
    const node = el("div", "fx-bubble");
    const width = BUBBLE_WIDTHS[bubble.size] || BUBBLE_WIDTHS.mega;
    node.style.width = `${width}px`;
    const styles = bubble.styles && typeof bubble.styles === "object" ? bubble.styles : {};
    let previous = false;
    for (const block of ["header", "hero", "body", "footer"]) {
      const content = bubble[block];
      if (!content || typeof content !== "object") continue;
      const part = el("div", `fx-block fx-${block}`);
      const blockStyle = styles[block] && typeof styles[block] === "object" ? styles[block] : {};
      const bg = colour(blockStyle.backgroundColor);
      if (bg) part.style.backgroundColor = bg;
      if (blockStyle.separator && previous) {
        part.style.borderTop = `1px solid ${colour(blockStyle.separatorColor) || "#e0e0e0"}`;
      }
      const child = flexComponent(content, onAction, "vertical");
      if (child) part.append(child);
      node.append(part);
      previous = true;
    }
    return tappable(node, bubble.action, onAction);
  }

  function renderFlex(message, onAction) {
    const contents = message.contents || {};
    if (contents.type === "carousel") {
      const strip = el("div", "carousel");
      for (const bubble of Array.isArray(contents.contents) ? contents.contents : []) {
        strip.append(flexBubble(bubble, onAction));
      }
      return strip;
    }
    return flexBubble(contents, onAction);
  }

  // ---- Templates -----------------------------------------------------------------------

  function templateCard(column, onAction, ratio, imageSize) {
    const card = el("div", "tpl-card");
    if (column.thumbnailImageUrl) {
      const pic = picture(column.thumbnailImageUrl, "画像 (image)", ratio);
      const bg = colour(column.imageBackgroundColor);
      if (bg) pic.style.backgroundColor = bg;
      if (imageSize === "cover") pic.classList.add("cover");
      card.append(tappable(pic, column.defaultAction, onAction));
    }
    const body = el("div", "tpl-body");
    if (column.title) body.append(el("div", "tpl-title", column.title));
    if (column.text) body.append(el("div", "tpl-text", column.text));
    card.append(tappable(body, column.defaultAction, onAction));
    const actions = el("div", "tpl-actions");
    for (const action of Array.isArray(column.actions) ? column.actions : []) {
      actions.append(actionButton(action, onAction, "tpl-action"));
    }
    card.append(actions);
    return card;
  }

  function renderTemplate(message, onAction) {
    const template = message.template || {};
    const ratio = template.imageAspectRatio === "square" ? "1 / 1" : "1.51 / 1";
    switch (template.type) {
      case "buttons":
        return templateCard(template, onAction, ratio, template.imageSize);
      case "confirm": {
        const card = el("div", "tpl-card tpl-confirm");
        card.append(el("div", "tpl-body tpl-text", template.text || ""));
        const actions = el("div", "tpl-actions tpl-actions-row");
        for (const action of Array.isArray(template.actions) ? template.actions : []) {
          actions.append(actionButton(action, onAction, "tpl-action"));
        }
        card.append(actions);
        return card;
      }
      case "carousel": {
        const strip = el("div", "carousel");
        for (const column of Array.isArray(template.columns) ? template.columns : []) {
          strip.append(templateCard(column, onAction, ratio, template.imageSize));
        }
        return strip;
      }
      case "image_carousel": {
        const strip = el("div", "carousel");
        for (const column of Array.isArray(template.columns) ? template.columns : []) {
          const card = el("div", "tpl-image-card");
          card.append(picture(column.imageUrl, "画像 (image)", "1 / 1"));
          if (column.action) card.append(actionButton(column.action, onAction, "tpl-action"));
          strip.append(card);
        }
        return strip;
      }
      default:
        return el("div", "bubble-text", message.altText || "（テンプレート）");
    }
  }

  function hostOf(url) {
    try {
      return new URL(url).host;
    } catch (_error) {
      return String(url || "");
    }
  }

  // ---- Imagemap --------------------------------------------------------------------------

  function renderImagemap(message, onAction) {
    const card = el("div", "imagemap");
    const size = message.baseSize || {};
    const frame = el("div", "imagemap-frame");
    if (size.width > 0 && size.height > 0) frame.style.aspectRatio = `${size.width} / ${size.height}`;
    frame.append(el("span", "imagemap-alt", message.altText || "イメージマップ"));
    for (const area of Array.isArray(message.actions) ? message.actions : []) {
      const bounds = area.area || {};
      let action;
      // Imagemap areas often have no label: show what a tap would do instead.
      if (area.type === "uri") {
        action = { type: "uri", uri: area.linkUri, label: area.label || hostOf(area.linkUri) };
      } else if (area.type === "message") {
        action = { type: "message", text: area.text, label: area.label || area.text };
      } else if (area.type === "clipboard") {
        action = { type: "clipboard", clipboardText: area.clipboardText, label: area.label || "コピー" };
      } else continue;
      const button = actionButton(action, onAction, "imagemap-area");
      if (size.width > 0 && size.height > 0) {
        button.style.left = `${(100 * bounds.x) / size.width}%`;
        button.style.top = `${(100 * bounds.y) / size.height}%`;
        button.style.width = `${(100 * bounds.width) / size.width}%`;
        button.style.height = `${(100 * bounds.height) / size.height}%`;
      }
      frame.append(button);
    }
    card.append(frame);
    return card;
  }

  window.MadoguchiRender = {
    renderFlex, renderTemplate, renderImagemap, picture, actionLabel, isLocalUrl, el, safeUri,
  };
})();
