// Onboarding and settings. Loaded only on those pages.
(function () {
  "use strict";

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

    // Settings: preview a theme as soon as it is picked; saving keeps it.
    document.querySelectorAll("input[data-theme-choice]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        document.documentElement.setAttribute("data-theme", radio.value);
      });
    });
  });
})();
