"""Stage: layouts x pages -> every route of the site (dynamic routes, generated statically)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import posixpath
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from nbpress.errors import Diagnostic
from nbpress.hashing import digest
from nbpress.model import Collection, Page, Route, evolve
from nbpress.site.theme import is_route, is_template
from nbpress.urls import output_file, slugify

_PARAM = re.compile(r"\[([A-Za-z_][\w-]*)\]")


def url_pattern(layout: str) -> str:
    """The site path a layout serves, with its [params]: posts/[slug].html -> /posts/[slug]/."""
    if layout.endswith(".html") and layout != "404.html":
        stem = layout[: -len(".html")]
        if stem == "index" or stem.endswith("/index"):
            return "/" + stem[: -len("index")]
        return "/" + stem + "/"
    return "/" + layout


def field_values(page: Page, name: str) -> tuple[str, ...]:
    """The values of a front-matter field that a `[name]` route ranges over."""
    if name in ("category", "categories"):
        return page.categories
    if name in ("tag", "tags"):
        return page.tags
    if name == "year" and "year" not in page.meta:  # date archives: archive/[year].html
        return (str(page.date.year),)
    value = page.meta.get(name)
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value if isinstance(v, (str, int, float)))
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return (str(value),)
    return ()


def collections(pages: Iterable[Page], name: str) -> list[Collection]:
    """One collection per distinct value of a field (merged by URL name), sorted by name."""
    found: dict[str, tuple[str, dict[str, None]]] = {}  # members as dict keys: in order, each once
    for page in pages:
        for value in field_values(page, name):
            slug = slugify(value)
            found.setdefault(slug, (value, {}))[1][page.source] = None
    kind = {"categories": "category", "tags": "tag"}.get(name, name)
    ordered = sorted(found.items(), key=lambda item: item[1][0].casefold())
    return [Collection(kind, display, slug, tuple(members)) for slug, (display, members) in ordered]


def _spelled(name: str) -> int:
    """How much a spelling says: 2 its own capitals (NextJS, Data science), 1 capitalized words as
    a folder name becomes (nextjs -> Nextjs), 0 all lower case."""
    if name == name.lower():
        return 0
    return 1 if name == " ".join(w.capitalize() for w in name.split(" ")) else 2


def category_names(pages: Iterable[Page], names: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """Each category's name as shown, by URL name: the site's [categories] table, else the spelling
    front matter gives over the one made from a folder's name; then the most used, then the first."""
    spellings: dict[str, Counter[str]] = {}
    for page in pages:
        for name in page.categories:
            spellings.setdefault(slugify(name), Counter())[name] += 1
    shown = {slug: min(counts, key=lambda n: (-_spelled(n), -counts[n], n)) for slug, counts in spellings.items()}
    shown.update((slugify(name), display) for name, display in names if slugify(name) in shown)
    return shown


def with_category_names(pages: list[Page], names: Iterable[tuple[str, str]] = ()) -> list[Page]:
    """The pages with every category under the name it is shown with."""
    shown = category_names(pages, names)
    named = []
    for page in pages:
        categories = tuple(dict.fromkeys(shown.get(slugify(c), c) for c in page.categories))
        named.append(page if categories == page.categories else evolve(page, categories=categories))
    return named


def _paginate(url: str, pages: tuple[str, ...], size: int) -> list[tuple[str, tuple[str, ...], int, int]]:
    chunks = [pages[i : i + size] for i in range(0, len(pages), size)] or [()]
    return [
        (url if n == 1 else f"{url}page/{n}/", chunk, n, len(chunks)) for n, chunk in enumerate(chunks, 1)
    ]


def _slug_layout(layouts: list[str]) -> str | None:
    slug_layouts = [layout for layout in layouts if "[slug]" in layout and layout.endswith(".html")]
    if "posts/[slug].html" in slug_layouts:
        return "posts/[slug].html"
    return slug_layouts[0] if slug_layouts else None


def _page_layout(page: Page, templates: list[str]) -> str | None:
    """The template a page's `layout:` names: as written, with .html, or as a partial."""
    name = (page.layout or "").strip("/")
    for candidate in (name, f"{name}.html", f"_{name}", f"_{name}.html", f"posts/_{name}.html"):
        if candidate in templates:
            return candidate
    return None


def related_pages(pages: list[Page], limit: int = 3) -> dict[str, tuple[str, ...]]:
    """For each page, the pages sharing most of its tags (2 points each) and categories (1 point)."""
    keys = [[("t", slugify(t)) for t in p.tags] + [("c", slugify(c)) for c in p.categories] for p in pages]
    members: dict[tuple[str, str], list[int]] = {}
    for i, page_keys in enumerate(keys):
        for key in page_keys:
            members.setdefault(key, []).append(i)
    related: dict[str, tuple[str, ...]] = {}
    for i, page in enumerate(pages):
        scores: dict[int, int] = {}
        for key in keys[i]:
            points = 2 if key[0] == "t" else 1
            for j in members[key]:
                scores[j] = scores.get(j, 0) + points
        scores.pop(i, None)
        best = heapq.nsmallest(limit, scores, key=lambda j: (-scores[j], j))  # ties: the newer page
        related[page.source] = tuple(pages[j].source for j in best)
    return related


def related_key(pages: Sequence[Page]) -> str:
    """All related_pages reads: each page's place (newest first), tags and categories."""
    return digest(*(f"{p.source}\1{p.tags}\1{p.categories}" for p in pages))


Related = tuple[str, dict[str, tuple[str, ...]]]  # (related_key, related_pages): reused while the key holds


def plan_routes(
    layouts: Iterable[str], pages: list[Page], page_size: int,
    category_display: Iterable[tuple[str, str]] = (), related: dict[str, tuple[str, ...]] | None = None,
) -> tuple[list[Route], list[Page], list[Diagnostic]]:
    """Every route (collections with their URL), the pages with their URL and category names set, newest
    first, and the problems found (clashing URLs). `category_display` is the site's [categories] table."""
    pages = with_category_names(pages, category_display)
    templates = [path for path in layouts if is_template(path)]
    layouts = [path for path in templates if is_route(path)]
    problems: list[Diagnostic] = []
    pages = sorted(pages, key=lambda p: (p.date, p.source), reverse=True)
    listed = tuple(p.source for p in pages)
    # The home page lists pinned posts first (fastpages' sticky_rank: lowest rank first), then by date; fastpages'
    # `hide: true` keeps a post off it (its page, feeds and collections stay).
    home = tuple(p.source for p in sorted(pages, key=lambda p: (p.pinned is None, p.pinned or 0))
                 if p.meta.get("hide") is not True)
    routes: list[Route] = []
    post_layout = _slug_layout(layouts)
    if post_layout:
        pattern = url_pattern(post_layout)
        pages = [evolve(p, url=p.permalink or pattern.replace("[slug]", p.slug)) for p in pages]
    by_field: dict[str, list[Collection]] = {}
    for layout in layouts:
        params = _PARAM.findall(layout)
        pattern = url_pattern(layout)
        html = layout.endswith(".html")
        if len(params) > 1:
            problems.append(Diagnostic(f"a layout path can have one [parameter], this one has {len(params)}", layout))
            continue
        if not params:
            if html and pattern == "/":
                for url, chunk, n, count in _paginate(pattern, home, page_size):
                    routes.append(Route(url, output_file(url), layout, pages=chunk, page_number=n, page_count=count))
            else:
                routes.append(Route(pattern, output_file(pattern), layout, pages=listed))
            continue
        param = params[0]
        if param == "slug":
            related = related if related is not None else related_pages(pages)
            for i, page in enumerate(pages):
                url = page.url if layout == post_layout else pattern.replace("[slug]", page.slug)
                chosen = _page_layout(page, templates) if page.layout else layout
                if chosen is None:  # Jekyll's `layout: post`, in every fastpages post: the default does
                    line, cell = page.key_lines.get("layout", (None, None))
                    problems.append(Diagnostic(f"layout '{page.layout}' is not a layout of this site (layouts/ or "
                                               f"the theme): the page uses {layout}", page.source, line, cell,
                                               severity="warning"))
                    chosen = layout
                if layout == post_layout:
                    routes.extend(_redirects(page, "_redirect.html" if "_redirect.html" in templates else None,
                                             problems))
                routes.append(Route(
                url, output_file(url), chosen, page=page.source,
                newer=pages[i - 1].source if i > 0 else None,
                older=pages[i + 1].source if i + 1 < len(pages) else None,
                related=related[page.source],
            ))
            continue
        if param not in by_field:
            by_field[param] = collections(pages, param)
        for collection in by_field[param]:
            url = pattern.replace(f"[{param}]", collection.slug)
            if html:
                for page_url, chunk, n, count in _paginate(url, collection.pages, page_size):
                    routes.append(Route(page_url, output_file(page_url), layout, collection=collection,
                                        pages=chunk, page_number=n, page_count=count))
            else:
                routes.append(Route(url, output_file(url), layout, collection=collection, pages=collection.pages))
    routes, clashes = _unique(routes)
    problems.extend(clashes)
    urls = collection_urls(routes)
    with_urls = {id(c): with_url(c, urls)  # one copy per collection, shared again by its routes
                 for c in {id(r.collection): r.collection for r in routes if r.collection}.values()}
    routes = [evolve(r, collection=with_urls[id(r.collection)]) if r.collection else r for r in routes]
    return routes, pages, problems


def alias_url(alias: str, page_url: str) -> str:
    """The site path an alias names: as written from the root, or relative to the page's folder (Quarto)."""
    if not alias.startswith("/"):
        alias = posixpath.join(posixpath.dirname(page_url.rstrip("/")), alias)
    path = posixpath.normpath(alias)
    path = "/" + path.lstrip("/") if path not in (".", "/") else "/"
    return path if path.endswith(("/", ".html", ".htm")) else path + "/"


def _redirects(page: Page, layout: str | None, problems: list[Diagnostic]) -> list[Route]:
    """Pages at a post's old URLs (front matter `aliases:`, Hugo and Quarto; `redirect_from:`, Jekyll)."""
    if not page.aliases:
        return []
    if layout is None:
        problems.append(Diagnostic("aliases need a layouts/_redirect.html (the theme has one)", page.source,
                                   severity="warning"))
        return []
    found = []
    for alias in page.aliases:
        url = alias_url(alias, page.url)
        if url != page.url:
            found.append(Route(url, output_file(url), layout, page=page.source))
    return found


def _unique(routes: list[Route]) -> tuple[list[Route], list[Diagnostic]]:
    seen: dict[str, Route] = {}
    problems: list[Diagnostic] = []
    for route in routes:
        other = seen.get(route.output)
        if other is None:
            seen[route.output] = route
            continue
        first, second = (other.page or other.layout), (route.page or route.layout)
        problems.append(Diagnostic(f"two pages would be written at {route.url}: {first} and {second}", second))
    return list(seen.values()), problems


def collection_urls(routes: list[Route]) -> dict[tuple[str, str], str]:
    """The first HTML page of each collection: (field, slug) -> url."""
    urls: dict[tuple[str, str], str] = {}
    for route in routes:
        if route.collection and route.page_number == 1 and route.layout.endswith(".html"):
            urls.setdefault((route.collection.field, route.collection.slug), route.url)
    return urls


def with_url(collection: Collection, urls: dict[tuple[str, str], str]) -> Collection:
    """The collection with the URL of its first page (from `collection_urls`; none when no layout lists it)."""
    return evolve(collection, url=urls.get((collection.field, collection.slug), ""))


@dataclasses.dataclass(frozen=True)
class SitePlan:
    """Everything the site will hold, before anything is rendered."""

    routes: list[Route]
    pages: list[Page]  # published, with their URL, newest first
    collections: dict[str, tuple[Collection, ...]]  # "category", "tag", "year" -> with their URLs
    due: dt.datetime | None  # when the first future-dated post goes live: the site changes then
    related: Related  # the related posts, reused by the next build while their inputs stay the same


def publishable(pages: list[Page], drafts: bool, now: dt.datetime) -> tuple[list[Page], dt.datetime | None]:
    """The pages to publish (a post dated in the future is a draft until its date), and when the next one is due."""
    upcoming = min((p.date for p in pages if p.date > now), default=None)
    pages = [dataclasses.replace(p, draft=True) if p.date > now else p for p in pages]
    return (pages if drafts else [p for p in pages if not p.draft]), upcoming


def plan_site(layouts: Iterable[str], pages: list[Page], page_size: int, drafts: bool, now: dt.datetime,
              category_display: Iterable[tuple[str, str]] = (),
              related: Related | None = None) -> tuple[SitePlan, list[Diagnostic]]:
    """The routes of the site and its collections, over the pages that are published at `now` (`related`:
    the last build's related posts, used when what they are made from is the same)."""
    pages, due = publishable(pages, drafts, now)
    newest = sorted(with_category_names(pages, category_display), key=lambda p: (p.date, p.source), reverse=True)
    key = related_key(newest)
    related = related if related is not None and related[0] == key else (key, related_pages(newest))
    routes, pages, problems = plan_routes(layouts, pages, page_size, category_display, related[1])
    urls = collection_urls(routes)
    found = {}
    for field in ("category", "tag", "year"):
        found[field] = tuple(with_url(c, urls) for c in collections(pages, field))
    return SitePlan(routes, pages, found, due, related), problems
