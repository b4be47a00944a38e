/*
 * The chat page: plays the LINE app for simulated people.
 *
 * It only talks to the simulator's control API (people's actions, transcripts, the rich
 * menu) and to /simulator/clock (the bot's, for a signed-in console admin only, with the CSRF
 * token of that session); what it shows of the bot is what the bot sent through the
 * fake Messaging API, read back from the transcript. DOM is built with textContent only,
 * because both the bot's and the person's words are untrusted here.
 */
"use strict";

(() => {
  const R = window.MadoguchiRender;
  const el = R.el;
  const BASE = new URL(document.body.dataset.base || "./", window.location.href);
  const POLL_MS = 700;
  // People not on screen are polled less often; they only need their unread badge.
  const BACKGROUND_EVERY = 3;
  const REFRESH_EVERY = 7; // personas and the rich menu, in poll ticks (about 5 s)
  const ROLE_KEY = "madoguchi.simulator.roles";
  const ACTIVE_KEY = "madoguchi.simulator.active";
  const OFFSET_KEY = "madoguchi.simulator.botOffset";
  // Times are shown as the bot sees them: in the town's time zone, whatever the browser's.
  const TOWN_TIME_ZONE = "Asia/Tokyo";

  const ROLE_LABELS = { resident: "住民", family: "家族", other: "その他" };
  const STATUS_LABELS = { new: "未フォロー", friend: "友だち", blocked: "ブロック中" };
  const DEFAULT_PERSONAS = [
    { displayName: "山田花子", language: "ja", role: "resident", statusMessage: "小田原市早川でひとり暮らし" },
    { displayName: "山田太郎", language: "ja", role: "family", statusMessage: "東京で働いています（母は小田原）" },
    { displayName: "John Smith", language: "en", role: "resident", statusMessage: "Living in Odawara" },
  ];
  // Real places in the sample town (Odawara); the coordinates are what the bot uses.
  const PLACES = [
    { title: "小田原駅", address: "神奈川県小田原市城山1丁目", latitude: 35.2564, longitude: 139.1551 },
    { title: "小田原市役所", address: "神奈川県小田原市荻窪300", latitude: 35.2645, longitude: 139.1522 },
    { title: "早川駅", address: "神奈川県小田原市早川1丁目", latitude: 35.2386, longitude: 139.1386 },
    { title: "鴨宮駅", address: "神奈川県小田原市鴨宮", latitude: 35.2781, longitude: 139.1775 },
    { title: "国府津駅", address: "神奈川県小田原市国府津", latitude: 35.2826, longitude: 139.2092 },
    { title: "下曽我駅", address: "神奈川県小田原市曽我原", latitude: 35.3019, longitude: 139.1904 },
  ];
  const URL_OR_PHONE = /(https?:\/\/[^\s<>"'「」（）、。]+)|(0\d{1,4}-\d{1,4}-\d{3,4})/g;

  const $ = (id) => document.getElementById(id);
  const ui = {
    tabs: $("persona-tabs"),
    host: $("messages-host"),
    wrap: $("messages-wrap"),
    loading: $("loading"),
    quick: $("quick-replies"),
    composer: $("composer"),
    text: $("composer-text"),
    send: $("send-button"),
    follow: $("follow-button"),
    block: $("block-button"),
    banner: $("status-banner"),
    personaLine: $("chat-persona"),
    richMenu: $("rich-menu"),
    richAreas: $("rich-menu-areas"),
    richToggle: $("rich-menu-toggle"),
    richBarText: $("rich-menu-bar-text"),
    toast: $("toast"),
    locationDialog: $("location-dialog"),
    datetimeDialog: $("datetime-dialog"),
  };

  const views = new Map(); // userId -> View, in the simulator's order
  let activeId = null;
  let richMenuId = null;
  let tick = 0;
  let offline = false;

  // ---- Talking to the simulator -----------------------------------------------------------

  async function call(method, path, body, headers = {}) {
    const options = { method, cache: "no-store", headers: { ...headers } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(new URL(path, BASE), options);
    } catch (error) {
      return { ok: false, status: 0, data: { error: String(error) } };
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (_error) {
      data = { raw: text.slice(0, 300) };
    }
    return { ok: response.ok, status: response.status, data };
  }

  const userPath = (userId, rest) => `control/users/${encodeURIComponent(userId)}/${rest}`;

  function explain(result) {
    const detail = (result.data && (result.data.error || result.data.message)) || "";
    if (result.status === 0) return `シミュレーターに接続できません (cannot reach the simulator) ${detail}`;
    if (result.status === 502) return `ボットに届きませんでした (the bot did not answer): ${detail}`;
    const known = {
      "already a friend": "すでに友だちです (already a friend)",
      "not a friend": "友だちではありません (not a friend)",
      "this user has blocked the account": "ブロック中は送れません (blocked: unblock first)",
      "no message of this person to unsend": "取り消せるメッセージがありません (nothing to unsend)",
    };
    return known[detail] || `エラー ${result.status}: ${detail}`;
  }

  let toastTimer = null;
  function toast(message) {
    ui.toast.textContent = message;
    ui.toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { ui.toast.hidden = true; }, 4500);
  }

  // ---- Roles (page-side notes: the bot never sees them) -------------------------------------

  function loadRoles() {
    try {
      return JSON.parse(localStorage.getItem(ROLE_KEY) || "{}");
    } catch (_error) {
      return {};
    }
  }
  function saveRole(userId, role) {
    const roles = loadRoles();
    roles[userId] = role;
    try {
      localStorage.setItem(ROLE_KEY, JSON.stringify(roles));
    } catch (_error) { /* private mode: roles are only a label */ }
  }
  function roleOf(persona) {
    const role = loadRoles()[persona.userId];
    if (role) return role;
    const known = DEFAULT_PERSONAS.find((p) => p.displayName === persona.displayName);
    return known ? known.role : null;
  }

  // ---- Formatting ---------------------------------------------------------------------------

  const timeFormat = new Intl.DateTimeFormat("ja-JP", {
    hour: "2-digit", minute: "2-digit", timeZone: TOWN_TIME_ZONE,
  });
  const dateFormat = new Intl.DateTimeFormat("ja-JP", {
    year: "numeric", month: "long", day: "numeric", weekday: "short", timeZone: TOWN_TIME_ZONE,
  });
  const clockFormat = new Intl.DateTimeFormat("ja-JP", {
    month: "long", day: "numeric", weekday: "short", hour: "2-digit", minute: "2-digit",
    timeZone: TOWN_TIME_ZONE,
  });

  // How far the bot's clock was moved, as its clock route last said (0: real time). Kept in
  // the browser only as a display hint: the bot's own offset lives in its database.
  let botOffsetMs = loadOffset();
  function loadOffset() {
    try {
      return Number(localStorage.getItem(OFFSET_KEY)) || 0;
    } catch (_error) {
      return 0;
    }
  }
  function saveOffset(seconds) {
    botOffsetMs = 1000 * (Number(seconds) || 0);
    try {
      localStorage.setItem(OFFSET_KEY, String(botOffsetMs));
    } catch (_error) { /* private mode: the hint lasts for this page */ }
    drawBotTime();
  }
  /* A moment of the simulator's (real) clock, as the bot's clock reads it. */
  const botTime = (real) => new Date(real.getTime() + botOffsetMs);
  function drawBotTime() {
    const node = $("bot-time");
    if (!node) return;
    const now = botTime(new Date());
    node.textContent = clockFormat.format(now);
    node.dateTime = now.toISOString();
    const moved = $("bot-time-moved");
    if (moved) {
      const hours = Math.round(botOffsetMs / 360000) / 10;
      moved.textContent = botOffsetMs ? `（${hours}時間進めています (moved +${hours}h)）` : "";
    }
  }
  const shortId = (userId) => `${userId.slice(0, 5)}…${userId.slice(-4)}`;

  /* Text with newlines kept and URLs / phone numbers made into links, as LINE does. */
  function linkedText(text, className) {
    const node = el("div", className);
    let last = 0;
    for (const match of text.matchAll(URL_OR_PHONE)) {
      let found = match[0];
      // Sentence punctuation after a URL is not part of it.
      const trail = /[.,!?;:)\]]+$/.exec(found);
      if (match[1] && trail) found = found.slice(0, -trail[0].length);
      node.append(text.slice(last, match.index));
      const link = el("a", null, found);
      link.href = match[1] ? found : `tel:${found.replaceAll("-", "")}`;
      if (match[1]) {
        link.target = "_blank";
        link.rel = "noopener noreferrer";
      }
      node.append(link);
      last = match.index + found.length;
    }
    node.append(text.slice(last));
    return node;
  }

  // ---- One person's chat --------------------------------------------------------------------

  class View {
    constructor(persona) {
      this.persona = persona;
      this.after = 0;
      this.list = el("ol", "messages");
      this.list.setAttribute("role", "log");
      this.list.setAttribute("aria-label", `${persona.displayName} のトーク (chat)`);
      this.list.setAttribute("aria-live", "polite");
      this.lastDate = null;
      this.lastEntry = null; // the newest entry that LINE would show as a message or action
      this.lastBotSeq = 0;
      this.lastSender = null;
      this.loading = null; // {seq, until}
      this.readUpTo = 0;
      this.readMarks = [];
      this.rows = new Map(); // messageId -> row, for unsend
      this.unsentIds = new Set();
      this.unread = 0;
      this.loaded = false;
      this.polling = null;
      this.again = false;
      this.tab = null;
    }

    add(entry) {
      this.after = Math.max(this.after, entry.seq);
      const stamped = new Date(entry.time);
      const when = botTime(stamped);
      if (entry.kind === "loading") {
        if (!entry.delivered) return;
        // Both clocks are considered, so a skewed browser clock never shows dots forever.
        const start = Math.min(stamped.getTime() || Date.now(), Date.now());
        this.loading = { seq: entry.seq, until: start + 1000 * (entry.loadingSeconds || 5) };
        return;
      }
      this.separateDate(when);
      if (entry.from === "bot") this.addBot(entry, when);
      else this.addUser(entry, when);
    }

    separateDate(when) {
      const day = dateFormat.format(when);
      if (day === this.lastDate) return;
      this.lastDate = day;
      const row = el("li", "date-separator");
      row.append(el("span", null, day));
      this.list.append(row);
      this.lastSender = null;
    }

    system(text, className) {
      const row = el("li", `system ${className || ""}`.trim());
      row.append(el("span", null, text));
      this.list.append(row);
      this.lastSender = null;
      return row;
    }

    addBot(entry, when) {
      if (entry.kind !== "message") return;
      this.lastBotSeq = entry.seq;
      if (!entry.delivered) {
        // LINE would not show it; the page says so, so a tester sees the bot did try.
        this.system("ボットのメッセージは届きませんでした（ブロック中） (not delivered: blocked)", "undelivered");
        return;
      }
      this.lastEntry = entry;
      const row = el("li", "row row-bot");
      row.dataset.seq = entry.seq;
      if (this.lastSender !== "bot") {
        row.append(el("span", "avatar avatar-bot", "窓口"));
        row.classList.add("first");
      } else {
        row.append(el("span", "avatar-space"));
      }
      const column = el("div", "column");
      if (this.lastSender !== "bot") column.append(el("span", "sender", "社会福祉協議会 窓口"));
      const line = el("div", "line");
      line.append(renderMessage(entry.message, "bot"), el("span", "time", timeFormat.format(when)));
      column.append(line);
      row.append(column);
      this.list.append(row);
      this.lastSender = "bot";
      if (this.loaded && activeId !== this.persona.userId) this.unread += 1;
    }

    addUser(entry, when) {
      this.lastEntry = entry;
      if (entry.kind === "event") {
        const type = entry.event && entry.event.type;
        if (type === "unsend") {
          if (this.unsentIds.has(entry.event.messageId)) return;
          const row = this.rows.get(entry.event.messageId);
          const note = el("li", "system", null);
          note.append(el("span", null, "メッセージの送信を取り消しました (message unsent)"));
          if (row) row.replaceWith(note);
          else this.list.append(note);
          this.lastSender = null;
          return;
        }
        const labels = {
          follow: "友だち追加しました (followed)",
          unfollow: "ブロックしました (blocked)",
          postback: "ボタンを押しました (postback)",
        };
        this.system(labels[type] || `イベント: ${type}`, type === "unfollow" ? "warn" : "");
        return;
      }
      if (entry.unsent) {
        // Already taken back when the page first read it: LINE shows only the notice.
        this.unsentIds.add(entry.messageId);
        this.system("メッセージの送信を取り消しました (message unsent)");
        return;
      }
      const row = el("li", "row row-user");
      row.dataset.seq = entry.seq;
      const line = el("div", "line");
      const meta = el("span", "time");
      const read = el("span", "read", "既読");
      read.hidden = entry.seq > this.readUpTo;
      this.readMarks.push({ seq: entry.seq, node: read });
      meta.append(read, el("span", null, timeFormat.format(when)));
      line.append(meta, renderMessage(entry.message, "user"));
      row.append(line);
      if (entry.messageId) this.rows.set(entry.messageId, row);
      this.list.append(row);
      this.lastSender = "user";
    }

    setReadUpTo(seq) {
      if (typeof seq !== "number" || seq <= this.readUpTo) return;
      this.readUpTo = seq;
      for (const mark of this.readMarks) mark.node.hidden = mark.seq > seq;
    }

    quickReplyItems() {
      const last = this.lastEntry;
      if (!last || last.from !== "bot" || !last.message || !last.message.quickReply) return [];
      const items = last.message.quickReply.items;
      return Array.isArray(items) ? items : [];
    }

    isLoading() {
      return Boolean(this.loading && this.loading.seq > this.lastBotSeq && Date.now() < this.loading.until);
    }
  }

  // ---- Drawing messages ---------------------------------------------------------------------

  function renderMessage(message, from) {
    const bubble = el("div", `bubble bubble-${from}`);
    switch (message.type) {
      case "text":
        bubble.append(linkedText(message.text || "", "bubble-text"));
        break;
      case "textV2": {
        // Substitutions ({name}) become their mention or emoji stand-in.
        const subs = message.substitution || {};
        const text = (message.text || "").replace(/\{([A-Za-z0-9_]+)\}/g, (whole, key) => {
          const sub = subs[key];
          if (!sub) return whole;
          if (sub.type === "mention") return sub.mentionee && sub.mentionee.type === "all" ? "@All" : "@あなた";
          return "☺";
        });
        bubble.append(linkedText(text, "bubble-text"));
        break;
      }
      case "sticker":
        bubble.classList.add("bubble-media");
        bubble.append(stickerBox(message));
        break;
      case "image":
        bubble.classList.add("bubble-media");
        bubble.append(mediaBox("画像 (image)", message.originalContentUrl || message.previewImageUrl));
        break;
      case "video":
        bubble.classList.add("bubble-media");
        bubble.append(mediaBox("動画 (video)", message.originalContentUrl));
        break;
      case "audio":
        bubble.append(el("div", "bubble-text", `♪ 音声 (audio) ${Math.round((message.duration || 0) / 1000)}秒`));
        break;
      case "file":
        bubble.append(el("div", "bubble-text", `📄 ${message.fileName || "ファイル (file)"}`));
        break;
      case "location":
        bubble.classList.add("bubble-card");
        bubble.append(locationCard(message));
        break;
      case "flex":
        bubble.classList.add("bubble-card", "bubble-flex");
        bubble.append(R.renderFlex(message, perform));
        break;
      case "template":
        bubble.classList.add("bubble-card", "bubble-flex");
        bubble.append(R.renderTemplate(message, perform));
        break;
      case "imagemap":
        bubble.classList.add("bubble-card");
        bubble.append(R.renderImagemap(message, perform));
        break;
      default:
        bubble.append(el("div", "bubble-text", `［${message.type || "?"}］ ${message.altText || ""}`));
    }
    return bubble;
  }

  function stickerBox(message) {
    const box = el("div", "sticker");
    box.setAttribute("role", "img");
    box.setAttribute("aria-label", "スタンプ (sticker)");
    box.append(el("span", "sticker-face", "☺"), el("span", "sticker-label", "スタンプ"));
    if (message.packageId) box.title = `package ${message.packageId} / sticker ${message.stickerId}`;
    return box;
  }

  function mediaBox(label, url) {
    const box = R.picture(url, label, "4 / 3");
    box.classList.add("media");
    if (url && !R.isLocalUrl(url) && /^https:\/\//.test(url)) {
      const link = el("a", "media-link", "開く (open) ↗");
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      box.append(link);
    }
    return box;
  }

  function mapUrl(latitude, longitude) {
    return `https://www.openstreetmap.org/?mlat=${latitude}&mlon=${longitude}#map=17/${latitude}/${longitude}`;
  }

  function locationCard(message) {
    const card = el("div", "location");
    const pin = el("div", "location-map");
    pin.append(el("span", "pin", "📍"));
    card.append(pin);
    const body = el("div", "location-body");
    body.append(el("div", "location-title", message.title || "位置情報 (location)"));
    if (message.address) body.append(el("div", "location-address", message.address));
    body.append(el("div", "location-coords", `${message.latitude}, ${message.longitude}`));
    const link = el("a", "location-link", "地図で見る (open map) ↗");
    link.href = mapUrl(message.latitude, message.longitude);
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    body.append(link);
    card.append(body);
    return card;
  }

  // ---- Doing what a tap does in LINE --------------------------------------------------------

  async function perform(action) {
    if (!action || typeof action !== "object") return;
    switch (action.type) {
      case "message":
        await sendText(action.text || action.label || "");
        break;
      case "postback": {
        const shown = action.displayText || action.text;
        await act("postback", { data: action.data || "", displayText: shown || undefined });
        if (action.inputOption === "openKeyboard") {
          if (action.fillInText) ui.text.value = action.fillInText;
          ui.text.focus();
        } else if (action.inputOption === "openRichMenu") setRichMenuOpen(true);
        else if (action.inputOption === "closeRichMenu") setRichMenuOpen(false);
        break;
      }
      case "uri": {
        const target = R.safeUri(action.uri || (action.altUri && action.altUri.desktop));
        if (target) window.open(target, "_blank", "noopener,noreferrer");
        else toast(`開けないURIです (cannot open): ${action.uri}`);
        break;
      }
      case "datetimepicker":
        pickDateTime(action);
        break;
      case "camera":
      case "cameraRoll":
        await act("image", {});
        break;
      case "location":
        openLocationPicker();
        break;
      case "richmenuswitch":
        // The simulator keeps only the default menu; the bot still gets LINE's postback.
        await act("postback", {
          data: action.data || "",
          params: { newRichMenuAliasId: action.richMenuAliasId || "", status: "SUCCESS" },
        });
        break;
      case "clipboard":
        try {
          await navigator.clipboard.writeText(action.clipboardText || "");
          toast("コピーしました (copied)");
        } catch (_error) {
          toast(`コピーできません (cannot copy): ${action.clipboardText || ""}`);
        }
        break;
      default:
        toast(`未対応のアクション (unsupported action): ${action.type}`);
    }
  }

  async function act(action, body) {
    const view = views.get(activeId);
    if (!view) return null;
    const userId = view.persona.userId;
    // The person's side is in the transcript before the bot is called, so show it at once.
    setTimeout(() => poll(view), 60);
    const result = await call("POST", userPath(userId, action), body);
    if (!result.ok) toast(explain(result));
    poll(view);
    if (action === "follow" || action === "unfollow") await refreshPersonas();
    return result;
  }

  async function sendText(text) {
    if (!text.trim()) return;
    await act("text", { text: text.slice(0, 5000) });
  }

  // ---- Personas -----------------------------------------------------------------------------

  async function createPersona(details) {
    const result = await call("POST", "control/users", {
      displayName: details.displayName,
      language: details.language,
      statusMessage: details.statusMessage || undefined,
    });
    if (result.ok && details.role) saveRole(result.data.userId, details.role);
    return result;
  }

  async function refreshPersonas() {
    const result = await call("GET", "control/users");
    if (!result.ok) {
      setOffline(true);
      return false;
    }
    setOffline(false);
    const seen = new Set();
    for (const persona of result.data.users) {
      seen.add(persona.userId);
      const view = views.get(persona.userId);
      if (view) view.persona = persona;
      else {
        const added = new View(persona);
        views.set(persona.userId, added);
        // Read the history at once, so later messages count as unread and earlier ones do not.
        poll(added);
      }
    }
    for (const userId of [...views.keys()]) {
      // The simulator was reset: these people no longer exist.
      if (!seen.has(userId)) views.delete(userId);
    }
    if (!views.has(activeId)) {
      let remembered = null;
      try {
        remembered = sessionStorage.getItem(ACTIVE_KEY);
      } catch (_error) { /* storage is optional */ }
      activeId = views.has(remembered) ? remembered : views.keys().next().value || null;
      showActive();
    }
    drawTabs();
    drawHeader();
    return true;
  }

  function drawTabs() {
    const focused = document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.userId : null;
    ui.tabs.replaceChildren();
    if (!views.size) {
      const empty = el("div", "tabs-empty");
      empty.append(el("p", null, "ペルソナがいません (no personas)"));
      const button = el("button", "btn btn-primary", "既定のペルソナを作る (Create defaults)");
      button.type = "button";
      button.addEventListener("click", async () => {
        for (const details of DEFAULT_PERSONAS) await createPersona(details);
        await refreshPersonas();
      });
      empty.append(button);
      ui.tabs.append(empty);
      return;
    }
    for (const view of views.values()) {
      const persona = view.persona;
      const selected = persona.userId === activeId;
      const tab = el("button", "persona-tab");
      tab.type = "button";
      tab.setAttribute("role", "tab");
      tab.setAttribute("aria-selected", String(selected));
      tab.setAttribute("aria-controls", "chat");
      tab.tabIndex = selected ? 0 : -1;
      tab.dataset.userId = persona.userId;
      const avatar = el("span", `avatar avatar-person ${persona.status}`, persona.displayName.slice(0, 1));
      avatar.setAttribute("aria-hidden", "true");
      const text = el("span", "persona-text");
      const role = roleOf(persona);
      text.append(
        el("span", "persona-name", persona.displayName),
        el("span", "persona-meta",
          [role && ROLE_LABELS[role], persona.language, STATUS_LABELS[persona.status]]
            .filter(Boolean).join(" · ")),
        el("code", "persona-id", shortId(persona.userId)),
      );
      // The strip at phone width hides the details; the title still carries them.
      tab.title = [persona.displayName, role && ROLE_LABELS[role], persona.language, persona.userId]
        .filter(Boolean).join(" — ");
      tab.append(avatar, text);
      if (view.unread > 0) {
        const badge = el("span", "badge", view.unread > 99 ? "99+" : String(view.unread));
        badge.setAttribute("aria-label", `未読 ${view.unread} 件 (unread)`);
        tab.append(badge);
      }
      tab.addEventListener("click", () => select(persona.userId));
      tab.addEventListener("keydown", onTabKey);
      ui.tabs.append(tab);
      view.tab = tab;
      if (focused === persona.userId) tab.focus();
    }
  }

  function onTabKey(event) {
    const ids = [...views.keys()];
    const index = ids.indexOf(event.currentTarget.dataset.userId);
    const moves = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
    let next = null;
    if (event.key in moves) next = ids[(index + moves[event.key] + ids.length) % ids.length];
    else if (event.key === "Home") next = ids[0];
    else if (event.key === "End") next = ids[ids.length - 1];
    if (next === null) return;
    event.preventDefault();
    select(next);
    const tab = views.get(next).tab;
    if (tab) tab.focus();
  }

  function select(userId) {
    if (!views.has(userId) || userId === activeId) return;
    activeId = userId;
    try {
      sessionStorage.setItem(ACTIVE_KEY, userId);
    } catch (_error) { /* storage is optional */ }
    showActive();
    drawTabs();
    drawHeader();
    poll(views.get(userId));
  }

  function showActive() {
    const view = views.get(activeId);
    ui.host.replaceChildren();
    if (!view) return;
    view.unread = 0;
    ui.host.append(view.list);
    ui.wrap.scrollTop = ui.wrap.scrollHeight;
    drawQuickReplies();
    drawLoading();
  }

  function drawHeader() {
    const view = views.get(activeId);
    const persona = view ? view.persona : null;
    ui.personaLine.replaceChildren();
    if (!persona) {
      ui.follow.hidden = ui.block.hidden = true;
      ui.banner.hidden = true;
      setComposerEnabled(false);
      return;
    }
    ui.personaLine.append(
      el("span", "chat-persona-name", `${persona.displayName} として (as)`),
      el("span", "chat-persona-lang", persona.language),
      el("span", `chat-persona-status status-${persona.status}`, STATUS_LABELS[persona.status]),
    );
    const id = el("code", "chat-persona-id", persona.userId);
    id.title = "LINE user ID";
    ui.personaLine.append(id);
    ui.follow.hidden = persona.status === "friend";
    ui.follow.textContent = persona.status === "blocked" ? "ブロック解除 (Unblock)" : "友だち追加 (Follow)";
    ui.block.hidden = persona.status !== "friend";
    if (persona.status === "new") {
      ui.banner.textContent = "まだ友だちではありません。「友だち追加 (Follow)」を押すと、ボットからあいさつが届きます。(Not a friend yet: press Follow to start.)";
      ui.banner.hidden = false;
    } else if (persona.status === "blocked") {
      ui.banner.textContent = "ブロック中です。メッセージは送れません。「ブロック解除 (Unblock)」で再開できます。(Blocked: unblock to write again.)";
      ui.banner.hidden = false;
    } else {
      ui.banner.hidden = true;
    }
    setComposerEnabled(persona.status !== "blocked");
  }

  function setComposerEnabled(enabled) {
    for (const control of ui.composer.querySelectorAll("button, textarea")) control.disabled = !enabled;
  }

  function setOffline(value) {
    if (value === offline) return;
    offline = value;
    document.body.classList.toggle("offline", value);
    if (value) toast("シミュレーターに接続できません。再接続を待っています… (reconnecting)");
  }

  // ---- Polling ------------------------------------------------------------------------------

  function poll(view) {
    if (!view) return Promise.resolve();
    if (view.polling) {
      // One request at a time per person; a poll asked for meanwhile runs right after it.
      view.again = true;
      return view.polling;
    }
    view.polling = (async () => {
      do {
        view.again = false;
        await pollOnce(view);
      } while (view.again);
      view.polling = null;
    })();
    return view.polling;
  }

  async function pollOnce(view) {
    const userId = view.persona.userId;
    const result = await call("GET", `${userPath(userId, "transcript")}?after=${view.after}`);
    if (!result.ok) {
      if (result.status === 404) await refreshPersonas();
      else setOffline(true);
      return;
    }
    setOffline(false);
    const entries = result.data.entries || [];
    const active = userId === activeId;
    const wrap = ui.wrap;
    const nearBottom = wrap.scrollHeight - wrap.scrollTop - wrap.clientHeight < 120;
    const unreadBefore = view.unread;
    let fromUser = false;
    let friendship = false;
    for (const entry of entries) {
      if (entry.seq <= view.after) continue;
      view.add(entry);
      fromUser = fromUser || entry.from === "user";
      friendship = friendship || (entry.kind === "event" && ["follow", "unfollow"].includes(entry.event.type));
    }
    // A follow or block made elsewhere (another tab, a test) changes the persona's status now.
    if (friendship && view.loaded) refreshPersonas();
    view.setReadUpTo(result.data.readUpTo);
    view.loaded = true;
    if (!active) {
      if (view.unread !== unreadBefore) drawTabs();
      return;
    }
    if (entries.length) {
      drawQuickReplies();
      if (nearBottom || fromUser) wrap.scrollTop = wrap.scrollHeight;
    }
    drawLoading();
  }

  async function loop() {
    tick += 1;
    const polls = [];
    for (const view of views.values()) {
      if (view.persona.userId === activeId || tick % BACKGROUND_EVERY === 0) polls.push(poll(view));
    }
    if (tick % REFRESH_EVERY === 0) polls.push(refreshPersonas(), refreshRichMenu());
    try {
      await Promise.all(polls);
    } finally {
      drawLoading();
      drawBotTime();
      setTimeout(loop, POLL_MS);
    }
  }

  function drawLoading() {
    const view = views.get(activeId);
    const show = Boolean(view && view.isLoading());
    if (show === !ui.loading.hidden) return;
    ui.loading.hidden = !show;
    if (show) ui.wrap.scrollTop = ui.wrap.scrollHeight;
  }

  function drawQuickReplies() {
    const view = views.get(activeId);
    const items = view ? view.quickReplyItems() : [];
    ui.quick.replaceChildren();
    ui.quick.hidden = !items.length;
    const icons = { camera: "📷 ", cameraRoll: "🖼 ", location: "📍 ", datetimepicker: "📅 ", uri: "↗ " };
    for (const item of items) {
      const action = item && item.action;
      if (!action) continue;
      const chip = el("button", "chip", `${icons[action.type] || ""}${R.actionLabel(action) || action.type}`);
      chip.type = "button";
      chip.addEventListener("click", () => perform(action));
      ui.quick.append(chip);
    }
    // A new set starts at its first button, as in LINE: the row is not left scrolled to where
    // the last tap was.
    ui.quick.scrollLeft = 0;
  }

  // ---- Rich menu ----------------------------------------------------------------------------

  async function refreshRichMenu() {
    const result = await call("GET", "control/richmenu");
    if (!result.ok) return;
    const menu = result.data.richMenu;
    const id = menu ? menu.richMenuId : null;
    if (id === richMenuId) return;
    richMenuId = id;
    ui.richMenu.hidden = !menu;
    ui.richAreas.replaceChildren();
    if (!menu) return;
    ui.richBarText.textContent = menu.chatBarText || "メニュー";
    const size = menu.size || { width: 2500, height: 1686 };
    ui.richAreas.style.aspectRatio = `${size.width} / ${size.height}`;
    for (const area of menu.areas || []) {
      const bounds = area.bounds || {};
      const action = area.action || {};
      const button = el("button", "rich-area", R.actionLabel(action) || action.data || action.uri || action.type);
      button.type = "button";
      button.style.left = `${(100 * (bounds.x || 0)) / size.width}%`;
      button.style.top = `${(100 * (bounds.y || 0)) / size.height}%`;
      button.style.width = `${(100 * (bounds.width || 0)) / size.width}%`;
      button.style.height = `${(100 * (bounds.height || 0)) / size.height}%`;
      button.addEventListener("click", () => perform(action));
      ui.richAreas.append(button);
    }
    setRichMenuOpen(menu.selected !== false);
  }

  function setRichMenuOpen(open) {
    ui.richToggle.setAttribute("aria-expanded", String(open));
    ui.richAreas.hidden = !open;
  }

  // ---- Dialogs: location and date/time ------------------------------------------------------

  function openLocationPicker() {
    $("location-error").textContent = "";
    ui.locationDialog.showModal();
    const first = ui.locationDialog.querySelector(".place");
    if (first) first.focus();
  }

  async function sendLocation(place) {
    ui.locationDialog.close();
    await act("location", place);
  }

  function setUpLocationDialog() {
    const list = $("place-list");
    for (const place of PLACES) {
      const item = el("li");
      const button = el("button", "place");
      button.type = "button";
      button.append(
        el("span", "place-title", place.title),
        el("span", "place-address", `${place.address} · ${place.latitude}, ${place.longitude}`),
      );
      button.addEventListener("click", () => sendLocation(place));
      item.append(button);
      list.append(item);
    }
    $("send-custom-location").addEventListener("click", () => {
      const form = $("location-form");
      const latitude = Number(form.elements.latitude.value);
      const longitude = Number(form.elements.longitude.value);
      const valid = form.elements.latitude.value !== "" && form.elements.longitude.value !== ""
        && Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180;
      if (!valid) {
        $("location-error").textContent = "緯度は -90〜90、経度は -180〜180 の数で入力してください (invalid coordinates)";
        return;
      }
      sendLocation({
        title: form.elements.title.value.trim(),
        address: form.elements.address.value.trim(),
        latitude,
        longitude,
      });
    });
  }

  let pendingPicker = null;
  function pickDateTime(action) {
    const modes = { date: ["date", "日付 (date)"], time: ["time", "時刻 (time)"], datetime: ["datetime-local", "日時 (date and time)"] };
    const [type, label] = modes[action.mode] || modes.datetime;
    const input = $("datetime-input");
    input.type = type;
    input.value = action.initial || "";
    input.min = action.min || "";
    input.max = action.max || "";
    $("datetime-label").textContent = label;
    $("datetime-title").textContent = action.label || "日時を選ぶ (Pick a date/time)";
    pendingPicker = action;
    // Closing with Esc keeps the last returnValue; clear it so Esc never sends.
    ui.datetimeDialog.returnValue = "";
    ui.datetimeDialog.showModal();
    input.focus();
  }

  function setUpDateTimeDialog() {
    ui.datetimeDialog.addEventListener("close", () => {
      const action = pendingPicker;
      pendingPicker = null;
      const value = $("datetime-input").value;
      if (!action || ui.datetimeDialog.returnValue !== "ok" || !value) return;
      const key = action.mode === "date" ? "date" : action.mode === "time" ? "time" : "datetime";
      act("postback", { data: action.data || "", params: { [key]: value } });
    });
  }

  // ---- The composer and the buttons ---------------------------------------------------------

  function keepBottomInView() {
    // A chat scrolled to its end stays there when the window or the panels below change size.
    let pinned = true;
    const wrap = ui.wrap;
    wrap.addEventListener("scroll", () => {
      pinned = wrap.scrollHeight - wrap.scrollTop - wrap.clientHeight < 120;
    });
    new ResizeObserver(() => {
      if (pinned) wrap.scrollTop = wrap.scrollHeight;
    }).observe(wrap);
  }

  function setUpComposer() {
    const grow = () => {
      ui.text.style.height = "auto";
      ui.text.style.height = `${Math.min(ui.text.scrollHeight, 140)}px`;
    };
    ui.text.addEventListener("input", grow);
    ui.text.addEventListener("keydown", (event) => {
      // While an IME is composing (Japanese input), Enter confirms the conversion, not the message.
      if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
      event.preventDefault();
      ui.composer.requestSubmit();
    });
    ui.composer.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = ui.text.value;
      if (!text.trim()) return;
      ui.text.value = "";
      grow();
      const result = await act("text", { text: text.slice(0, 5000) });
      // Keep what was typed if it never reached the simulator.
      if (result && result.status === 0 && !ui.text.value) ui.text.value = text;
    });
    $("sticker-button").addEventListener("click", () => act("sticker", {}));
    $("image-button").addEventListener("click", () => act("image", {}));
    $("location-button").addEventListener("click", openLocationPicker);
    $("unsend-button").addEventListener("click", () => act("unsend", {}));
    ui.follow.addEventListener("click", () => act("follow", {}));
    ui.block.addEventListener("click", () => act("unfollow", {}));
    ui.richToggle.addEventListener("click", () => {
      setRichMenuOpen(ui.richToggle.getAttribute("aria-expanded") !== "true");
    });
  }

  function setUpPersonaForm() {
    const form = $("add-persona-form");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const name = form.elements.displayName.value.trim();
      if (!name) {
        $("add-persona-error").textContent = "表示名を入力してください (display name is required)";
        form.elements.displayName.focus();
        return;
      }
      const result = await createPersona({
        displayName: name,
        language: form.elements.language.value,
        role: form.elements.role.value,
        statusMessage: form.elements.statusMessage.value.trim(),
      });
      if (!result.ok) {
        $("add-persona-error").textContent = explain(result);
        return;
      }
      $("add-persona-error").textContent = "";
      form.reset();
      await refreshPersonas();
      select(result.data.userId);
    });
  }

  // The bot's clock answers a signed-in console admin only: first the session's CSRF token
  // (asked for afresh, since signing in starts a new session), then the move itself.
  async function moveClock(body) {
    const asJson = { "X-Requested-With": "fetch" };
    const state = await call("GET", "clock", undefined, asJson);
    if (!state.ok) return state;
    return call("POST", "clock", body, { ...asJson, "X-CSRFToken": state.data.csrf_token });
  }

  function clockError(result) {
    const reason = (result.data && (result.data.message || result.data.reason)) || "";
    if (result.status === 404) {
      return "404: 時計のルートがありません。`madoguchi serve` のシミュレーターモードで使えます。(no clock route here)";
    }
    if (result.status === 401) {
      return "401: コンソールに管理者としてサインインしてください (sign in to the console as an admin first)";
    }
    if (result.status === 403) return `403: 管理者だけが時計を動かせます (admins only) ${reason}`;
    if (result.status === 0) return `接続エラー (cannot reach the bot) ${reason}`;
    return `${result.status}: ${reason || JSON.stringify(result.data)}`;
  }

  function setUpClock() {
    const output = $("clock-output");
    const buttons = document.querySelectorAll("[data-advance], [data-clock-reset]");
    for (const button of buttons) {
      button.addEventListener("click", async () => {
        output.classList.remove("error");
        output.textContent = "…";
        const body = button.dataset.advance ? { advance: button.dataset.advance } : { reset: true };
        const result = await moveClock(body);
        if (result.ok) {
          saveOffset(result.data.offset_seconds);
          output.textContent = JSON.stringify(result.data, null, 1);
          return;
        }
        output.classList.add("error");
        output.textContent = clockError(result);
      });
    }
  }

  async function start() {
    setUpComposer();
    setUpPersonaForm();
    setUpClock();
    drawBotTime();
    setUpLocationDialog();
    setUpDateTimeDialog();
    keepBottomInView();
    const listed = await call("GET", "control/users");
    if (listed.ok && listed.data.users.length === 0) {
      for (const details of DEFAULT_PERSONAS) await createPersona(details);
    }
    await refreshPersonas();
    await Promise.all([...views.values()].map(poll));
    await refreshRichMenu();
    document.body.classList.add("ready");
    loop();
  }

  start();
})();
