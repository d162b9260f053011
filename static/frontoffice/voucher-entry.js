// Voucher entry: live balance check and "add line". Our own code, no third-party parts.
// Amounts are summed as integer öre (never floating point): "1 250,50" and "1250.50" are both
// 125050 öre. The server checks everything again; without this file the form still works.
(function () {
  "use strict";

  // Largest whole-krona part kept exact: 13 digits stay far below 2^53 öre.
  var MAX_WHOLE_DIGITS = 13;

  // Öre in an amount as typed, 0 for an empty field, null when it cannot be read.
  function parseOre(raw) {
    var text = String(raw || "").replace(/[\s\u00a0\u202f']/g, "");
    if (!text) { return 0; }
    var comma = text.lastIndexOf(","), dot = text.lastIndexOf(".");
    if (comma >= 0 && dot >= 0) {
      // The later sign is the decimal one; the other groups thousands.
      text = comma > dot ? text.replace(/\./g, "").replace(",", ".") : text.replace(/,/g, "");
    } else if (comma >= 0) {
      text = text.replace(",", ".");
    }
    var match = /^([0-9]+)(?:\.([0-9]{1,2}))?$/.exec(text);
    if (!match) { return null; }
    var whole = match[1].replace(/^0+(?=[0-9])/, "");
    if (whole.length > MAX_WHOLE_DIGITS) { return null; }
    var cents = ((match[2] || "") + "00").slice(0, 2);
    return parseInt(whole, 10) * 100 + parseInt(cents, 10);
  }

  function formatOre(ore, decimalSep, groupSep) {
    var negative = ore < 0;
    var abs = Math.abs(ore);
    var whole = String(Math.floor(abs / 100)).replace(/\B(?=([0-9]{3})+(?![0-9]))/g, groupSep);
    var cents = String(abs % 100);
    if (cents.length < 2) { cents = "0" + cents; }
    return (negative ? "\u2212" : "") + whole + decimalSep + cents;
  }

  function setup(form) {
    var rows = form.querySelector("[data-line-rows]");
    var template = form.querySelector("template[data-line-template]");
    var addButton = form.querySelector("[data-add-line]");
    var postButton = form.querySelector("[data-voucher-post]");
    var totalForms = form.querySelector("input[name$='-TOTAL_FORMS']");
    var outDebit = form.querySelector("[data-total-debit]");
    var outCredit = form.querySelector("[data-total-credit]");
    var outDiff = form.querySelector("[data-difference]");
    var status = form.querySelector("[data-balance-status]");
    var decimalSep = form.dataset.decimalSep || ".";
    var groupSep = form.dataset.groupSep || ",";
    if (groupSep === decimalSep) { groupSep = "\u00a0"; }

    function recalc() {
      var debit = 0, credit = 0, invalid = false, filledDebit = 0, filledCredit = 0;
      var inputs = rows.querySelectorAll("input[data-amount]");
      for (var i = 0; i < inputs.length; i++) {
        var input = inputs[i];
        var ore = parseOre(input.value);
        if (ore === null) {
          invalid = true;
          input.setAttribute("aria-invalid", "true");
          continue;
        }
        if (input.getAttribute("aria-invalid") === "true" && !input.getAttribute("aria-describedby")) {
          input.removeAttribute("aria-invalid");
        }
        if (input.dataset.amount === "debit") {
          debit += ore;
          if (ore > 0) { filledDebit++; }
        } else {
          credit += ore;
          if (ore > 0) { filledCredit++; }
        }
      }
      var diff = debit - credit;
      outDebit.textContent = formatOre(debit, decimalSep, groupSep);
      outCredit.textContent = formatOre(credit, decimalSep, groupSep);
      outDiff.textContent = formatOre(diff, decimalSep, groupSep);
      outDiff.dataset.ore = String(diff);
      var balanced = !invalid && diff === 0 && filledDebit > 0 && filledCredit > 0;
      if (postButton) {
        postButton.disabled = !balanced;
        postButton.setAttribute("aria-disabled", balanced ? "false" : "true");
      }
      if (status) {
        if (invalid) { status.textContent = form.dataset.msgInvalid; }
        else if (!filledDebit || !filledCredit) { status.textContent = form.dataset.msgEmpty; }
        else if (diff !== 0) { status.textContent = form.dataset.msgUnbalanced; }
        else { status.textContent = form.dataset.msgBalanced; }
        status.dataset.balanced = balanced ? "true" : "false";
      }
    }

    function addLine() {
      var index = parseInt(totalForms.value, 10) || 0;
      var maxForms = form.querySelector("input[name$='-MAX_NUM_FORMS']");
      if (maxForms && index >= parseInt(maxForms.value, 10)) { return; }
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      rows.insertAdjacentHTML("beforeend", html);
      totalForms.value = String(index + 1);
      var added = rows.lastElementChild;
      var first = added && added.querySelector("input");
      if (first) { first.focus(); }
      recalc();
    }

    if (addButton && template && totalForms) {
      addButton.addEventListener("click", function (event) {
        event.preventDefault();
        addLine();
      });
    }
    rows.addEventListener("input", function (event) {
      if (event.target && event.target.matches("input[data-amount]")) { recalc(); }
    });
    recalc();
  }

  function init() {
    var forms = document.querySelectorAll("form[data-voucher-entry]");
    for (var i = 0; i < forms.length; i++) { setup(forms[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
