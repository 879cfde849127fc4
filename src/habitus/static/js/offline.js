// Habitus offline queue: check-ins made without a connection wait in IndexedDB, each
// with the Idempotency-Key made at tap time, and are sent in order when the connection
// returns. An item leaves the queue only when the server has answered it (2xx, or a
// 4xx that no retry can fix); a network error keeps it for the next try. The banner
// #offline-banner (base.html) says when the page is offline and how many wait.
(function () {
  "use strict";

  var Habitus = (window.Habitus = window.Habitus || {});
  if (Habitus.queue) {
    return; // loaded twice (the page's own tag and app.js)
  }

  var DB_NAME = "habitus-offline";
  var STORE = "checkins";
  var RETRY_MS = 15000;
  // Answers that say "not now" rather than "never": keep the item and try again later.
  var RETRYABLE = [401, 403, 408, 409, 425, 429];
  var dbPromise = null;
  var flushing = null;
  var retryTimer = null;

  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        if (!window.indexedDB) {
          reject(new Error("IndexedDB is not available"));
          return;
        }
        var request = window.indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }

  function run(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result;
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
        work(tx.objectStore(STORE), function (value) { result = value; });
      });
    });
  }

  function all() {
    return run("readonly", function (store, done) {
      var request = store.getAll();
      request.onsuccess = function () { done(request.result || []); };
    }).catch(function () { return []; });
  }

  function add(item) {
    return run("readwrite", function (store, done) {
      var request = store.add(item);
      request.onsuccess = function () { done(request.result); };
    }).then(function (seq) {
      changed();
      return seq;
    });
  }

  function remove(seq) {
    return run("readwrite", function (store) { store.delete(seq); }).then(changed);
  }

  function currentUser() {
    var root = document.querySelector("[data-user-id]");
    return root ? root.dataset.userId : null;
  }

  // Items of the account signed in on this page (all items when the page cannot tell).
  function mine(items) {
    var user = currentUser();
    return items.filter(function (item) { return !user || !item.userId || item.userId === user; });
  }

  function waiting() {
    return all().then(function (items) { return mine(items); });
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // One check-in, as the page first tried to send it: same URL, same body, same key.
  function post(item) {
    return window.fetch(item.url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "text/html",
        "HX-Request": "true",
        "HX-Current-URL": window.location.href,
        "Idempotency-Key": item.key,
        "X-CSRF-Token": csrfToken(),
      },
      body: item.body,
    });
  }

  function plural(count, word) {
    return count + " " + word + (count === 1 ? "" : "s");
  }

  function renderBanner() {
    var banner = document.getElementById("offline-banner");
    if (!banner) {
      return Promise.resolve();
    }
    return waiting().then(function (items) {
      var count = items.length;
      var offline = navigator.onLine === false;
      if (!offline && count === 0) {
        banner.hidden = true;
        banner.textContent = "";
        return;
      }
      var text;
      if (offline) {
        text = "You are offline" + (count ? " — " + plural(count, "check-in") + " waiting" : "");
      } else if (currentUser()) {
        text = "Sending " + plural(count, "check-in") + " made offline…";
      } else {
        text = plural(count, "check-in") + " waiting — open Today to send " + (count === 1 ? "it" : "them");
      }
      if (banner.textContent !== text) {
        banner.textContent = text;
      }
      banner.hidden = false;
    });
  }

  function changed() {
    renderBanner();
    document.dispatchEvent(new CustomEvent("habitus:queue-changed"));
  }

  function scheduleRetry() {
    if (retryTimer === null) {
      retryTimer = window.setTimeout(function () {
        retryTimer = null;
        flush();
      }, RETRY_MS);
    }
  }

  function reportRejected(item, response) {
    var type = response.headers.get("Content-Type") || "";
    var read = type.indexOf("text/html") === 0 ? response.text() : Promise.resolve("");
    return read.then(function (html) {
      var reason = "";
      if (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        reason = (doc.body.textContent || "").trim();
      }
      var text = "A check-in made offline" + (item.label ? " for " + item.label : "") +
        " could not be saved" + (reason ? ": " + reason : ".");
      if (Habitus.toast) {
        Habitus.toast(text, "error");
      }
    });
  }

  // Send this account's waiting check-ins, oldest first, one at a time. Resolves to
  // {sent, rejected, left}. Only the Today page (which knows the account) flushes.
  function flush() {
    if (flushing) {
      return flushing;
    }
    var result = { sent: 0, rejected: 0, left: 0 };
    function next() {
      return waiting().then(function (items) {
        result.left = items.length;
        if (!items.length) {
          return result;
        }
        if (navigator.onLine === false) {
          return result;
        }
        var item = items[0];
        return post(item).then(function (response) {
          var redirect = response.headers.get("HX-Redirect");
          if (response.ok) {
            result.sent += 1;
            return remove(item.seq).then(next);
          }
          if (redirect) {
            window.location.href = redirect; // signed out: sign in, the queue waits
            return result;
          }
          if (response.status >= 500 || RETRYABLE.indexOf(response.status) !== -1) {
            scheduleRetry();
            return result;
          }
          result.rejected += 1;
          return reportRejected(item, response).then(function () {
            return remove(item.seq);
          }).then(next);
        }, function () {
          // No answer (offline, server down): the item stays, with its key.
          scheduleRetry();
          return result;
        });
      });
    }
    flushing = (currentUser() ? next() : waiting().then(function (items) {
      result.left = items.length;
      return result;
    })).then(function (done) {
      flushing = null;
      renderBanner();
      return done;
    }, function (error) {
      flushing = null;
      renderBanner();
      throw error;
    });
    return flushing;
  }

  Habitus.queue = {
    add: add,
    all: waiting,
    remove: remove,
    post: post,
    flush: flush,
    renderBanner: renderBanner,
  };

  window.addEventListener("online", function () { renderBanner(); });
  window.addEventListener("offline", function () { renderBanner(); });
  renderBanner();
})();
