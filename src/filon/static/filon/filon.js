/* Filón: small behaviours on top of htmx. No framework, no CDN. */
(function () {
  "use strict";
  function notice(text) {
    var box = document.getElementById("avisos");
    if (!box) { return; }
    box.textContent = text;
    box.classList.add("shown");
    window.setTimeout(function () { box.classList.remove("shown"); }, 8000);
  }
  // A 403, a 404 or a server error on an htmx request is not swapped into the page: say so.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    if (status === 403) { notice("No tiene permiso para esta acción."); }
    else if (status === 404) { notice("No existe o no pertenece a su gerencia regional."); }
    else { notice("No se pudo completar la acción (error " + status + "). Intente de nuevo."); }
  });
  document.addEventListener("htmx:sendError", function () {
    notice("Sin conexión con el servidor. Revise su red e intente de nuevo.");
  });
  // An expired session answers with the login page: reload to show it whole.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var url = event.detail.xhr.responseURL || "";
    if (url.indexOf("/entrar/") !== -1) { event.preventDefault(); window.location.reload(); }
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
