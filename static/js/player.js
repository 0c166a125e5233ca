/* Zhibo's video player: HLS with adaptive bitrate through hls.js (static/vendor/hls.js), or the
 * browser's own HLS (Safari); playback speed, keyboard controls and the moving watermark of
 * paid lessons. Resuming and saving progress stay in site.js (setUpPlayer), which listens to the
 * same <video>. Loaded after site.js (both deferred). */
(function () {
  "use strict";

  /* Play ``src`` (a master playlist) in ``video``; ``onFail`` shows the fallback message. */
  function attach(video, src, onFail) {
    if (video.dataset.hlsAttached) return null;
    video.dataset.hlsAttached = "1";
    if (window.Hls && window.Hls.isSupported()) {
      var hls = new window.Hls({ capLevelToPlayerSize: true, maxBufferLength: 30 });
      hls.on(window.Hls.Events.LEVEL_LOADED, function (event, data) {
        video.dataset.hlsLevel = String(data.level);
      });
      hls.on(window.Hls.Events.ERROR, function (event, data) {
        if (!data.fatal) return;
        if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR) { hls.recoverMediaError(); return; }
        if (onFail) onFail();
        hls.destroy();
      });
      hls.loadSource(src);
      hls.attachMedia(video);
      return hls;
    }
    if (video.canPlayType("application/vnd.apple.mpegurl")) {  /* Safari: native HLS */
      video.src = src;
      return null;
    }
    if (onFail) onFail();
    return null;
  }

  function setUpLessonPlayer() {
    var box = document.querySelector("[data-player][data-hls-src]");
    if (!box) return;
    var video = box.querySelector("video");
    var fallback = box.querySelector(".player-fallback");
    attach(video, box.dataset.hlsSrc, function () { if (fallback) fallback.hidden = false; });

    var speed = box.querySelector("[data-player-speed]");
    if (speed) {
      speed.addEventListener("change", function () { video.playbackRate = parseFloat(speed.value) || 1; });
      video.addEventListener("ratechange", function () { speed.value = String(video.playbackRate); });
    }

    /* Space plays or pauses, ←/→ move 5 seconds, ↑/↓ change the volume: anywhere on the page
     * but in a field, a button or a link (which keep their own keys). */
    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      var target = event.target;
      if (target && target.closest && target.closest("input, select, textarea, button, a, [contenteditable]")) return;
      var handled = true;
      switch (event.key) {
        case " ":
        case "k":
          if (video.paused) video.play().catch(function () {}); else video.pause();
          break;
        case "ArrowLeft":
          video.currentTime = Math.max(0, video.currentTime - 5);
          break;
        case "ArrowRight":
          video.currentTime = Math.min(video.duration || Infinity, video.currentTime + 5);
          break;
        case "ArrowUp":
          video.volume = Math.min(1, video.volume + 0.1);
          break;
        case "ArrowDown":
          video.volume = Math.max(0, video.volume - 0.1);
          break;
        default:
          handled = false;
      }
      if (handled) event.preventDefault();
    });

    /* The learner's name over paid video moves now and then, so a recording shows who made it. */
    var mark = box.querySelector("[data-watermark]");
    if (mark) {
      var spot = 0;
      window.setInterval(function () {
        mark.classList.remove("wm-" + spot);
        spot = (spot + 1 + Math.floor(Math.random() * 3)) % 4;
        mark.classList.add("wm-" + spot);
      }, 8000);
    }
  }

  /* The short-video feed: attach each video as it comes near the screen (site.js plays the one
   * in view); a video attached while in view starts once its playlist is read. Videos that
   * static/js/feed.js appends arrive with the "zhibo:feed-append" event. */
  function setUpFeed() {
    if (!document.querySelector("[data-feed]") || !("IntersectionObserver" in window)) return;
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) return;
        var video = entry.target;
        observer.unobserve(video);
        var hls = attach(video, video.dataset.hlsSrc, null);
        var start = function () {
          var rect = video.getBoundingClientRect();
          if (rect.top < window.innerHeight && rect.bottom > 0) video.play().catch(function () {});
        };
        if (hls) hls.on(window.Hls.Events.MANIFEST_PARSED, start); else start();
      });
    }, { rootMargin: "100% 0px" });
    var watch = function (root) {
      root.querySelectorAll("video[data-hls-src]").forEach(function (video) { observer.observe(video); });
    };
    document.querySelectorAll("[data-feed-item]").forEach(watch);
    document.addEventListener("zhibo:feed-append", function (event) { event.detail.items.forEach(watch); });
  }

  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(setUpLessonPlayer);
  ready(setUpFeed);
})();
