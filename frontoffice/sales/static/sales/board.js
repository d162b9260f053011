/* Pipeline board: drag a card to a column (HTML5 drag and drop), or use the card's "Move to"
   list (works without JavaScript). Moving to a won or lost stage asks for the reason. */
(function () {
  "use strict";

  function closingKind(form) {
    var select = form.querySelector("select[name=stage]");
    var option = select && select.options[select.selectedIndex];
    return option ? option.getAttribute("data-kind") : null;
  }

  function askReason(form) {
    var kind = closingKind(form);
    if (kind !== "won" && kind !== "lost") return true;
    var board = document.getElementById("board");
    var question = board ? board.getAttribute(kind === "won" ? "data-reason-won" : "data-reason-lost") : "";
    var reason = window.prompt(question || "");
    if (!reason || !reason.trim()) return false;
    form.querySelector("input[name=reason]").value = reason.trim();
    return true;
  }

  document.addEventListener("htmx:confirm", function (event) {
    var form = event.target.closest && event.target.closest("form.board__move");
    if (!form) return;
    event.preventDefault();
    if (askReason(form)) {
      event.detail.issueRequest(true);
    } else {
      var select = form.querySelector("select[name=stage]");
      select.value = select.querySelector("option[selected]").value;
    }
  });

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".board__card[draggable=true]");
    if (!card) return;
    event.dataTransfer.setData("text/plain", card.getAttribute("data-id"));
    event.dataTransfer.effectAllowed = "move";
    card.classList.add("is-dragging");
  });
  document.addEventListener("dragend", function (event) {
    var card = event.target.closest && event.target.closest(".board__card");
    if (card) card.classList.remove("is-dragging");
  });
  document.addEventListener("dragover", function (event) {
    var column = event.target.closest && event.target.closest(".board__column");
    if (!column) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    column.classList.add("is-over");
  });
  document.addEventListener("dragleave", function (event) {
    var column = event.target.closest && event.target.closest(".board__column");
    if (column) column.classList.remove("is-over");
  });
  document.addEventListener("drop", function (event) {
    var column = event.target.closest && event.target.closest(".board__column");
    if (!column) return;
    event.preventDefault();
    column.classList.remove("is-over");
    var id = event.dataTransfer.getData("text/plain");
    var card = document.querySelector('.board__card[data-id="' + id + '"]');
    if (!card || card.closest(".board__column") === column) return;
    var form = card.querySelector("form.board__move");
    var select = form.querySelector("select[name=stage]");
    select.value = column.getAttribute("data-stage");
    // Out of the drop event, so the reason prompt does not block the drag and drop.
    window.setTimeout(function () {
      if (window.htmx) {
        window.htmx.trigger(form, "submit");
      } else if (askReason(form)) {
        form.submit();
      }
    }, 0);
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id !== "board") return;
    var moved = document.querySelector(".board__card[data-moved] select");
    if (moved) moved.focus();
  });
})();
