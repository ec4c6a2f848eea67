"""What a route read while it rendered, so that the next build renders it again exactly when that changed.

Lektor's idea: an artifact records the sources it read, and is current only if none of them changed.
While a layout renders, every page, collection, layout file and link target it is handed is recorded
as a key with the digest of what it saw. The next build computes the same keys over its own data; a
route whose keys all give the same digests would render the same bytes, and is not rendered again.

Keys: "p:<source>" a page, "c:<field>:<slug>" one collection, "C:<field>" the list of collections of a
field, "u:<site path>" where a link to a source goes, "t:<name>" a layout file, "s" the settings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, overload

from nbpress.hashing import digest
from nbpress.model import Collection, Page
from nbpress.urls import slugify

MISSING = "-"


def page_fingerprint(page: Page | None) -> str:
    """Everything a layout can see of a page: `digest` stands for the body and files, repr for the rest."""
    if page is None:
        return MISSING
    return digest(page.digest, repr(dataclasses.replace(page, body="", files=(), notebook=None)))


def collection_fingerprint(collection: Collection | None) -> str:
    if collection is None:
        return MISSING
    return digest(repr(collection))


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
            return page_fingerprint(self.pages.get(name))
        if kind == "c":
            field, _, slug = name.partition(":")
            return collection_fingerprint(self.collection(field, slug))
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

    def current(self, reads: Mapping[str, str]) -> bool:
        """Whether everything a route read is as it was."""
        return all(self.value(key) == seen for key, seen in reads.items())


class Reads:
    """The keys one route has read so far, with the digest of what it saw."""

    def __init__(self, data: SiteData) -> None:
        self.data = data
        self.seen: dict[str, str] = {}

    def read(self, key: str) -> None:
        if key not in self.seen:
            self.seen[key] = self.data.value(key)

    def page(self, source: str | None) -> Page | None:
        if source is None:
            return None
        self.read("p:" + source)
        return self.data.pages.get(source)

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


class PageList(Sequence[Page]):
    """Pages by source for a layout: a page counts as read when the layout takes it, not before.

    A feed handed every post but showing twenty reads twenty.
    """

    def __init__(self, sources: Sequence[str], reads: Reads) -> None:
        self._sources = [s for s in sources if s in reads.data.pages]
        self._reads = reads

    def __len__(self) -> int:
        return len(self._sources)

    @overload
    def __getitem__(self, index: int) -> Page: ...
    @overload
    def __getitem__(self, index: slice) -> PageList: ...

    def __getitem__(self, index: int | slice) -> Page | PageList:
        if isinstance(index, slice):
            return PageList(self._sources[index], self._reads)
        page = self._reads.page(self._sources[index])
        assert page is not None
        return page

    def __iter__(self) -> Iterator[Page]:
        for source in self._sources:
            page = self._reads.page(source)
            assert page is not None
            yield page

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
