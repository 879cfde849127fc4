// Onboarding and settings. Loaded only on those pages.
(function () {
  "use strict";

  // Settings → Your data → Import: the form is sent with XMLHttpRequest, whose upload
  // events drive the progress bar; the answer is the same result page a plain post
  // gets, and its result section is put below the form. Without this script the form
  // posts and the result page shows.
  function setUpImport(form) {
    if (!form || !window.XMLHttpRequest || !window.DOMParser) {
      return;
    }
    var status = document.getElementById("import-status");
    var box = document.getElementById("import-progress");
    var bar = document.getElementById("import-bar");
    var stage = document.getElementById("import-stage");
    var button = document.getElementById("import-submit");
    var input = document.getElementById("import-file");
    var calm = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var busy = false;

    function say(text, failed) {
      status.textContent = "";
      var line = document.createElement("p");
      line.className = failed ? "field-error" : "hint";
      line.textContent = text;
      status.appendChild(line);
    }

    function done() {
      busy = false;
      button.disabled = false;
      button.removeAttribute("aria-busy");
      box.hidden = true;
    }

    function showResult(xhr) {
      var page = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      var result = page.getElementById("import-result");
      if (xhr.status === 413) {
        say("The file is larger than the import limit of " + form.getAttribute("data-limit-words") + ".", true);
        return;
      }
      if (!result) {
        say("The import did not finish (" + (xhr.status || "no answer") + "). Reload the page and try again.", true);
        return;
      }
      status.textContent = "";
      status.appendChild(document.importNode(result, true));
      var heading = status.querySelector("h2");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus();
      }
      if (xhr.status === 200) {
        form.reset();
      }
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) {
        return; // one import at a time: a second click sends nothing
      }
      var file = input.files && input.files[0];
      if (!file) {
        say("Choose a file to import.", true);
        input.focus();
        return;
      }
      var limit = Number(form.getAttribute("data-max-bytes"));
      if (limit && file.size > limit) {
        say("The file is larger than the import limit of " + form.getAttribute("data-limit-words") + ".", true);
        return;
      }
      busy = true;
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      status.textContent = "";
      box.hidden = false;
      bar.value = 0;
      stage.textContent = "Uploading " + file.name + "…";

      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "text/html");
      xhr.upload.addEventListener("progress", function (progress) {
        if (progress.lengthComputable) {
          bar.value = Math.round((100 * progress.loaded) / progress.total);
          stage.textContent = "Uploading " + file.name + "… " + bar.value + "%";
        }
      });
      xhr.upload.addEventListener("load", function () {
        stage.textContent = "Uploaded. Reading and importing your history…";
        if (calm) {
          bar.value = 100;
        } else {
          bar.removeAttribute("value"); // still working: an indeterminate bar
        }
      });
      xhr.addEventListener("load", function () {
        done();
        showResult(xhr);
      });
      xhr.addEventListener("error", function () {
        done();
        say("The upload did not go through. Check your connection and try again.", true);
      });
      xhr.send(new FormData(form));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // After a failed submit, take the keyboard to the first answer that needs fixing.
    var invalid = document.querySelector('main [aria-invalid="true"]');
    if (invalid) {
      invalid.focus();
    }

    // Onboarding: the starter habits follow the morning/evening answer, unless the
    // user already typed their own.
    var list = document.querySelector("ul.starters[data-suggestions]");
    if (list) {
      var suggestions = JSON.parse(list.getAttribute("data-suggestions"));
      var inputs = list.querySelectorAll("input[data-starter]");
      var known = function (index, value) {
        return Object.keys(suggestions).some(function (key) {
          return suggestions[key][index] === value;
        });
      };
      document.querySelectorAll('input[name="day_part"]').forEach(function (radio) {
        radio.addEventListener("change", function () {
          var names = suggestions[radio.value] || suggestions.none;
          inputs.forEach(function (input) {
            var index = Number(input.getAttribute("data-starter"));
            if (known(index, input.value.trim())) {
              input.value = names[index];
            }
          });
        });
      });
    }

    setUpImport(document.getElementById("import-form"));

    // Settings: preview a theme as soon as it is picked; saving keeps it.
    document.querySelectorAll("input[data-theme-choice]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        document.documentElement.setAttribute("data-theme", radio.value);
      });
    });
  });
})();
