// The day editor's dialog (habit page and History): a calendar day's link loads the
// editor into #day-dialog-body through htmx (hx-get on the link); this opens the dialog
// around it, lets a 422 answer (the form with its errors) replace the form, and gives
// focus back to the day that opened it. Without script, each day is a page of its own.
(function () {
  "use strict";

  var opener = null;

  function dialog() {
    return document.getElementById("day-dialog");
  }

  function inDialog(element) {
    var box = dialog();
    return !!(box && element && box.contains(element));
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail.elt;
    if (source && source.hasAttribute && source.hasAttribute("data-day-link")) {
      opener = source;
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    // A form with errors answers 422: show it in place (htmx skips 4xx by default).
    if (event.detail.xhr.status === 422 && inDialog(event.detail.target)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var box = dialog();
    if (!box || !inDialog(event.detail.target)) {
      return;
    }
    if (!box.open) {
      box.showModal();
    }
    var first = box.querySelector("[aria-invalid='true'] input, [aria-invalid='true']") ||
      box.querySelector("input[name='status']:checked") ||
      box.querySelector("#day-dialog-body a, #day-dialog-body input, #day-dialog-body textarea");
    if (first) {
      first.focus();
    }
  });

  document.addEventListener("click", function (event) {
    var close = event.target.closest && event.target.closest("[data-close-dialog]");
    var box = dialog();
    if (close && box && box.open) {
      event.preventDefault();
      box.close();
    }
  });

  document.addEventListener("close", function (event) {
    if (event.target === dialog() && opener && document.contains(opener)) {
      opener.focus();
    }
  }, true);
})();
