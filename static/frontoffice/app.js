// Frontoffice behaviour that HTMX does not cover. No third-party code here.
// Every page works without this file; it only adds convenience.
(function () {
  "use strict";

  var POPUP_ID = "global-search-results";
  var INPUT_ID = "global-search-input";

  function popup() { return document.getElementById(POPUP_ID); }
  function searchInput() { return document.getElementById(INPUT_ID); }

  function popupLinks() {
    var el = popup();
    return el ? Array.prototype.slice.call(el.querySelectorAll("a[href]")) : [];
  }

  function openPopup() {
    var el = popup();
    var input = searchInput();
    if (!el || !el.textContent.trim()) { return; }
    el.classList.add("is-open");
    if (input) { input.setAttribute("aria-expanded", "true"); }
  }

  function closePopup(clear) {
    var el = popup();
    var input = searchInput();
    if (!el) { return; }
    el.classList.remove("is-open");
    if (clear) { el.innerHTML = ""; }
    if (input) { input.setAttribute("aria-expanded", "false"); }
  }

  // Results arrived: show them, unless the field was emptied while the request ran.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.target || event.target.id !== POPUP_ID) { return; }
    var input = searchInput();
    if (input && input.value.trim() === "") { closePopup(true); } else { openPopup(); }
  });

  document.addEventListener("input", function (event) {
    if (event.target && event.target.id === INPUT_ID && event.target.value.trim() === "") {
      closePopup(true);
    }
  });

  document.addEventListener("focusin", function (event) {
    if (event.target && event.target.id === INPUT_ID) { openPopup(); }
  });

  // A click in the field shows the last results again; a click outside the form hides them.
  document.addEventListener("click", function (event) {
    var form = document.querySelector("[data-search-popup]");
    if (event.target && event.target.id === INPUT_ID) { openPopup(); }
    if (form && !form.contains(event.target)) { closePopup(false); }
    document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) { menu.removeAttribute("open"); }
    });
  });

  document.addEventListener("keydown", function (event) {
    var input = searchInput();
    var links = popupLinks();
    var index = links.indexOf(document.activeElement);
    var inPopup = index !== -1;

    if (event.key === "Escape") {
      var el = popup();
      if (el && el.classList.contains("is-open")) {
        closePopup(false);
        if (inPopup && input) { input.focus(); }
        event.preventDefault();
      }
      document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
        menu.removeAttribute("open");
        var summary = menu.querySelector("summary");
        if (summary) { summary.focus(); }
      });
      return;
    }
    // Arrow keys move between the search field and the results.
    if (event.key === "ArrowDown" && (document.activeElement === input || inPopup) && links.length) {
      openPopup();
      links[inPopup ? Math.min(index + 1, links.length - 1) : 0].focus();
      event.preventDefault();
    } else if (event.key === "ArrowUp" && inPopup) {
      if (index === 0 && input) { input.focus(); } else { links[index - 1].focus(); }
      event.preventDefault();
    }
  });

  // Narrow screens: the sidebar folds away behind a menu button.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest ? event.target.closest("[data-nav-toggle]") : null;
    if (!toggle) { return; }
    var open = document.documentElement.classList.toggle("nav-open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });

  // Selects marked data-autosubmit (the language switcher) submit their form on change.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.matches && el.matches("select[data-autosubmit]") && el.form) {
      if (el.form.requestSubmit) { el.form.requestSubmit(); } else { el.form.submit(); }
    }
  });
})();
