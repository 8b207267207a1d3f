/* Filón: small behaviours on top of htmx. No framework, no CDN. */
(function () {
  "use strict";

  // ---- The alert for an htmx request that came back with nothing to swap (403, 404, 429, 5xx, a whole error
  // page) or never came back (network, timeout). It stays until dismissed (Escape or «Cerrar aviso») or
  // replaced by the next one; the section the person acted on is left as it was.
  var lastFocus = null;

  function alertBox() { return document.getElementById("avisos"); }

  function dismiss() {
    var box = alertBox();
    if (!box || !box.classList.contains("shown")) { return; }
    var closeButton = document.getElementById("avisos-cerrar");
    var hadFocus = closeButton && document.activeElement === closeButton;
    box.classList.remove("shown");
    document.getElementById("avisos-texto").textContent = "";
    if (closeButton) { closeButton.hidden = true; }
    if (hadFocus) {
      var back = lastFocus && document.body.contains(lastFocus) ? lastFocus : document.getElementById("contenido");
      if (back) { back.focus(); }
    }
  }

  function notice(text, elt) {
    var box = alertBox();
    if (!box) { return; }
    var closeButton = document.getElementById("avisos-cerrar");
    lastFocus = elt && elt.querySelector ? elt.querySelector("button[type='submit'], button:not([type])") || elt : null;
    // Emptied first, so the same message twice is announced twice.
    document.getElementById("avisos-texto").textContent = "";
    window.setTimeout(function () {
      document.getElementById("avisos-texto").textContent = text;
      box.classList.add("shown");
      if (closeButton) { closeButton.hidden = false; }
    }, 30);
  }

  // The buttons hx-disabled-elt disabled for the request are enabled again. htmx does it itself once the
  // response is handled; when handling it threw (htmx:onLoadError) it does not, and the form would stay dead.
  function release(elt) {
    if (!elt || !elt.querySelectorAll) { return; }
    window.setTimeout(function () {
      var disabled = Array.prototype.slice.call(elt.querySelectorAll("[data-disabled-by-htmx]"));
      if (elt.hasAttribute("data-disabled-by-htmx")) { disabled.push(elt); }
      disabled.forEach(function (element) {
        element.removeAttribute("disabled");
        element.removeAttribute("data-disabled-by-htmx");
      });
    }, 0);
  }

  // What the server's own error page says (its role="alert" text): the refusal and its rule.
  function pageMessage(xhr) {
    var body = xhr.responseText || "";
    if (!/<html[\s>]/i.test(body)) { return ""; }
    var alertText = new DOMParser().parseFromString(body, "text/html").querySelector("main section [role='alert']");
    var text = alertText ? alertText.textContent.replace(/\s+/g, " ").trim() : "";
    return text.length > 300 ? text.slice(0, 297) + "…" : text;
  }

  function statusMessage(status, detail) {
    var withDetail = function (text) { return detail ? text + ": " + detail : text + "."; };
    if (status === 403) { return withDetail("No tiene permiso para esta acción (403)"); }
    if (status === 404) { return "No se encontró (404): puede que se haya borrado o que no sea de su gerencia."; }
    if (status === 429) { return "Demasiadas solicitudes (429): espere un momento e intente de nuevo."; }
    // The application's own 500 rolled its transaction back; a gateway's 502–504 may come after a commit.
    if (status === 500) { return "Error del servidor (500): no se guardó nada; intente de nuevo."; }
    if (status >= 500) { return "El servidor no respondió (" + status + "): no se sabe si se guardó. Recargue la página antes de repetir."; }
    return withDetail("No se pudo realizar la operación (" + status + ")");
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    // An expired session answers with the login page: reload to show it whole.
    if ((xhr.responseURL || "").indexOf("/entrar/") !== -1) { event.preventDefault(); window.location.reload(); return; }
    // A refusal with form errors comes back as a section and is swapped (htmx-config in base.html); a whole
    // error page (a refusal no form could hold, with any 4xx) is not put inside a section: it is an error.
    if (xhr.status >= 400 && event.detail.shouldSwap && /<html[\s>]/i.test(xhr.responseText || "")) {
      event.detail.shouldSwap = false;
      event.detail.isError = true;
    }
  });
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    notice(statusMessage(xhr.status, pageMessage(xhr)), event.detail.elt);
    release(event.detail.elt);
  });
  document.addEventListener("htmx:sendError", function (event) {
    notice("Sin conexión con el servidor: no se sabe si se guardó. Revise su red y recargue la página antes de repetir.", event.detail.elt);
    release(event.detail.elt);
  });
  document.addEventListener("htmx:timeout", function (event) {
    notice("El servidor tardó demasiado en responder: no se sabe si se guardó. Recargue la página antes de repetir.", event.detail.elt);
    release(event.detail.elt);
  });
  document.addEventListener("htmx:onLoadError", function (event) {
    notice("No se pudo mostrar la respuesta del servidor. Recargue la página para ver el estado actual.", event.detail.elt);
    release(event.detail.elt);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { dismiss(); }
  });
  document.addEventListener("click", function (event) {
    if (event.target && event.target.id === "avisos-cerrar") { dismiss(); }
    // «Regresar» on an error page: back to the page the person came from (its href, when there is none).
    var back = event.target && event.target.closest ? event.target.closest("a[data-history-back]") : null;
    if (back && window.history.length > 1) { event.preventDefault(); window.history.back(); }
  });

  // After a swap, move focus to the first error of the new content (notices are announced by role="status").
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target || !target.querySelector) { return; }
    var focus = target.querySelector("[aria-invalid='true'], .error-box");
    if (focus) {
      if (!focus.hasAttribute("tabindex") && !/^(INPUT|SELECT|TEXTAREA|BUTTON|A)$/.test(focus.tagName)) {
        focus.setAttribute("tabindex", "-1");
      }
      focus.focus({ preventScroll: false });
    }
  });
})();

/* ---- Every page fits its screen: a box that scrolls sideways (a wide table in its .table-wrap, a card on a
   phone) takes the keyboard's focus, so that it scrolls without a mouse, and a table's box is named after
   the table (its caption, or the heading before it). Checked again after each htmx swap and on resizing. */
(function () {
  "use strict";

  function named(box) {
    var caption = box.querySelector("caption");
    if (caption && caption.textContent.trim()) { return caption.textContent.trim(); }
    var card = box.closest(".card");
    var heading = card ? card.querySelector("h2, h3") : null;
    return heading ? heading.textContent.trim() : "Tabla";
  }

  function reachable() {
    document.querySelectorAll(".table-wrap, .card, .minutes").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.dataset.scrollFocus = "1";
        if (!box.hasAttribute("role") && box.tagName === "DIV") {
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", named(box));
          box.dataset.scrollRegion = "1";
        }
      } else if (!scrolls && box.dataset.scrollFocus) {
        box.removeAttribute("tabindex");
        delete box.dataset.scrollFocus;
        if (box.dataset.scrollRegion) {
          box.removeAttribute("role");
          box.removeAttribute("aria-label");
          delete box.dataset.scrollRegion;
        }
      }
    });
  }

  var pending = false;
  function soon() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; reachable(); });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", reachable); } else { reachable(); }
  document.addEventListener("htmx:afterSettle", soon);
  document.addEventListener("toggle", soon, true);
  window.addEventListener("resize", soon);
})();
