// Passkeys (issue 20): "Add a passkey" in Settings and "Sign in with a passkey" on the
// login page. Loaded on those two pages only. Both stay hidden where the browser has no
// WebAuthn (window.PublicKeyCredential). The server's options and the browser's answers
// carry binary values as base64url; the helpers below turn them into ArrayBuffers and back.
(function () {
  "use strict";

  if (window.HabitusPasskeys) {
    return; // the script is included once per page, but be safe
  }
  window.HabitusPasskeys = true;

  function fromBase64url(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var binary = window.atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i += 1) {
      binary += String.fromCharCode(bytes[i]);
    }
    return window.btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (item) {
      return { type: item.type, id: fromBase64url(item.id), transports: item.transports };
    });
  }

  function creationOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = fromBase64url(json.challenge);
    options.user = Object.assign({}, json.user, { id: fromBase64url(json.user.id) });
    options.excludeCredentials = withIds(json.excludeCredentials);
    return options;
  }

  function requestOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = fromBase64url(json.challenge);
    options.allowCredentials = withIds(json.allowCredentials);
    return options;
  }

  // The credential as JSON, the shape of PublicKeyCredential.toJSON().
  function credentialJson(credential) {
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults
        ? credential.getClientExtensionResults()
        : {},
      response: { clientDataJSON: toBase64url(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      out.response.attestationObject = toBase64url(response.attestationObject);
      out.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      out.response.authenticatorData = toBase64url(response.authenticatorData);
      out.response.signature = toBase64url(response.signature);
      if (response.userHandle) {
        out.response.userHandle = toBase64url(response.userHandle);
      }
    }
    return out;
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function postJson(path, body) {
    return window.fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body || {}),
    }).then(function (answer) {
      return answer.json().then(
        function (data) { return { ok: answer.ok, status: answer.status, data: data }; },
        function () { return { ok: answer.ok, status: answer.status, data: {} }; }
      );
    });
  }

  function problemText(data, fallback) {
    if (data && data.errors && data.errors.length) {
      return data.errors.map(function (e) { return e.message; }).join("; ");
    }
    return (data && data.detail) || fallback;
  }

  // The user closed the browser's dialog, or it timed out: no error worth shouting.
  function cancelled(error) {
    return error && (error.name === "NotAllowedError" || error.name === "AbortError");
  }

  function say(box, text) {
    box.textContent = text;
    box.hidden = !text;
  }

  // --- Settings → Passkeys → Add a passkey ---------------------------------------------

  function setUpAdding(form) {
    var unsupported = document.getElementById("passkey-unsupported");
    if (!window.PublicKeyCredential || !navigator.credentials) {
      if (unsupported) {
        unsupported.hidden = false;
      }
      return;
    }
    form.hidden = false;
    var button = document.getElementById("passkey-add-button");
    var error = document.getElementById("passkey-add-error");
    var name = document.getElementById("passkey-name");

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      say(error, "");
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      postJson("/api/v1/auth/passkeys/register/options")
        .then(function (answer) {
          if (!answer.ok) {
            throw new Error(problemText(answer.data, "The server did not start the passkey."));
          }
          return navigator.credentials.create({ publicKey: creationOptions(answer.data) });
        })
        .then(function (credential) {
          var body = { credential: credentialJson(credential) };
          if (name.value.trim()) {
            body.name = name.value.trim();
          }
          return postJson("/api/v1/auth/passkeys/register", body);
        })
        .then(function (answer) {
          if (!answer.ok) {
            throw new Error(problemText(answer.data, "The passkey was not saved."));
          }
          name.value = "";
          document.body.dispatchEvent(new CustomEvent("passkeys-changed"));
          if (window.Habitus && window.Habitus.toast) {
            window.Habitus.toast("Passkey “" + answer.data.name + "” added.", "success");
          }
        })
        .catch(function (problem) {
          say(error, cancelled(problem)
            ? "No passkey was made: the request was cancelled or timed out."
            : problem.message || "The passkey was not saved.");
        })
        .then(function () {
          button.disabled = false;
          button.removeAttribute("aria-busy");
        });
    });
  }

  // --- Login page → Sign in with a passkey ---------------------------------------------

  function setUpSignIn(box) {
    if (!window.PublicKeyCredential || !navigator.credentials) {
      return; // the block stays hidden
    }
    box.hidden = false;
    var form = document.getElementById("passkey-login-form");
    var button = document.getElementById("passkey-login");
    var error = document.getElementById("passkey-login-error");
    var email = document.getElementById("email");

    button.addEventListener("click", function () {
      say(error, "");
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      var typed = email && email.value.trim();
      var body = typed && typed.indexOf("@") > 0 ? { email: typed } : {};
      postJson("/api/v1/auth/passkeys/login/options", body)
        .then(function (answer) {
          if (!answer.ok) {
            throw new Error(problemText(answer.data, "Passkey sign-in is not available now."));
          }
          return navigator.credentials.get({ publicKey: requestOptions(answer.data) });
        })
        .then(function (credential) {
          form.elements.credential.value = JSON.stringify(credentialJson(credential));
          form.submit();
        })
        .catch(function (problem) {
          button.disabled = false;
          button.removeAttribute("aria-busy");
          say(error, cancelled(problem)
            ? "No passkey was used: the request was cancelled or timed out."
            : problem.message || "Passkey sign-in did not work.");
        });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var adding = document.getElementById("passkey-add");
    if (adding) {
      setUpAdding(adding);
    }
    var signIn = document.getElementById("passkey-signin");
    if (signIn) {
      setUpSignIn(signIn);
    }
  });
})();
