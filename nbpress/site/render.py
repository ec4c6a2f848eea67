"""Stage: one route + the pages it shows -> the bytes of one output file (Jinja2)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, TypedDict

import jinja2
from jinja2.loaders import split_template_path
from markupsafe import Markup

from nbpress import __version__
from nbpress.config import Settings
from nbpress.errors import Diagnostic, NbpressError
from nbpress.files import escapes
from nbpress.hashing import digest
from nbpress.model import Collection, Route
from nbpress.site.reads import PageView, Reads, SiteData
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
    page: PageView | None  # [slug] routes: the post, its body linked for this URL
    pages: Sequence[PageView]  # the pages the route lists (after pagination)
    collection: Collection | None  # [category], [tag], [field] routes
    categories: Sequence[Collection]
    tags: Sequence[Collection]
    paginator: Paginator
    newer: PageView | None  # [slug] routes: the next post by date, and the previous one
    older: PageView | None
    related: Sequence[PageView]  # [slug] routes: posts sharing tags and categories
    years: Sequence[Collection]  # date archives, oldest first
    url: Callable[[str | None], str]  # a site path as a link from this page
    absolute: Callable[[str | None], str]  # a site path as an absolute URL
    collection_url: Callable[[str, str], str]  # ("category", "Data Science") -> its site path
    pages_of: Callable[[Collection], Sequence[PageView]]  # a collection's pages, newest first
    absolute_html: Callable[[str, str], Markup]  # (html, page url): every link absolute, for feeds


@dataclasses.dataclass(frozen=True)
class RenderInput:
    """Everything rendering needs that is the same for every route of one build."""

    settings: Settings
    layout_dirs: tuple[Path, ...]
    site: SiteData  # what routes read: pages, collections, link targets, layout files
    version: str  # changes whenever a layout file does
    compiled: Path | None = None  # where compiled layouts are kept between builds


@dataclasses.dataclass(frozen=True)
class Rendered:
    """One route rendered: its file, the digest of its bytes, and what it read (site/reads.py)."""

    output: str
    digest: str
    route: str  # digest of the route itself (its URL, layout, pages, neighbours)
    reads: tuple[str, ...]  # what it read (site/reads.py), in order


class Sink(Protocol):
    """Where rendered files go (the write stage hands one in): put(path, data, digest)."""

    def put(self, path: str, data: bytes, digest: str) -> None: ...


def _date(value: dt.date | dt.datetime | str) -> dt.date | dt.datetime:
    """A date for the date filters; ISO text ('2024-02-01', as quoted YAML dates are) is read as one."""
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"not a date: {value!r} (expected a date such as 2024-05-01)") from None
    if not isinstance(value, dt.date):
        raise ValueError(f"not a date: {value!r} (expected a date such as 2024-05-01)")
    return value


def long_date(value: dt.date | dt.datetime | str) -> str:
    """October 24, 2023."""
    value = _date(value)
    return f"{MONTHS[value.month - 1]} {value.day}, {value.year}"


def rfc3339(value: dt.date | dt.datetime | str) -> str:
    """2023-10-24T00:00:00Z, for feeds and <time datetime>."""
    value = _date(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


class _Environment(jinja2.Environment):
    """Jinja2's environment, telling the route being rendered which layout files it loads.

    Every `extends`, `include` and `import` goes through `_load_template`, cached or not.
    """

    reads: Reads | None = None

    def _load_template(self, name: str, globals: Any) -> jinja2.Template:
        if self.reads is not None:
            self.reads.read("t:" + name)
        return super()._load_template(name, globals)


class _SiteLoader(jinja2.FileSystemLoader):
    """A layout folder's templates, where a symlink is followed only as layout_files follows it (inside the site)."""

    def __init__(self, folder: Path, site: Path) -> None:
        super().__init__(str(folder))
        self.site = site

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        path = os.path.join(self.searchpath[0], *split_template_path(template))
        if escapes(path, self.site) is not None:  # checked before anything is read
            raise jinja2.TemplateNotFound(template)  # the next folder (the theme's) may have it
        return super().get_source(environment, template)


@functools.lru_cache(maxsize=4)
def environment(layout_dirs: tuple[Path, ...], compiled: Path | None = None, version: str = "",
                site: Path | None = None) -> _Environment:
    """The Jinja2 environment over the site's layouts, then the theme's (one per process and
    version of the layouts: `version` changes whenever a layout does). With `site`, the site's layouts
    never read a file through a symlink that leads out of it."""
    loaders = [_SiteLoader(d, site) if site is not None and d != THEME_DIR else jinja2.FileSystemLoader(str(d))
               for d in layout_dirs]
    env = _Environment(
        loader=jinja2.ChoiceLoader(loaders),
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
    env.filters["iso_date"] = lambda d: _date(d).strftime("%Y-%m-%d")
    env.filters["slugify"] = slugify
    return env


def link_html(html: str, current: str, base_url: str, source_url: Callable[[str], str | None]) -> str:
    """Root-relative links in HTML made to work under base_url; links to sources go to their page."""

    def swap(match: re.Match[str]) -> str:
        target = match.group(3)
        path, sep, fragment = target.partition("#")
        target = (source_url(path) or path) + sep + fragment
        return f"{match.group(1)}{match.group(2)}{link(target, current, base_url)}{match.group(2)}"

    return _LINK_ATTR.sub(swap, html)


def absolute_html(html: str, page_url: str, settings: Settings, current: str = "/",
                  source_url: Callable[[str], str | None] | None = None) -> str:
    """Every link in HTML as an absolute URL (for feeds), relative ones against the page's URL.

    With relative links and no site_url (base_url "./") they become links from `current`, the feed's own path.
    """
    base_url, site_url = settings.base_url, settings.site_url

    def swap(match: re.Match[str]) -> str:
        target = match.group(3)
        if "://" in target or target.startswith(("mailto:", "data:")):
            return match.group(0)
        if not target.startswith("/"):
            target = page_url + target
        path, sep, fragment = target.partition("#")
        target = ((source_url(path) if source_url else None) or path) + sep + fragment  # a source: its page
        new = (link(target, current, base_url) if is_relative_mode(base_url) and not site_url
               else absolute(target, base_url, site_url))
        return f"{match.group(1)}{match.group(2)}{new}{match.group(2)}"

    return _ABS_ATTR.sub(swap, html)


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
    """A warning when the address of a site served under a path is not known: search engines and social cards
    need absolute URLs. (A site with relative links, base_url "./", is meant to be read from the disk.)"""
    if site_root(settings.base_url, settings.site_url) or is_relative_mode(settings.base_url):
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


def settings_digest(settings: Settings) -> str:
    """What layouts can see of the settings: the `site` they are given, and the base path of links."""
    return digest(repr(site_info(settings)), settings.base_url, settings.site_url)


def route_key(route: Route) -> str:
    """The route itself: its URL, layout, collection, the pages it lists, its neighbours. (The collection is
    digested once for all its pages: a category of 800 posts in 80 pages is not written out 80 times.)"""
    fields = [getattr(route, f.name) for f in dataclasses.fields(route) if f.name != "collection"]
    return digest(repr(fields), _collection_key(route.collection))


@functools.lru_cache(maxsize=4096)
def _collection_key(collection: Collection | None) -> str:
    return digest(repr(collection))


def render_route(route: Route, data: RenderInput) -> tuple[bytes, Reads]:
    """The bytes of one route's file, and what rendering it read."""
    settings = data.settings
    current = route.url
    reads = Reads(data.site)
    reads.read("s")

    def url(path: str | None) -> str:
        return link(path, current, settings.base_url) if path else ""

    def absolute_url(path: str | None) -> str:
        # With relative links and no site_url there is no address to give: a link from this file.
        if is_relative_mode(settings.base_url) and not settings.site_url:
            return url(path)
        return absolute(path, settings.base_url, settings.site_url) if path else ""

    def collection_url(kind: str, name: str) -> str:
        collection = reads.collection(kind, name)
        return collection.url if collection else ""

    def linked_body() -> str:  # the post's links made to work from this route
        return Markup(link_html(data.site.pages[route.page or ""].body, current, settings.base_url, reads.source_url))

    page = reads.page(route.page, linked_body)
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
        pages=reads.pages(route.pages), collection=route.collection,
        categories=reads.collections("category"), tags=reads.collections("tag"), paginator=paginator,
        newer=reads.page(route.newer), older=reads.page(route.older),
        related=reads.pages(route.related),
        years=reads.collections("year"),
        url=url, absolute=absolute_url, collection_url=collection_url,
        pages_of=reads.pages_of,
        absolute_html=lambda html, page_url: Markup(
            absolute_html(str(html), page_url, settings, current, reads.source_url)),
    )
    env = environment(data.layout_dirs, data.compiled, data.version, settings.site_dir)
    env.reads = reads
    try:
        text = env.get_template(route.layout).render(**context)
    finally:
        env.reads = None
    return text.encode("utf-8"), reads


def layout_dirs(settings: Settings) -> tuple[Path, ...]:
    """Where layouts are looked up: the site's own first, then the theme's."""
    return (settings.layouts_path, THEME_DIR) if settings.layouts_path.is_dir() else (THEME_DIR,)


def render_routes(routes: Iterable[Route], data: RenderInput, sink: Sink) -> list[Rendered]:
    """Every route rendered in order and put in the sink (a worker's share of a build); layout errors, all of
    them, as NbpressError naming the layout and the post whose data it choked on."""
    done = []
    problems: list[Diagnostic] = []
    for route in routes:
        try:
            text, reads = render_route(route, data)
        except Exception as exc:
            file, line, message = template_error(exc)
            if file == "layout" and not isinstance(exc, jinja2.TemplateError):
                raise  # not in a layout: a bug in nbpress
            source = f" from {route.page}" if route.page else ""  # the post whose data the layout choked on
            problems.append(Diagnostic(f"{message} (rendering {route.url}{source})", _short(file, data), line))
            continue
        content = digest(text)
        sink.put(route.output, text, content)
        done.append(Rendered(route.output, content, route_key(route), reads.keys))
    if problems:
        raise NbpressError(problems)
    return done


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


