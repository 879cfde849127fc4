// The code page (issue 20): count the resend wait down and enable the button at zero.
// Without JavaScript the button is disabled as served and the page reloads itself then.
(function () {
  "use strict";
  for (const form of document.querySelectorAll("form[data-resend-in]")) {
    let left = Number(form.dataset.resendIn);
    const button = form.querySelector("button[type=submit]");
    const label = form.querySelector("[data-seconds-left]");
    if (!button || !(left > 0)) continue;
    const timer = setInterval(function () {
      left -= 1;
      if (left > 0) {
        if (label) label.textContent = "(in " + left + " s)";
        return;
      }
      clearInterval(timer);
      button.disabled = false;
      if (label) label.remove();
    }, 1000);
  }
})();
