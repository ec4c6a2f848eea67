"""URL names and links: safe path segments, and every link built from base_url."""

from __future__ import annotations

import functools
import hashlib
import posixpath
import re
import unicodedata
from urllib.parse import quote, urljoin, urlsplit

_RESERVED = {"con", "prn", "aux", "nul"} | {f"{n}{i}" for n in ("com", "lpt") for i in range(10)}
_UNSAFE = re.compile(r"[^\w]+", re.UNICODE)


# A URL segment is a folder name in output/, and file systems allow 255 bytes: a longer one is cut, and a hash
# of the whole keeps two long names that share a start apart. Slugs from file names (at most 255 bytes with
# the extension) are almost never cut, so their URLs stay as they were.
MAX_SEGMENT_BYTES = 200


@functools.lru_cache(maxsize=65536)
def slugify(value: str, max_bytes: int | None = MAX_SEGMENT_BYTES) -> str:
    """A safe URL segment: Unicode letters and digits kept, the rest folded into '-'; at most `max_bytes`
    bytes of UTF-8 (a longer one is cut and ends in a short hash of the whole)."""
    text = unicodedata.normalize("NFKC", str(value)).lower()
    text = _UNSAFE.sub("-", text.replace("_", "-")).strip("-")
    if not text:
        return "untitled"
    if text.split("-")[0] in _RESERVED and len(text.split("-")[0]) == len(text):
        text += "-"
    encoded = text.encode("utf-8")
    if max_bytes is not None and len(encoded) > max_bytes:
        suffix = "-" + hashlib.blake2b(encoded, digest_size=4).hexdigest()
        head = encoded[: max_bytes - len(suffix)].decode("utf-8", "ignore").rstrip("-")
        text = head + suffix
    return text


def is_relative_mode(base_url: str) -> bool:
    """A base_url of "" or "./" makes every link relative to its page (works from file://)."""
    return base_url in ("", ".", "./")


def base_path(base_url: str) -> str:
    """The path part of base_url, with leading and trailing slash: "/repo/"."""
    if is_relative_mode(base_url):
        return "/"
    path = urlsplit(base_url).path if "://" in base_url else base_url
    return "/" + path.strip("/") + "/" if path.strip("/") else "/"


def link(target: str, current: str, base_url: str) -> str:
    """A link from the page at site path `current` to site path `target`."""
    if not target.startswith("/"):
        return target
    if not is_relative_mode(base_url):
        return base_path(base_url)[:-1] + quote(target, safe="/#?=&%~:+@!$,;")
    path, sep, fragment = target.partition("#")
    start = current if current.endswith("/") else posixpath.dirname(current) + "/"
    rel = posixpath.relpath(path, start) if path != start else "."
    if path.endswith("/"):
        rel = (rel.rstrip("/") + "/index.html") if rel != "." else "index.html"
    return quote(rel, safe="/#?=&%~:+@!$,;.") + sep + fragment


def site_root(base_url: str, site_url: str = "") -> str:
    """The site's absolute address with a trailing slash ("https://user.github.io/repo/"), or "" if unknown.

    An absolute base_url is the address; else site_url, under base_url's path when site_url names only a host.
    """
    if "://" in base_url:
        return base_url.rstrip("/") + "/"
    if not site_url:
        return ""
    parts = urlsplit(site_url)
    if parts.path.strip("/") or is_relative_mode(base_url):
        return site_url.rstrip("/") + "/"
    return f"{parts.scheme}://{parts.netloc}{base_path(base_url)}"


def absolute(target: str, base_url: str, site_url: str = "") -> str:
    """An absolute URL for feeds and meta tags (a path when the site's address is not known)."""
    if target.startswith(("http://", "https://", "//")):
        return target
    root = site_root(base_url, site_url)
    if root:
        return urljoin(root, quote(target.lstrip("/"), safe="/#?=&%~:+@!$,;"))
    return base_path(base_url)[:-1] + quote(target, safe="/#?=&%~:+@!$,;")


def encode_path(path: str) -> str:
    """A site path with the characters that would end or change it (`#`, `?`, `%`, spaces) percent-encoded."""
    return re.sub(r"[%#?\s]", lambda m: quote(m.group()), path)


def output_file(url: str) -> str:
    """The file under output/ that serves a site path."""
    path = url.lstrip("/")
    return path + "index.html" if path.endswith("/") or not path else path


_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)(?:</script\s*>|\Z)", re.IGNORECASE | re.DOTALL)
_SRC = re.compile(r"""\ssrc\s*=\s*["']?([^\s"'>]+)""", re.IGNORECASE)
_TYPE = re.compile(r"""\stype\s*=\s*["']?([^\s"'>]+)""", re.IGNORECASE)
_QUOTED_URL = re.compile(r"""["'`](?:https?:)?//([A-Za-z0-9][A-Za-z0-9.-]*(?::\d+)?)(?=[/"'`?#])""")
_JS_TYPES = ("", "text/javascript", "application/javascript", "module")


def script_hosts(html: str) -> list[str]:
    """The other hosts an HTML fragment's scripts load from, sorted: those of <script src>, and those its
    inline scripts name (require.js paths, script loaders such as Altair's)."""
    if "<script" not in html.lower():
        return []
    hosts: set[str] = set()
    for attrs, body in _SCRIPT.findall(html):
        kind = _TYPE.search(attrs)
        if kind and kind.group(1).lower() not in _JS_TYPES:
            continue  # JSON data for a page script (figures, specs, widget state), not code
        src = _SRC.search(attrs)
        if src and "//" in src.group(1) and urlsplit(src.group(1)).netloc:
            hosts.add(urlsplit(src.group(1)).netloc.lower())
        hosts.update(host.lower() for host in _QUOTED_URL.findall(body))
    return sorted(hosts)
