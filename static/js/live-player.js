/* The live page's player: plays the session's HLS stream with hls.js in low-latency mode, and
   follows the stream's real state from /live/<slug>/status/ ("not_started", "live", "ended"),
   so the player starts when the stream starts, without a reload. When the session has ended,
   the same player plays its replay. Safari plays HLS natively. */
(function () {
  "use strict";
  var stage = document.querySelector("[data-live-stream]");
  if (!stage) return;
  var video = stage.querySelector("video[data-live-player]");
  if (!video || video.hasAttribute("data-external")) return;
  var statusUrl = stage.getAttribute("data-status-url");
  var streamSrc = stage.getAttribute("data-stream-src");
  var replaySrc = stage.getAttribute("data-replay-src");
  var POLL_MS = 2000;
  var hls = null;
  var current = null;
  var timer = null;

  function attach(src, live) {
    if (current === src) return;
    current = src;
    if (hls) { hls.destroy(); hls = null; }
    video.hidden = false;
    stage.classList.add("is-playing");
    if (!/\.m3u8(\?|$)/.test(src)) { // a replay on a video host as a plain file
      video.src = src;
      return;
    }
    if (window.Hls && window.Hls.isSupported()) {
      hls = new window.Hls(live ? {
        lowLatencyMode: true,
        liveSyncDuration: 2,
        liveMaxLatencyDuration: 6,
        maxLiveSyncPlaybackRate: 1.5,
        backBufferLength: 30,
        manifestLoadingMaxRetry: 6,
        levelLoadingMaxRetry: 6
      } : {});
      hls.on(window.Hls.Events.MANIFEST_PARSED, start);
      hls.on(window.Hls.Events.ERROR, function (event, data) {
        if (!data.fatal) return;
        if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR) { hls.recoverMediaError(); return; }
        current = null; // try again on the next status that says live
      });
      hls.loadSource(src);
      hls.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = src;
      video.addEventListener("loadedmetadata", start, { once: true });
    }
  }

  function start() {
    var playing = video.play();
    if (playing && playing.catch) playing.catch(function () { /* autoplay refused: controls */ });
  }

  function show(state) {
    stage.setAttribute("data-state", state);
    var nodes = document.querySelectorAll("[data-show-state]");
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].hidden = nodes[i].getAttribute("data-show-state") !== state;
    }
  }

  function playReplay() {
    if (replaySrc) attach(replaySrc, false);
  }

  function apply(status) {
    if (status.replay_src) replaySrc = status.replay_src;
    show(status.state);
    if (status.state === "live") {
      attach(streamSrc, true);
    } else if (status.state === "ended") {
      // A viewer watching the end of the live sees it to the end; anyone else gets the replay.
      if (current !== streamSrc) playReplay();
      return false;
    }
    return true;
  }

  function poll() {
    timer = null;
    fetch(statusUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        var again = status ? apply(status) : true;
        if (again) timer = window.setTimeout(poll, POLL_MS);
      })
      .catch(function () { timer = window.setTimeout(poll, POLL_MS * 2); });
  }

  var replayLink = document.querySelector("[data-play-replay]");
  if (replayLink) {
    replayLink.addEventListener("click", function () { current = null; playReplay(); });
  }

  var initial = stage.getAttribute("data-state");
  if (initial === "ended") {
    playReplay();
  } else {
    if (initial === "live") attach(streamSrc, true);
    poll();
  }
})();
