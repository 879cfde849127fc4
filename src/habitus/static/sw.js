// Habitus service worker, served at /sw.js (scope "/") by habitus.web.pwa, which puts
// `self.HABITUS_SW = {version, shell, offline}` in front of this file.
//
// - The app shell (stylesheet, scripts, icons, the offline page) is cached at install.
// - Fingerprinted static files (/static/...?v=<hash>) are cache-first: a new file has a
//   new URL.
// - Pages are network-first, so people see fresh data; the last copy of each page is
//   kept for when the network is down, else the offline page is shown.
// - API answers are never cached. Signing out clears the pages (app.js asks, and a
//   page answered by a redirect to the sign-in page clears them too).
"use strict";

var CONFIG = self.HABITUS_SW || { version: "dev", shell: [], offline: "/offline" };
var SHELL_CACHE = "habitus-shell-" + CONFIG.version;
var PAGES_CACHE = "habitus-pages";
var STATIC_CACHE = "habitus-static";
var NOT_KEPT = ["/login", "/logout", "/register", "/reset", "/invite", "/admin", "/offline"];

self.addEventListener("install", function (event) {
  if (event.addRoutes) {
    // Where the browser knows routes (Chromium), forms, check-ins and the API bypass the
    // worker entirely: they go to the network as if there were no worker.
    try {
      event.addRoutes([
        { condition: { requestMethod: "POST" }, source: "network" },
        { condition: { urlPattern: "/api/*" }, source: "network" },
      ]).catch(function () { /* the fetch handler lets them through */ });
    } catch (error) {
      // An older browser: the fetch handler lets them through.
    }
  }
  event.waitUntil(
    caches.open(SHELL_CACHE).then(function (cache) {
      var offline = new Request(CONFIG.offline, { credentials: "omit" });
      return Promise.all([
        cache.addAll(CONFIG.shell),
        fetch(offline).then(function (response) {
          if (response.ok) {
            return cache.put(CONFIG.offline, response);
          }
          return undefined;
        }),
      ]);
    }).then(function () {
      return self.skipWaiting();
    })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(
        names
          .filter(function (name) {
            // Old shells, and the static files they pinned.
            return (name.indexOf("habitus-shell-") === 0 && name !== SHELL_CACHE) ||
              name === STATIC_CACHE;
          })
          .map(function (name) { return caches.delete(name); })
      );
    }).then(function () {
      return self.clients.claim();
    })
  );
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "sign-out") {
    event.waitUntil(caches.delete(PAGES_CACHE));
  }
});

function keepsPage(url) {
  return !NOT_KEPT.some(function (prefix) {
    return url.pathname === prefix || url.pathname.indexOf(prefix + "/") === 0;
  });
}

function page(request) {
  var url = new URL(request.url);
  return fetch(request).then(function (response) {
    var landedOn = new URL(response.url || request.url);
    if (response.redirected && landedOn.pathname === "/login") {
      // Signed out (or the session ended): nothing of the last user stays here.
      caches.delete(PAGES_CACHE);
    } else if (response.ok && response.type === "basic" && !response.redirected && keepsPage(url)) {
      var copy = response.clone();
      caches.open(PAGES_CACHE).then(function (cache) { return cache.put(url.pathname, copy); });
    }
    return response;
  }).catch(function () {
    return caches.open(PAGES_CACHE).then(function (cache) {
      return cache.match(url.pathname);
    }).then(function (kept) {
      return kept || caches.match(CONFIG.offline);
    }).then(function (answer) {
      return answer || new Response("You are offline.", {
        status: 503,
        headers: { "Content-Type": "text/plain; charset=utf-8" },
      });
    });
  });
}

function fingerprinted(request) {
  return caches.match(request).then(function (hit) {
    if (hit) {
      return hit;
    }
    return fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(STATIC_CACHE).then(function (cache) { return cache.put(request, copy); });
      }
      return response;
    });
  });
}

function networkFirst(request) {
  return fetch(request).catch(function () {
    return caches.match(request, { ignoreSearch: true }).then(function (hit) {
      return hit || Response.error();
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") {
    return; // check-ins and forms go to the network; the page queues them offline
  }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.indexOf("/api/") === 0) {
    return; // never cache API answers
  }
  if (request.mode === "navigate") {
    event.respondWith(page(request));
  } else if (url.pathname.indexOf("/static/") === 0 && url.searchParams.has("v")) {
    event.respondWith(fingerprinted(request));
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(networkFirst(request));
  }
});

// Web Push (issue 6): the payload is {title, body, url, tag, delivery_id}. A tag per
// habit and day replaces an older notification of the same reminder instead of piling up.
self.addEventListener("push", function (event) {
  var data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = { title: "Habitus", body: event.data ? event.data.text() : "" };
  }
  event.waitUntil(
    self.registration.showNotification(data.title || "Habitus", {
      body: data.body || "",
      tag: data.tag || undefined,
      icon: "/static/icons/icon-192.png",
      badge: "/static/icons/icon-192.png",
      data: { url: data.url || "/today" },
    })
  );
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = new URL((event.notification.data && event.notification.data.url) || "/today", self.location.origin);
  if (target.origin !== self.location.origin) {
    target = new URL("/today", self.location.origin); // never open another site
  }
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      for (var i = 0; i < windows.length; i += 1) {
        if (windows[i].url === target.href && "focus" in windows[i]) {
          return windows[i].focus();
        }
      }
      return self.clients.openWindow(target.href);
    })
  );
});
