// The habit form: show only the fields of the chosen kind and schedule type.
// Without this file every field is visible and the server uses the chosen type.
(function () {
  "use strict";

  function chosen(form, name) {
    var input = form.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : null;
  }

  // Hidden parts are disabled too: they are neither submitted nor in the tab order.
  function show(part, visible) {
    part.hidden = !visible;
    part.querySelectorAll("input, select, textarea").forEach(function (field) {
      field.disabled = !visible;
    });
  }

  function update(form) {
    var kind = chosen(form, "kind");
    form.querySelectorAll("[data-show-when-kind]").forEach(function (part) {
      // The edit page has no kind choice: the habit's own kind decided what is shown.
      show(part, kind === null || kind === part.getAttribute("data-show-when-kind"));
    });
    var type = chosen(form, "schedule_type") || "daily";
    form.querySelectorAll("[data-schedule-fields]").forEach(function (part) {
      show(part, part.getAttribute("data-schedule-fields") === type);
    });
    var unlimited = form.querySelector("#backfill_unlimited");
    var days = form.querySelector("#backfill_days");
    if (unlimited && days) {
      days.disabled = unlimited.checked;
    }
  }

  // The schedule in words, as the server says it (habits/describe.py), while choosing.
  var previewTimer = null;
  var previewAsked = 0;
  function preview(form) {
    var url = form.getAttribute("data-preview");
    var current = document.getElementById("schedule-preview");
    if (!url || !current || !window.fetch) {
      return;
    }
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token" && typeof value === "string") {
        params.append(name, value);
      }
    });
    var asked = ++previewAsked;
    fetch(url + "?" + params.toString(), { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        // Only the newest answer counts; an older one arriving late is dropped.
        if (html === null || asked !== previewAsked) {
          return;
        }
        var template = document.createElement("template");
        template.innerHTML = html.trim();
        var fresh = template.content.firstElementChild;
        var shown = document.getElementById("schedule-preview");
        if (fresh && shown && fresh.textContent !== shown.textContent) {
          shown.replaceWith(fresh);
        }
      })
      .catch(function () { /* offline or leaving the page: the preview can wait */ });
  }
  function previewSoon(form) {
    window.clearTimeout(previewTimer);
    previewTimer = window.setTimeout(function () { preview(form); }, 250);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.habit-form");
    if (!form) {
      return;
    }
    form.addEventListener("change", function (event) {
      var target = event.target;
      // A quit habit counts what you want less of: its target is "at most".
      if (target.name === "polarity" && target.value === "quit") {
        var direction = form.querySelector("#direction");
        if (direction) {
          direction.value = "at_most";
        }
      }
      update(form);
      previewSoon(form);
    });
    form.addEventListener("input", function (event) {
      if (event.target.closest("[data-schedule-fields]")) {
        previewSoon(form);
      }
    });
    // Picking a custom colour selects the "Custom" swatch.
    var custom = form.querySelector("#color_custom");
    if (custom) {
      custom.addEventListener("input", function () {
        var radio = form.querySelector('input[name="color"][value="custom"]');
        if (radio) {
          radio.checked = true;
        }
      });
    }
    // A suggested icon fills the icon field; the pressed state follows what it holds.
    var icon = form.querySelector("#icon");
    var picks = form.querySelectorAll(".hf-icon-pick");
    function markPicked() {
      picks.forEach(function (pick) {
        var value = pick.getAttribute("data-icon");
        pick.setAttribute("aria-pressed", value && icon.value.trim() === value ? "true" : "false");
      });
    }
    if (icon) {
      picks.forEach(function (pick) {
        pick.addEventListener("click", function () {
          icon.value = pick.getAttribute("data-icon") || "";
          markPicked();
        });
      });
      icon.addEventListener("input", markPicked);
    }
    update(form);
  });
})();
