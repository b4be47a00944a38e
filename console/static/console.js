// The console's one script, vendored and dependency-free. Everything works without it; with it
// the queue refreshes itself, canned responses insert into the reply, and a form posts once.
(function () {
  "use strict";

  // ---- The queue refreshes itself: fetch the server-rendered part, swap it in. ----
  function keepFresh(region) {
    var source = region.getAttribute("data-live-src");
    var every = parseInt(region.getAttribute("data-live-every"), 10) || 5000;
    var busy = false;

    function refresh() {
      if (busy || document.hidden) return;
      busy = true;
      fetch(source, {
        headers: { "X-Requested-With": "fetch", "Accept": "text/html" },
        credentials: "same-origin",
        cache: "no-store"
      })
        .then(function (response) {
          // Signed out elsewhere, or the session ran out: the page itself goes to sign-in.
          if (response.status === 401) {
            window.location.reload();
            return null;
          }
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          if (html !== null) swap(region, html);
        })
        .catch(function () { /* offline for a moment: the next tick tries again */ })
        .then(function () { busy = false; });
    }

    setInterval(refresh, every);
    document.addEventListener("visibilitychange", refresh);
  }

  function swap(region, html) {
    // The HTML is the server's own template output, escaped there like every page.
    var active = document.activeElement;
    var key = active && region.contains(active) ? active.getAttribute("data-focus-key") : null;
    region.innerHTML = html;
    if (key) {
      var again = region.querySelector('[data-focus-key="' + key.replace(/"/g, "") + '"]');
      if (again) again.focus();
    }
    region.setAttribute("data-refreshed", String(Date.now()));
  }

  // ---- Canned responses: insert the chosen text where the cursor is. ----
  function insertCanned(button) {
    var select = document.getElementById(button.getAttribute("data-insert-canned"));
    var target = document.getElementById(button.getAttribute("data-target"));
    var option = select ? select.options[select.selectedIndex] : null;
    if (!option || !option.value || !target) return;
    var text = option.getAttribute("data-body") || "";
    var start = target.selectionStart || 0;
    var end = target.selectionEnd || 0;
    target.value = target.value.slice(0, start) + text + target.value.slice(end);
    target.focus();
    target.selectionStart = target.selectionEnd = start + text.length;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-insert-canned]") : null;
    if (button) insertCanned(button);
  });

  // ---- A double click must not send a reply twice. ----
  document.addEventListener("submit", function (event) {
    var form = event.target;
    // The attribute, not form.method: a field named "method" (the contact log's) shadows it.
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") return;
    if (form.getAttribute("data-submitted")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-submitted", "1");
  });

  // Back from another page, the browser may restore this one with its forms still marked.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-submitted]").forEach(function (form) {
      form.removeAttribute("data-submitted");
    });
  });

  function start() {
    document.querySelectorAll("[data-canned]").forEach(function (picker) { picker.hidden = false; });
    document.querySelectorAll("[data-live-src]").forEach(keepFresh);
    document.body.classList.add("ready");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
