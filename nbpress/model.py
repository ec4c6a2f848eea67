"""The plain data that passes between the stages of a build."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from nbpress.errors import Diagnostic

T = TypeVar("T")


def evolve(item: T, **changes: Any) -> T:
    """A copy of a frozen dataclass with some fields changed: dataclasses.replace without calling __init__ again
    (a tenth of its time, and the route plan makes one per page every build). Only for classes without
    __post_init__ or slots, as every class here is."""
    new = object.__new__(type(item))
    new.__dict__.update(item.__dict__, **changes)
    return new


SourceKind = Literal["markdown", "ipynb", "py", "md-notebook"]


@dataclass(frozen=True)
class SourceFile:
    """A file under the content folder that becomes a page."""

    path: str  # relative to the site root, posix: "notebooks/nextjs/post.md"
    rel: str  # relative to the content folder: "nextjs/post.md"
    kind: Literal["md", "ipynb", "py"]
    mtime: float
    signature: str = ""  # mtime and size: changes when the file does
    paired: bool = False  # a jupytext text file whose .ipynb twin is the page


@dataclass(frozen=True)
class Asset:
    """A file under the content folder copied to the same relative path."""

    path: str  # relative to the site root
    rel: str  # relative to the content folder, and so to the output
    signature: str = ""


@dataclass(frozen=True)
class Author:
    name: str
    picture: str | None = None


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    id: str


@dataclass(frozen=True)
class PageFile:
    """A file written beside a page: an image output or a cell attachment."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Page:
    """One post, whatever format it came from."""

    source: str  # relative to the site root; the page's key
    slug: str
    title: str
    date: dt.datetime
    excerpt: str
    body: str  # HTML, from the one Markdown engine and the notebook renderer
    digest: str  # changes whenever anything rendered from this page may change
    kind: SourceKind = "markdown"
    dated: bool = True  # False: the date came from git or the file's mtime
    author: Author | None = None
    cover_image: str | None = None
    og_image: str | None = None
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    draft: bool = False
    layout: str | None = None
    execute: dict[str, Any] = field(default_factory=dict)
    depends: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    toc: tuple[Heading, ...] = ()
    files: tuple[PageFile, ...] = ()
    notebook: dict[str, Any] | None = None  # nbformat v4 JSON, until it is rendered
    has_math: bool = False
    scripts: tuple[str, ...] = ()  # what the page's outputs need: "widgets", "javascript", ...
    words: int = 0  # words of prose and code, for reading time
    links: tuple[str, ...] = ()  # site paths of the sources the body links to ("/b.md")
    probes: tuple[tuple[str, bool], ...] = ()  # files the body looked for, and whether they were there
    url: str = ""  # set by routing
    warnings: tuple[Diagnostic, ...] = ()  # problems found while loading or rendering it, for the build to report
    key_lines: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)  # front-matter key: line, cell
    pinned: int | None = None  # sticky_rank / pinned: listed first on the home page, lowest rank first
    permalink: str | None = None  # the page's own URL, instead of its layout's
    aliases: tuple[str, ...] = ()  # old URLs that redirect to the page

    @property
    def reading_minutes(self) -> int:
        """Minutes to read, at 220 words a minute."""
        return max(1, -(-self.words // 220))
    provenance: dict[str, Any] | None = None  # how a notebook's outputs were made


@dataclass(frozen=True)
class Collection:
    """The pages that share one value of a field: a category, a tag, ..."""

    field: str  # "category", "tag", or any front-matter field
    name: str  # as written in front matter
    slug: str  # its URL segment
    pages: tuple[str, ...]  # page sources, newest first
    url: str = ""  # its first collection page, set by routing


@dataclass(frozen=True)
class Route:
    """One output file made by rendering one layout."""

    url: str  # site path: "/posts/x/"
    output: str  # file under output/: "posts/x/index.html"
    layout: str  # layout path: "posts/[slug].html"
    page: str | None = None  # for [slug] routes, the page's source
    collection: Collection | None = None
    pages: tuple[str, ...] = ()  # the pages this route lists (after pagination)
    page_number: int = 1
    page_count: int = 1
    newer: str | None = None  # [slug] routes: the next and previous posts by date
    older: str | None = None
    related: tuple[str, ...] = ()  # [slug] routes: posts sharing tags and categories


@dataclass(frozen=True)
class OutputFile:
    """A file the build writes: rendered bytes, or a source copied as it is."""

    path: str  # relative to the output folder
    data: bytes | None = None
    copy_from: str | None = None  # absolute path of a file to copy
    digest: str = ""
