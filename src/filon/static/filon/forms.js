// A guarantee's form shows the fields of the chosen type only: each fieldset marked data-garantia-tipos
// names the types that ask for its fields; the others are hidden and disabled (not sent). Without script
// every fieldset shows, and the server ignores the fields the chosen type does not ask for.
(function () {
  "use strict";

  function typeSelect(form) {
    return form.querySelector("select[name$='type']");
  }

  function showChosen(form) {
    var select = typeSelect(form);
    if (!select) { return; }
    var groups = form.querySelectorAll("fieldset[data-garantia-tipos]");
    for (var i = 0; i < groups.length; i += 1) {
      var types = groups[i].getAttribute("data-garantia-tipos").split(" ");
      var asked = types.indexOf(select.value) >= 0;
      groups[i].hidden = !asked;
      groups[i].disabled = !asked;
    }
  }

  function showAll(root) {
    var forms = (root || document).querySelectorAll("[data-garantia-form]");
    for (var i = 0; i < forms.length; i += 1) { showChosen(forms[i]); }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLSelectElement)) { return; }
    var form = target.closest("[data-garantia-form]");
    if (form && target === typeSelect(form)) { showChosen(form); }
  });
  document.addEventListener("DOMContentLoaded", function () { showAll(document); });
  // A section replaced over HTMX brings its form anew.
  document.addEventListener("htmx:afterSwap", function () { showAll(document); });
  if (document.readyState !== "loading") { showAll(document); }
})();
