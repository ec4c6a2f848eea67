"""Checking a built site offline: links, anchors, images, scripts, titles, descriptions, feeds, the sitemap.

What is reported, and how badly:

| problem | severity |
| --- | --- |
| broken link, broken anchor, missing image / script / stylesheet / media / file | error |
| a link outside the site's base path (or climbing out of the site) | error |
| a page (index.html, 404.html) without a <title>, or with an empty one | error |
| an Atom or RSS feed that does not parse (or that feedparser flags), a broken link in it | error |
| a sitemap that does not parse, or lists a URL with no file | error |
| a page without <meta name="description"> | warning: the page works, search results suffer |
| with relative links (base_url "./"): a root-relative link, or a link to a folder | warning: fine on a server, broken from disk |
| a relative link in 404.html (GitHub Pages serves it at any depth) | warning |

Pages are read with a small tokenizer rather than `html.parser.HTMLParser`: the stdlib
parser spends ~20 µs on every tag (about 5 ms for one post of the built-in theme, whose
highlighted code is hundreds of <span>s), which is 7 s for a 1000-post site; this one
only looks closely at the tags that carry links or ids, and reads the same site in well
under a second. It follows HTML's rules where they matter here: comments, and the raw
text of <script>, <style>, <textarea> and <title>, hold no tags; attribute values are
unescaped as `html.unescape` does; the first of two equal attributes wins.
"""

from __future__ import annotations

import html
import io
import logging
import os
import posixpath
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from nbpress.errors import Diagnostic
from nbpress.urls import base_path, is_relative_mode

log = logging.getLogger(__name__)

Kind = Literal["link", "image", "script", "stylesheet", "media", "file"]

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

# --- reading a page ------------------------------------------------------------------------------

# A tag's attributes up to its closing '>', quoted values may hold '>'. Written without nested
# quantifiers, so a stray quote cannot make the search backtrack badly.
_ATTRS = r"""[^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*"""
_TOKEN = re.compile(rf"<!--|<([a-zA-Z][^\s/>]*)({_ATTRS})>", re.S)
_COMMENT_END = re.compile(r"--!?>")
_RAW_END = {name: re.compile(rf"</{name}[\s/>]", re.I) for name in ("script", "style", "textarea", "title")}
_ATTR = re.compile(r"""([^\s/>="']+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]*))?""")
_ID = re.compile(r"""(?:^|\s)id\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", re.I)

# tag -> attributes that hold URLs, and what each points at
_URL_ATTRS: dict[str, tuple[tuple[str, Kind], ...]] = {
    "a": (("href", "link"),),
    "area": (("href", "link"),),
    "img": (("src", "image"), ("srcset", "image")),
    "script": (("src", "script"),),
    "video": (("src", "media"), ("poster", "image")),
    "audio": (("src", "media"),),
    "track": (("src", "media"),),
    "iframe": (("src", "file"),),
    "embed": (("src", "file"),),
    "object": (("data", "file"),),
}
_META_URLS: dict[str, Kind] = {
    "og:image": "image", "og:image:url": "image", "og:image:secure_url": "image", "twitter:image": "image",
    "twitter:image:src": "image", "og:url": "link",
}
_WANTED = frozenset([*_URL_ATTRS, "link", "source", "input", "meta", "body"])


@dataclass(frozen=True)
class Ref:
    """A URL a page refers to, with what it should find there and the line it is on."""

    kind: Kind
    url: str
    line: int
    meta: bool = False  # from <meta content> (og:image): only root paths and the site's own absolute URLs


@dataclass(frozen=True)
class ParsedPage:
    """What checking needs from one HTML file."""

    ids: frozenset[str]
    refs: tuple[Ref, ...]
    title: str | None  # None: no <title> element
    description: str | None  # None: no <meta name="description">


def _attrs(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _ATTR.finditer(text):
        name, value = match.group(1).lower(), match.group(2)
        if value is None:
            value = ""
        elif value[:1] in "\"'" and len(value) >= 2 and value[0] == value[-1]:
            value = value[1:-1]
        found.setdefault(name, html.unescape(value) if "&" in value else value)
    return found


def _srcset(value: str) -> list[str]:
    if value.lstrip().startswith("data:"):
        return []
    return [part.split()[0] for part in value.split(",") if part.strip()]


def parse_html(text: str) -> ParsedPage:
    """The ids, anchors (<a name>), URLs, <title> and meta description of one HTML document."""
    ids: set[str] = set()
    refs: list[Ref] = []
    title: str | None = None
    description: str | None = None
    in_body = False
    line, counted = 1, 0
    pos = 0
    while True:
        match = _TOKEN.search(text, pos)
        if match is None:
            break
        pos = match.end()
        tag = match.group(1)
        if tag is None:  # a comment: nothing in it counts
            end = _COMMENT_END.search(text, pos)
            pos = end.end() if end else len(text)
            continue
        tag = tag.lower()
        raw = match.group(2)
        if tag in _RAW_END:  # raw text: no tags inside (the JSON of widgets and plots, CSS, a title)
            end = _RAW_END[tag].search(text, pos)
            inner_end = end.start() if end else len(text)
            if tag == "title" and title is None and not in_body:
                title = html.unescape(text[pos:inner_end]).strip()
            pos = inner_end
        if tag not in _WANTED:
            if raw:
                id_match = _ID.search(raw)
                if id_match:
                    value = id_match.group(1)
                    ids.add(html.unescape(value[1:-1] if value[:1] in "\"'" else value))
            continue
        attrs = _attrs(raw) if raw.strip() else {}
        if "id" in attrs:
            ids.add(attrs["id"])
        found: list[tuple[Kind, str, bool]] = []
        if tag == "body":
            in_body = True
        elif tag == "meta":
            name = (attrs.get("name") or attrs.get("property") or "").lower()
            if name == "description":
                description = attrs.get("content", "").strip()
            elif name in _META_URLS and attrs.get("content"):
                found.append((_META_URLS[name], attrs["content"], True))
        elif tag == "link":
            rels = attrs.get("rel", "").lower().split()
            if "href" in attrs and not {"preconnect", "dns-prefetch"} & set(rels):
                if "stylesheet" in rels:
                    kind: Kind = "stylesheet"
                elif any("icon" in rel for rel in rels) or attrs.get("as") == "image":
                    kind = "image"
                elif "modulepreload" in rels or attrs.get("as") == "script":
                    kind = "script"
                else:
                    kind = "link"
                found.append((kind, attrs["href"], False))
        elif tag == "source":
            if "src" in attrs:
                found.append(("media", attrs["src"], False))
            found.extend(("image", url, False) for url in _srcset(attrs.get("srcset", "")))
        elif tag == "input":
            if attrs.get("type", "").lower() == "image" and "src" in attrs:
                found.append(("image", attrs["src"], False))
        else:
            if tag == "a" and attrs.get("name"):
                ids.add(attrs["name"])
            for attr, attr_kind in _URL_ATTRS[tag]:
                if attr not in attrs:
                    continue
                if attr == "srcset":
                    found.extend((attr_kind, url, False) for url in _srcset(attrs[attr]))
                else:
                    found.append((attr_kind, attrs[attr], False))
        if found:
            line += text.count("\n", counted, match.start())
            counted = match.start()
            refs.extend(Ref(kind, url, line, meta) for kind, url, meta in found)
    return ParsedPage(frozenset(ids), tuple(refs), title, description)


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
    if "." in resolved.rsplit("/", 1)[-1]:
        return _Target(None, f"no file at {resolved}", fragment, rooted=rooted)
    return _Target(None, f"no page at {resolved} or {resolved}/index.html", fragment, rooted=rooted)


# --- checking ------------------------------------------------------------------------------------


class _Pages:
    """Parsed HTML files, each read once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.parsed: dict[str, ParsedPage] = {}

    def get(self, rel: str) -> ParsedPage:
        page = self.parsed.get(rel)
        if page is None:
            data = (self.root / rel).read_bytes()
            page = self.parsed[rel] = parse_html(data.decode("utf-8", errors="replace"))
        return page


def _walk(root: Path) -> list[str]:
    found = []
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        rel = Path(folder).relative_to(root).as_posix()
        prefix = "" if rel == "." else rel + "/"
        found.extend(prefix + name for name in sorted(names))
    return found


def _ignored(rel: str) -> bool:
    return rel.startswith(IGNORED)


def _has_fragment(ids: frozenset[str], fragment: str, raw: str) -> bool:
    return (not fragment or fragment.lower() == "top" or fragment.startswith(":~:")
            or fragment in ids or raw in ids)


def _check_refs(rel: str, page: ParsedPage, page_dir: list[str], site: _Site, pages: _Pages,
                is_404: bool = False) -> Iterator[Diagnostic]:
    seen: set[tuple[Kind, str]] = set()
    for ref in page.refs:
        if (ref.kind, ref.url) in seen:
            continue
        seen.add((ref.kind, ref.url))
        target = _resolve(ref.url, page_dir, site, ref.meta)
        if target is None:
            continue
        if target.file is None:
            yield Diagnostic(f"{_NOUN[ref.kind]} {ref.url} ({target.problem})", rel, ref.line)
            continue
        if target.fragment and ref.kind == "link":
            file = target.file or rel
            if file.endswith((".html", ".htm")):
                ids = page.ids if file == rel else pages.get(file).ids
                raw_fragment = ref.url.partition("#")[2]
                if not _has_fragment(ids, target.fragment, raw_fragment):
                    yield Diagnostic(f"broken anchor {ref.url} (no id '{target.fragment}' in {file})", rel, ref.line)
        if ref.meta or not target.file:
            continue
        if site.relative and target.rooted:
            yield Diagnostic(f"root-relative link {ref.url} does not work when the site is opened from disk "
                             "(it is built with relative links)", rel, ref.line, severity="warning")
        elif site.relative and target.folder and ref.kind == "link":
            yield Diagnostic(f"link {ref.url} leads to a folder: opened from disk it shows a file listing, "
                             f"not {target.file}", rel, ref.line, severity="warning")
        elif is_404 and not site.relative and not target.rooted and not ref.url.startswith(("#", "?")) \
                and "://" not in ref.url:
            yield Diagnostic(f"relative link {ref.url} in 404.html breaks when it is served at a nested URL "
                             "(GitHub Pages serves it for every missing page)", rel, ref.line, severity="warning")


def _check_page(rel: str, site: _Site, pages: _Pages) -> list[Diagnostic]:
    page = pages.get(rel)
    is_404 = rel == "404.html"
    # 404.html is served at whatever URL was missing; its links are read as if it were at the site root.
    page_dir = [] if is_404 else rel.split("/")[:-1]
    problems = list(_check_refs(rel, page, page_dir, site, pages, is_404))
    if posixpath.basename(rel) in PAGE_NAMES:
        if page.title is None:
            problems.append(Diagnostic("page has no <title>", rel))
        elif not page.title:
            problems.append(Diagnostic("page has an empty <title>", rel))
        if not page.description:
            problems.append(Diagnostic("page has no meta description", rel, severity="warning"))
    return problems


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _root_tag(data: bytes) -> str | None:
    match = re.search(rb"<([A-Za-z_][\w.:-]*)", data[:4096])
    return _local(match.group(1).decode("ascii", "replace").rpartition(":")[2]) if match else None


def _feed_urls(tree: ET.Element) -> Iterator[tuple[Kind, str]]:
    """Absolute URLs a feed points readers at: entry and feed links, enclosures, links in content."""
    for element in tree.iter():
        name = _local(element.tag)
        if name == "link":
            href = element.get("href") or (element.text or "").strip()
            if href:
                yield "link", href
        elif name == "enclosure" and element.get("url"):
            yield "file", element.get("url", "")
        elif name in ("content", "summary", "description", "encoded") and element.text and "<" in element.text:
            for ref in parse_html(element.text).refs:
                yield ref.kind, ref.url


def _feedparser_complaint(data: bytes) -> str | None:
    """What feedparser (the library most feed readers in Python use) finds wrong, if it is installed."""
    try:
        import feedparser
    except ImportError:
        return None
    result = feedparser.parse(io.BytesIO(data))
    return str(result.get("bozo_exception") or "not a valid feed") if result.get("bozo") else None


def _check_feed(rel: str, data: bytes, site: _Site) -> list[Diagnostic]:
    try:
        tree = ET.fromstring(data)
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        return [Diagnostic(f"invalid feed: {exc}", rel, line)]
    problems = []
    complaint = _feedparser_complaint(data)
    if complaint:
        problems.append(Diagnostic(f"invalid feed: {complaint}", rel))
    seen = set()
    for kind, url in _feed_urls(tree):
        if url in seen or not (url.startswith("/") or "://" in url):
            continue  # relative URLs in a feed depend on xml:base: not worth guessing at
        seen.add(url)
        target = _resolve(url, [], site, meta=False)
        if target is not None and target.file is None:
            problems.append(Diagnostic(f"{_NOUN[kind]} {url} in feed ({target.problem})", rel))
    return problems


def _check_sitemap(rel: str, data: bytes, site: _Site) -> list[Diagnostic]:
    try:
        tree = ET.fromstring(data)
    except ET.ParseError as exc:
        return [Diagnostic(f"invalid sitemap: {exc}", rel, exc.position[0] if exc.position else None)]
    problems = []
    for element in tree.iter():
        if _local(element.tag) != "loc" or not element.text:
            continue
        url = element.text.strip()
        if not (url.startswith("/") or "://" in url):
            continue
        target = _resolve(url, [], site, meta=False)
        if target is not None and target.file is None:
            problems.append(Diagnostic(f"sitemap lists {url} ({target.problem})", rel))
    return problems


def _site(root: Path, base_url: str) -> _Site:
    host = urlsplit(base_url).netloc.lower() if "://" in base_url or base_url.startswith("//") else None
    return _Site(root, frozenset(_walk(root)), base_path(base_url), host or None, is_relative_mode(base_url))


def html_files(root: Path) -> list[str]:
    """The HTML files check_site reads (relative paths): all but copied vendor files and search indexes."""
    return [rel for rel in _walk(root) if rel.endswith((".html", ".htm")) and not _ignored(rel)]


def check_site(root: Path, base_url: str) -> list[Diagnostic]:
    """Every problem in the site built at root for base_url, page by page (path: the file under root)."""
    site = _site(root, base_url)
    pages = _Pages(root)
    problems: list[Diagnostic] = []
    for rel in sorted(site.files):
        if _ignored(rel):
            continue
        if rel.endswith((".html", ".htm")):
            problems.extend(_check_page(rel, site, pages))
        elif rel.endswith(FEED_SUFFIXES):
            data = (root / rel).read_bytes()
            root_tag = _root_tag(data)
            if posixpath.basename(rel) == "sitemap.xml" or root_tag in ("urlset", "sitemapindex"):
                problems.extend(_check_sitemap(rel, data, site))
            elif root_tag in ("feed", "rss", "RDF"):
                problems.extend(_check_feed(rel, data, site))
    log.debug("checked %d HTML files", len(pages.parsed))
    return problems
