// The search page: Pagefind's UI over the site's index, whose shards (pagefind/<n>/, listed in
// pagefind/shards.json) are merged in the browser; ?q= comes from the header's search box.
(function () {
  var box = document.getElementById("search");
  var listing = new URL(box.getAttribute("data-shards"), window.location.href);
  var bundles = listing.pathname.replace(/shards\.json$/, "");
  var site = bundles.replace(/pagefind\/$/, "");  // result URLs are site paths: "/repo/posts/x/"
  var query = new URLSearchParams(window.location.search).get("q");

  function cover(result) {  // the post's cover, not the first image after its title (the author's picture)
    var src = result.meta.cover;
    delete result.meta.cover;
    delete result.meta.image;
    if (src) result.meta.image = new URL(src, window.location.origin + result.url).pathname;
    return result;
  }

  // Pagefind's box has only a placeholder and a title: the page's visible heading names it.
  function label() {
    var input = box.querySelector("input[type=text], input[type=search]");
    if (!input) return false;
    input.setAttribute("aria-labelledby", box.getAttribute("data-label"));
    if (!query) input.focus();
    return true;
  }

  fetch(listing.href, { cache: "no-cache" })
    .then(function (response) { return response.json(); })
    .then(function (index) {
      var names = index.shards || [];
      if (!names.length) {
        box.textContent = "There is nothing to search yet.";
        return;
      }
      var ui = new window.PagefindUI({
        element: "#search", bundlePath: bundles + names[0] + "/", baseUrl: site,
        mergeIndex: names.slice(1).map(function (name) { return { bundlePath: bundles + name + "/", baseUrl: site }; }),
        showSubResults: true, showImages: true, resetStyles: false, processResult: cover
      });
      if (query) ui.triggerSearch(query);
      if (!label()) {
        var observer = new MutationObserver(function () {
          if (label()) observer.disconnect();
        });
        observer.observe(box, { childList: true, subtree: true });
      }
    })
    .catch(function () { box.textContent = "The search index could not be loaded."; });
})();
