"""Reading a built Pagefind index the way its search does: which pages does a word find?

A bundle is a folder with `pagefind-entry.json`. Its files are gzip'd, start with the bytes
`pagefind_dcd`, and hold CBOR (the metadata and the word index) or JSON (one fragment per page):

    pagefind.<lang hash>.pf_meta    [version, [[page hash, word count], ...], [[from, to, chunk hash], ...], ...]
    index/<chunk hash>.pf_index     [[[word, [[page number, [positions], ...], ...], ...], ...]]
    fragment/<page hash>.pf_fragment  {"url": ..., "content": ..., "meta": {...}, ...}

A site may hold several bundles (e.g. one per shard, merged in the browser with `mergeIndex`):
every bundle under the output folder is searched, and the results are their union.
"""

from __future__ import annotations

import gzip
import json
import struct
from pathlib import Path
from typing import Any

HEADER = b"pagefind_dcd"


def _payload(path: Path) -> bytes:
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(HEADER):
        raise ValueError(f"{path}: not a Pagefind file (no {HEADER.decode()} header)")
    return data[len(HEADER):]


def cbor(data: bytes) -> Any:
    """Decode one CBOR item (RFC 8949: the types Pagefind writes, and indefinite lengths)."""
    value, end = _item(data, 0)
    if end != len(data):
        raise ValueError(f"{len(data) - end} bytes left after the CBOR item")
    return value


_BREAK = object()


def _item(data: bytes, at: int) -> tuple[Any, int]:
    first = data[at]
    major, info = first >> 5, first & 0x1F
    at += 1
    if first == 0xFF:
        return _BREAK, at
    if major == 7:
        if info == 25:
            return _half(data[at:at + 2]), at + 2
        if info in (26, 27):
            size = 4 if info == 26 else 8
            return struct.unpack(">f" if size == 4 else ">d", data[at:at + size])[0], at + size
        return {20: False, 21: True, 22: None, 23: None}.get(info), at
    if info == 31:  # indefinite length: items until a break
        items: list[Any] = []
        while True:
            item, at = _item(data, at)
            if item is _BREAK:
                break
            items.append(item)
        if major in (2, 3):
            return (b"" if major == 2 else "").join(items), at
        if major == 5:
            return dict(zip(items[::2], items[1::2], strict=True)), at
        return items, at
    if info < 24:
        n = info
    else:
        size = 1 << (info - 24)
        n, at = int.from_bytes(data[at:at + size], "big"), at + size
    if major == 0:
        return n, at
    if major == 1:
        return -1 - n, at
    if major == 2:
        return data[at:at + n], at + n
    if major == 3:
        return data[at:at + n].decode("utf-8"), at + n
    if major == 4:
        out = []
        for _ in range(n):
            item, at = _item(data, at)
            out.append(item)
        return out, at
    if major == 5:
        mapping = {}
        for _ in range(n):
            key, at = _item(data, at)
            mapping[key], at = _item(data, at)
        return mapping, at
    return _item(data, at)  # major 6: a tag; the tagged item is what counts


def _half(two: bytes) -> float:
    return float(struct.unpack(">e", two)[0])


def bundles(output: Path) -> list[Path]:
    """Every Pagefind bundle under a built site."""
    return sorted(p.parent for p in output.rglob("pagefind-entry.json"))


def _metas(bundle: Path) -> list[Any]:
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    return [cbor(_payload(bundle / f"pagefind.{lang['hash']}.pf_meta")) for lang in entry["languages"].values()]


def fragment(bundle: Path, page_hash: str) -> dict[str, Any]:
    """One page's fragment: its url, content (the indexed text), meta and filters."""
    data: dict[str, Any] = json.loads(_payload(bundle / "fragment" / f"{page_hash}.pf_fragment"))
    return data


def page_count(output: Path) -> int:
    """How many pages the site's search indexes hold, over every bundle and language."""
    return sum(len(meta[1]) for bundle in bundles(output) for meta in _metas(bundle))


def search(output: Path, word: str) -> dict[str, str]:
    """The pages whose index entry holds exactly `word` (lower case, as indexed): url -> indexed text."""
    found: dict[str, str] = {}
    for bundle in bundles(output):
        for meta in _metas(bundle):
            pages, chunks = meta[1], meta[2]
            for start, end, chunk in chunks:
                if not start <= word <= end:
                    continue
                for entry in cbor(_payload(bundle / "index" / f"{chunk}.pf_index"))[0]:
                    if entry[0] != word:
                        continue
                    for hit in entry[1]:
                        page = fragment(bundle, pages[hit[0]][0])
                        found[page["url"]] = page["content"]
    return found
