// The habits list: keep the keyboard focus after a Move up / Move down (HTMX), and let
// a pointer (mouse, finger, pen) drag a habit by its handle to a new place. The drop is
// saved through the same endpoint as the buttons (POST /habits/{id}/move, `to` = the new
// place, 0 first), whose answer replaces the list; the buttons stay for the keyboard.
(function () {
  "use strict";

  document.addEventListener("htmx:afterSettle", function () {
    var wanted = document.querySelector("#habit-list [data-autofocus]");
    if (!wanted) {
      return;
    }
    wanted.removeAttribute("data-autofocus");
    if (wanted.disabled) {
      // At the top or the bottom now: the other arrow of the same habit.
      var item = wanted.closest("li");
      wanted = item && item.querySelector("button[data-move]:not([disabled])");
    }
    if (wanted) {
      wanted.focus();
    }
  });

  function items(list) {
    return Array.prototype.slice.call(list.querySelectorAll(":scope > li.hl-item"));
  }

  // The item the pointer is over now moves aside: the dragged one takes its place.
  function reorder(list, dragged, y) {
    var others = items(list).filter(function (item) { return item !== dragged; });
    var before = null;
    for (var i = 0; i < others.length; i++) {
      var box = others[i].getBoundingClientRect();
      if (y < box.top + box.height / 2) {
        before = others[i];
        break;
      }
    }
    if (before !== dragged.nextElementSibling) {
      list.insertBefore(dragged, before);
    }
  }

  function save(list, dragged, from) {
    var to = items(list).indexOf(dragged);
    if (to === from) {
      return;
    }
    var form = dragged.querySelector('form[action$="/move"]');
    var token = form && form.querySelector('input[name="csrf_token"]');
    if (!form || !token || !window.htmx) {
      return;
    }
    window.htmx.ajax("POST", form.getAttribute("action"), {
      target: "#habit-list",
      swap: "outerHTML",
      values: { csrf_token: token.value, to: String(to) },
    });
  }

  function start(event) {
    var handle = event.target.closest(".hl-drag");
    if (!handle || event.button > 0) {
      return;
    }
    var list = handle.closest("#habit-list");
    var dragged = handle.closest("li.hl-item");
    if (!list || !dragged) {
      return;
    }
    event.preventDefault();
    var from = items(list).indexOf(dragged);
    var pointer = event.pointerId;
    dragged.classList.add("is-dragging");
    list.classList.add("is-sorting");

    function move(moved) {
      if (moved.pointerId === pointer) {
        reorder(list, dragged, moved.clientY);
      }
    }
    function end(ended) {
      if (ended.pointerId !== pointer) {
        return;
      }
      document.removeEventListener("pointermove", move);
      document.removeEventListener("pointerup", end);
      document.removeEventListener("pointercancel", end);
      dragged.classList.remove("is-dragging");
      list.classList.remove("is-sorting");
      if (ended.type === "pointerup") {
        save(list, dragged, from);
      } else {
        // Cancelled (a scroll took over): back where it was.
        var rest = items(list).filter(function (item) { return item !== dragged; });
        list.insertBefore(dragged, rest[from] || null);
      }
    }
    // On the document, not the handle: moving the row in the list (insertBefore) takes
    // it out of the DOM for a moment, which would end a pointer capture on the handle.
    document.addEventListener("pointermove", move);
    document.addEventListener("pointerup", end);
    document.addEventListener("pointercancel", end);
  }

  document.addEventListener("pointerdown", start);
})();
