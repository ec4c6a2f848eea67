// Draws the Plotly figures of a notebook page from their saved JSON. plotly.js is megabytes:
// it is fetched only when a figure comes near the screen, so the page paints without waiting.
(function () {
  var src = document.currentScript && document.currentScript.getAttribute("data-plotly-src");
  var holders = Array.prototype.slice.call(document.querySelectorAll("script[data-plotly]"));
  var dark = window.matchMedia("(prefers-color-scheme: dark)");
  var loading = null;

  function loadPlotly() {
    if (window.Plotly) return Promise.resolve(window.Plotly);
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = src;
        script.onload = function () { resolve(window.Plotly); };
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  // In dark mode the figure's template (plotly's own light one, or none) takes the page's colours;
  // colours the figure's layout sets itself are kept.
  function themed(layout) {
    if (!dark.matches) return layout;
    var css = getComputedStyle(document.documentElement);
    var text = css.getPropertyValue("--text").trim() || "#e9e7e3";
    var grid = css.getPropertyValue("--border-strong").trim() || "#3d414a";
    var plate = css.getPropertyValue("--surface-2").trim() || "#23262b";
    var template = JSON.parse(JSON.stringify(layout.template || {}));
    var t = template.layout = template.layout || {};
    var axis = { gridcolor: grid, linecolor: grid, zerolinecolor: grid, tickcolor: grid };
    t.paper_bgcolor = "rgba(0,0,0,0)";
    t.plot_bgcolor = plate;
    t.font = Object.assign({}, t.font, { color: text });
    t.title = Object.assign({}, t.title, { font: Object.assign({}, (t.title || {}).font, { color: text }) });
    t.legend = Object.assign({}, t.legend, { bgcolor: "rgba(0,0,0,0)" });
    t.xaxis = Object.assign({}, t.xaxis, axis);
    t.yaxis = Object.assign({}, t.yaxis, axis);
    t.polar = Object.assign({}, t.polar, { bgcolor: plate });
    t.scene = Object.assign({}, t.scene, { xaxis: axis, yaxis: axis, zaxis: axis });
    return Object.assign({}, layout, { template: template });
  }

  // On a narrow screen a legend at the side and wide margins squeeze the plot: unless the figure
  // sets them itself, the legend goes in a row above the plot and the margins shrink.
  function fitted(layout, width) {
    if (width >= 560) return layout;
    var legend = layout.legend || {};
    var changes = {};
    if (!legend.orientation && legend.x === undefined && legend.y === undefined) {
      changes.legend = Object.assign({}, legend, { orientation: "h", x: 0, xanchor: "left", y: 1, yanchor: "bottom" });
    }
    if (!layout.margin) changes.margin = { l: 48, r: 16, t: 88, b: 56 };
    return Object.assign({}, layout, changes);
  }

  function draw(holder) {
    var figure = JSON.parse(holder.textContent);
    var el = document.getElementById(holder.getAttribute("data-plotly"));
    if (!el) return;
    var layout = figure.layout || {};
    el.style.height = (layout.height || 450) + "px";
    var config = Object.assign({ responsive: true, displaylogo: false }, figure.config || {});
    loadPlotly().then(function (Plotly) {
      el.classList.add("is-drawn");
      Plotly.newPlot(el, figure.data || [], fitted(themed(layout), el.clientWidth), config);
      var title = layout.title && (layout.title.text || layout.title);
      if (typeof title === "string" && title) {
        el.setAttribute("role", "figure");
        el.setAttribute("aria-label", title.replace(/<[^>]*>/g, ""));
      }
      if (window.nbpressRemark) window.nbpressRemark();
      var narrow = el.clientWidth < 560;
      function redraw() {
        narrow = el.clientWidth < 560;
        Plotly.react(el, figure.data || [], fitted(themed(layout), el.clientWidth), config);
      }
      dark.addEventListener("change", redraw);
      window.addEventListener("resize", function () {
        if ((el.clientWidth < 560) !== narrow) redraw();
      });
    });
  }

  if (!("IntersectionObserver" in window)) {
    holders.forEach(draw);
    return;
  }
  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (!entry.isIntersecting) return;
      observer.unobserve(entry.target);
      var holder = holders.filter(function (h) { return h.getAttribute("data-plotly") === entry.target.id; })[0];
      if (holder) draw(holder);
    });
  }, { rootMargin: "600px 0px" });
  holders.forEach(function (holder) {
    var el = document.getElementById(holder.getAttribute("data-plotly"));
    if (el) observer.observe(el);
  });
})();
