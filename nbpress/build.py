"""The order of the stages, in one place: discover, load, execute, route, render, write."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbpress import __version__
from nbpress.config import Settings, jobs
from nbpress.errors import Diagnostic, NbpressError, SettingsError
from nbpress.hashing import digest, signature
from nbpress.model import Asset, Collection, OutputFile, Page, SourceFile
from nbpress.output.state import BuildState, load_state, save_state
from nbpress.parallel import pmap
from nbpress.site.theme import is_route, is_template, layout_files, vendor_files
from nbpress.sources.discover import discover, git_dates
from nbpress.store import Store

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    """What a build did, for the command line to report."""

    pages: int = 0
    rendered: int = 0
    written: int = 0
    unchanged: bool = False
    seconds: float = 0.0
    warnings: list[Diagnostic] = field(default_factory=list)
    executed: dict[str, float] = field(default_factory=dict)


def check_output(settings: Settings) -> None:
    """Replacing output/ must never delete sources: it may not hold or sit inside them."""
    output = settings.output_path
    for folder in (settings.site_dir, settings.content_path, settings.layouts_path):
        folder = folder.resolve()
        if output == folder or output in folder.parents or (folder != settings.site_dir and folder in output.parents):
            raise SettingsError(f"output folder {output} would overwrite or mix with the sources in {folder}")


def _inputs_key(settings: Settings, sources: list[SourceFile], assets: list[Asset],
                layouts: dict[str, Path], watched: list[str], strict: bool) -> str:
    files = sorted(layouts.values())
    if settings.settings_file:
        files.append(settings.site_dir / settings.settings_file)
    files.extend(settings.site_dir / w for w in watched)
    options = dataclasses.asdict(settings) | {"version": __version__, "strict": strict}
    listing = [(s.path, s.signature) for s in sources] + [(a.path, a.signature) for a in assets]
    return signature(files, (options, listing))


def _load_chunk(site_dir: Path, chunk: Sequence[SourceFile]) -> list[Page | list[Diagnostic] | None]:
    from nbpress.sources.load import load_page

    out: list[Page | list[Diagnostic] | None] = []
    for source in chunk:
        try:
            out.append(load_page(source, site_dir))
        except NbpressError as exc:
            out.append(exc.diagnostics)
    return out


def load_pages(settings: Settings, sources: list[SourceFile], state: BuildState,
               problems: list[Diagnostic]) -> list[Page]:
    """Every page: reused from the last build when its Markdown file is unchanged."""
    pages: list[Page] = []
    todo: list[SourceFile] = []
    for source in sources:
        cached = state.pages.get(source.path)
        if cached and cached[0] == source.signature and source.kind == "md" and cached[1].notebook is None:
            pages.append(cached[1])
        else:
            todo.append(source)
    for result in pmap(_load_chunk, todo, settings.site_dir, jobs(settings)):
        if isinstance(result, list):
            problems.extend(result)
        elif result is not None:
            pages.append(result)
    undated = [p.source for p in pages if not p.dated]
    if undated:
        dates = git_dates(settings.site_dir, undated)
        pages = [
            dataclasses.replace(p, date=dates[p.source], digest=digest(p.digest, str(dates[p.source])))
            if p.source in dates else p
            for p in pages
        ]
    return pages


def _render_chunk(data: Any, chunk: Sequence[Any]) -> list[OutputFile]:
    from nbpress.site.render import render_each

    return list(render_each(chunk, data))


def _render_and_write(shared: tuple[Any, Path], chunk: Sequence[Any]) -> list[OutputFile]:
    """A worker's share of a fresh build: rendered and written (while it renders on), not sent back."""
    from nbpress.output.write import Writer
    from nbpress.site.render import render_each

    data, staging = shared
    written = []
    with Writer(staging) as writer:
        for item in render_each(chunk, data):
            writer.put(item)
            written.append(OutputFile(item.path, digest=item.digest))
    return written


def _layouts_digest(layouts: dict[str, Path]) -> str:
    h = hashlib.blake2b(digest_size=12)
    for name, path in layouts.items():
        h.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


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


def build(settings: Settings, executor: Any = None, progress: Any = None, strict: bool = False,
          search_index: bool = True) -> BuildResult:
    """Build the site into settings.output_path; raise NbpressError with every content problem."""
    started = time.perf_counter()
    check_output(settings)
    output = settings.output_path
    sources, assets = discover(settings)
    layouts = layout_files(settings)
    if not settings.search:
        layouts.pop("search.html", None)
    quick = load_state(Store(settings.site_dir), output, with_pages=False)
    key = _inputs_key(settings, sources, assets, layouts, quick.watched, strict)
    due = quick.expires is not None and dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat() >= quick.expires
    stale_index = settings.search and search_index and not quick.indexed
    if (quick.inputs == key and settings.execute != "force" and output.is_dir() and not due and not stale_index
            and all((output / p).exists() for p in quick.outputs)):
        return BuildResult(unchanged=True, seconds=time.perf_counter() - started, warnings=quick.warnings)

    # Heavy imports only past the no-change path, which must stay fast.
    from nbpress.site.render import RenderInput, layout_dirs, missing_site_url, route_digest
    from nbpress.site.route import collections, plan_routes, related_key, related_pages, with_collection_urls

    state = load_state(Store(settings.site_dir), output) if quick.inputs else BuildState()
    problems: list[Diagnostic] = []
    log.debug("discover and state: %.2f s", time.perf_counter() - started)
    pages = load_pages(settings, sources, state, problems)
    log.debug("load: %.2f s", time.perf_counter() - started)
    loaded = {p.source: p for p in pages}
    result = BuildResult()
    notebooks = [p for p in pages if p.notebook is not None]
    watched: list[str] = []
    if notebooks:
        from nbpress.execute import execute
        from nbpress.sources.notebook import render_notebook

        pages, exec_problems, report = execute(pages, settings, executor, progress)
        problems.extend(exec_problems)
        watched = report.watched
        result.executed = {"executed": report.executed, "cached": report.cached, "failed": report.failed,
                           "seconds": round(report.seconds, 2)}
        pages_by_source = {p.source: p for p in pages}
        for page in pages:
            if page.notebook is not None:
                pages_by_source[page.source] = render_notebook(page, settings.site_dir, settings.content_dir)
        pages = list(pages_by_source.values())
    # A post dated in the future is a draft until its date (then the next build publishes it).
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    upcoming = sorted(p.date for p in pages if p.date > now)
    pages = [dataclasses.replace(p, draft=True) if p.date > now else p for p in pages]
    if not settings.drafts:
        pages = [p for p in pages if not p.draft]
    related_for = related_key(pages)  # related posts change only when tags, categories or order do
    related = state.related[1] if state.related and state.related[0] == related_for else related_pages(pages)
    routes, pages, route_problems = plan_routes(layouts, pages, settings.page_size, related, settings.categories)
    problems.extend(route_problems)

    coll_urls = with_collection_urls(routes)

    def with_url(c: Collection) -> Collection:
        return dataclasses.replace(c, url=coll_urls.get((c.field, c.slug), ""))

    categories, tags, years = (tuple(map(with_url, collections(pages, f))) for f in ("category", "tag", "year"))
    routes = [dataclasses.replace(r, collection=with_url(r.collection)) if r.collection else r for r in routes]

    # Every other file of the site, and who claims each output path.
    files: list[OutputFile] = []
    claimed: dict[str, str] = {r.output: (r.page or f"layout {r.layout}") for r in routes}
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
    for page in pages:
        folder = page.url.lstrip("/")
        for page_file in page.files:
            files.append(OutputFile(folder + page_file.name, page_file.data, digest=digest(page_file.data)))
    for item in files:
        origin = item.copy_from or next((p.source for p in pages if item.path.startswith(p.url.lstrip("/"))), "")
        if item.path in claimed:
            problems.append(Diagnostic(f"two files would be written at /{item.path}: {claimed[item.path]} and {origin}",
                                       claimed[item.path]))
        claimed[item.path] = str(origin)
    result.warnings.extend(_missing_images(pages, set(claimed), settings.content_dir))
    errors = [p for p in problems if p.severity == "error"]
    result.warnings.extend(p for p in problems if p.severity == "warning")
    if strict:
        errors += [dataclasses.replace(w, severity="error") for w in result.warnings]
    if errors:
        raise NbpressError(errors)
    result.warnings.extend(w for w in [missing_site_url(settings)] if w)  # advice: --strict does not fail on it

    data = RenderInput(
        settings=settings, layout_dirs=layout_dirs(settings), pages={p.source: p for p in pages},
        categories=categories, tags=tags, years=years,
        source_urls={"/" + p.source[len(settings.content_dir) + 1:]: p.url for p in pages if p.url},
        layouts_digest=_layouts_digest(layouts) + digest(repr(dataclasses.asdict(settings))),
        compiled=Store(settings.site_dir).templates_dir(),
    )
    fresh = strict or not (state.inputs and output.is_dir())  # strict: check a staged site before it goes live
    todo = routes if fresh else []  # a fresh build renders everything: rendering computes each digest
    for route in routes if not fresh else ():
        route_key = route_digest(route, data)
        if state.outputs.get(route.output) == route_key:
            files.append(OutputFile(route.output, digest=route_key))
        else:
            todo.append(route)
    log.debug("route: %.2f s", time.perf_counter() - started)
    from nbpress.output.search import index_site
    from nbpress.output.write import Writer, discard, publish, stage, write_changes

    if fresh:
        staging = stage(output)
        try:
            rendered = pmap(_render_and_write, todo, (data, staging), jobs(settings), threshold=200)
            with Writer(staging) as writer:
                for item in files:
                    writer.put(item)
            if settings.search and search_index:
                problem = index_site(staging)
                result.warnings.extend([problem] if problem else [])
            if strict:
                from nbpress.check import check_site

                found = check_site(staging, settings.base_url, jobs=jobs(settings))
                if found:
                    raise NbpressError([dataclasses.replace(d, severity="error", path=f"{output.name}/{d.path}")
                                        for d in found])
            publish(staging, output)
        except BaseException:
            discard(staging)
            raise
        files.extend(rendered)
        result.written = len(files)
    else:
        rendered = pmap(_render_chunk, todo, data, jobs(settings), threshold=200)
        files.extend(rendered)
        result.written = write_changes(output, files, state.outputs)
        if settings.search and search_index and (not state.indexed or any(f.path.endswith(".html") for f in rendered)):
            problem = index_site(output)
            result.warnings.extend([problem] if problem else [])
    result.rendered = len(rendered)
    new_state = BuildState(
        inputs=_inputs_key(settings, sources, assets, layouts, watched, strict),
        outputs={f.path: f.digest for f in files},
        watched=watched,
        warnings=result.warnings,
        expires=upcoming[0].isoformat() if upcoming else None,
        related=(related_for, related),
        indexed=search_index or not settings.search or (state.indexed and not any(
            f.path.endswith(".html") for f in rendered)),
        pages={p.source: (s.signature, loaded[p.source]) for s in sources for p in [loaded.get(s.path)] if p},
    )
    log.debug("write: %.2f s", time.perf_counter() - started)
    save_state(Store(settings.site_dir), output, new_state)
    result.pages = len(pages)
    result.seconds = time.perf_counter() - started
    return result
