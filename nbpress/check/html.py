"""Reading a built page: the URLs it refers to and the ids it defines.

Pages are read with a small tokenizer rather than `html.parser.HTMLParser`. The stdlib parser
spends some 20 µs on every tag, start and end (5 ms for one post of the built-in theme, whose
highlighted code is hundreds of <span>s): 7 s for the 1000-post bench site. The tokenizer lets
the regex engine skip every tag but those that carry a URL, and reads that site in a fraction of
it. It follows HTML where it matters here: comments, and the raw text of <script> (JSON of plots
and widgets included), <style>, <textarea> and <title>, hold no tags; quoted attribute values
may hold '>'; values are unescaped with `html.unescape`; of two equal attributes the first wins.
"""

from __future__ import annotations

import bisect
import html
import re
from dataclasses import dataclass
from typing import Literal, NamedTuple

Kind = Literal["link", "image", "script", "stylesheet", "media", "file"]

# --- reading a page ------------------------------------------------------------------------------

# A tag's attributes up to its closing '>', quoted values may hold '>'. Written without nested
# quantifiers, so a stray quote cannot make the search backtrack badly.
_ATTRS = r"""[^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*"""
_ATTR = re.compile(r"""([^\s/>="']+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]*))?""")

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

# One pass over the page in C. Comments, and the raw text of script, style, textarea and title, are consumed
# whole; of the other tags only those that can carry a URL stop the scan; ids are found in a second pass.
# Lower-case names let the regex engine skip from '<' to '<' (re.IGNORECASE would read every character),
# so pages with an upper-case tag (rare since HTML 4) take the slower, case-blind patterns.
_TOKEN_SOURCE = (
    r"<!--.*?(?:--!?>|\Z)"
    rf"|<(?P<raw>script|style|textarea|title)(?=[\s/>])(?P<rawattrs>{_ATTRS})>(?P<text>.*?)(?:</(?P=raw)[\s/>]|\Z)"
    rf"|<(?P<tag>{'|'.join(sorted(_WANTED - {'script', 'meta'}))})(?=[\s/>])(?P<attrs>{_ATTRS})>"
    # of the many <meta>s, only those that can hold a description or a URL
    rf"|<meta(?=\s[^>]*(?i:description|image|og:url))(?P<metaattrs>{_ATTRS})>"
)
_TOKEN = re.compile(_TOKEN_SOURCE, re.S)
_TOKEN_ANY_CASE = re.compile(_TOKEN_SOURCE, re.S | re.I)
_UPPER_CASE_TAG = re.compile(r"</?[A-Z]")
_ID = re.compile(r"""id\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""")
_ID_ANY_CASE = re.compile(_ID.pattern, re.I)
_SPACE = frozenset(" \t\n\r\f")


class Ref(NamedTuple):  # a NamedTuple, not a dataclass: there are a hundred in every page
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
        found.setdefault(name, _unquote_attr(value) if value else "")
    return found


def _srcset(value: str) -> list[str]:
    if value.lstrip().startswith("data:"):
        return []
    return [part.split()[0] for part in value.split(",") if part.strip()]


def _unquote_attr(value: str) -> str:
    if value[:1] in "\"'" and len(value) >= 2 and value[0] == value[-1]:
        value = value[1:-1]
    return html.unescape(value) if "&" in value else value


def _ids(text: str, pattern: re.Pattern[str], skip: list[tuple[int, int]]) -> set[str]:
    """The id attributes of every tag, but not in comments or raw text (skip: their spans, in order)."""
    ids = set()
    starts = [start for start, _ in skip]
    for match in pattern.finditer(text):
        pos = match.start()
        if pos == 0 or text[pos - 1] not in _SPACE or text.rfind("<", 0, pos) < text.rfind(">", 0, pos):
            continue  # "grid=", or "id =" in the text of the page
        index = bisect.bisect_right(starts, pos) - 1
        if index >= 0 and pos < skip[index][1]:
            continue
        ids.add(_unquote_attr(match.group(1)))
    return ids


class Tag(NamedTuple):
    """What one start tag tells: URLs (kind, url, from <meta>), an <a name>, a meta description."""

    urls: tuple[tuple[Kind, str, bool], ...] = ()
    name: str | None = None
    description: str | None = None


_NOTHING = Tag()


def _read_tag(tag: str, raw: str) -> Tag:
    attrs = _attrs(raw) if raw else {}
    found: list[tuple[Kind, str, bool]] = []
    if tag == "meta":
        name = (attrs.get("name") or attrs.get("property") or "").lower()
        if name == "description":
            return Tag(description=attrs.get("content", "").strip())
        if name in _META_URLS and attrs.get("content"):
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
    elif tag in _URL_ATTRS:
        for attr, attr_kind in _URL_ATTRS[tag]:
            if attr == "srcset":
                found.extend((attr_kind, url, False) for url in _srcset(attrs.get(attr, "")))
            elif attr in attrs:
                found.append((attr_kind, attrs[attr], False))
    anchor = (attrs.get("name") or None) if tag == "a" else None
    return Tag(tuple(dict.fromkeys(found)), anchor) if found or anchor else _NOTHING


def parse_html(text: str, cache: dict[str, Tag] | None = None) -> ParsedPage:
    """The ids, anchors (<a name>), URLs, <title> and meta description of one HTML document.

    cache: tags already read (pages of one site share most of theirs), to fill and reuse across pages.
    """
    any_case = _UPPER_CASE_TAG.search(text) is not None or "ID=" in text or "Id=" in text or "iD=" in text
    token, id_pattern = (_TOKEN_ANY_CASE, _ID_ANY_CASE) if any_case else (_TOKEN, _ID)
    names: set[str] = set()
    skip: list[tuple[int, int]] = []
    refs: list[Ref] = []
    title: str | None = None
    description: str | None = None
    in_body = False
    line, counted = 1, 0
    cache = {} if cache is None else cache
    seen: set[str] = set()  # a tag written twice in a page (a nav link) is read once
    for match in token.finditer(text):
        key = match.group()
        if key in seen:
            continue
        info = cache.get(key)
        if info is None:
            group = match.lastgroup
            if group is None:  # a comment: nothing in it counts
                skip.append(match.span())
                continue
            if group == "text":  # raw text: no tags in it
                skip.append(match.span("text"))
                tag = match.group("raw").lower()
                if tag == "title" and title is None and not in_body:
                    title = html.unescape(match.group("text")).strip()
                if tag != "script":
                    continue
                info = _read_tag("script", match.group("rawattrs"))  # not cached: the key holds the script
            elif group == "metaattrs":
                info = cache[key] = _read_tag("meta", match.group("metaattrs"))
            else:
                tag = match.group("tag").lower()
                if tag == "body":
                    in_body = True
                    continue
                info = cache[key] = _read_tag(tag, match.group("attrs"))
        seen.add(key)
        if info is _NOTHING:
            continue
        if info.description is not None and description is None:
            description = info.description
        if info.name:
            names.add(info.name)
        if info.urls:
            line += text.count("\n", counted, match.start())
            counted = match.start()
            refs.extend([Ref(kind, url, line, meta) for kind, url, meta in info.urls])
    ids = _ids(text, id_pattern, skip) | names
    return ParsedPage(frozenset(ids), tuple(refs), title, description)


