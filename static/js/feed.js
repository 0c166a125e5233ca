/* The short-video feed pages on as the learner scrolls: when the "more" link at the end of the
 * feed comes near the screen, the next page (the link's address, the same page the link opens
 * without this script) is fetched, its videos are appended before the link and the link takes
 * the next page's address (or goes, at the end). The appended videos are announced with the
 * "zhibo:feed-append" event ({detail: {items}}): site.js plays them and counts their views,
 * impressions and clicks, player.js attaches their HLS streams and social.js readies their
 * comment forms, so they work as the first ones. Loaded after those scripts (all deferred). */
(function () {
  "use strict";

  var feed = document.querySelector("[data-feed]");
  if (!feed || !window.fetch || !window.DOMParser) return;
  var loading = false;

  function more() { return feed.querySelector("[data-feed-more]"); }

  function load() {
    var link = more();
    if (!link || loading) return;
    loading = true;
    link.setAttribute("aria-busy", "true");
    fetch(link.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html").querySelector("[data-feed]");
        if (!next) throw new Error("no feed");
        var box = link.closest(".feed-more");
        if (observer) observer.unobserve(link);
        var seen = {};
        feed.querySelectorAll("[data-feed-item]").forEach(function (item) { seen[item.dataset.objectId] = true; });
        var items = [];
        next.querySelectorAll("[data-feed-item]").forEach(function (item) {
          if (seen[item.dataset.objectId]) return;  /* never twice, whatever the server says */
          items.push(document.importNode(item, true));
        });
        items.forEach(function (item) { feed.insertBefore(item, box); });
        var following = next.querySelector(".feed-more, .feed-end");
        box.replaceWith(following ? document.importNode(following, true) : document.createTextNode(""));
        loading = false;
        document.dispatchEvent(new CustomEvent("zhibo:feed-append", { detail: { items: items } }));
        watch();
      })
      .catch(function () {
        loading = false;
        link.removeAttribute("aria-busy");
        link.textContent = link.dataset.failed || link.textContent;
      });
  }

  /* The link comes within a screen and a half of the feed's visible part: fetch ahead. */
  var observer = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) { if (entry.isIntersecting) load(); });
  }, { root: feed, rootMargin: "0px 0px 150% 0px" }) : null;

  function watch() {
    var link = more();
    if (link && observer) observer.observe(link);
  }

  /* Without IntersectionObserver, or after a failed fetch, a tap on the link loads in place. */
  feed.addEventListener("click", function (event) {
    var link = event.target.closest("[data-feed-more]");
    if (!link) return;
    event.preventDefault();
    load();
  });
  watch();
})();
