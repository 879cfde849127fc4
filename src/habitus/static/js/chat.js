// A conversation, live (issue 16). Without script the page is a plain form that posts
// and reloads; with it, the same form sends over the WebSocket (GET /api/v1/ws, signed
// in by the session cookie) and messages from the others appear as they come.
//
// Nothing typed is lost: every message waits in localStorage, with its client_id, until
// the server acknowledges it, and is sent again after a reconnect (the server keeps one
// message per client_id, so a resend never doubles). After a reconnect, or when the
// server says {"type": "resync"}, what was missed is fetched by cursor over REST.
(function () {
  "use strict";

  var room = document.getElementById("chat-room");
  if (!room || !window.WebSocket) {
    return;
  }
  var conversationId = room.getAttribute("data-conversation-id");
  var me = room.getAttribute("data-me");
  var names = JSON.parse(room.getAttribute("data-names") || "{}");
  var list = document.getElementById("chat-messages");
  var form = document.getElementById("chat-send");
  var field = document.getElementById("chat-body");
  var status = document.getElementById("chat-status");
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var OUTBOX = "habitus.chat.outbox";
  var API = "/api/v1/conversations/" + conversationId;
  var MAX_DELAY_MS = 30000;
  var socket = null;
  var attempts = 0;
  var retryTimer = null;
  var catchingUp = false;

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  // --- the outbox: unsent messages, kept across reloads and offline spells ---------
  function outbox() {
    try {
      var found = JSON.parse(window.localStorage.getItem(OUTBOX) || "[]");
      return Array.isArray(found) ? found : [];
    } catch (error) {
      return [];
    }
  }

  function saveOutbox(items) {
    try {
      window.localStorage.setItem(OUTBOX, JSON.stringify(items));
    } catch (error) {
      // Private mode or a full disk: the message is still on screen and sent if online.
    }
  }

  function forget(clientId) {
    saveOutbox(outbox().filter(function (item) { return item.client_id !== clientId; }));
  }

  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    // Plain http on a home network is not a secure context: no randomUUID there.
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  // --- drawing messages (text only: bodies are never parsed as markup) --------------
  function when(iso) {
    var date = new Date(iso);
    return isNaN(date.getTime()) ? "" : date.toISOString().slice(0, 16).replace("T", " ") + " UTC";
  }

  function deleteForm(messageId, text) {
    var del = document.createElement("form");
    del.method = "post";
    del.className = "inline";
    del.action = "/chat/" + conversationId + "/messages/" + messageId + "/delete";
    var token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrf_token";
    token.value = csrf;
    var button = document.createElement("button");
    button.type = "submit";
    button.className = "link chat-delete";
    button.setAttribute("aria-label", "Delete for me: " + (text.length > 40 ? text.slice(0, 37) + "..." : text));
    button.textContent = "Delete for me";
    del.appendChild(token);
    del.appendChild(button);
    return del;
  }

  function bubble(message, pending) {
    var mine = message.sender_id === me;
    var item = document.createElement("li");
    item.className = "chat-message new" + (mine ? " mine" : "") + (pending ? " pending" : "");
    if (message.id) {
      item.setAttribute("data-message-id", String(message.id));
    }
    if (message.client_id) {
      item.setAttribute("data-client-id", message.client_id);
    }
    var sender = document.createElement("span");
    sender.className = "chat-sender";
    sender.textContent = mine ? "You" : names[message.sender_id] || "Someone";
    var body = document.createElement("p");
    body.className = "chat-body";
    body.textContent = message.body;
    var meta = document.createElement("span");
    meta.className = "chat-meta";
    var time = document.createElement("time");
    if (pending) {
      time.textContent = "Sending…";
    } else {
      time.setAttribute("datetime", message.created_at);
      time.textContent = when(message.created_at);
      meta.appendChild(time);
      meta.appendChild(document.createTextNode(" "));
      meta.appendChild(deleteForm(message.id, message.body));
    }
    if (pending) {
      meta.appendChild(time);
    }
    item.appendChild(sender);
    item.appendChild(body);
    item.appendChild(meta);
    return item;
  }

  function shown(messageId) {
    return list.querySelector('[data-message-id="' + String(messageId) + '"]') !== null;
  }

  function newestId() {
    var newest = 0;
    list.querySelectorAll("[data-message-id]").forEach(function (item) {
      newest = Math.max(newest, Number(item.getAttribute("data-message-id")) || 0);
    });
    return newest;
  }

  // Newest first: a message goes above every older one (pending ones stay on top).
  function place(message) {
    if (shown(message.id)) {
      return;
    }
    var empty = document.getElementById("chat-empty");
    if (empty) {
      empty.remove();
    }
    var item = bubble(message, false);
    var after = null;
    list.querySelectorAll("[data-message-id]").forEach(function (other) {
      if (after === null && Number(other.getAttribute("data-message-id")) < message.id) {
        after = other;
      }
    });
    list.insertBefore(item, after);
  }

  function acknowledged(clientId, message) {
    forget(clientId);
    var pending = list.querySelector('[data-client-id="' + clientId + '"].pending');
    if (pending) {
      pending.remove();
    }
    if (message.conversation_id === conversationId) {
      message.client_id = clientId;
      place(message);
    }
  }

  function markRead() {
    var newest = newestId();
    if (!newest || document.hidden) {
      return;
    }
    window.fetch(API + "/read", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ message_id: newest }),
    }).catch(function () { /* set again on the next message or visit */ });
  }

  // --- catching up by cursor: everything newer than what is on screen ---------------
  function catchUp() {
    if (catchingUp) {
      return;
    }
    catchingUp = true;
    var known = newestId();
    var found = [];
    function page(cursor) {
      var url = API + "/messages?limit=50" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
      return window.fetch(url, { credentials: "same-origin" }).then(function (answer) {
        if (!answer.ok) {
          throw new Error("HTTP " + answer.status);
        }
        return answer.json();
      }).then(function (data) {
        var older = false;
        data.items.forEach(function (message) {
          if (message.id > known) {
            found.push(message);
          } else {
            older = true;
          }
        });
        if (!older && data.next_cursor) {
          return page(data.next_cursor);
        }
        return null;
      });
    }
    page(null).then(function () {
      found.reverse().forEach(place);
      if (found.length) {
        markRead();
      }
    }).catch(function () {
      say("Could not load new messages; they will show after a reload.");
    }).then(function () {
      catchingUp = false;
    });
  }

  // --- the socket ------------------------------------------------------------------
  function flush() {
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      return;
    }
    outbox().forEach(function (item) {
      socket.send(JSON.stringify({
        type: "send",
        conversation_id: item.conversation_id,
        body: item.body,
        client_id: item.client_id,
      }));
    });
  }

  function onFrame(event) {
    var frame;
    try {
      frame = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    if (frame.type === "ready") {
      attempts = 0;
      say("");
      flush();
      catchUp();
    } else if (frame.type === "ack") {
      acknowledged(frame.client_id, frame.message);
    } else if (frame.type === "message") {
      if (frame.conversation_id === conversationId) {
        place(frame.message);
        markRead();
      }
    } else if (frame.type === "resync") {
      catchUp();
    } else if (frame.type === "error") {
      say(frame.message || "The message was not sent.");
      if (frame.client_id && frame.code !== "rate_limited") {
        // Refused for good (too long, not a member any more): resending would not help.
        forget(frame.client_id);
        var pending = list.querySelector('[data-client-id="' + frame.client_id + '"].pending');
        if (pending) {
          pending.classList.add("failed");
          pending.querySelector("time").textContent = "Not sent";
        }
      }
    }
  }

  function reconnectLater() {
    if (retryTimer !== null) {
      return;
    }
    // Exponential back-off with jitter, so a restarted server is not stormed.
    var delay = Math.min(MAX_DELAY_MS, 1000 * Math.pow(2, attempts)) * (0.5 + Math.random() / 2);
    attempts += 1;
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      connect();
    }, delay);
  }

  function connect() {
    if (socket && socket.readyState <= WebSocket.OPEN) {
      return;
    }
    if (navigator.onLine === false) {
      say("Offline: messages are kept and sent when you are back online.");
      return;
    }
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    var current = new WebSocket(scheme + "//" + window.location.host + "/api/v1/ws");
    socket = current;
    current.addEventListener("message", onFrame);
    current.addEventListener("close", function (event) {
      if (socket !== current) {
        return; // an old socket, closed after a newer one was opened
      }
      socket = null;
      if (event.code === 4401 || event.code === 4403) {
        say("Signed out: sign in again to keep chatting.");
        return;
      }
      reconnectLater();
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = field.value;
    if (!text.trim()) {
      say("The message is empty.");
      field.focus();
      return;
    }
    var item = { conversation_id: conversationId, body: text, client_id: newClientId() };
    saveOutbox(outbox().concat([item]));
    var empty = document.getElementById("chat-empty");
    if (empty) {
      empty.remove();
    }
    list.insertBefore(bubble({ sender_id: me, body: text, client_id: item.client_id }, true), list.firstChild);
    field.value = "";
    field.focus();
    if (socket && socket.readyState === WebSocket.OPEN) {
      flush();
    } else {
      say("Not connected: the message will be sent when the connection is back.");
    }
  });

  // Messages this tab left unsent last time (this conversation's are drawn as pending).
  outbox().forEach(function (item) {
    if (item.conversation_id === conversationId) {
      list.insertBefore(bubble({ sender_id: me, body: item.body, client_id: item.client_id }, true), list.firstChild);
    }
  });

  window.addEventListener("offline", function () {
    if (socket) {
      var old = socket;
      socket = null;
      old.close();
    }
    say("Offline: messages are kept and sent when you are back online.");
  });
  window.addEventListener("online", function () {
    attempts = 0;
    if (retryTimer !== null) {
      window.clearTimeout(retryTimer);
      retryTimer = null;
    }
    connect();
  });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      markRead();
    }
  });
  connect();
})();
