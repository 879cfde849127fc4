// The admin metrics page: each canvas[data-metrics-chart] names a JSON data island
// ({labels, series: [{label, values}]}) drawn as a line chart with Chart.js
// (static/vendor/chart). Colours come from the theme's CSS variables.
(function () {
  "use strict";

  var cssVar = window.HabitusChartTheme.cssVar; // chart-theme.js

  function palette() {
    return [cssVar("--accent", "#0f766e"), cssVar("--text", "#111827"), cssVar("--muted", "#6b7280")];
  }

  function draw(canvas, data) {
    var colours = palette();
    var border = cssVar("--border", "#d1d5db");
    var muted = cssVar("--muted", "#4b5563");
    return new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (series, index) {
          return {
            label: series.label,
            data: series.values,
            borderColor: colours[index % colours.length],
            backgroundColor: colours[index % colours.length],
            borderDash: index === 2 ? [6, 4] : [],
            borderWidth: 2,
            pointRadius: 0,
            pointHitRadius: 8,
            spanGaps: false,
            tension: 0.2,
          };
        }),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { display: data.series.length > 1, labels: { color: muted, boxWidth: 12 } },
        },
        scales: {
          x: { grid: { display: false }, ticks: { color: muted, maxTicksLimit: 6, maxRotation: 0 } },
          y: { beginAtZero: true, ticks: { color: muted, precision: 0 }, grid: { color: border } },
        },
      },
    });
  }

  function start() {
    window.HabitusChartTheme.drawAll("canvas[data-metrics-chart]", "data-metrics-chart", draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
