"""Links in a source: relative ones resolved to site paths, links to other sources recorded."""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

from nbpress.model import SourceFile
from nbpress.urls import encode_path

SOURCE_EXTS = (".md", ".ipynb", ".py")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def content_link(rel: str, links: list[str] | None = None, content: Path | None = None,
                 probes: dict[str, bool] | None = None) -> Callable[[str], str]:
    """A resolver that turns links relative to a source into site paths ("/dir/x.png").

    A relative link names a file beside the source (as Quarto reads it) when there is one under
    `content`; otherwise it is left as written, relative to the page's URL (as Hugo leaves it).
    Links to other sources are recorded in `links`: their URLs are only known after routing. Every
    file looked for is recorded in `probes` (site path -> found), so a page made before the file was
    added or removed can be told from one made after.
    """
    folder = "/" + posixpath.dirname(rel)

    def resolve(href: str) -> str:
        if not href or href.startswith(("#", "?", "//")) or _SCHEME.match(href):
            return href  # this page, another host, mailto:, data:, attachment: ...
        rest, sep, fragment = href.partition("#")
        path, qsep, query = rest.partition("?")
        if path.startswith("/"):
            site_path = unquote(path)
        else:
            site_path = posixpath.normpath(posixpath.join(folder, unquote(path)))
            if content is not None:
                found = _exists(content, site_path)
                if probes is not None:
                    probes[site_path] = found
                if not found:
                    return href  # not a file of the site's sources: a link relative to the page
            if path.endswith("/") and site_path != "/":
                site_path += "/"
        site_path = encode_path(site_path)  # a source named `a#b.md` or `100%.md` keeps its name in the link
        if links is not None and site_path.endswith(SOURCE_EXTS):
            links.append(site_path)
        return site_path + qsep + query + sep + fragment

    return resolve


def _exists(content: Path, site_path: str) -> bool:
    """Whether a site path names a file under the content folder: the one test for a probe made and a probe
    checked again (a name too long, or with a NUL in it, `%00` in a link, names no file: os.path.exists says
    False). A string, not a Path: every build checks every page's probes."""
    return os.path.exists(f"{os.fspath(content)}/{site_path.lstrip('/')}")


def content_root(source: SourceFile, site_dir: Path) -> Path:
    """The content folder a source was found in."""
    return site_dir / source.path[: len(source.path) - len(source.rel)]


def probes_hold(probes: tuple[tuple[str, bool], ...], content: Path) -> bool:
    """Whether every file a page looked for is still there, or still missing."""
    return all(_exists(content, path) == found for path, found in probes)
