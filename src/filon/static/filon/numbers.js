// Amounts as people in Mexico write them: while a person types in an input marked data-monto, the whole
// part is grouped with commas (1,000,000.5); the decimal point stays as typed. The server reads the grouped
// text back (filon.numbers.DecimalField). Only digits, one point and a leading minus are kept.
(function () {
  "use strict";

  function group(text) {
    var negative = text.charAt(0) === "-";
    var clean = text.replace(/[^0-9.]/g, "");
    var point = clean.indexOf(".");
    var whole = point < 0 ? clean : clean.slice(0, point);
    var fraction = point < 0 ? "" : "." + clean.slice(point + 1).replace(/\./g, "");
    whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (negative ? "-" : "") + whole + fraction;
  }

  // How many characters other than commas come before position `at`: the caret stays after them.
  function kept(text, at) {
    return text.slice(0, at).replace(/,/g, "").length;
  }

  function caretAfter(text, count) {
    var seen = 0;
    for (var i = 0; i < text.length; i += 1) {
      if (seen === count) { return i; }
      if (text.charAt(i) !== ",") { seen += 1; }
    }
    return text.length;
  }

  // Commas only between groups of three of the whole part (or none): text this script may regroup.
  var GROUPED = /^-?(\d{1,3}(,\d{3})*|\d*)(\.\d*)?$/;

  // Regroup when the text is grouped already (or has no commas), or when a digit or point was typed into,
  // or a character deleted from, text that was grouped. A comma the person wrote elsewhere («1,00»,
  // «1.000,50») is left as typed: the server refuses it saying how to write the number.
  function mayGroup(input, event) {
    var value = input.value;
    if (value.indexOf(",") < 0 || GROUPED.test(value)) { return true; }
    var previous = input.getAttribute("data-monto-previo") || "";
    if (!GROUPED.test(previous)) { return false; }
    if (event.inputType === "insertText") { return /^[0-9.]$/.test(event.data || ""); }
    return event.inputType === "deleteContentBackward" || event.inputType === "deleteContentForward";
  }

  function format(input, event) {
    var before = input.value;
    if (!mayGroup(input, event)) {
      input.setAttribute("data-monto-previo", before);
      return;
    }
    var after = group(before);
    input.setAttribute("data-monto-previo", after);
    if (after === before) { return; }
    var count = kept(before, input.selectionStart === null ? before.length : input.selectionStart);
    input.value = after;
    if (document.activeElement === input) {
      var at = caretAfter(after, count);
      input.setSelectionRange(at, at);
    }
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (input instanceof HTMLInputElement && input.hasAttribute("data-monto")) { format(input, event); }
  });
})();
