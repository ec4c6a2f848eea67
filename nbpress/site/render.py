"""Stage: one route + the pages it shows -> the bytes of one output file (Jinja2)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TypedDict

import jinja2
from markupsafe import Markup

from nbpress import __version__
from nbpress.config import Settings
from nbpress.errors import Diagnostic, NbpressError
from nbpress.hashing import digest
from nbpress.model import Collection, OutputFile, Page, Route
from nbpress.site.theme import THEME_DIR
from nbpress.urls import absolute, is_relative_mode, link, site_root, slugify

_LINK_ATTR = re.compile(r'(\s(?:href|src|poster)=)(["\'])(/(?!/)[^"\']*)\2')
_ABS_ATTR = re.compile(r'(\s(?:href|src|poster)=)(["\'])([^"\'#][^"\']*)\2')
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


class Site(TypedDict):
    title: str
    description: str
    author: str
    language: str
    base_url: str
    feed_full_content: bool
    search: bool  # a search box and /search/ page, over the Pagefind index
    relative: bool  # links are relative to each page (base_url "./")
    url: str  # the site's absolute address ("https://user.github.io/repo/"), "" when not known
    home: str  # absolute URL of the home page (a path when the address is not known)
    version: str


class PageNumber(TypedDict):
    number: int
    url: str


class Paginator(TypedDict):
    number: int
    count: int
    previous: str | None
    next: str | None
    numbers: list[PageNumber | None]  # the first, the last and the pages near this one; None: a gap


class LayoutContext(TypedDict):
    """What every layout receives."""

    site: Site
    route: Route
    page: Page | None  # [slug] routes: the post, its body linked for this URL
    pages: list[Page]  # the pages the route lists (after pagination)
    collection: Collection | None  # [category], [tag], [field] routes
    categories: list[Collection]
    tags: list[Collection]
    paginator: Paginator
    newer: Page | None  # [slug] routes: the next post by date, and the previous one
    older: Page | None
    related: list[Page]  # [slug] routes: posts sharing tags and categories
    years: list[Collection]  # date archives, oldest first
    url: Callable[[str | None], str]  # a site path as a link from this page
    absolute: Callable[[str | None], str]  # a site path as an absolute URL
    collection_url: Callable[[str, str], str]  # ("category", "Data Science") -> its site path
    pages_of: Callable[[Collection], list[Page]]  # a collection's pages, newest first
    absolute_html: Callable[[str, str], Markup]  # (html, page url): every link absolute, for feeds


@dataclasses.dataclass(frozen=True)
class RenderInput:
    """Everything rendering needs that is the same for every route of one build."""

    settings: Settings
    layout_dirs: tuple[Path, ...]
    pages: Mapping[str, Page]
    categories: tuple[Collection, ...]
    tags: tuple[Collection, ...]
    years: tuple[Collection, ...]
    source_urls: Mapping[str, str]  # "/nextjs/post.md" -> "/posts/post/"
    layouts_digest: str  # the layouts' contents and the settings
    compiled: Path | None = None  # where compiled layouts are kept between builds

    @functools.cached_property
    def collections_digest(self) -> str:
        """Every layout may show the categories and tags, so their names and sizes count."""
        every = (*self.categories, *self.tags, *self.years)
        return digest(*(f"{c.field}:{c.slug}:{c.name}:{c.url}:{len(c.pages)}" for c in every))


def long_date(value: dt.date | dt.datetime) -> str:
    """October 24, 2023."""
    return f"{MONTHS[value.month - 1]} {value.day}, {value.year}"


def rfc3339(value: dt.date | dt.datetime) -> str:
    """2023-10-24T00:00:00Z, for feeds and <time datetime>."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


@functools.lru_cache(maxsize=4)
def environment(layout_dirs: tuple[Path, ...], compiled: Path | None = None, version: str = "") -> jinja2.Environment:
    """The Jinja2 environment over the site's layouts, then the theme's (one per process and
    version of the layouts: `version` changes whenever a layout does)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in layout_dirs]),
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(compiled)) if compiled else None,
        autoescape=jinja2.select_autoescape(("html", "xml"), default_for_string=True),
        undefined=jinja2.ChainableUndefined,
        keep_trailing_newline=True,
        auto_reload=False,  # one environment per build process: layouts do not change under it
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["long_date"] = long_date
    env.filters["rfc3339"] = rfc3339
    env.filters["iso_date"] = lambda d: d.strftime("%Y-%m-%d")
    env.filters["slugify"] = slugify
    return env


def link_html(html: str, current: str, data: RenderInput) -> str:
    """Root-relative links in HTML made to work under base_url; links to sources go to their page."""
    base_url = data.settings.base_url

    def swap(match: re.Match[str]) -> str:
        target = match.group(3)
        path, sep, fragment = target.partition("#")
        target = data.source_urls.get(path, path) + sep + fragment
        return f"{match.group(1)}{match.group(2)}{link(target, current, base_url)}{match.group(2)}"

    return _LINK_ATTR.sub(swap, html)


def absolute_html(html: str, page_url: str, settings: Settings, current: str = "/",
                  source_urls: Mapping[str, str] | None = None) -> str:
    """Every link in HTML as an absolute URL (for feeds), relative ones against the page's URL.

    With relative links (base_url "./") they become links from `current`, the feed's own path.
    """

    def swap(match: re.Match[str]) -> str:
        target = match.group(3)
        if "://" in target or target.startswith(("mailto:", "data:")):
            return match.group(0)
        if not target.startswith("/"):
            target = page_url + target
        path, sep, fragment = target.partition("#")
        target = (source_urls or {}).get(path, path) + sep + fragment  # a link to a source goes to its page
        base_url, site_url = settings.base_url, settings.site_url
        new = (link(target, current, base_url) if is_relative_mode(base_url) and not site_url
               else absolute(target, base_url, site_url))
        return f"{match.group(1)}{match.group(2)}{new}{match.group(2)}"

    return _ABS_ATTR.sub(swap, html)


def route_digest(route: Route, data: RenderInput) -> str:
    """Changes whenever the route's output may change: its layouts, settings or pages."""
    names = [route.page] if route.page else []
    names.extend(route.pages)
    names.extend(n for n in (route.newer, route.older, *route.related) if n)
    page_digests = [data.pages[n].digest + data.pages[n].url for n in names if n in data.pages]
    page = data.pages.get(route.page) if route.page else None
    if page is not None:  # the body's links to other posts follow their URLs
        page_digests.extend(data.source_urls.get(link, "") for link in page.links)
    coll = route.collection
    shape = (route.url, route.layout, route.page, route.page_number, route.page_count, route.newer, route.older,
             coll and (coll.field, coll.name, coll.slug, coll.url, len(coll.pages)))
    return digest(data.layouts_digest, data.collections_digest, repr(shape), *page_digests)


def _collection_url(data: RenderInput, kind: str, name: str) -> str:
    wanted = slugify(name)
    for collection in data.tags if kind in ("tag", "tags") else data.categories:
        if collection.slug == wanted:
            return collection.url
    return ""


def page_numbers(number: int, count: int, around: int = 2) -> list[int | None]:
    """Page numbers to link: the first, the last and `around` either side of `number`; None for a gap."""
    near = range(max(1, number - around), min(count, number + around) + 1)
    numbers: list[int | None] = []
    last = 0
    for n in sorted({1, count, *near}):
        if n - last == 2:
            numbers.append(n - 1)  # a gap of one page: the page itself
        elif n - last > 2:
            numbers.append(None)
        numbers.append(n)
        last = n
    return numbers


def missing_site_url(settings: Settings) -> Diagnostic | None:
    """A warning when the site's address is not known: search engines and social cards need absolute URLs."""
    if site_root(settings.base_url, settings.site_url):
        return None
    return Diagnostic(
        "site_url is not set, so canonical links, og:url, og:image, sitemap.xml and robots.txt cannot give absolute "
        'URLs: add site_url = "https://user.github.io/repo/" to the settings, or build with an absolute --base-url',
        settings.settings_file, severity="warning")


def site_info(settings: Settings) -> Site:
    return Site(
        title=settings.title, description=settings.description, author=settings.author,
        language=settings.language, base_url=settings.base_url, feed_full_content=settings.feed_full_content,
        search=settings.search,
        relative=is_relative_mode(settings.base_url),
        url=site_root(settings.base_url, settings.site_url),
        home=absolute("/", settings.base_url, settings.site_url),
        version=__version__,
    )


def render_route(route: Route, data: RenderInput) -> OutputFile:
    """The output file of one route."""
    settings = data.settings
    current = route.url

    def url(path: str | None) -> str:
        return link(path, current, settings.base_url) if path else ""

    def absolute_url(path: str | None) -> str:
        # With relative links and no site_url there is no address to give: a link from this file.
        if is_relative_mode(settings.base_url) and not settings.site_url:
            return url(path)
        return absolute(path, settings.base_url, settings.site_url) if path else ""

    page = data.pages.get(route.page) if route.page else None
    if page is not None:
        page = dataclasses.replace(page, body=Markup(link_html(page.body, current, data)))
    number = route.page_number
    stem = route.url[: route.url.rfind("page/")] if number > 1 else route.url

    def page_url(n: int) -> str:
        return stem if n == 1 else f"{stem}page/{n}/"

    paginator = Paginator(
        number=number,
        count=route.page_count,
        previous=page_url(number - 1) if number > 1 else None,
        next=page_url(number + 1) if number < route.page_count else None,
        numbers=[PageNumber(number=n, url=page_url(n)) if n else None for n in page_numbers(number, route.page_count)],
    )
    context = LayoutContext(
        site=site_info(settings), route=route, page=page,
        pages=[data.pages[s] for s in route.pages if s in data.pages], collection=route.collection,
        categories=list(data.categories), tags=list(data.tags), paginator=paginator,
        newer=data.pages.get(route.newer) if route.newer else None,
        older=data.pages.get(route.older) if route.older else None,
        related=[data.pages[s] for s in route.related if s in data.pages],
        years=list(data.years),
        url=url, absolute=absolute_url, collection_url=lambda kind, name: _collection_url(data, kind, name),
        pages_of=lambda c: [data.pages[s] for s in c.pages if s in data.pages],
        absolute_html=lambda html, page_url: Markup(
            absolute_html(str(html), page_url, settings, current, data.source_urls)),
    )
    env = environment(data.layout_dirs, data.compiled, data.layouts_digest)
    text = env.get_template(route.layout).render(**context)
    return OutputFile(route.output, text.encode("utf-8"), digest=route_digest(route, data))


def layout_dirs(settings: Settings) -> tuple[Path, ...]:
    """Where layouts are looked up: the site's own first, then the theme's."""
    return (settings.layouts_path, THEME_DIR) if settings.layouts_path.is_dir() else (THEME_DIR,)


def render_each(routes: Iterable[Route], data: RenderInput) -> Iterator[OutputFile]:
    """Every route rendered, in order (a worker's share of a build); layout errors as NbpressError."""
    for route in routes:
        try:
            yield render_route(route, data)
        except Exception as exc:
            file, line, message = template_error(exc)
            if file == "layout" and not isinstance(exc, jinja2.TemplateError):
                raise  # not in a layout: a bug in nbpress
            raise NbpressError(Diagnostic(f"{message} (rendering {route.url})", _short(file, data), line)) from None


def _short(file: str, data: RenderInput) -> str:
    for root in data.layout_dirs:
        try:
            return "layouts/" + Path(file).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            continue
    return file


def template_error(exc: Exception) -> tuple[str, int | None, str]:
    """File, line and message of a Jinja2 error in a layout."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return exc.filename or exc.name or "layout", exc.lineno, exc.message or str(exc)
    if isinstance(exc, jinja2.TemplateNotFound):
        return str(exc.name or "layout"), None, f"layout not found: {exc.name}"
    tb = exc.__traceback__
    file, line = "layout", None
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith((".html", ".xml", ".txt", ".json")):
            file, line = name, tb.tb_lineno
        tb = tb.tb_next
    return file, line, f"{type(exc).__name__}: {exc}"


