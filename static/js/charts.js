/* The one place that calls Plotly. Every element with data-chart="<id>" gets the figure held in
   <script type="application/json" id="<id>"> (written by Django's json_script, so no inline script
   is needed under the CSP). Clicking a point whose customdata is a same-site path ("/...") opens
   it: every chart element links to the list behind it, and the data table after the chart
   (templates/includes/_chart_table.html, built from the same figure) holds the same links for the
   keyboard and screen readers. */
(function () {
  "use strict";

  function sameSitePath(value) {
    if (Array.isArray(value)) { value = value[0]; }
    if (typeof value !== "string") { return null; }
    // A path on this site only: never "//host", a scheme, or a backslash trick.
    if (value.charAt(0) !== "/" || value.charAt(1) === "/" || value.charAt(1) === "\\") { return null; }
    return value;
  }

  // A phone's width: below this a chart's box is too narrow for the layout the figure builders
  // give (long category labels, one-line titles). The data table below keeps every label whole.
  var NARROW = 460;

  function shorten(text, limit) {
    text = String(text);
    return text.length <= limit ? text : text.slice(0, limit - 1) + "\u2026";
  }

  // A title too long for the box wraps at a space (the text is already escaped by the builder;
  // <br> is Plotly's own line break).
  function wrap(text, limit) {
    var words = String(text).split(" "), lines = [""];
    for (var i = 0; i < words.length; i += 1) {
      var line = lines[lines.length - 1];
      if (line && (line + " " + words[i]).length > limit) { lines.push(words[i]); }
      else { lines[lines.length - 1] = line ? line + " " + words[i] : words[i]; }
    }
    return lines.join("<br>");
  }

  function categories(data, letter) {
    var seen = [], index = {};
    for (var t = 0; t < data.length; t += 1) {
      var values = data[t][letter] || [];
      for (var v = 0; v < values.length; v += 1) {
        if (typeof values[v] === "string" && !index.hasOwnProperty(values[v])) {
          index[values[v]] = true;
          seen.push(values[v]);
        }
      }
    }
    return seen;
  }

  function fitAxis(axis, data, letter, limit) {
    axis.automargin = true;
    axis.tickfont = { size: 10 };
    if (axis.ticktext) {
      axis.ticktext = axis.ticktext.map(function (t) { return shorten(t, limit); });
      return;
    }
    var names = categories(data, letter);
    if (names.some(function (n) { return n.length > limit; })) {
      axis.tickmode = "array";
      axis.tickvals = names;
      axis.ticktext = names.map(function (n) { return shorten(n, limit); });
    }
  }

  function fitted(layout, data, width) {
    if (width >= NARROW) { return layout; }
    var fit = JSON.parse(JSON.stringify(layout));
    var limit = Math.max(10, Math.floor(width / 24));
    if (fit.title && typeof fit.title.text === "string") {
      fit.title.text = wrap(fit.title.text, Math.floor(width / 9));
      fit.title.font = { size: 13 };
    }
    fit.margin = fit.margin || {};
    fit.margin.l = Math.min(fit.margin.l === undefined ? 60 : fit.margin.l, 40);
    fit.margin.r = Math.min(fit.margin.r === undefined ? 20 : fit.margin.r, 10);
    fitAxis(fit.yaxis = fit.yaxis || {}, data, "y", limit);
    fitAxis(fit.xaxis = fit.xaxis || {}, data, "x", limit);
    var grow = 0;
    if (fit.xaxis.side === "top") { grow = 30; fit.margin.t = (fit.margin.t || 80) + grow; }
    // A legend under an axis title: move it below the title, out of its way.
    if (fit.xaxis.title && fit.xaxis.title.text && data.length > 1) {
      grow = 40;
      fit.legend = fit.legend || {};
      fit.legend.y = -0.45;
      fit.legend.yanchor = "top";
      fit.margin.b = (fit.margin.b || 60) + grow;
    }
    if (grow) { fit.height = (fit.height || 450) + grow; }
    return fit;
  }

  function render(element) {
    var source = document.getElementById(element.getAttribute("data-chart"));
    if (!source || typeof Plotly === "undefined") { return; }
    var figure = JSON.parse(source.textContent);
    var data = figure.data || [], layout = figure.layout || {};
    // No mode bar: its buttons would be focusable inside role="img" (axe nested-interactive) and
    // the data table under each chart gives its numbers; the chart follows its box's width.
    var config = { responsive: true, displayModeBar: false, displaylogo: false };
    var narrow = element.clientWidth < NARROW;
    Plotly.newPlot(element, data, fitted(layout, data, element.clientWidth), config).then(function () {
      element.setAttribute("data-rendered", "true");
    });
    element.on("plotly_click", function (event) {
      var point = event && event.points && event.points[0];
      var path = point ? sameSitePath(point.customdata) : null;
      if (path) { window.location.assign(path); }
    });
    // Turning a phone, or resizing a window, across the narrow width: lay the chart out anew.
    window.addEventListener("resize", function () {
      if ((element.clientWidth < NARROW) === narrow) { return; }
      narrow = !narrow;
      Plotly.react(element, data, fitted(layout, data, element.clientWidth), config);
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
