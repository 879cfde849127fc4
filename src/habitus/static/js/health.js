// Health page chart (issue 19): one measurement over 30, 90 or 365 days, each reading a
// dot joined by a thin line, and its 7-day moving average as the bold line. Same approach
// as charts.js: the data is a JSON island in the page (never executed, so the CSP allows
// it), drawn with the vendored Chart.js, coloured from the theme's CSS variables and
// repainted when the theme changes. Without JavaScript the table under the chart says
// the same. x is days since the window's first day, so gaps between readings stay gaps.
(function () {
  "use strict";

  var DAY_MS = 24 * 60 * 60 * 1000;

  var theme = window.HabitusChartTheme;
  var cssVar = theme.cssVar;
  var withAlpha = theme.withAlpha;
  var reducedMotion = theme.reducedMotion;

  function dayLabel(start, offset, withYear) {
    // The window's first day plus `offset` days, as "6 Dec" (or "6 Dec 2026").
    var parts = start.split("-");
    var first = Date.UTC(+parts[0], +parts[1] - 1, +parts[2]);
    var options = { day: "numeric", month: "short", timeZone: "UTC" };
    if (withYear) {
      options.year = "numeric";
    }
    return new Date(first + offset * DAY_MS).toLocaleDateString(undefined, options);
  }

  function paint(chart) {
    var accent = cssVar("--accent", "#0f766e");
    var muted = cssVar("--muted", "#4b5563");
    var border = cssVar("--border", "#d1d5db");
    var text = cssVar("--text", "#111827");
    var surface = cssVar("--surface", "#ffffff");
    var readings = chart.data.datasets[0];
    readings.borderColor = withAlpha(muted, 0.55);
    readings.pointBackgroundColor = muted;
    readings.pointBorderColor = muted;
    var average = chart.data.datasets[1];
    average.borderColor = accent;
    average.backgroundColor = withAlpha(accent, 0.12);
    ["x", "y"].forEach(function (axis) {
      chart.options.scales[axis].ticks.color = muted;
      chart.options.scales[axis].grid.color = withAlpha(border, 0.6);
      chart.options.scales[axis].border = { color: border };
    });
    chart.options.plugins.tooltip.backgroundColor = text;
    chart.options.plugins.tooltip.titleColor = surface;
    chart.options.plugins.tooltip.bodyColor = surface;
    chart.update("none");
  }

  function draw(canvas, data) {
    var suffix = data.unit ? " " + data.unit : "";
    var format = function (value) { return Number(value).toFixed(data.decimals) + suffix; };
    var many = data.points.length > 60;
    var chart = new window.Chart(canvas, {
      type: "line",
      data: {
        datasets: [
          {
            label: data.label,
            data: data.points.map(function (p) { return { x: p.x, y: p.y }; }),
            borderWidth: 1,
            pointRadius: many ? 1.5 : 3,
            pointHoverRadius: 5,
            pointHitRadius: 8,
            tension: 0,
            fill: false,
            clip: 8, // today's dot sits on the right edge: drawn whole, not halved
            order: 2,
          },
          {
            label: data.averageLabel,
            data: data.points.map(function (p) { return { x: p.x, y: p.avg }; }),
            borderWidth: 3,
            pointRadius: 0,
            pointHitRadius: 0,
            tension: 0.3,
            fill: false,
            order: 1,
          },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        layout: { padding: { right: 6 } },
        animation: reducedMotion() ? false : { duration: 300 },
        interaction: { mode: "nearest", axis: "x", intersect: false },
        plugins: {
          legend: { display: false },
          tooltip: {
            displayColors: false,
            callbacks: {
              title: function (items) {
                return items.length ? dayLabel(data.start, items[0].parsed.x, true) : "";
              },
              label: function (item) { return item.dataset.label + ": " + format(item.parsed.y); },
            },
          },
        },
        scales: {
          x: {
            type: "linear",
            min: data.from || 0,
            max: data.days - 1,
            grid: { display: false },
            ticks: {
              maxTicksLimit: 5,
              maxRotation: 0,
              precision: 0,
              callback: function (value) { return dayLabel(data.start, value, false); },
            },
          },
          y: {
            grace: "10%",
            ticks: { maxTicksLimit: 6, callback: function (value) { return value + suffix; } },
            grid: {},
          },
        },
      },
    });
    paint(chart);
    return chart;
  }

  function start() {
    theme.drawAll("canvas[data-chart-source]", "data-chart-source", draw, paint);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
