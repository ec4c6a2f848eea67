"""Layouts: the built-in theme's files, overridden and extended by the site's layouts/."""

from __future__ import annotations

import os
from pathlib import Path

from nbpress.config import Settings
from nbpress.errors import Diagnostic
from nbpress.files import ignored, walk

PACKAGE_DIR = Path(__file__).resolve().parent.parent
THEME_DIR = PACKAGE_DIR / "theme" / "layouts"
TEMPLATE_EXTS = (".html", ".xml", ".txt", ".json", ".webmanifest")


def layout_ignored(name: str) -> bool:
    """A name under layouts/ that is no layout: what nbpress.files ignores, and READMEs."""
    return ignored(name) or name.upper().startswith("README")


def _theme_files() -> dict[str, Path]:
    """The built-in theme's layouts: files of the installed package, trusted as they are."""
    found: dict[str, Path] = {}
    for folder, dirs, names in os.walk(THEME_DIR):
        dirs[:] = sorted(d for d in dirs if not layout_ignored(d))
        for name in sorted(n for n in names if not layout_ignored(n)):
            full = Path(folder) / name
            found[full.relative_to(THEME_DIR).as_posix()] = full
    return found


def layout_files(settings: Settings, search: bool = True) -> tuple[dict[str, Path], list[Diagnostic]]:
    """Every layout path and the file that provides it (the site's wins over the theme's; no search page
    without search), and warnings about the site's layout files that were skipped (symlinks out of the
    site, pipes)."""
    files = _theme_files()
    found, problems = walk(settings.layouts_path, settings.site_dir, layout_ignored,
                           skip=(settings.output_path, settings.state_path))
    files.update((Path(f.path).relative_to(settings.layouts_path).as_posix(), Path(f.path)) for f in found)
    if not search:
        files.pop("search.html", None)
    return dict(sorted(files.items())), problems


def is_template(path: str) -> bool:
    """Templates are rendered with Jinja2; other layout files (CSS, fonts) are copied."""
    return path.endswith(TEMPLATE_EXTS)


def is_route(path: str) -> bool:
    """A layout whose path is a URL: no part of it starts with `_`."""
    return not any(part.startswith("_") for part in path.split("/"))


def vendor_files(name: str) -> dict[str, Path]:
    """Scripts that notebook outputs need (output path -> file); empty if they cannot be found."""
    if name == "katex":
        folder = PACKAGE_DIR / "theme" / "vendor" / "katex"
        files = [p for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix != ".txt"]
        return {f"static/vendor/katex/{p.relative_to(folder).as_posix()}": p for p in files}
    if name == "vega":
        folder = PACKAGE_DIR / "theme" / "vendor" / "vega"
        return {f"static/vendor/vega/{p.name}": p for p in sorted(folder.iterdir()) if p.suffix == ".js"}
    if name == "widgets":
        folder = PACKAGE_DIR / "theme" / "vendor" / "widgets"
        return {f"static/vendor/widgets/{p.name}": p for p in sorted(folder.iterdir()) if p.suffix != ".txt"}
    if name == "plotly":
        import importlib.util

        spec = importlib.util.find_spec("plotly")
        if spec and spec.submodule_search_locations:
            path = Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"
            if path.is_file():
                return {"static/vendor/plotly.min.js": path}
    return {}
