"""Which folder nbpress may replace: only one it wrote itself (its marker says so), never one holding sources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nbpress.config import Settings
from nbpress.errors import SettingsError

MARKER = ".nbpress-build.json"  # written into every site nbpress publishes
GENERATOR = "nbpress"


def read_marker(output: Path) -> dict[str, Any] | None:
    """What the marker of a built site says (build id, base_url), or None if nbpress did not write it."""
    try:
        data = json.loads((output / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("generator") == GENERATOR else None


def marker_bytes(settings: Settings) -> bytes:
    """The marker of a site about to be published: the same bytes for the same site, however it was built.

    It says how the site was built (`nbpress check` reads its base_url); a new file is made for every
    tree published, so the build state can tell which tree it describes by the file's identity.
    """
    data = {"generator": GENERATOR, "base_url": settings.base_url, "site_url": settings.site_url}
    return (json.dumps(data, sort_keys=True, indent=1) + "\n").encode()


def _refuse(output: Path, why: str, how: str) -> SettingsError:
    return SettingsError(f"will not write the site to {output}: {why}; {how}")


def check_output(settings: Settings, legacy: set[str] | None = None) -> None:
    """Refuse (exit 2) an output folder that nbpress must not replace.

    Never .git, .nbpress or a folder that holds or sits above the sources; an existing folder only
    when it is empty or holds a site nbpress built (its marker, or for sites built before markers,
    exactly the files the build state in `legacy` recorded).
    """
    output = settings.output_path
    parts = set(output.parts)
    if ".git" in parts or ".nbpress" in parts:
        name = ".git" if ".git" in parts else ".nbpress"
        raise _refuse(output, f"it is inside {name}", "choose another --output or output_dir")
    site = settings.site_dir.resolve()
    for folder in (site, settings.content_path.resolve(), settings.layouts_path.resolve()):
        if output == folder or output in folder.parents:
            raise _refuse(output, f"it holds the sources in {folder}", "choose a folder of its own, such as output/")
        if folder != site and folder in output.parents:
            raise _refuse(output, f"it is inside the sources in {folder}", "choose a folder outside them")
    if not output.exists():
        return
    if not output.is_dir():
        raise _refuse(output, "it is a file, not a folder", "remove it or choose another --output")
    if (output / ".git").exists():
        raise _refuse(output, "it holds a git repository (.git)", "choose another --output; nbpress replaces "
                      "the whole folder on every build")
    if read_marker(output) is not None:
        return
    if not any(output.iterdir()):
        return
    if legacy and all(p.is_dir() or p.relative_to(output).as_posix() in legacy for p in output.rglob("*")):
        return
    raise _refuse(output, f"it is not empty and nbpress did not build it (no {MARKER} in it)",
                  "empty or remove it yourself, or choose another --output")
