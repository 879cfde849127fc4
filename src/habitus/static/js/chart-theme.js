// What every page's Chart.js code shares (issues 19 and 21): colours read from the
// theme's CSS variables, a hex colour with transparency, the reduced-motion preference,
// a call back whenever the theme changes (the system's scheme or the user's choice), and
// the loop that draws every chart of a page from its JSON data island.
// Loaded before health.js, analytics.js and admin-metrics.js.
(function () {
  "use strict";

  function cssVar(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function withAlpha(colour, alpha) {
    var match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour);
    if (!match) {
      return colour;
    }
    return "rgba(" + parseInt(match[1], 16) + ", " + parseInt(match[2], 16) + ", " +
      parseInt(match[3], 16) + ", " + alpha + ")";
  }

  function reducedMotion() {
    return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  function onThemeChange(repaint) {
    if (window.matchMedia) {
      var query = window.matchMedia("(prefers-color-scheme: dark)");
      if (query.addEventListener) {
        query.addEventListener("change", repaint);
      }
    }
    new MutationObserver(repaint).observe(document.documentElement, {
      attributes: true,
      attributeFilter: ["data-theme"],
    });
  }

  // Each canvas matching `selector` names its JSON data island (a <script
  // type="application/json">, never run, so the CSP allows it) in the attribute
  // `sourceAttribute`; `draw(canvas, data)` makes its chart, and every chart is given to
  // `paint` again when the theme changes. A missing or unreadable island draws nothing
  // (the page's table says it all). Returns the charts.
  function drawAll(selector, sourceAttribute, draw, paint) {
    var charts = [];
    if (!window.Chart) {
      return charts;
    }
    document.querySelectorAll(selector).forEach(function (canvas) {
      var source = document.getElementById(canvas.getAttribute(sourceAttribute));
      if (!source) {
        return;
      }
      var data;
      try {
        data = JSON.parse(source.textContent);
      } catch (error) {
        return;
      }
      charts.push(draw(canvas, data));
    });
    if (paint && charts.length) {
      onThemeChange(function () { charts.forEach(paint); });
    }
    return charts;
  }

  window.HabitusChartTheme = {
    drawAll: drawAll,
    cssVar: cssVar,
    withAlpha: withAlpha,
    reducedMotion: reducedMotion,
    onThemeChange: onThemeChange,
  };
})();
