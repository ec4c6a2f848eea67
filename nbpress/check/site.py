"""Checking a built site offline: links, anchors, images, scripts, titles, descriptions, feeds, the sitemap.

What is reported (each with the file under output/, and for pages the line), and how badly:

| problem | severity |
| --- | --- |
| broken link or anchor; missing image, script, stylesheet, media or file | error |
| a root-relative link outside the site's base path, a relative one climbing out of the site | error |
| a page (an index.html, 404.html) without a <title>, or with an empty one | error |
| a feed (Atom or RSS) that does not parse, or that feedparser flags; a link in it to no file | error |
| a sitemap that does not parse, or lists a URL of the site with no file | error |
| a page without <meta name="description"> | warning: it works, search results suffer |
| a page loading a script from another host (<script src>, or a loader in an inline script) | warning: works |
|                                                                                          | online only |
| built with relative links (base_url "./"): a root-relative link, a link to a folder | warning: fine on a |
|                                                                                     | server, not from disk |
| a relative link in 404.html (GitHub Pages serves it at any depth) | warning |
"""

from __future__ import annotations

import io
import logging
import os
import posixpath
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from nbpress.check.html import Kind, ParsedPage, Tag, parse_html
from nbpress.errors import Diagnostic
from nbpress.parallel import pmap
from nbpress.urls import base_path, is_relative_mode, script_hosts

log = logging.getLogger(__name__)

_NOUN: dict[Kind, str] = {
    "link": "broken link",
    "image": "missing image",
    "script": "missing script",
    "stylesheet": "missing stylesheet",
    "media": "missing media",
    "file": "missing file",
}

# Folders of files nbpress copies in as they are (vendored widget and plotly scripts, a search index):
# links into them are checked, their own pages are not.
IGNORED = ("static/vendor/", "pagefind/")
PAGE_NAMES = ("index.html", "404.html")  # rendered pages; other .html files are copied assets
FEED_SUFFIXES = (".xml", ".atom", ".rss")

# --- resolving a URL to a file -------------------------------------------------------------------


@dataclass(frozen=True)
class _Site:
    root: Path
    files: frozenset[str]  # every file under root, posix paths relative to it
    base: str  # the base path: "/" or "/repo/"
    host: str | None  # the site's own host, when base_url is an absolute URL
    relative: bool  # base_url "./": every link relative to its page


@dataclass(frozen=True)
class _Target:
    """Where a URL leads: an existing file, or why there is none."""

    file: str | None
    problem: str | None
    fragment: str
    folder: bool = False  # reached through x/ or x -> x/index.html
    rooted: bool = False  # written as a root-relative path


def _normalize(start: list[str], path: str) -> str | None:
    """path (relative, percent-encoded) resolved against the folder `start`; None if it climbs out."""
    parts = list(start)
    segments = path.split("/")
    for segment in segments[:-1]:
        if segment == "..":
            if not parts:
                return None
            parts.pop()
        elif segment not in (".", ""):
            parts.append(segment)
    last = segments[-1]
    if last == "..":
        if not parts:
            return None
        parts.pop()
    joined = "/".join(parts)
    if last in ("", ".", ".."):
        return joined + "/" if joined else ""
    return (joined + "/" if joined else "") + last


def _resolve(url: str, page_dir: list[str], site: _Site, meta: bool) -> _Target | None:
    """The file a URL in a page leads to; None for URLs that are not this site's to check."""
    url = url.strip()
    if not url:
        return None
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    rooted = False
    if scheme or parts.netloc:
        if scheme not in ("", "http", "https") or site.host is None or parts.netloc.lower() != site.host:
            return None  # another site, mailto:, data:, javascript:, tel: ...
        if not (parts.path + "/").startswith(site.base):
            return None  # the same host, another site under it (a user site's other projects)
        path = parts.path or "/"
    else:
        path = parts.path
        rooted = path.startswith("/")
        if meta and not rooted:
            return None  # og:image and friends must be absolute: relative ones are not worth guessing at
    fragment = unquote(parts.fragment)
    if path.startswith("/"):
        if not (path + "/").startswith(site.base):
            return _Target(None, f"outside the site's base path {site.base}", fragment, rooted=rooted)
        resolved = _normalize([], path[len(site.base):] if len(path) >= len(site.base) else "")
        if resolved is None:
            return _Target(None, f"outside the site's base path {site.base}", fragment, rooted=rooted)
    elif path:
        resolved = _normalize(page_dir, path)
        if resolved is None:
            return _Target(None, "outside the site", fragment)
    else:
        return _Target("", None, fragment)  # "#id" or "?q": this page
    resolved = unquote(resolved)
    if resolved == "" or resolved.endswith("/"):
        candidate = resolved + "index.html"
        if candidate in site.files:
            return _Target(candidate, None, fragment, folder=True, rooted=rooted)
        return _Target(None, f"no page at {candidate}", fragment, rooted=rooted)
    if resolved in site.files:
        return _Target(resolved, None, fragment, rooted=rooted)
    if resolved + "/index.html" in site.files:  # GitHub Pages serves x as x/ (after a redirect)
        return _Target(resolved + "/index.html", None, fragment, folder=True, rooted=rooted)
    if resolved.endswith((".html", ".htm")):
        return _Target(None, f"no page at {resolved}", fragment, rooted=rooted)
    if "." in resolved.rsplit("/", 1)[-1]:
        return _Target(None, f"no file at {resolved}", fragment, rooted=rooted)
    return _Target(None, f"no page at {resolved} or {resolved}/index.html", fragment, rooted=rooted)


# --- checking ------------------------------------------------------------------------------------


class _Checker:
    """Checks files of one site, reading each HTML file once and resolving each URL once."""

    def __init__(self, site: _Site) -> None:
        self.site = site
        self.tags: dict[str, Tag] = {}  # a start tag as written -> what it tells
        self.parsed: dict[str, ParsedPage] = {}
        self.resolved: dict[tuple[str, str, bool], _Target | None] = {}
        self.bodies: dict[str, ParsedPage] = {}  # feed entries' HTML
        self.texts: dict[str, str] = {}  # a page's text, from reading it to checking its scripts
        self.broken: dict[str, frozenset[str]] = {}  # a page's broken links, as problems: feeds skip those

    def page(self, rel: str, keep_text: bool = False) -> ParsedPage:
        page = self.parsed.get(rel)
        if page is None or (keep_text and rel not in self.texts):
            text = (self.site.root / rel).read_bytes().decode("utf-8", errors="replace")
            page = self.parsed[rel] = page if page is not None else parse_html(text, self.tags)
            if keep_text:
                self.texts[rel] = text
        return page

    def broken_in(self, rel: str) -> frozenset[str]:
        """What a page's own links lead to that is missing (each target's problem), as check_page reports it."""
        if rel not in self.broken:
            page_dir = [] if rel == "404.html" else rel.split("/")[:-1]
            found = set()
            for ref in self.page(rel).refs:
                target = self.resolve(ref.url, page_dir, ref.meta)
                if target is not None and target.file is None and target.problem:
                    found.add(target.problem)
            self.broken[rel] = frozenset(found)
        return self.broken[rel]

    def resolve(self, url: str, page_dir: list[str], meta: bool) -> _Target | None:
        # Root-relative and absolute URLs lead to the same file from every page.
        folder = "" if url.startswith("/") or ":" in url else "/".join(page_dir)
        key = (folder, url, meta)
        if key not in self.resolved:
            self.resolved[key] = _resolve(url, page_dir, self.site, meta)
        return self.resolved[key]

    def check(self, rel: str) -> list[Diagnostic]:
        if rel.endswith((".html", ".htm")):
            return self.check_page(rel)
        data = (self.site.root / rel).read_bytes()
        root_tag = _root_tag(data)
        if posixpath.basename(rel) == "sitemap.xml" or root_tag in ("urlset", "sitemapindex"):
            return self.check_sitemap(rel, data)
        if root_tag in ("feed", "rss", "RDF"):
            return self.check_feed(rel, data)
        return []

    def check_page(self, rel: str) -> list[Diagnostic]:
        page = self.page(rel, keep_text=True)
        is_404 = rel == "404.html"
        # 404.html is served at whatever URL was missing; its links are read as if it were at the site root.
        page_dir = [] if is_404 else rel.split("/")[:-1]
        problems = list(self.check_refs(rel, page, page_dir, is_404))
        if posixpath.basename(rel) in PAGE_NAMES:
            if page.title is None:
                problems.append(Diagnostic("page has no <title>", rel))
            elif not page.title:
                problems.append(Diagnostic("page has an empty <title>", rel))
            if not page.description:
                problems.append(Diagnostic("page has no meta description", rel, severity="warning"))
        return problems

    def other_host(self, url: str) -> str | None:
        """The host of a URL on another site (http, https or protocol-relative), else None."""
        parts = urlsplit(url.strip())
        if parts.scheme.lower() not in ("", "http", "https") or not parts.netloc:
            return None
        host = parts.netloc.lower()
        return None if host == self.site.host else host

    def remote_scripts(self, rel: str, page: ParsedPage) -> Iterator[Diagnostic]:
        """Scripts a page loads from other hosts: <script src>, and hosts its inline scripts name (loaders)."""
        told = set()
        for ref in page.refs:
            host = self.other_host(ref.url) if ref.kind == "script" else None
            if host and host not in told:
                told.add(host)
                yield Diagnostic(f"loads a script from another host: {ref.url} (readers' browsers contact {host}, "
                                 "and the page does not work offline)", rel, ref.line, severity="warning")
        text = self.texts.pop(rel, "")
        for host in script_hosts(text):
            if host not in told and host != self.site.host:
                told.add(host)
                yield Diagnostic(f"a script in the page loads files from another host, {host} (readers' browsers "
                                 "contact it, and the page does not work offline)", rel, severity="warning")

    def check_refs(self, rel: str, page: ParsedPage, page_dir: list[str], is_404: bool) -> Iterator[Diagnostic]:
        site = self.site
        seen: set[tuple[Kind, str]] = set()
        yield from self.remote_scripts(rel, page)
        for ref in page.refs:
            if (ref.kind, ref.url) in seen:
                continue
            seen.add((ref.kind, ref.url))
            target = self.resolve(ref.url, page_dir, ref.meta)
            if target is None:
                continue
            if target.file is None:
                yield Diagnostic(f"{_NOUN[ref.kind]} {ref.url} ({target.problem})", rel, ref.line)
                continue
            if target.fragment and ref.kind == "link":
                file = target.file or rel
                if file.endswith((".html", ".htm")):
                    ids = page.ids if file == rel else self.page(file).ids
                    if not _has_fragment(ids, target.fragment, ref.url.partition("#")[2]):
                        yield Diagnostic(f"broken anchor {ref.url} (no id '{target.fragment}' in {file})",
                                         rel, ref.line)
            if ref.meta or not target.file:
                continue
            if site.relative and target.rooted:
                yield Diagnostic(f"root-relative link {ref.url} does not work when the site is opened from disk "
                                 "(it is built with relative links)", rel, ref.line, severity="warning")
            elif site.relative and target.folder and ref.kind == "link":
                yield Diagnostic(f"link {ref.url} leads to a folder: opened from disk it shows a file listing, "
                                 f"not {target.file}", rel, ref.line, severity="warning")
            elif is_404 and not site.relative and not target.rooted and not ref.url.startswith(("#", "?")) \
                    and ":" not in ref.url:
                yield Diagnostic(f"relative link {ref.url} in 404.html breaks when it is served at a nested URL "
                                 "(GitHub Pages serves it for every missing page)", rel, ref.line, severity="warning")

    def feed_urls(self, tree: ET.Element) -> Iterator[tuple[Kind, str, str | None]]:
        """URLs a feed points readers at: feed and entry links, enclosures, links in the entries' HTML.

        Links in an entry's HTML come with the entry's own link (its page), else None.
        """
        entries = [e for e in tree.iter() if _local(e.tag) in ("entry", "item")]
        inside = {id(child) for entry in entries for child in entry.iter()}
        for element in tree.iter():
            if id(element) not in inside and _local(element.tag) not in ("entry", "item"):
                yield from ((kind, url, None) for kind, url in self.element_urls(element))
        for entry in entries:
            page = next((url for element in entry.iter() if _local(element.tag) == "link"
                         and element.get("rel", "alternate") == "alternate"
                         for url in [element.get("href") or (element.text or "").strip()] if url), None)
            for element in entry.iter():
                body = _local(element.tag) in ("content", "summary", "description", "encoded")
                yield from ((kind, url, page if body else None) for kind, url in self.element_urls(element))

    def element_urls(self, element: ET.Element) -> Iterator[tuple[Kind, str]]:
        name = _local(element.tag)
        if name == "link":
            href = element.get("href") or (element.text or "").strip()
            if href:
                yield "link", href
        elif name == "enclosure" and element.get("url"):
            yield "file", element.get("url", "")
        elif name in ("content", "summary", "description", "encoded") and element.text and "<" in element.text:
            body = self.bodies.get(element.text)  # a post is in the site's feed and in its category's
            if body is None:
                body = self.bodies[element.text] = parse_html(element.text, self.tags)
            for ref in body.refs:
                yield ref.kind, ref.url

    def check_feed(self, rel: str, data: bytes) -> list[Diagnostic]:
        try:
            tree = ET.fromstring(data)
        except ET.ParseError as exc:
            return [Diagnostic(f"invalid feed: {exc}", rel, exc.position[0] if exc.position else None)]
        problems = []
        complaint = _feedparser_complaint(data)
        if complaint:
            problems.append(Diagnostic(f"invalid feed: {complaint}", rel))
        # Relative URLs are relative to the feed itself, unless an xml:base says otherwise (not worth following).
        feed_dir = None if b"xml:base" in data else rel.split("/")[:-1]
        seen = set()
        for kind, url, entry_page in self.feed_urls(tree):
            if url in seen or (feed_dir is None and not (url.startswith("/") or "://" in url)):
                continue
            seen.add(url)
            target = self.resolve(url, feed_dir or [], meta=False)
            if target is None or target.file is not None:
                continue
            if entry_page is not None:  # reported once, on the post's page, not again for every feed with it
                page = self.resolve(entry_page, feed_dir or [], meta=False)
                if page is not None and page.file and page.file.endswith((".html", ".htm")) \
                        and target.problem in self.broken_in(page.file):
                    continue
            problems.append(Diagnostic(f"{_NOUN[kind]} {url} in feed ({target.problem})", rel))
        return problems

    def check_sitemap(self, rel: str, data: bytes) -> list[Diagnostic]:
        try:
            tree = ET.fromstring(data)
        except ET.ParseError as exc:
            return [Diagnostic(f"invalid sitemap: {exc}", rel, exc.position[0] if exc.position else None)]
        problems = []
        sitemap_dir = rel.split("/")[:-1]  # locs must be absolute URLs; built with relative links, they are not
        for element in tree.iter():
            if _local(element.tag) != "loc" or not element.text:
                continue
            url = element.text.strip()
            target = self.resolve(url, sitemap_dir, meta=False)
            if target is not None and target.file is None:
                problems.append(Diagnostic(f"sitemap lists {url} ({target.problem})", rel))
        return problems


def _has_fragment(ids: frozenset[str], fragment: str, raw: str) -> bool:
    return (not fragment or fragment.lower() == "top" or fragment.startswith(":~:")
            or fragment in ids or raw in ids)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _root_tag(data: bytes) -> str | None:
    """The name of an XML file's root element (without prefix or namespace), from its first bytes."""
    match = re.search(rb"<([A-Za-z_][\w.:-]*)", data[:4096])
    return match.group(1).decode("ascii", "replace").rpartition(":")[2] if match else None


# An entry's body, as bytes: its escaped HTML is text to XML, already read whole by ElementTree.
_ENTRY_BODY = re.compile(
    rb"(<(?:[\w.-]+:)?(content|summary|description|encoded)\b[^>]*(?<!/)>).*?(</(?:[\w.-]+:)?\2\s*>)", re.S
)


def _feedparser() -> Any:
    try:
        import feedparser
    except ImportError:
        return None
    return feedparser


def _feedparser_complaint(data: bytes) -> str | None:
    """What feedparser (the library most feed readers in Python use) finds wrong, if it is installed.

    It reads the feed with the entries' bodies left out: ElementTree has already read them (both parse with
    expat), and feedparser's pass over escaped HTML, one callback per entity, would be most of the check's
    time on a full-content feed. What it adds is its reading of the feed itself: structure and encoding.
    """
    feedparser = _feedparser()
    if feedparser is None:
        return None
    result = feedparser.parse(io.BytesIO(_ENTRY_BODY.sub(rb"\1\3", data)), sanitize_html=False,
                              resolve_relative_uris=False)
    return str(result.get("bozo_exception") or "not a valid feed") if result.get("bozo") else None


def _walk(root: Path) -> list[str]:
    found: list[str] = []
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        rel = Path(folder).relative_to(root).as_posix()
        prefix = "" if rel == "." else rel + "/"
        found.extend(prefix + name for name in sorted(names))
    return found


def _checked(rel: str) -> bool:
    return rel.endswith((".html", ".htm", *FEED_SUFFIXES)) and not rel.startswith(IGNORED)


def html_files(root: Path) -> list[str]:
    """The HTML files check_site reads (relative paths): all but copied vendor files and search indexes."""
    return [rel for rel in _walk(root) if _checked(rel) and rel.endswith((".html", ".htm"))]


def _check_chunk(site: _Site, rels: Sequence[str]) -> list[Diagnostic]:
    checker = _Checker(site)
    return [problem for rel in rels for problem in checker.check(rel)]


def check_site(root: Path, base_url: str, jobs: int = 0) -> list[Diagnostic]:
    """Every problem in the site built at root for base_url, page by page (path: the file under root).

    jobs: processes to spread a large site over (0: one per core).
    """
    started = time.perf_counter()
    files = _walk(root)
    host = urlsplit(base_url).netloc.lower() if "://" in base_url or base_url.startswith("//") else ""
    site = _Site(root, frozenset(files), base_path(base_url), host or None, is_relative_mode(base_url))
    todo = [rel for rel in files if _checked(rel)]
    if any(rel.endswith(FEED_SUFFIXES) for rel in todo):
        _feedparser()  # imported once here, not in every worker
    problems = pmap(_check_chunk, todo, site, jobs or os.cpu_count() or 1, threshold=300)
    log.debug("checked %d files in %.2f s", len(todo), time.perf_counter() - started)
    return problems
