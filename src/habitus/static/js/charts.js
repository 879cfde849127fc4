// Habitus charts: reads each chart's JSON data island (<script type="application/json">,
// never executed, so the CSP allows it) and draws it with Chart.js (static/vendor/chart).
// Colours come from the theme's CSS variables, and follow a theme change.
(function () {
  "use strict";


  // Theme colours, transparency, reduced motion and theme changes: chart-theme.js.
  var theme = window.HabitusChartTheme;
  var cssVar = theme.cssVar;

  function colours() {
    return {
      accent: cssVar("--accent", "#0f766e"),
      text: cssVar("--text", "#111827"),
      muted: cssVar("--muted", "#4b5563"),
      border: cssVar("--border", "#d1d5db"),
      surface: cssVar("--surface", "#ffffff"),
    };
  }

  var withAlpha = theme.withAlpha;
  var reducedMotion = theme.reducedMotion;

  function paint(chart) {
    var c = colours();
    var dataset = chart.data.datasets[0];
    dataset.borderColor = c.accent;
    dataset.backgroundColor = withAlpha(c.accent, chart.config.type === "bar" ? 0.75 : 0.15);
    dataset.pointHoverBackgroundColor = c.accent;
    if (chart.data.datasets[1]) {
      // The target line: the text colour, dashed, so it reads apart from the bars.
      chart.data.datasets[1].borderColor = c.text;
    }
    ["x", "y"].forEach(function (axis) {
      chart.options.scales[axis].ticks.color = c.muted;
      chart.options.scales[axis].grid.color = withAlpha(c.border, 0.6);
      chart.options.scales[axis].border = { color: c.border };
    });
    chart.options.plugins.tooltip.backgroundColor = c.text;
    chart.options.plugins.tooltip.titleColor = c.surface;
    chart.options.plugins.tooltip.bodyColor = c.surface;
    chart.update("none");
  }

  function scoreChart(canvas, data) {
    var c = colours();
    var chart = new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [{
          label: data.label,
          data: data.values,
          borderColor: c.accent,
          backgroundColor: withAlpha(c.accent, 0.15),
          fill: true,
          borderWidth: 2,
          pointRadius: 0,
          pointHitRadius: 8,
          tension: 0.25,
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
              label: function (item) { return data.label + ": " + Math.round(item.parsed.y) + "%"; },
            },
          },
        },
        scales: {
          x: {
            grid: { display: false },
            ticks: {
              autoSkip: true,
              maxTicksLimit: 6,
              maxRotation: 0,
              callback: function (_value, index) { return data.ticks[index]; },
            },
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

  function amountsChart(canvas, data) {
    // A measurable habit's daily amounts as bars, with its target (or limit) as a line.
    var c = colours();
    var datasets = [{
      type: "bar",
      label: data.label,
      data: data.values,
      backgroundColor: withAlpha(c.accent, 0.75),
      borderColor: c.accent,
      borderWidth: 0,
      barPercentage: 1,
      categoryPercentage: 0.9,
      order: 2,
    }];
    if (data.target !== null && data.target !== undefined) {
      datasets.push({
        type: "line",
        label: data.targetLabel,
        data: data.values.map(function () { return data.target; }),
        borderColor: c.text,
        borderDash: [6, 4],
        borderWidth: 1.5,
        pointRadius: 0,
        pointHitRadius: 0,
        fill: false,
        order: 1,
      });
    }
    var suffix = data.unit ? " " + data.unit : "";
    var chart = new window.Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: datasets },
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
                  return item.datasetIndex === 0 ? "Nothing logged" : "";
                }
                return item.dataset.label + ": " + item.parsed.y + suffix;
              },
            },
          },
        },
        scales: {
          x: {
            grid: { display: false },
            ticks: {
              autoSkip: true,
              maxTicksLimit: 6,
              maxRotation: 0,
              callback: function (_value, index) { return data.ticks[index]; },
            },
          },
          y: { beginAtZero: true, ticks: {}, grid: {} },
        },
      },
    });
    paint(chart);
    return chart;
  }

  function scrollToNewest() {
    // The year heatmap scrolls sideways on a phone: show the newest weeks first.
    var boxes = document.querySelectorAll("[data-scroll-end]");
    var toEnd = function () {
      boxes.forEach(function (box) { box.scrollLeft = box.scrollWidth; });
    };
    toEnd();
    window.addEventListener("resize", toEnd);
  }

  function start() {
    scrollToNewest();
    theme.drawAll("canvas[data-chart-source]", "data-chart-source", function (canvas, data) {
      return data.kind === "amounts" ? amountsChart(canvas, data) : scoreChart(canvas, data);
    }, paint);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
