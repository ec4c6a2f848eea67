"""What a route read while it rendered, so that the next build renders it again exactly when that changed.

Lektor's idea: an artifact records the sources it read, and is current only if none of them changed.
While a layout renders, every attribute of a page it takes, every collection, layout file and link
target is recorded as a key. Each route stores its keys, and the build state the digest of what each
key named; the next build computes the same keys over its own data, and a route none of whose keys
changed would render the same bytes, so it is not rendered again. A post whose body changed renders
again its own page and the feeds that carry the body, not every card that shows its title.

Keys: "p:<attribute>:<source>" one attribute of a page, "c:<field>:<slug>" one collection,
"C:<field>" the list of collections of a field, "u:<site path>" where a link to a source goes,
"t:<name>" a layout file, "s" the settings.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, overload

from nbpress.hashing import digest
from nbpress.model import Collection, Page
from nbpress.urls import slugify

MISSING = "-"


@dataclasses.dataclass(frozen=True)
class SiteData:
    """What every route of one build may read, and the digest of each key over it (computed once)."""

    pages: Mapping[str, Page]
    collections: Mapping[str, tuple[Collection, ...]]  # "category", "tag", "year" -> its collections
    source_urls: Mapping[str, str]  # "/nextjs/post.md" -> "/posts/post/"
    layouts: Mapping[str, str]  # layout name -> digest of its file
    settings: str  # digest of the settings layouts see
    memo: dict[str, str] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def value(self, key: str) -> str:
        """The digest of what `key` names in this build."""
        known = self.memo.get(key)
        if known is None:
            known = self.memo[key] = self._compute(key)
        return known

    def _compute(self, key: str) -> str:
        kind, _, name = key.partition(":")
        if kind == "p":
            attribute, _, source = name.partition(":")
            page = self.pages.get(source)
            if page is None:
                return MISSING
            value = getattr(page, attribute, MISSING)
            return digest(value) if isinstance(value, str) else digest(repr(value))  # a body: no repr of 30 kB
        if kind == "c":
            field, _, slug = name.partition(":")
            collection = self.collection(field, slug)
            return MISSING if collection is None else digest(repr(collection))
        if kind == "C":
            return digest(repr(self.collections.get(name, ())))
        if kind == "u":
            return self.source_urls.get(name, MISSING)
        if kind == "t":
            return self.layouts.get(name, MISSING)
        if kind == "s":
            return self.settings
        raise ValueError(f"unknown read key {key!r}")

    def collection(self, field: str, slug: str) -> Collection | None:
        return next((c for c in self.collections.get(field, ()) if c.slug == slug), None)

    def reuse(self, pages: Mapping[str, Page], values: Mapping[str, str]) -> None:
        """Take the digests of page attributes from an earlier build in this process, for the pages that are
        equal to what they were then (a dev server's rebuild after one edit computes the edited page's only)."""
        same: dict[str, bool] = {}
        for key, value in values.items():
            if key.startswith("p:"):
                source = key.split(":", 2)[2]
                if source not in same:
                    same[source] = source in self.pages and pages.get(source) == self.pages[source]
                if same[source]:
                    self.memo[key] = value

    def changed(self, before: Mapping[str, str]) -> set[str]:
        """The keys whose digest is not what it was (`before`: key -> digest in the last build)."""
        return {key for key, seen in before.items() if self.value(key) != seen}


class Reads:
    """The keys one route has read so far, in the order it read them."""

    def __init__(self, data: SiteData) -> None:
        self.data = data
        self.seen: dict[str, None] = {}

    def read(self, key: str) -> None:
        if key not in self.seen:
            self.seen[sys.intern(key)] = None  # one string per key in the build state, however many read it

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self.seen)

    def page(self, source: str | None, body: Callable[[], str] | None = None) -> PageView | None:
        """The page for a layout, or None; `body` makes its body (its links rewritten for this route)."""
        if source is None or source not in self.data.pages:
            return None
        return PageView(self.data.pages[source], self, body)

    def pages(self, sources: Sequence[str]) -> PageList:
        return PageList(sources, self)

    def pages_of(self, collection: Collection) -> PageList:
        """A collection's pages, newest first: the collection counts as read, and each page as it is taken."""
        self.read(f"c:{collection.field}:{collection.slug}")
        return PageList(collection.pages, self)

    def collections(self, field: str) -> CollectionList:
        return CollectionList(field, self)

    def collection(self, kind: str, name: str) -> Collection | None:
        field = {"categories": "category", "tags": "tag"}.get(kind, kind)
        slug = slugify(name)
        self.read(f"c:{field}:{slug}")
        return self.data.collection(field, slug)

    def source_url(self, path: str) -> str | None:
        self.read("u:" + path)
        return self.data.source_urls.get(path)


class PageView:
    """A page as a layout sees it: an attribute counts as read when the layout takes it."""

    __slots__ = ("_body", "_page", "_reads")

    def __init__(self, page: Page, reads: Reads, body: Callable[[], str] | None = None) -> None:
        self._page, self._reads, self._body = page, reads, body

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        value = getattr(self._page, name)  # an attribute a page does not have: Jinja2's undefined
        self._reads.read(f"p:{name}:{self._page.source}")
        if name == "body" and self._body is not None:
            return self._body()
        return value

    def __repr__(self) -> str:
        return f"PageView({self._page.source!r})"


class PageList(Sequence[PageView]):
    """Pages by source for a layout: a feed handed every post but showing twenty reads twenty."""

    def __init__(self, sources: Sequence[str], reads: Reads) -> None:
        self._sources = [s for s in sources if s in reads.data.pages]
        self._reads = reads

    def __len__(self) -> int:
        return len(self._sources)

    @overload
    def __getitem__(self, index: int) -> PageView: ...
    @overload
    def __getitem__(self, index: slice) -> PageList: ...

    def __getitem__(self, index: int | slice) -> PageView | PageList:
        if isinstance(index, slice):
            return PageList(self._sources[index], self._reads)
        view = self._reads.page(self._sources[index])
        assert view is not None
        return view

    def __iter__(self) -> Iterator[PageView]:
        for source in self._sources:
            view = self._reads.page(source)
            assert view is not None
            yield view

    def __add__(self, other: Sequence[Any]) -> list[Any]:
        return [*self, *other]

    def __radd__(self, other: Sequence[Any]) -> list[Any]:
        return [*other, *self]

    def __repr__(self) -> str:
        return f"PageList({self._sources!r})"


class CollectionList(Sequence[Collection]):
    """The collections of one field (every category, say): read as a whole when the layout touches it."""

    def __init__(self, field: str, reads: Reads) -> None:
        self._items = tuple(reads.data.collections.get(field, ()))
        self._touch: Callable[[], None] = lambda: reads.read("C:" + field)

    def __len__(self) -> int:
        self._touch()
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> Collection: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Collection]: ...

    def __getitem__(self, index: int | slice) -> Any:
        self._touch()
        return self._items[index]

    def __iter__(self) -> Iterator[Collection]:
        self._touch()
        return iter(self._items)

    def __add__(self, other: Sequence[Any]) -> list[Any]:
        return [*self, *other]

    def __radd__(self, other: Sequence[Any]) -> list[Any]:
        return [*other, *self]
