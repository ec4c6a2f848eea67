// The search page: Pagefind's UI over the index built with the site; ?q= from the header box.
(function () {
  var ui = new window.PagefindUI({ element: "#search", showSubResults: true, showImages: false, resetStyles: false });
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) ui.triggerSearch(query);
})();
