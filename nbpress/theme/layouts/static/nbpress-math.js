// Typesets the page's math with the site's own copy of KaTeX (loaded only on pages with math).
(function () {
  var options = { throwOnError: false, output: "htmlAndMathml" };
  // Markdown math arrives as \( \) and \[ \]; notebook LaTeX outputs also use $ and $$.
  window.renderMathInElement(document.body, Object.assign({
    delimiters: [
      { left: "\\[", right: "\\]", display: true },
      { left: "\\(", right: "\\)", display: false },
    ],
  }, options));
  document.querySelectorAll(".output-latex").forEach(function (el) {
    window.renderMathInElement(el, Object.assign({
      delimiters: [
        { left: "$$", right: "$$", display: true },
        { left: "$", right: "$", display: false },
        { left: "\\begin{equation}", right: "\\end{equation}", display: true },
        { left: "\\begin{align}", right: "\\end{align}", display: true },
      ],
    }, options));
  });
  if (window.nbpressRemark) window.nbpressRemark(); // wide formulas now scroll
})();
