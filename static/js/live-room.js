/* The live room (templates/liveroom/_room.html): chat, danmaku over the player, questions and
   answers, likes and the viewer count, and the pinned product and flash prices, over the room's
   WebSocket (/ws/lives/<id>/, liveroom/consumers.py; docs/live-room.md lists the events).
   Anyone may watch; signed-in learners post. On the instructor's room page (data-studio) each
   message has moderation buttons. Reconnects with a growing delay when the connection drops. */
(function () {
  "use strict";
  var root = document.querySelector("[data-room]");
  if (!root || !window.WebSocket) return;
  var t = function (name) { return root.getAttribute("data-t-" + name) || name; };
  var log = root.querySelector("[data-room-log]");
  var statusLine = root.querySelector("[data-room-status]");
  var pinnedBox = root.querySelector("[data-pinned-message]");
  var form = root.querySelector("[data-room-form]");
  var likeButton = root.querySelector("[data-like]");
  var likesOut = root.querySelector("[data-likes]");
  var viewersOut = root.querySelector("[data-viewers]");
  var danmakuLayer = document.querySelector("[data-danmaku]");
  var danmakuSwitch = root.querySelector("[data-danmaku-switch]");
  var pinnedProduct = document.querySelector("[data-pinned-product]");
  var studio = root.hasAttribute("data-studio");
  var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host +
    root.getAttribute("data-room-url");
  var socket = null;
  var retry = 500;
  var you = {};
  var pendingLikes = 0;
  var shelfTimers = [];
  var MAX_LOG = 200;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function send(data) {
    if (socket && socket.readyState === 1) { socket.send(JSON.stringify(data)); return true; }
    return false;
  }

  function button(label, onClick, testid) {
    var b = el("button", "room-act", label);
    b.type = "button";
    if (testid) b.setAttribute("data-testid", testid);
    b.addEventListener("click", onClick);
    return b;
  }

  function render(message) {
    var li = el("li", "room-msg" + (message.is_question ? " is-question" : "") +
      (message.kind === "danmaku" ? " is-danmaku" : ""));
    li.setAttribute("data-id", message.id);
    li.setAttribute("data-author", message.author.id);
    li.appendChild(el("span", "room-author", message.author.name));
    if (message.is_question) li.appendChild(el("span", "room-tag", t("question")));
    li.appendChild(el("span", "room-text", message.text));
    if (message.answer) {
      var answer = el("p", "room-answer");
      answer.appendChild(el("strong", null, t("answered") + " · " + (message.answered_by || "") + ": "));
      answer.appendChild(document.createTextNode(message.answer));
      li.appendChild(answer);
    }
    var actions = el("span", "room-actions");
    if (you.user_id && message.author.id === you.user_id && !message.is_question && !you.moderates) {
      actions.appendChild(button(t("ask"), function () { send({type: "question", id: message.id}); }));
    }
    if (you.moderates && studio) {
      actions.appendChild(button(t("answer"), function () {
        var text = window.prompt(t("answer-prompt"), message.answer || "");
        if (text) send({type: "answer", id: message.id, answer: text, pin: true});
      }, "answer-" + message.id));
      actions.appendChild(button(message.is_pinned ? t("unpin") : t("pin"), function () {
        send({type: message.is_pinned ? "unpin" : "pin", id: message.id});
      }));
      actions.appendChild(button(t("delete"), function () {
        send({type: "delete", id: message.id});
      }, "delete-" + message.id));
      if (message.author.id !== you.user_id) {
        actions.appendChild(button(t("mute"), function () {
          send({type: "mute", user_id: message.author.id});
        }, "mute-" + message.author.id));
      }
    }
    if (actions.childNodes.length) li.appendChild(actions);
    return li;
  }

  function nearBottom() { return log.scrollHeight - log.scrollTop - log.clientHeight < 60; }

  function append(message) {
    var stick = nearBottom();
    log.appendChild(render(message));
    while (log.children.length > MAX_LOG) log.removeChild(log.firstChild);
    if (stick) log.scrollTop = log.scrollHeight;
  }

  function replace(message) {
    var old = log.querySelector('[data-id="' + message.id + '"]');
    if (old) old.replaceWith(render(message));
  }

  function showPinned(message) {
    if (!pinnedBox) return;
    pinnedBox.textContent = "";
    if (!message) { pinnedBox.hidden = true; return; }
    pinnedBox.appendChild(el("span", "tag-pinned", t("pinned")));
    pinnedBox.appendChild(el("strong", null, " " + message.author.name + ": "));
    pinnedBox.appendChild(document.createTextNode(message.text));
    if (message.answer) pinnedBox.appendChild(el("p", "room-answer", message.answer));
    pinnedBox.hidden = false;
  }

  function fly(message) {
    if (!danmakuLayer || (danmakuSwitch && !danmakuSwitch.checked)) return;
    var item = el("span", "danmaku-item", message.text);
    item.style.setProperty("--lane", String(Math.floor(Math.random() * 6)));
    danmakuLayer.appendChild(item);
    item.addEventListener("animationend", function () { item.remove(); });
    window.setTimeout(function () { item.remove(); }, 12000);
  }

  function setStatus(text) { if (statusLine) statusLine.textContent = text || ""; }

  function setMuted(muted) {
    you.muted = muted;
    if (!form) return;
    Array.prototype.forEach.call(form.elements, function (field) { field.disabled = muted; });
    setStatus(muted ? t("muted") : "");
  }

  // The shelf: the pinned product's banner now; the shelf's own markup (prices, buy buttons) is
  // read again from the page, a moment apart for each viewer so thousands do not ask at once.
  function refreshShelf(delay) {
    var shelfBox = document.querySelector("[data-shelf]");
    if (!shelfBox) return;
    window.setTimeout(function () {
      fetch(location.href, {credentials: "same-origin", headers: {"Accept": "text/html"}})
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (!html) return;
          var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-shelf]");
          var current = document.querySelector("[data-shelf]");
          if (fresh && current) {
            var banner = current.querySelector("[data-pinned-product]");
            current.replaceWith(fresh);
            if (window.zhibo && window.zhibo.cards) window.zhibo.cards(fresh);  // impressions, clicks
            var freshBanner = fresh.querySelector("[data-pinned-product]");
            if (banner && freshBanner) { freshBanner.replaceWith(banner); pinnedProduct = banner; }
          }
        })
        .catch(function () {});
    }, delay);
  }

  function showShelf(shelf, refresh) {
    if (pinnedProduct) {
      pinnedProduct.textContent = "";
      var pinned = shelf.pinned;
      if (pinned) {
        pinnedProduct.appendChild(el("span", "tag-pinned", t("pinned-product")));
        pinnedProduct.appendChild(el("strong", null, " " + pinned.title + " "));
        pinnedProduct.appendChild(el("span", "price-now", "¥" + pinned.price));
        if (pinned.is_flash_price) pinnedProduct.appendChild(el("span", "tag-flash", t("flash")));
        pinnedProduct.setAttribute("data-product", pinned.product_id);
      } else {
        pinnedProduct.removeAttribute("data-product");
      }
      pinnedProduct.hidden = !pinned;
    }
    if (refresh) refreshShelf(studio ? 0 : Math.random() * 1500);
    // A flash window starting or ending later: read the shelf again then.
    shelfTimers.forEach(window.clearTimeout);
    shelfTimers = [];
    var now = Date.now();
    shelf.items.forEach(function (item) {
      [item.flash_starts_at, item.flash_ends_at].forEach(function (at) {
        var wait = at ? Date.parse(at) - now : -1;
        if (wait > 0 && wait < 6 * 3600 * 1000) {
          shelfTimers.push(window.setTimeout(function () { refreshShelf(Math.random() * 1500); },
            wait + 500));
        }
      });
    });
  }

  var handlers = {
    hello: function (data) {
      you = data.you;
      log.textContent = "";
      data.history.forEach(append);
      log.scrollTop = log.scrollHeight;
      showPinned(data.pinned_message);
      showShelf(data.shelf, false);
      if (likesOut) likesOut.textContent = data.likes;
      if (viewersOut && data.viewers !== null) viewersOut.textContent = data.viewers;
      setMuted(!!you.muted);
    },
    message: function (data) {
      // Said while this page joined: it may be in the history already.
      if (log.querySelector('[data-id="' + data.message.id + '"]')) return;
      append(data.message);
      if (data.message.kind === "danmaku") fly(data.message);
    },
    message_updated: function (data) { replace(data.message); },
    message_deleted: function (data) {
      var old = log.querySelector('[data-id="' + data.id + '"]');
      if (old) old.remove();
    },
    pinned_message: function (data) { showPinned(data.message); },
    likes: function (data) { if (likesOut) likesOut.textContent = data.count; },
    viewers: function (data) { if (viewersOut) viewersOut.textContent = data.count; },
    shelf: function (data) { showShelf(data.shelf, true); },
    muted: function (data) { if (data.user_id === you.user_id) setMuted(true); },
    unmuted: function (data) { if (data.user_id === you.user_id) setMuted(false); },
    error: function (data) {
      var reasons = [];
      Object.keys(data.errors || {}).forEach(function (k) { reasons = reasons.concat(data.errors[k]); });
      setStatus(reasons.join(" ") || data.code);
    }
  };

  function connect() {
    socket = new WebSocket(url);
    socket.addEventListener("open", function () { retry = 500; setStatus(you.muted ? t("muted") : ""); });
    socket.addEventListener("message", function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      // One event, or several in one frame when the room is busy.
      (Array.isArray(data) ? data : [data]).forEach(function (each) {
        var handler = each && handlers[each.type];
        if (handler) handler(each);
      });
    });
    socket.addEventListener("close", function () {
      setStatus(t("offline"));
      window.setTimeout(connect, retry);
      retry = Math.min(retry * 2, 15000);
    });
  }

  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var input = form.elements.text;
      var text = input.value.trim();
      if (!text) return;
      var danmaku = form.elements.danmaku;
      var question = form.elements.question;
      if (send({
        type: "message",
        text: text,
        kind: danmaku && danmaku.checked ? "danmaku" : "chat",
        is_question: !!(question && question.checked)
      })) {
        input.value = "";
        if (question) question.checked = false;
        setStatus("");
      }
    });
  }

  if (likeButton) {
    likeButton.addEventListener("click", function () {
      var signIn = likeButton.getAttribute("data-href");
      if (signIn) { location.href = signIn; return; }
      pendingLikes += 1;
      if (likesOut) likesOut.textContent = String(Number(likesOut.textContent || 0) + 1);
      likeButton.classList.remove("is-liked");
      void likeButton.offsetWidth; // restart the little animation
      likeButton.classList.add("is-liked");
    });
    // Taps are sent together, once a second.
    window.setInterval(function () {
      if (pendingLikes && send({type: "like", count: Math.min(pendingLikes, 20)})) pendingLikes = 0;
    }, 1000);
  }

  if (danmakuSwitch) {
    try { danmakuSwitch.checked = localStorage.getItem("zb-danmaku") !== "off"; } catch (e) {}
    danmakuSwitch.addEventListener("change", function () {
      if (!danmakuSwitch.checked && danmakuLayer) danmakuLayer.textContent = "";
      try { localStorage.setItem("zb-danmaku", danmakuSwitch.checked ? "on" : "off"); } catch (e) {}
    });
  }

  connect();
})();
