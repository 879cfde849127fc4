// Settings → Access tokens: "Copy" puts the new token (shown once) on the clipboard and
// says so in a live region. Without script the token still shows, selectable by hand.
(function () {
  "use strict";

  function say(text) {
    var status = document.getElementById("token-status");
    if (status) {
      status.textContent = text;
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element && event.target.closest("[data-copy-token]");
    if (!button) {
      return;
    }
    var field = document.getElementById(button.getAttribute("data-copy-token"));
    if (!field) {
      return;
    }
    field.select();
    var done = function () {
      button.textContent = "Copied";
      say("Token copied to the clipboard.");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        say("Select the token and copy it by hand.");
      });
      return;
    }
    // Plain http (a home server): the old way, while the text is selected.
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (error) {
      ok = false;
    }
    if (ok) {
      done();
    } else {
      say("The token is selected: copy it with your keyboard or menu.");
    }
  });

  var created = document.getElementById("new-token");
  if (created) {
    created.focus();
    created.select();
  }
})();
