// Draws the Plotly figures of a notebook page from their saved JSON (plotly.js is loaded first).
document.querySelectorAll("script[data-plotly]").forEach(function (holder) {
  var figure = JSON.parse(holder.textContent);
  var config = Object.assign({ responsive: true, displaylogo: false }, figure.config || {});
  window.Plotly.newPlot(holder.getAttribute("data-plotly"), figure.data || [], figure.layout || {}, config);
});
