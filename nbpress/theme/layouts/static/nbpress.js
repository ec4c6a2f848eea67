// The theme's small enhancements; every page works without them.
(function () {
  "use strict";

  // Code, outputs, tables and math wider than the page scroll sideways: a keyboard user reaches
  // them with Tab (then the arrow keys) only if they take the focus, so those that scroll do.
  var scrollers = "pre, .output, .output-html, .output-latex, .math.block, .prose > table, .katex-display";
  function markScrollers() {
    document.querySelectorAll(scrollers).forEach(function (el) {
      var scrolls = el.scrollWidth > el.clientWidth + 1;
      if (scrolls && !el.hasAttribute("tabindex")) {
        el.setAttribute("tabindex", "0");
        el.setAttribute("data-scrolls", "");
      } else if (!scrolls && el.hasAttribute("data-scrolls")) {
        el.removeAttribute("tabindex");
        el.removeAttribute("data-scrolls");
      }
    });
  }
  var pending = 0;
  function remark() {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(markScrollers);
  }
  markScrollers();
  window.addEventListener("load", remark);
  window.addEventListener("resize", remark);
  window.nbpressRemark = remark; // math and figures change widths when they are drawn

  // A copy button on every code block.
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = document.execCommand("copy");
    area.remove();
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }
  document.querySelectorAll(".highlight").forEach(function (block) {
    var pre = block.querySelector("pre");
    if (!pre) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy code");
    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    button.addEventListener("click", function () {
      copyText(pre.innerText.replace(/\n$/, "")).then(function () {
        button.textContent = "Copied";
        status.textContent = "Code copied";
      }, function () {
        button.textContent = "Press Ctrl+C";
        status.textContent = "Could not copy";
      });
      setTimeout(function () {
        button.textContent = "Copy";
        status.textContent = "";
      }, 2000);
    });
    block.classList.add("has-copy");
    block.appendChild(button);
    block.appendChild(status);
  });

  // "Show code" reads "Hide code" while the code is shown.
  document.querySelectorAll(".cell details > summary").forEach(function (summary) {
    var details = summary.parentElement;
    var shown = summary.textContent.replace(/^Show\b/, "Hide");
    var hidden = summary.textContent.replace(/^Hide\b/, "Show");
    function label() {
      summary.textContent = details.open ? shown : hidden;
      remark();
    }
    details.addEventListener("toggle", label);
    label();
  });

  // ipywidgets draws its sliders without a name: each takes its label's text (or "Slider").
  if (document.querySelector("script[type='application/vnd.jupyter.widget-view+json']")) {
    new MutationObserver(function () {
      document.querySelectorAll(".noUi-handle[role=slider]:not([aria-label])").forEach(function (handle) {
        var widget = handle.closest(".widget-slider");
        var label = widget && widget.querySelector(".widget-label");
        handle.setAttribute("aria-label", (label && label.textContent.trim()) || "Slider");
      });
    }).observe(document.body, { childList: true, subtree: true });
  }

  // The table of contents marks the section being read.
  var links = Array.prototype.slice.call(document.querySelectorAll(".toc-list a[href^='#']"));
  var headings = [];
  var targets = links.map(function (a) {
    var target = document.getElementById(decodeURIComponent(a.getAttribute("href").slice(1)));
    if (target && headings.indexOf(target) < 0) headings.push(target);
    return target;
  });
  if (headings.length) {
    var current = null;
    function mark() {
      var line = window.innerHeight * 0.25;
      var active = headings[0];
      headings.forEach(function (h) {
        if (h.getBoundingClientRect().top <= line) active = h;
      });
      var root = document.documentElement;
      if (window.scrollY > 0 && window.scrollY + window.innerHeight >= root.scrollHeight - 2) {
        active = headings[headings.length - 1]; // the end of the page: the last section, however short
      }
      if (active === current) return;
      current = active;
      links.forEach(function (a, i) {
        if (targets[i] === active) a.setAttribute("aria-current", "true");
        else a.removeAttribute("aria-current");
      });
    }
    var ticking = false;
    window.addEventListener("scroll", function () {
      if (ticking) return;
      ticking = true;
      requestAnimationFrame(function () {
        ticking = false;
        mark();
      });
    }, { passive: true });
    mark();
  }
})();
