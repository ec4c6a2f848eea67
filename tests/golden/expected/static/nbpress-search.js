// The search page: Pagefind's UI over the index built with the site; ?q= from the header box.
(function () {
  var ui = new window.PagefindUI({ element: "#search", showSubResults: true, showImages: false, resetStyles: false });
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) ui.triggerSearch(query);
  // Pagefind's box has only a placeholder and a title: the page's visible heading names it.
  var holder = document.getElementById("search");
  function label() {
    var input = holder.querySelector("input[type=text], input[type=search]");
    if (!input) return false;
    input.setAttribute("aria-labelledby", holder.getAttribute("data-label"));
    if (!query) input.focus();
    return true;
  }
  if (!label()) {
    var observer = new MutationObserver(function () {
      if (label()) observer.disconnect();
    });
    observer.observe(holder, { childList: true, subtree: true });
  }
})();
