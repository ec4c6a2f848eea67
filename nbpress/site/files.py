"""The files of a site that are not rendered: assets, the theme's static files, vendored scripts, page files."""

from __future__ import annotations

from pathlib import Path

from nbpress.config import Settings
from nbpress.errors import Diagnostic
from nbpress.hashing import digest, signature
from nbpress.model import Asset, OutputFile, Page, Route
from nbpress.site.theme import is_route, is_template, vendor_files


def site_files(settings: Settings, layouts: dict[str, Path], assets: list[Asset], pages: list[Page],
               routes: list[Route]) -> tuple[list[OutputFile], list[Diagnostic]]:
    """Every file copied or written as it is, and the problems found: two files at one path, scripts
    that outputs need and nbpress cannot find, images the front matter names that are not there."""
    files: list[OutputFile] = []
    problems: list[Diagnostic] = []
    for asset in assets:
        files.append(OutputFile(asset.rel, copy_from=str(settings.site_dir / asset.path), digest=asset.signature))
    for name, path in layouts.items():
        if not is_template(name) and is_route(name):
            files.append(OutputFile(name, copy_from=str(path), digest=signature([path])))
    needed = {s for p in pages for s in p.scripts if s != "javascript"}
    if any(p.has_math for p in pages):
        needed.add("katex")
    for name in sorted(needed):
        vendored = vendor_files(name)
        if not vendored:
            users = ", ".join(p.source for p in pages if name in p.scripts)
            problems.append(Diagnostic(f"{name} outputs cannot be shown: install the '{name}' package where nbpress "
                                       f"runs (used by {users})", severity="warning"))
        for url, script in vendored.items():
            files.append(OutputFile(url, copy_from=str(script), digest=signature([script])))
    owner: dict[str, str] = {}
    for page in pages:
        folder = page.url.lstrip("/")
        for page_file in page.files:
            files.append(OutputFile(folder + page_file.name, page_file.data, digest=digest(page_file.data)))
            owner[folder + page_file.name] = page.source
    claimed: dict[str, str] = {r.output: (r.page or f"layout {r.layout}") for r in routes}
    for item in files:
        origin = item.copy_from or owner.get(item.path, "")
        if item.path in claimed:
            problems.append(Diagnostic(f"two files would be written at /{item.path}: {claimed[item.path]} and "
                                       f"{origin}", claimed[item.path]))
        claimed[item.path] = origin
    problems.extend(_missing_images(pages, set(claimed), settings.content_dir))
    return files, problems


def _missing_images(pages: list[Page], present: set[str], content_dir: str) -> list[Diagnostic]:
    warnings = []
    for page in pages:
        refs = [("coverImage", page.cover_image), ("ogImage", page.og_image),
                ("author.picture", page.author.picture if page.author else None)]
        seen = set()
        for key, ref in refs:
            if ref in seen:
                continue
            seen.add(ref)
            if ref and ref.startswith("/") and not ref.startswith("//") and ref.lstrip("/") not in present:
                warnings.append(Diagnostic(f"{key} '{ref}' not found (expected {content_dir}{ref})",
                                           page.source, severity="warning"))
    return warnings
