// Web Push from the PWA (issue 6): a button with data-push-subscribe asks the browser
// for permission, subscribes with the server's VAPID key and adds a `webpush` channel
// through the API (cookie session + CSRF header, as the app's own scripts do).
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function say(button, text) {
    var status = document.querySelector("[data-push-status]");
    if (status) {
      status.textContent = text;
    }
    button.disabled = false;
  }

  function keyBytes(base64url) {
    var padded = base64url.replace(/-/g, "+").replace(/_/g, "/");
    padded += "===".slice((padded.length + 3) % 4);
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes;
  }

  function api(method, path, body) {
    return window.fetch(path, {
      method: method,
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRF-Token": csrfToken(),
      },
      body: body ? JSON.stringify(body) : undefined,
    }).then(function (response) {
      if (!response.ok) {
        return response.json().then(function (problem) {
          throw new Error(problem.detail || "the server said no");
        });
      }
      return response.json();
    });
  }

  function subscribe(button) {
    if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
      say(button, "This browser cannot receive push notifications.");
      return;
    }
    button.disabled = true;
    window.Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") {
        say(button, "Notifications are blocked for this site in the browser's settings.");
        return null;
      }
      return Promise.all([
        navigator.serviceWorker.ready,
        api("GET", "/api/v1/push/public-key"),
      ]).then(function (found) {
        return found[0].pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(found[1].public_key),
        });
      }).then(function (subscription) {
        return api("POST", "/api/v1/channels", {
          type: "webpush",
          name: button.getAttribute("data-push-name") || "This browser",
          config: { subscription: subscription.toJSON() },
        });
      }).then(function () {
        say(button, "This browser will get your reminders.");
        window.location.reload();
      });
    }).catch(function (error) {
      say(button, "Could not turn on notifications: " + error.message);
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-push-subscribe]") : null;
    if (button) {
      event.preventDefault();
      subscribe(button);
    }
  });
})();
