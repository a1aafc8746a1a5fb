/* The one place that calls Plotly. Every element with data-chart="<id>" gets the figure held in
   <script type="application/json" id="<id>"> (written by Django's json_script, so no inline script
   is needed under the CSP). Clicking a point whose customdata is a same-site path ("/...") opens
   it: every chart element links to the list behind it. */
(function () {
  "use strict";

  function sameSitePath(value) {
    if (Array.isArray(value)) { value = value[0]; }
    if (typeof value !== "string") { return null; }
    // A path on this site only: never "//host", a scheme, or a backslash trick.
    if (value.charAt(0) !== "/" || value.charAt(1) === "/" || value.charAt(1) === "\\") { return null; }
    return value;
  }

  function render(element) {
    var source = document.getElementById(element.getAttribute("data-chart"));
    if (!source || typeof Plotly === "undefined") { return; }
    var figure = JSON.parse(source.textContent);
    var config = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["sendDataToCloud"] };
    Plotly.newPlot(element, figure.data || [], figure.layout || {}, config).then(function () {
      element.setAttribute("data-rendered", "true");
    });
    element.on("plotly_click", function (event) {
      var point = event && event.points && event.points[0];
      var path = point ? sameSitePath(point.customdata) : null;
      if (path) { window.location.assign(path); }
    });
  }

  function renderAll() {
    var elements = document.querySelectorAll("[data-chart]");
    for (var i = 0; i < elements.length; i += 1) { render(elements[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", renderAll);
  } else {
    renderAll();
  }
})();
