// What every page's Chart.js code shares (issues 19 and 21): colours read from the
// theme's CSS variables, a hex colour with transparency, the reduced-motion preference,
// and a call back whenever the theme changes (the system's scheme or the user's choice).
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

  window.HabitusChartTheme = {
    cssVar: cssVar,
    withAlpha: withAlpha,
    reducedMotion: reducedMotion,
    onThemeChange: onThemeChange,
  };
})();
