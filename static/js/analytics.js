/* The instructors' dashboard charts (Chart.js, vendored). Data comes from the page's
   json_script block "analytics-data"; suppressed counts arrive as null and leave a gap. */
(function () {
  "use strict";
  var source = document.getElementById("analytics-data");
  if (!source || !window.Chart) return;
  var data = JSON.parse(source.textContent);
  var L = data.labels;
  var ACCENT = "#f0462a", OK = "#08804a", BLUE = "#2f6bff", GOLD = "#f7a300", GREY = "#6b7380";
  var base = { responsive: true, maintainAspectRatio: false, animation: false,
    interaction: { mode: "index", intersect: false } };

  var money = document.getElementById("chart-money");
  if (money) {
    new window.Chart(money, {
      type: "bar",
      data: { labels: data.money.labels, datasets: [
        { type: "line", label: L.earnings, data: data.money.earnings, borderColor: OK, backgroundColor: OK, tension: 0.2 },
        { label: L.revenue, data: data.money.revenue, backgroundColor: ACCENT },
        { label: L.refunds, data: data.money.refunds, backgroundColor: GREY }
      ] },
      options: base
    });
  }

  var watchCanvas = document.getElementById("chart-watch");
  var pick = document.getElementById("watch-pick");
  if (watchCanvas && pick && data.watch.length) {
    var curves = {};
    data.watch.forEach(function (w) { curves[w.id] = w.curve; });
    var steps = [];
    for (var k = 0; k <= 10; k += 1) steps.push(k * 10 + "%");
    var watchChart = new window.Chart(watchCanvas, {
      type: "line",
      data: { labels: steps, datasets: [{ label: L.learners, data: curves[pick.value], borderColor: BLUE, backgroundColor: BLUE, spanGaps: false }] },
      options: Object.assign({}, base, { scales: { y: { beginAtZero: true } } })
    });
    pick.addEventListener("change", function () {
      watchChart.data.datasets[0].data = curves[pick.value];
      watchChart.update();
    });
  }

  var colours = [GOLD, ACCENT, OK, GREY, BLUE];
  data.lives.forEach(function (live) {
    var canvas = document.getElementById("chart-live-" + live.id);
    if (!canvas) return;
    var sets = [{ type: "line", label: L.viewers, data: live.viewers, borderColor: BLUE, backgroundColor: BLUE, yAxisID: "y", spanGaps: false }];
    var chatted = live.chat.some(function (v) { return v !== null; });
    if (chatted) {
      sets.push({ type: "line", label: L.chat, data: live.chat, borderColor: OK, backgroundColor: OK, borderDash: [6, 3], yAxisID: "y2", spanGaps: false });
    }
    live.products.forEach(function (p, i) {
      sets.push({ type: "bar", label: p.title + " · " + L.units, data: p.units, backgroundColor: colours[i % colours.length], yAxisID: "y1" });
    });
    new window.Chart(canvas, {
      data: { labels: live.labels, datasets: sets },
      options: Object.assign({}, base, { scales: {
        x: { title: { display: true, text: L.minutes } },
        y: { beginAtZero: true, position: "left" },
        y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: L.units } },
        y2: { display: chatted, beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
          title: { display: true, text: L.chat } }
      } })
    });
  });
})();
