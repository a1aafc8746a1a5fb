/* The findings list: tick every row at once, and leave empty filters out of the URL so a shared
   link carries only the filters that apply. No inline script (CSP: script-src 'self'). */
(function () {
  "use strict";

  function tickAll() {
    var all = document.getElementById("tick-all");
    if (!all) { return; }
    all.addEventListener("change", function () {
      var boxes = document.querySelectorAll("input.tick");
      for (var i = 0; i < boxes.length; i += 1) { boxes[i].checked = all.checked; }
    });
  }

  function compactFilters() {
    var form = document.getElementById("finding-filters");
    if (!form) { return; }
    form.addEventListener("submit", function () {
      var fields = form.querySelectorAll("input, select");
      for (var i = 0; i < fields.length; i += 1) {
        var field = fields[i];
        var empty = field.tagName === "SELECT" ? !field.value : (field.type === "text" || field.type === "search") && !field.value.trim();
        if (empty && field.name) { field.disabled = true; }
      }
    });
  }

  function init() { tickAll(); compactFilters(); }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
