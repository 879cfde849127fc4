// Share links (D12.2): "Copy link" puts a new link on the clipboard and says so in the
// panel's live region; a new link gets the focus, selected, so a keyboard user can copy
// it at once. Without script the link still shows, in a field to select by hand.
(function () {
  "use strict";

  function say(text) {
    var status = document.getElementById("share-status");
    if (status) {
      status.textContent = "";
      // A fresh text node after clearing: read out even when the words repeat.
      window.setTimeout(function () { status.textContent = text; }, 50);
    }
  }

  function copied(button) {
    button.textContent = "Copied";
    say("Link copied to the clipboard.");
    window.setTimeout(function () { button.textContent = "Copy link"; }, 2000);
  }

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element && event.target.closest("[data-copy-target]");
    if (!button) {
      return;
    }
    var field = document.getElementById(button.getAttribute("data-copy-target"));
    if (!field) {
      return;
    }
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(
        function () { copied(button); },
        function () { say("Select the link and copy it by hand."); }
      );
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
      copied(button);
    } else {
      say("The link is selected: copy it with your keyboard or menu.");
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "share-panel") {
      return;
    }
    var field = document.getElementById("share-url");
    if (field) {
      field.focus();
      field.select();
    }
  });
})();
