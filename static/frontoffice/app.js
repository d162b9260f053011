// Frontoffice behaviour that HTMX does not cover. No third-party code here.
(function () {
  "use strict";
  // Close the global search popup on Escape.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var results = document.getElementById("global-search-results");
      if (results) { results.innerHTML = ""; }
    }
  });
})();
