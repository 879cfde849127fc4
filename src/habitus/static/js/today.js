// Today: one-tap check-ins that update the card and the ring in place.
//
// Each tap gets an Idempotency-Key made right then. Online, the form is sent as an
// HTMX request (HX-Request) and the answer (the card, plus the ring and an
// announcement as out-of-band swaps) is swapped in with htmx. Taps on one habit go
// one after another, so quick "+" taps all count. Offline, or when the request gets
// no answer, the tap waits in the offline queue (offline.js) with its key and is sent
// when the connection returns; the key makes a repeated send count once.
(function () {
  "use strict";

  var Habitus = (window.Habitus = window.Habitus || {});
  var queue = Habitus.queue;
  var chains = {};
  var waitingCount = 0;

  function root() {
    return document.getElementById("today");
  }

  // The offline page is drawn signed out (the worker fetched it without cookies), so its
  // header offers "Sign in / Sign up". Pages kept for offline use exist only while
  // someone is signed in on this device (signing out clears them): then say "Back to
  // Today" instead.
  var offlinePage = document.getElementById("today-offline");
  if (offlinePage) {
    var signedIn = window.caches ? window.caches.open("habitus-pages").then(function (cache) {
      return cache.keys();
    }).then(function (keys) { return keys.length > 0; }, function () { return false; })
      : Promise.resolve(false);
    signedIn.then(function (yes) {
      offlinePage.dataset.signedIn = yes ? "yes" : "no";
      if (!yes) {
        return;
      }
      document.body.classList.add("offline-signed-in"); // hides "Sign in / Sign up"
      var back = document.getElementById("offline-signed-in");
      if (back) {
        back.hidden = false;
      }
    });
    return;
  }

  if (!root() || !queue) {
    return;
  }

  function newKey() {
    // crypto.randomUUID needs a secure context; a self-hosted server on plain http does
    // not give one, getRandomValues works everywhere.
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return (b + 0x100).toString(16).slice(1);
    }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" +
      hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function cardOf(habitId) {
    return document.getElementById("habit-" + habitId);
  }

  // The CSRF token travels in the X-CSRF-Token header, not the body: a check-in queued
  // before signing in again is then the very same request, and its key replays.
  // `submitter`: the week strip's day button, which names the day and the new status.
  function bodyOf(form, submitter) {
    var data = submitter ? new FormData(form, submitter) : new FormData(form);
    data.delete("csrf_token");
    return new URLSearchParams(data).toString();
  }

  function setBusy(card, busy) {
    if (card) {
      card.classList.toggle("is-busy", busy);
      card.setAttribute("aria-busy", busy ? "true" : "false");
    }
  }

  function announce(text) {
    var status = document.getElementById("today-status");
    if (status) {
      status.textContent = text;
    }
  }

  // --- pending marks ---------------------------------------------------------------------

  function markPending() {
    return queue.all().then(function (items) {
      waitingCount = items.length;
      var counts = {};
      items.forEach(function (item) {
        counts[item.habitId] = (counts[item.habitId] || 0) + 1;
      });
      document.querySelectorAll("#today .habit-card").forEach(function (card) {
        var count = counts[card.dataset.habit] || 0;
        var note = card.querySelector(".habit-pending");
        card.classList.toggle("is-queued", count > 0);
        if (note) {
          note.hidden = count === 0;
          note.textContent = count === 0 ? "" : (count === 1
            ? "1 check-in saved on this device, waiting to be sent"
            : count + " check-ins saved on this device, waiting to be sent");
        }
      });
    });
  }

  // --- celebration -------------------------------------------------------------------------

  var fire = null;

  function confettiCannon() {
    if (fire === null && typeof window.confetti === "function") {
      var canvas = document.getElementById("confetti-canvas");
      // Our own canvas, no worker: the CSP allows neither blob: workers nor inline styles.
      fire = canvas ? window.confetti.create(canvas, { resize: true, useWorker: false }) : false;
    }
    return fire || null;
  }

  function celebrate(card) {
    var text = card && card.dataset.celebrate;
    if (!text) {
      return;
    }
    card.removeAttribute("data-celebrate");
    card.classList.add("is-celebrating");
    Habitus.toast(card.dataset.name + ": " + text, "celebrate");
    var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var cannon = still ? null : confettiCannon();
    document.body.dataset.celebration = cannon ? "confetti" : "message";
    if (cannon) {
      var canvas = document.getElementById("confetti-canvas");
      canvas.classList.add("is-firing");
      cannon({ particleCount: 140, spread: 75, startVelocity: 42, origin: { y: 0.65 } }).then(function () {
        canvas.classList.remove("is-firing");
      });
    }
  }

  // --- swapping answers in -------------------------------------------------------------

  function applyCard(habitId, html, focusUrl) {
    var card = cardOf(habitId);
    if (!card) {
      return;
    }
    var hadFocus = card.contains(document.activeElement);
    window.htmx.swap(card, html, { swapStyle: "outerHTML", swapDelay: 0, settleDelay: 0 });
    var fresh = cardOf(habitId);
    if (fresh && hadFocus) {
      // Focus stays where the tap was: the same day of the strip, else the first button.
      var same = focusUrl && Array.prototype.find.call(
        fresh.querySelectorAll("button[formaction]"),
        function (day) { return day.getAttribute("formaction") === focusUrl; });
      var button = same || fresh.querySelector(".habit-actions button:not([disabled])");
      if (button) {
        button.focus({ preventScroll: true });
      }
    }
    markPending();
    celebrate(fresh);
  }

  // The whole list again, after check-ins made offline reached the server.
  function refresh() {
    return window.fetch("/today", { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok || response.redirected) {
          return;
        }
        return response.text().then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById("today");
          var current = root();
          if (!fresh || !current) {
            return;
          }
          var later = current.querySelector(".today-later");
          var freshLater = fresh.querySelector(".today-later");
          if (later && freshLater) {
            freshLater.open = later.open;
          }
          current.replaceWith(fresh);
          markPending();
        });
      }, function () { /* offline again: the cards stay as they are */ });
  }

  function showError(response) {
    var redirect = response.headers.get("HX-Redirect");
    if (redirect) {
      window.location.href = redirect;
      return Promise.resolve();
    }
    return response.text().then(function (html) {
      var box = document.getElementById("toasts");
      if (box && html && html.indexOf("toast") !== -1) {
        window.htmx.swap(box, html, { swapStyle: "beforeend", swapDelay: 0, settleDelay: 0 });
      } else {
        Habitus.toast("That did not work (" + response.status + "). Reload the page and try again.", "error");
      }
      return refresh();
    });
  }

  // --- sending ---------------------------------------------------------------------------

  function park(item) {
    return queue.add(item).then(function () {
      announce((item.label ? item.label + ": " : "") +
        "saved on this device; it will be sent when you are back online.");
      return markPending();
    }).then(function () {
      if (navigator.onLine !== false) {
        flush();
      }
    });
  }

  function deliver(item) {
    // Behind check-ins already waiting, a tap waits too: they reach the server in order.
    if (navigator.onLine === false || waitingCount > 0) {
      return park(item);
    }
    var card = cardOf(item.habitId);
    setBusy(card, true);
    return queue.post(item).then(function (response) {
      setBusy(cardOf(item.habitId), false);
      if (response.ok) {
        return response.text().then(function (html) { applyCard(item.habitId, html, item.url); });
      }
      if (response.status >= 500 || response.status === 409 || response.status === 429) {
        return park(item); // the server could not take it now; its key makes a retry safe
      }
      return showError(response);
    }, function () {
      // No answer: it may or may not have arrived. Keep it; the key sorts it out.
      setBusy(cardOf(item.habitId), false);
      return park(item);
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches("#today form[data-checkin]")) {
      return;
    }
    event.preventDefault();
    var card = form.closest(".habit-card");
    var submitter = event.submitter && event.submitter.getAttribute("formaction") ? event.submitter : null;
    var item = {
      key: newKey(),
      url: submitter ? submitter.getAttribute("formaction") : form.getAttribute("action"),
      body: bodyOf(form, submitter),
      habitId: card.dataset.habit,
      userId: root().dataset.userId,
      action: form.dataset.checkin,
      label: card.dataset.name,
      createdAt: new Date().toISOString(),
    };
    var habit = item.habitId;
    chains[habit] = (chains[habit] || Promise.resolve())
      .then(function () { return deliver(item); })
      .catch(function () {
        Habitus.toast("Could not save that check-in on this device. Try again.", "error");
      });
  });

  function flush() {
    return queue.flush().then(function (result) {
      return markPending().then(function () {
        if (result.sent || result.rejected) {
          return refresh();
        }
      });
    }, function () { /* IndexedDB unavailable: nothing was queued */ });
  }

  document.addEventListener("habitus:queue-changed", markPending);
  window.addEventListener("online", flush);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && navigator.onLine !== false) {
      flush();
    }
  });
  markPending().then(function () {
    if (navigator.onLine !== false) {
      flush();
    }
  });
})();
