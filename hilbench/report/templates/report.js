// The report's only script. The charts are inline SVG and need none; this records any
// JavaScript error into #js-errors (so a headless browser's DOM dump shows it) and, once
// the page has loaded, marks every plot that drew: data-drawn="yes" when its <svg> has a
// non-empty box and marks in it. tests/test_report_chromium.py reads both.
(function () {
  var errors = [];
  function render() {
    var el = document.getElementById("js-errors");
    if (el && errors.length) { el.hidden = false; el.textContent = "JavaScript errors:\n" + errors.join("\n"); }
  }
  function show(msg) { errors.push(String(msg)); render(); }
  window.addEventListener("error", function (e) {
    show((e.message || "error") + (e.filename ? " (" + e.filename + ":" + e.lineno + ")" : ""));
  });
  window.addEventListener("unhandledrejection", function (e) { show("unhandled rejection: " + e.reason); });
  window.addEventListener("load", function () {
    render();
    var plots = document.querySelectorAll("figure.plot");
    var drawn = 0;
    for (var i = 0; i < plots.length; i++) {
      var s = plots[i].querySelector("svg");
      var ok = false;
      if (s) {
        var box = s.getBoundingClientRect();
        var marks = s.querySelectorAll("rect, circle, path, line, polyline").length;
        ok = box.width > 0 && box.height > 0 && marks > 0;
      }
      plots[i].setAttribute("data-drawn", ok ? "yes" : "no");
      if (ok) { drawn++; }
    }
    document.body.setAttribute("data-plots", String(plots.length));
    document.body.setAttribute("data-plots-drawn", String(drawn));
    document.body.setAttribute("data-page-height", String(document.documentElement.scrollHeight));
  });
})();
