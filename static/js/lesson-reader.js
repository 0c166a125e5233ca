/* Article and audio lessons: progress through the lesson progress endpoint (the same one the
 * video player uses), and the audio mini-player bar. Plain JavaScript, no dependencies.
 *
 * Articles: the lesson's duration is its estimated reading time (seconds). The position sent is
 * the furthest share of the article scrolled into view times that duration, but never more than
 * twice the time actually spent reading (page visible), so a quick scroll to the end does not
 * complete an article; it never goes back below the saved position, and coming back to the
 * article scrolls to where the learner had read to.
 * Audio: the position is the playback time; playing resumes at the saved position. */
(function () {
  "use strict";

  var READING_SPEED_CAP = 2; // credit at most twice the time spent on the page
  var meta = function (name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute("content") : "";
  };
  var label = document.querySelector("[data-progress-label]");

  function post(url, position, duration) {
    if (!url) return Promise.resolve(null);
    var body = new FormData();
    body.append("csrfmiddlewaretoken", meta("csrf-token"));
    body.append("position_seconds", position);
    if (duration) body.append("duration_seconds", duration);
    return fetch(url, { method: "POST", body: body, credentials: "same-origin", keepalive: true })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && label) label.textContent = label.dataset.template ? label.dataset.template.replace("%s", data.percent_watched) : data.percent_watched + "%";
        return data;
      })
      .catch(function () { return null; });
  }

  function track(type, fields) {
    if (window.zhibo && window.zhibo.track) window.zhibo.track(type, fields);
  }

  function setUpArticle(box) {
    var url = box.dataset.progressUrl;
    var lessonId = parseInt(box.dataset.lessonId, 10);
    var duration = parseInt(box.dataset.duration, 10) || 0;
    var saved = parseInt(box.dataset.resume, 10) || 0;
    var furthest = duration ? saved / duration : 0;
    var activeMs = saved / READING_SPEED_CAP * 1000, visibleSince = Date.now();
    var lastSent = 0, timer = null;

    function spentSeconds() {
      var now = Date.now();
      if (document.visibilityState === "visible") { activeMs += now - visibleSince; visibleSince = now; }
      return activeMs / 1000;
    }
    function measure() {
      var rect = box.getBoundingClientRect();
      if (rect.height <= 0) return;
      var seen = (window.innerHeight - rect.top) / rect.height;
      furthest = Math.max(furthest, Math.min(1, Math.max(0, seen)));
    }
    function position() {
      return Math.max(saved, Math.floor(Math.min(furthest * duration, spentSeconds() * READING_SPEED_CAP)));
    }
    function save(force) {
      measure();
      var at = position();
      if (!duration || at <= saved && !force) return;
      if (!force && Date.now() - lastSent < 5000) return;
      lastSent = Date.now();
      saved = Math.max(saved, at);
      box.dataset.position = String(at);
      track("watch", { object_type: "lesson", object_id: lessonId, value: Math.min(1, at / duration), position_seconds: at, page: "lesson" });
      post(url, at, duration).then(function (data) { if (data) box.dataset.saved = String(data.percent_watched); });
    }
    window.addEventListener("scroll", function () {
      measure();
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { save(false); }, 800);
    }, { passive: true });
    window.setInterval(function () { save(false); }, 15000);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { spentSeconds(); save(true); } else { visibleSince = Date.now(); }
    });
    /* Coming back: the furthest point read shows near the bottom of the window. */
    if (furthest > 0 && furthest < 0.95 && !window.location.hash) {
      var rect = box.getBoundingClientRect();
      window.scrollTo(0, Math.max(0, window.scrollY + rect.top + furthest * rect.height - window.innerHeight * 0.7));
    }
    measure();
    window.zhibo = window.zhibo || {};
    window.zhibo.saveReading = save;
  }

  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds || 0));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function setUpAudio(box) {
    var audio = box.querySelector("audio");
    var toggle = box.querySelector("[data-audio-toggle]");
    var icon = box.querySelector("[data-audio-icon]");
    var seek = box.querySelector("[data-audio-seek]");
    var time = box.querySelector("[data-audio-time]");
    var speed = box.querySelector("[data-audio-speed]");
    var url = box.dataset.progressUrl;
    var lessonId = parseInt(box.dataset.lessonId, 10);
    var fallbackDuration = parseInt(box.dataset.duration, 10) || 0;
    var resume = parseInt(box.dataset.resume, 10) || 0;
    var lastSaved = -1, lastSent = 0, seeking = false;
    document.body.classList.add("has-audio-bar");

    function duration() {
      return isFinite(audio.duration) && audio.duration > 0 ? audio.duration : fallbackDuration;
    }
    function show() {
      var d = duration();
      if (!seeking) seek.value = Math.floor(audio.currentTime || 0);
      seek.max = Math.floor(d) || 0;
      time.textContent = clock(audio.currentTime) + " / " + clock(d);
      var playing = !audio.paused && !audio.ended;
      icon.textContent = playing ? "❚❚" : "▶";
      toggle.setAttribute("aria-label", playing ? toggle.dataset.labelPause : toggle.dataset.labelPlay);
      box.dataset.state = playing ? "playing" : "paused";
    }
    function save(force) {
      var position = Math.floor(audio.currentTime || 0);
      var d = Math.floor(duration());
      if (!force && (position === lastSaved || Date.now() - lastSent < 10000)) return;
      lastSaved = position; lastSent = Date.now();
      if (d) track("watch", { object_type: "lesson", object_id: lessonId, value: Math.min(1, position / d), position_seconds: position, page: "lesson" });
      post(url, position, d).then(function (data) { if (data) box.dataset.saved = String(data.percent_watched); });
    }

    audio.addEventListener("loadedmetadata", function () {
      if (resume && resume < duration() - 2) audio.currentTime = resume;
      show();
    });
    audio.addEventListener("error", function () { box.querySelector(".player-fallback").hidden = false; });
    audio.addEventListener("timeupdate", function () { show(); save(false); });
    audio.addEventListener("play", show);
    audio.addEventListener("pause", function () { show(); save(true); });
    audio.addEventListener("ended", function () { show(); save(true); });
    toggle.addEventListener("click", function () {
      if (audio.paused || audio.ended) audio.play().catch(function () {}); else audio.pause();
    });
    seek.addEventListener("input", function () { seeking = true; time.textContent = clock(seek.value) + " / " + clock(duration()); });
    seek.addEventListener("change", function () { seeking = false; audio.currentTime = parseFloat(seek.value) || 0; save(true); });
    speed.addEventListener("change", function () { audio.playbackRate = parseFloat(speed.value) || 1; });
    document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") save(true); });
    time.textContent = clock(resume) + " / " + clock(fallbackDuration);
    window.zhibo = window.zhibo || {};
    window.zhibo.saveListening = save;
  }

  function start() {
    var article = document.querySelector("[data-reader]");
    if (article) setUpArticle(article);
    var audio = document.querySelector("[data-audio-player]");
    if (audio) setUpAudio(audio);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
