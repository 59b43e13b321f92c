/* Crisis Desk page behaviour. Loaded with `defer`.
 *
 * The CSP forbids inline scripts and inline event handlers, so behaviour is
 * declared with data-* attributes and wired up here.
 *
 * Every listener is delegated from `document` rather than bound to the
 * elements themselves: content that htmx swaps in later (htmx:afterSwap) is
 * covered automatically, and a swap can never bind the same handler twice.
 */
(function () {
  "use strict";

  // <select data-autosubmit>: submit the form on change (language switcher).
  // requestSubmit() rather than submit() so that a real submit event fires:
  // data-confirm below and htmx (hx-post on the form) still see it.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!(select instanceof HTMLSelectElement) || !select.hasAttribute("data-autosubmit")) {
      return;
    }
    var form = select.form;
    if (!form) {
      return;
    }
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      form.submit();
    }
  });

  // <form data-confirm="..."> or <button type="submit" data-confirm="...">:
  // ask before submitting. A message on the clicked button wins, so one
  // form can hold e.g. a harmless "Save" and a confirmed "Delete".
  // Capture phase, so a "Cancel" stops the event before htmx's own submit
  // listener on the form can send a request.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      var submitter = event.submitter;
      var message =
        (submitter && submitter.getAttribute("data-confirm")) ||
        form.getAttribute("data-confirm");
      if (message && !window.confirm(message)) {
        event.preventDefault();
        event.stopPropagation();
      }
    },
    true
  );

  // [data-copy-target="#id"]: copy the target's text to the clipboard.
  // Optional data-copied-label briefly replaces the (text-only) button's
  // text so the user sees that something happened.
  document.addEventListener("click", function (event) {
    var trigger = event.target instanceof Element && event.target.closest("[data-copy-target]");
    if (!trigger) {
      return;
    }
    var source = document.querySelector(trigger.getAttribute("data-copy-target"));
    // The Clipboard API only exists in secure contexts (HTTPS, localhost).
    if (!source || !navigator.clipboard) {
      return;
    }
    event.preventDefault();
    // Form fields hold their text in .value; anything else in its content.
    var isField = source instanceof HTMLInputElement || source instanceof HTMLTextAreaElement;
    var text = isField ? source.value : source.textContent.trim();
    navigator.clipboard.writeText(text).then(function () {
      var label = trigger.getAttribute("data-copied-label");
      if (!label || trigger.hasAttribute("data-copy-original")) {
        return;
      }
      trigger.setAttribute("data-copy-original", trigger.textContent);
      trigger.textContent = label;
      window.setTimeout(function () {
        trigger.textContent = trigger.getAttribute("data-copy-original");
        trigger.removeAttribute("data-copy-original");
      }, 2000);
    });
  });
  // <form data-logout>: logging out wipes this browser's storage (the server sends
  // Clear-Site-Data), which holds the field app's queue. Ask first if events wait to sync.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-logout") || form.dataset.checked) {
      return;
    }
    if (!window.indexedDB || typeof indexedDB.databases !== "function") {
      return;
    }
    event.preventDefault();
    pendingDeskEvents().then(function (pending) {
      if (pending && !window.confirm(form.getAttribute("data-pending-message"))) {
        return;
      }
      form.dataset.checked = "true";
      form.submit();
    });
  });

  function pendingDeskEvents() {
    return indexedDB.databases().then(function (databases) {
      if (!databases.some(function (database) { return database.name === "crisisdesk-desk"; })) {
        return 0;
      }
      return new Promise(function (resolve) {
        var open = indexedDB.open("crisisdesk-desk");
        open.onerror = function () { resolve(0); };
        open.onsuccess = function () {
          var db = open.result;
          if (!db.objectStoreNames.contains("queue")) {
            db.close();
            resolve(0);
            return;
          }
          var count = db.transaction("queue").objectStore("queue").count();
          count.onsuccess = function () { db.close(); resolve(count.result); };
          count.onerror = function () { db.close(); resolve(0); };
        };
      });
    });
  }
})();
