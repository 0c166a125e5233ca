/* Zhibo's page script: recommendation tracking (impressions, clicks) sent in batches to the
 * beacon endpoint, "not interested" and "why this?", countdowns, the lesson player's progress,
 * the short-video feed, and single-submit forms. Plain JavaScript, no dependencies. */
(function () {
  "use strict";

  var meta = function (name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute("content") : "";
  };
  var csrf = meta("csrf-token");
  var uuid = function () {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
      return (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16);
    });
  };

  /* Events: queued, sent every few seconds, and with sendBeacon when the page is hidden. */
  var queue = [];
  var FLUSH_MS = 5000;

  function track(type, fields) {
    var event = { client_event_id: uuid(), type: type, client_ts: new Date().toISOString() };
    for (var key in fields) if (fields[key] !== undefined && fields[key] !== "") event[key] = fields[key];
    queue.push(event);
    if (queue.length >= 50) flush(false);
  }

  function payload(events) {
    var body = new FormData();
    body.append("csrfmiddlewaretoken", csrf);
    body.append("events", JSON.stringify(events));
    return body;
  }

  function flush(leaving) {
    if (!queue.length) return;
    var events = queue.splice(0, queue.length);
    var url = meta("beacon-url");
    if (leaving && navigator.sendBeacon) {
      navigator.sendBeacon(url, payload(events));
      return;
    }
    fetch(url, { method: "POST", body: payload(events), credentials: "same-origin", keepalive: leaving }).catch(function () {});
  }
  window.setInterval(function () { flush(false); }, FLUSH_MS);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flush(true);
  });
  window.addEventListener("pagehide", function () { flush(true); });
  window.zhibo = { track: track, flush: flush };

  function cardFields(card) {
    return {
      object_type: card.dataset.type,
      object_id: parseInt(card.dataset.id, 10),
      request_id: card.dataset.requestId,
      page: card.dataset.slot
    };
  }

  /* "Not interested" items stay hidden on this browser, also in lists cached for everyone. */
  var DISMISSED = "zhibo:not-interested";
  function dismissed() {
    try { return JSON.parse(localStorage.getItem(DISMISSED) || "[]"); } catch (e) { return []; }
  }
  function remember(key) {
    var list = dismissed();
    if (list.indexOf(key) < 0) list.push(key);
    try { localStorage.setItem(DISMISSED, JSON.stringify(list.slice(-500))); } catch (e) { /* private mode */ }
  }

  /* Tracked cards: recommended ones ([data-rec], which "not interested" may hide) and other
   * lists whose items are tracked the same way ([data-track]: a live's shelf, page "live_shelf";
   * the short-video feed's videos, page "feed").
   * An impression once an item is half in view (once per item and slot on the page), a click
   * when a link in it is followed. Markup read again later (the live page's shelf, the videos
   * the feed appends) is set up by calling zhibo.cards(root): root itself, if a card, and the
   * cards in it. */
  var CARDS = "[data-rec], [data-track]";
  var impressed = {};
  var observer = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (!entry.isIntersecting) return;
      observer.unobserve(entry.target);
      var fields = cardFields(entry.target);
      var key = [fields.page, fields.object_type, fields.object_id, fields.request_id].join("|");
      if (impressed[key]) return;
      impressed[key] = true;
      track("impression", fields);
    });
  }, { threshold: 0.5 }) : null;

  document.addEventListener("click", function (event) {
    var card = event.target.closest && event.target.closest(CARDS);
    if (card && event.target.closest("a")) track("click", cardFields(card));
  });

  function setUpCards(root) {
    var hidden = dismissed();
    var cards = Array.prototype.slice.call((root || document).querySelectorAll(CARDS));
    if (root && root.matches && root.matches(CARDS)) cards.unshift(root);
    cards.forEach(function (card) {
      if (card.hasAttribute("data-rec") && hidden.indexOf(card.dataset.type + ":" + card.dataset.id) >= 0) { card.remove(); return; }
      if (observer) observer.observe(card);
      var why = card.querySelector("[data-why]");
      var reason = card.querySelector(".why");
      if (why && reason) {
        why.addEventListener("click", function () {
          reason.hidden = !reason.hidden;
          why.setAttribute("aria-expanded", String(!reason.hidden));
        });
      }
      var form = card.querySelector("[data-not-interested]");
      if (form) {
        form.addEventListener("submit", function (event) {
          event.preventDefault();
          remember(card.dataset.type + ":" + card.dataset.id);
          fetch(form.action, {
            method: "POST", body: new FormData(form), credentials: "same-origin",
            headers: { Accept: "application/json" }
          }).catch(function () {});
          card.classList.add("is-leaving");
          window.setTimeout(function () { card.remove(); }, 200);
        });
      }
    });
  }
  window.zhibo.cards = setUpCards;

  /* Countdowns: any element with data-countdown="<ISO time>". */
  function setUpCountdowns() {
    var nodes = document.querySelectorAll("[data-countdown]");
    if (!nodes.length) return;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var days = document.documentElement.lang.indexOf("zh") === 0 ? "天 " : "d ";
    function tick() {
      var now = Date.now();
      nodes.forEach(function (node) {
        var left = Math.floor((Date.parse(node.dataset.countdown) - now) / 1000);
        if (isNaN(left)) return;
        if (left <= 0) { node.textContent = node.dataset.done || "0"; return; }
        var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600);
        var m = Math.floor(left % 3600 / 60), s = left % 60;
        node.textContent = (d ? d + days : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
      });
    }
    tick();
    window.setInterval(tick, 1000);
  }

  /* The lesson player: resume, save progress from timeupdate (throttled) and on pause/leave. */
  function setUpPlayer() {
    var box = document.querySelector("[data-player]");
    if (!box) return;
    var video = box.querySelector("video");
    var url = box.dataset.progressUrl;
    var lessonId = parseInt(box.dataset.lessonId, 10);
    var fallbackDuration = parseInt(box.dataset.duration, 10) || 0;
    var label = document.querySelector("[data-progress-label]");
    var lastSaved = -1, lastSent = 0;

    video.addEventListener("error", function () { box.querySelector(".player-fallback").hidden = false; }, true);
    var source = video.querySelector("source");  /* none when static/js/player.js plays HLS */
    if (source) source.addEventListener("error", function () { box.querySelector(".player-fallback").hidden = false; });
    video.addEventListener("loadedmetadata", function () {
      var resume = parseInt(box.dataset.resume, 10) || 0;
      if (resume && resume < video.duration - 5) video.currentTime = resume;
    });

    /* Save where the learner is; ``at`` (seconds) overrides the player's position. */
    function save(force, at) {
      if (!url) return Promise.resolve(null);
      var position = Math.floor(at !== undefined ? at : video.currentTime || 0);
      var duration = Math.floor(isFinite(video.duration) && video.duration > 0 ? video.duration : fallbackDuration);
      if (!force && (position === lastSaved || Date.now() - lastSent < 10000)) return Promise.resolve(null);
      lastSaved = position; lastSent = Date.now();
      var body = new FormData();
      body.append("csrfmiddlewaretoken", csrf);
      body.append("position_seconds", position);
      if (duration) body.append("duration_seconds", duration);
      if (duration) track("watch", { object_type: "lesson", object_id: lessonId, value: Math.min(1, position / duration), position_seconds: position, page: "lesson" });
      return fetch(url, { method: "POST", body: body, credentials: "same-origin", keepalive: true })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (data && label) label.textContent = label.dataset.template ? label.dataset.template.replace("%s", data.percent_watched) : data.percent_watched + "%";
          box.dataset.saved = data ? String(data.percent_watched) : "";
          return data;
        })
        .catch(function () { return null; });
    }
    video.addEventListener("timeupdate", function () { save(false); });
    video.addEventListener("pause", function () { save(true); });
    video.addEventListener("ended", function () { save(true); });
    document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") save(true); });
    window.zhibo.saveProgress = save;
  }

  /* The short-video feed: play the video in view, pause the others; count views (with the
   * recommender's request id for the learner's picks); impressions and clicks as tracked cards.
   * Videos that static/js/feed.js appends arrive with the "zhibo:feed-append" event and are
   * watched and tracked the same way. */
  function setUpFeed() {
    var items = document.querySelectorAll("[data-feed-item]");
    if (!items.length || !("IntersectionObserver" in window)) return;
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        var video = entry.target.querySelector("video");
        if (entry.isIntersecting) {
          video.play().catch(function () {});
          track("view", {
            object_type: "video",
            object_id: parseInt(entry.target.dataset.objectId, 10),
            request_id: entry.target.dataset.requestId,
            page: "feed"
          });
        } else {
          video.pause();
        }
      });
    }, { threshold: 0.7 });
    items.forEach(function (item) { observer.observe(item); });
    document.addEventListener("zhibo:feed-append", function (event) {
      event.detail.items.forEach(function (item) {
        observer.observe(item);
        setUpCards(item);  /* impressions and clicks, as the first page's videos */
      });
    });
    var start = location.search.match(/[?&]v=([^&]+)/);
    if (start) {
      var target = document.getElementById("v-" + decodeURIComponent(start[1]));
      if (target) target.scrollIntoView();
    }
  }

  /* Forms that place orders submit once; confirmations for destructive actions. */
  function setUpForms() {
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      form.addEventListener("submit", function () {
        window.setTimeout(function () {
          form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; b.classList.add("is-busy"); });
        }, 0);
      });
    });
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
  }

  /* Live cards of sessions the learner has reserved say so instead of offering "remind me"
   * again: the ids come with the page (a JSON block), as the cards may be shared by everyone. */
  function setUpReservations() {
    var data = document.getElementById("reserved-lives");
    if (!data) return;
    var reserved = JSON.parse(data.textContent);
    document.querySelectorAll("form[data-live-reserve]").forEach(function (form) {
      if (reserved.indexOf(Number(form.dataset.liveReserve)) < 0) return;
      form.classList.add("is-reserved");
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.textContent = "✓ " + form.dataset.reservedLabel;
        button.disabled = true;
      });
    });
  }

  function ready() {
    setUpReservations();
    setUpCards();
    setUpCountdowns();
    setUpPlayer();
    setUpFeed();
    setUpForms();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
