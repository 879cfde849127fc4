// The habits list: after a Move up / Move down swapped the list in place (HTMX), keep
// the keyboard focus on the button that was pressed, in the habit's new place.
(function () {
  "use strict";

  document.addEventListener("htmx:afterSettle", function () {
    var wanted = document.querySelector("#habit-list [data-autofocus]");
    if (!wanted) {
      return;
    }
    wanted.removeAttribute("data-autofocus");
    if (wanted.disabled) {
      // At the top or the bottom now: the other arrow of the same habit.
      var item = wanted.closest("li");
      wanted = item && item.querySelector("button[data-move]:not([disabled])");
    }
    if (wanted) {
      wanted.focus();
    }
  });
})();
