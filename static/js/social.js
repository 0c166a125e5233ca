/* The short-video feed's like, share and comment buttons: the forms are sent with fetch and
 * answer JSON, so the video keeps playing; without this script they still work as forms.
 * The comments sheet opens over its video; reply forms open under the comment answered. */
(function () {
  "use strict";

  function post(form) {
    return fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      if (response.status === 401) {
        window.location.href = form.closest("[data-feed]") ? loginUrl() : "/accounts/login/";
        return null;
      }
      return response.ok ? response.json() : null;
    });
  }

  function loginUrl() {
    return "/accounts/login/?next=" + encodeURIComponent(window.location.pathname + window.location.search);
  }

  function toast(text) {
    var box = document.createElement("p");
    box.className = "toast";
    box.setAttribute("role", "status");
    box.textContent = text;
    document.body.appendChild(box);
    window.setTimeout(function () { box.remove(); }, 2500);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var kind = form.dataset ? form.dataset.social : "";
    if (kind !== "like" && kind !== "share") return;
    event.preventDefault();
    var button = form.querySelector("button");
    button.disabled = true;
    post(form).then(function (answer) {
      button.disabled = false;
      if (!answer) return;
      if (kind === "like") {
        form.querySelector("[data-count]").textContent = answer.like_count;
        form.querySelector("input[name=like]").value = answer.liked ? "0" : "1";
        button.classList.toggle("is-on", answer.liked);
        button.setAttribute("aria-pressed", answer.liked ? "true" : "false");
      } else {
        form.querySelector("[data-count]").textContent = answer.share_count;
        if (navigator.share) {
          navigator.share({ url: answer.url }).catch(function () {});
        } else if (navigator.clipboard) {
          navigator.clipboard.writeText(answer.url).then(
            function () { toast(form.dataset.copied || answer.url); },
            function () { toast(answer.url); }
          );
        } else {
          toast(answer.url);
        }
      }
    }).catch(function () { button.disabled = false; });
  });

  document.addEventListener("click", function (event) {
    var open = event.target.closest("[data-open-comments]");
    if (open) {
      event.preventDefault();
      document.getElementById(open.dataset.openComments).classList.add("is-open");
      return;
    }
    var close = event.target.closest("[data-close-comments]");
    if (close) {
      event.preventDefault();
      close.closest("[data-comments]").classList.remove("is-open");
      return;
    }
    var reply = event.target.closest("[data-reply-toggle]");
    if (reply) {
      var form = document.getElementById(reply.dataset.replyToggle);
      form.hidden = !form.hidden;
      if (!form.hidden) form.querySelector("input[name=text]").focus();
    }
  });

  function hideReplyForms(root) {
    root.querySelectorAll("[data-reply-form]").forEach(function (form) { form.hidden = true; });
  }
  hideReplyForms(document);
  /* Videos static/js/feed.js appends: the buttons above work on them as they are. */
  document.addEventListener("zhibo:feed-append", function (event) { event.detail.items.forEach(hideReplyForms); });
})();
