// Achievement toasts on Today (issue 14): dismissable with a real button, and the ones
// the page arrived with are put back into their live region after load, so a screen
// reader reads them out (a region's first content is not announced).
(function () {
  "use strict";

  function region() {
    return document.getElementById("reward-toasts");
  }

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element && event.target.closest(".achievement-toast-close");
    if (!button) {
      return;
    }
    var toast = button.closest(".achievement-toast");
    var next = toast && (toast.nextElementSibling || toast.previousElementSibling);
    var hadFocus = document.activeElement === button;
    if (toast) {
      toast.remove();
    }
    if (hadFocus) {
      // Focus goes to the next toast's button, else back to the page, never nowhere.
      var target = next ? next.querySelector(".achievement-toast-close") : document.getElementById("main");
      if (target) {
        target.focus({ preventScroll: true });
      }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var box = region();
    if (!box || !box.children.length) {
      return;
    }
    var toasts = Array.prototype.slice.call(box.children);
    toasts.forEach(function (toast) { toast.remove(); });
    window.setTimeout(function () {
      toasts.forEach(function (toast) { box.appendChild(toast); });
    }, 150);
  });
})();
