// Analytics page charts (issue 21): weekly consistency as bars and the monthly trend as
// a line, both in percent (0 to 100). Same approach as charts.js: each chart's data is a
// JSON island in the page (never executed, so the CSP allows it), drawn with the vendored
// Chart.js, coloured from the theme's CSS variables and repainted when the theme
// changes. Without JavaScript the table under each chart says the same. A null value is
// a week or month when nothing was due: no bar, no point.
(function () {
  "use strict";


  var theme = window.HabitusChartTheme;
  var cssVar = theme.cssVar;
  var withAlpha = theme.withAlpha;
  var reducedMotion = theme.reducedMotion;

  function paint(chart) {
    var accent = cssVar("--accent", "#0f766e");
    var muted = cssVar("--muted", "#4b5563");
    var border = cssVar("--border", "#d1d5db");
    var text = cssVar("--text", "#111827");
    var surface = cssVar("--surface", "#ffffff");
    var dataset = chart.data.datasets[0];
    dataset.borderColor = accent;
    dataset.backgroundColor = withAlpha(accent, chart.config.type === "bar" ? 0.75 : 0.15);
    dataset.pointBackgroundColor = accent;
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

  function draw(canvas, data, type) {
    var chart = new window.Chart(canvas, {
      type: type,
      data: {
        labels: data.labels,
        datasets: [{
          label: data.label,
          data: data.values,
          borderWidth: type === "bar" ? 0 : 2,
          borderRadius: type === "bar" ? 4 : 0,
          maxBarThickness: 40,
          fill: type === "line",
          tension: 0.25,
          pointRadius: data.values.length > 1 ? 3 : 5,
          pointHitRadius: 10,
          spanGaps: true,
        }],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reducedMotion() ? false : { duration: 400 },
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { display: false },
          tooltip: {
            displayColors: false,
            callbacks: {
              label: function (item) {
                if (item.parsed.y === null || item.parsed.y === undefined) {
                  return "Nothing due";
                }
                return data.label + ": " + Math.round(item.parsed.y) + "%";
              },
            },
          },
        },
        scales: {
          x: {
            grid: { display: false },
            ticks: { autoSkip: true, maxTicksLimit: 7, maxRotation: 0 },
          },
          y: {
            min: 0,
            max: 100,
            ticks: { stepSize: 25, callback: function (value) { return value + "%"; } },
            grid: {},
          },
        },
      },
    });
    paint(chart);
    return chart;
  }

  function start() {
    theme.drawAll("canvas[data-an-chart]", "data-chart-source", function (canvas, data) {
      return draw(canvas, data, canvas.getAttribute("data-an-chart") === "line" ? "line" : "bar");
    }, paint);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
