/* Every page: the phone menu and the labels of stacked table rows. No inline script (CSP:
   script-src 'self'); without this file the menus simply stay open and tables scroll. */
(function () {
  "use strict";

  // Below 900 px (app.css) the navigation and the user's links fold behind the Menu button;
  // app.css keeps them open, and the button hidden, in a browser that runs no script.
  function menu() {
    var button = document.getElementById("menu-button");
    if (!button) { return; }
    var root = document.documentElement;
    function set(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      root.classList.toggle("menu-open", open);
    }
    button.addEventListener("click", function () {
      set(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        set(false);
        button.focus();
      }
    });
  }

  // On a phone a table's rows stack (app.css): each cell shows its column's name before it.
  function labelCells() {
    var tables = document.querySelectorAll("table.table");
    for (var t = 0; t < tables.length; t += 1) {
      var heads = tables[t].querySelectorAll("thead th");
      if (!heads.length) { continue; }
      var names = [];
      for (var h = 0; h < heads.length; h += 1) {
        var span = heads[h].colSpan || 1;
        for (var s = 0; s < span; s += 1) { names.push(heads[h].textContent.trim()); }
      }
      var rows = tables[t].querySelectorAll("tbody tr");
      for (var r = 0; r < rows.length; r += 1) {
        var cells = rows[r].children;
        for (var c = 0, col = 0; c < cells.length; c += 1) {
          if (cells[c].tagName === "TD" && !cells[c].hasAttribute("data-label") && names[col] && cells[c].colSpan === 1) {
            cells[c].setAttribute("data-label", names[col]);
          }
          col += cells[c].colSpan || 1;
        }
      }
      tables[t].classList.add("labelled");
    }
  }

  function init() { menu(); labelCells(); }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
