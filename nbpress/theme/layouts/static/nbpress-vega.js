// Draws the Vega and Vega-Lite charts of a notebook page (Altair's) from their saved specs, with the site's own
// copies of vega, vega-lite and vega-embed (loaded first, only on pages with a chart).
document.querySelectorAll("script[data-vega]").forEach(function (holder) {
  var target = document.getElementById(holder.getAttribute("data-vega"));
  var spec = JSON.parse(holder.textContent);
  var options = { renderer: "svg", actions: { export: true, source: false, compiled: false, editor: false } };
  window.vegaEmbed(target, spec, options).catch(function (error) {
    target.textContent = "This chart could not be drawn: " + error.message;
    target.className += " output-error";
  });
});
