"""Links in a source: relative ones resolved to site paths, links to other sources recorded."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

from nbpress.model import SourceFile

SOURCE_EXTS = (".md", ".ipynb", ".py")


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
        if not href or href.startswith(("#", "mailto:", "data:", "attachment:", "?")) or "://" in href:
            return href
        path, sep, fragment = href.partition("#")
        if path.startswith("/"):
            site_path = path
        else:
            site_path = posixpath.normpath(posixpath.join(folder, unquote(path)))
            if content is not None:
                found = (content / site_path.lstrip("/")).exists()
                if probes is not None:
                    probes[site_path] = found
                if not found:
                    return href  # not a file of the site's sources: a link relative to the page
            if path.endswith("/") and site_path != "/":
                site_path += "/"
        if links is not None and site_path.endswith(SOURCE_EXTS):
            links.append(site_path)
        return site_path + (sep + fragment if sep else "")

    return resolve


def content_root(source: SourceFile, site_dir: Path) -> Path:
    """The content folder a source was found in."""
    return site_dir / source.path[: len(source.path) - len(source.rel)]


def probes_hold(probes: tuple[tuple[str, bool], ...], content: Path) -> bool:
    """Whether every file a page looked for is still there, or still missing."""
    return all((content / path.lstrip("/")).exists() == found for path, found in probes)
