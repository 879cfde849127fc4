// Habitus page behaviour. No inline scripts anywhere: the CSP allows only our files.
(function () {
  "use strict";

  // HTMX requests carry the CSRF token from the page's meta tag.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      event.detail.headers["X-CSRF-Token"] = meta.content;
    }
  });

  // Sign-up: fill the time zone from the browser; the user can change it later.
  document.addEventListener("DOMContentLoaded", function () {
    var zone;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (error) {
      zone = "";
    }
    document.querySelectorAll("input[data-detect-timezone]").forEach(function (input) {
      if (!input.value && zone) {
        input.value = zone;
      }
    });
    // One click selects a whole invite link for copying.
    document.querySelectorAll("input.copy").forEach(function (input) {
      input.addEventListener("focus", function () { input.select(); });
    });
  });

  // --- Toasts: short messages in #toasts (aria-live), gone after a few seconds. -------
  var Habitus = (window.Habitus = window.Habitus || {});

  function dismissLater(toast) {
    window.setTimeout(function () {
      toast.remove();
    }, toast.classList.contains("error") ? 8000 : 5000);
  }

  Habitus.toast = function (text, kind) {
    var box = document.getElementById("toasts");
    if (!box) {
      return null;
    }
    var toast = document.createElement("div");
    toast.className = "toast" + (kind ? " " + kind : "");
    toast.setAttribute("role", kind === "error" ? "alert" : "status");
    toast.textContent = text;
    box.appendChild(toast);
    dismissLater(toast);
    return toast;
  };

  // Toast fragments the server sends (a failed HTMX request, errors.py) fade out too.
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("toasts");
    if (!box || !window.MutationObserver) {
      return;
    }
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        change.addedNodes.forEach(function (node) {
          if (node.nodeType === 1 && node.classList.contains("toast") && !node.dataset.timed) {
            node.dataset.timed = "1";
            dismissLater(node);
          }
        });
      });
    }).observe(box, { childList: true });
  });

  // A failed HTMX request answers with a toast aimed at #toasts (HX-Retarget): show it
  // instead of dropping it; a network failure gets a toast of its own.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status >= 400 && xhr.getResponseHeader("HX-Retarget") === "#toasts") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:sendError", function () {
    Habitus.toast("Could not reach Habitus. Check your connection and try again.", "error");
  });

  // --- The installable app: service worker and the offline queue on every page. -------
  if ("serviceWorker" in navigator && window.isSecureContext) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
        // No worker (private mode, blocked): the app works online all the same.
      });
    });
  }

  // Signing out leaves no page of this account in the worker's cache.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.getAttribute("action") !== "/logout") {
      return;
    }
    if (form.dataset.cleared === "1" || !window.caches) {
      return;
    }
    event.preventDefault();
    var done = function () {
      form.dataset.cleared = "1";
      form.submit();
    };
    var worker = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (worker) {
      worker.postMessage({ type: "sign-out" });
    }
    window.caches.delete("habitus-pages").then(done, done);
  });
})();

// The sticky top bar is as tall as its links make it (they wrap on a phone, more of them
// as features are added): whatever gets focus or is scrolled to must land below it
// (WCAG 2.4.11), so the page's scroll padding follows the bar's real height instead of
// a number in the stylesheet (which stays as the fallback without this script).
(function () {
  var bar = document.querySelector(".topbar");
  if (!bar || !window.ResizeObserver) {
    return;
  }
  var root = document.documentElement;
  new ResizeObserver(function () {
    root.style.scrollPaddingTop = Math.ceil(bar.getBoundingClientRect().height + 16) + "px";
  }).observe(bar);
})();

// "More" in the top bar is a <details>: it opens and closes without this script. With
// it, the drop-down behaves like a menu people know: a click elsewhere or Escape closes
// it (Escape gives focus back to its toggle), and following one of its links closes it.
(function () {
  var menu = document.querySelector(".places-menu");
  if (!menu) {
    return;
  }
  var toggle = menu.querySelector("summary");
  document.addEventListener("click", function (event) {
    if (menu.open && !menu.contains(event.target)) {
      menu.open = false;
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && menu.open) {
      menu.open = false;
      toggle.focus();
    }
  });
})();
