// A coach plan being written (issue 17). Without script the page reloads itself every
// two seconds (a <noscript> refresh); with it, the plan's status is asked more often and
// the page reloads once, when the plan is ready, so it shows sooner and never flickers.
(function () {
  "use strict";

  var box = document.querySelector("[data-coach-poll]");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-coach-poll");
  var delay = 150;
  var MAX_DELAY_MS = 3000;

  function ask() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (found) {
        if (found && found.status !== "generating") {
          window.location.reload();
          return;
        }
        later();
      })
      .catch(later);
  }

  function later() {
    // A model can take a while: ask less often as the wait grows.
    delay = Math.min(Math.round(delay * 1.5), MAX_DELAY_MS);
    window.setTimeout(ask, delay);
  }

  window.setTimeout(ask, delay);
})();
