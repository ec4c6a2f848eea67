"""Layouts: the built-in theme's files, overridden and extended by the site's layouts/."""

from __future__ import annotations

import os
from pathlib import Path

from nbpress.config import Settings

PACKAGE_DIR = Path(__file__).resolve().parent.parent
THEME_DIR = PACKAGE_DIR / "theme" / "layouts"
TEMPLATE_EXTS = (".html", ".xml", ".txt", ".json", ".webmanifest")


def _walk(root: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    if not root.is_dir():
        return found
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or name.endswith("~") or name.upper().startswith("README"):
                continue
            full = Path(folder) / name
            found[full.relative_to(root).as_posix()] = full
    return found


def layout_files(settings: Settings) -> dict[str, Path]:
    """Every layout path and the file that provides it: the site's wins over the theme's."""
    files = _walk(THEME_DIR)
    files.update(_walk(settings.layouts_path))
    return dict(sorted(files.items()))


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
