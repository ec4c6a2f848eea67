"""The order of the stages, in one place: discover, load, execute, route, render, write."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbpress.config import Settings, jobs
from nbpress.errors import Diagnostic, Diagnostics, NbpressError
from nbpress.execute import Executor, Progress
from nbpress.hashing import digest, signature
from nbpress.model import Asset, OutputFile, Page, SourceFile
from nbpress.output.guard import MARKER, check_output, marker_bytes
from nbpress.output.lock import build_lock
from nbpress.output.state import BuildState, Loaded, RouteRecord, code_version, identity, load_state, save_state
from nbpress.output.write import Staging, Trees, tree_folders
from nbpress.parallel import pmap
from nbpress.site.route import SitePlan, plan_site
from nbpress.site.theme import layout_files
from nbpress.sources.discover import discover
from nbpress.store import Store
from nbpress.urls import encode_path

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
    notes: list[str] = field(default_factory=list)  # said once: why everything was rebuilt
    stale_index: bool = False  # search shards left to index (a build with search_index=False)
    executed: dict[str, float] = field(default_factory=dict)
    state: BuildState | None = None  # what the next build in this process can start from (`previous`)


def build(settings: Settings, executor: Executor | None = None, progress: Progress | None = None,
          strict: bool = False, search_index: bool = True, now: dt.datetime | None = None,
          wait: bool = True, waiting: Callable[[str], None] | None = None,
          previous: BuildState | None = None, published: Callable[[], None] | None = None,
          index_only: bool = False) -> BuildResult:
    """Build the site into settings.output_path; raise NbpressError with every content problem.

    `now` (UTC, naive) decides which future-dated posts are due; `waiting` is told when another build
    holds the output folder (with `wait=False` that is an error instead). The dev server hands in the
    `previous` result's state (used only if output/ is still the site it describes), and is told when
    the new site is `published`, before the state is saved. With `index_only` (its search index catching
    up in the background), a source that changed since the last build, or while this one read it, stops
    the build: the file may be half saved, and the build the change asks for comes once it has settled.
    """
    started, now = time.perf_counter(), now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    store, report, result = Store(settings.site_dir), Diagnostics(strict), BuildResult()
    trees = Trees(settings.output_path, store.state_dir(settings.output_path))
    check_output(settings, legacy=_legacy_outputs(store, settings.output_path))
    with build_lock(store.state_dir(settings.output_path) / "lock", wait, waiting):
        sources, assets, skipped = discover(settings)
        layouts, skipped_layouts = layout_files(settings, search=settings.search)
        report.extend(skipped + skipped_layouts)  # symlinks not followed, pipes: said on every build
        live = identity(settings.output_path / MARKER)
        kept = previous is not None and previous.live == live
        quick = Loaded(previous) if kept and previous is not None else load_state(
            store, settings.output_path, live, full=False)
        result.notes.extend([quick.note] if quick.note else [])
        key = _inputs_key(settings, sources, assets, layouts, quick.state.watched, strict, report.items)
        if _up_to_date(settings, quick.state, key, now, search_index) or (index_only and quick.state.inputs != key):
            return dataclasses.replace(result, unchanged=True, warnings=quick.state.warnings,
                                       seconds=time.perf_counter() - started, state=previous if kept else None)
        full = kept or not quick.state.inputs
        state = quick.state if full else load_state(store, settings.output_path, live).state
        _timed("discover and state", started)
        pages = _load(settings, sources, state, report)
        if index_only and _inputs(settings, quick.state.watched, strict) != key:  # saved while it was read
            return dataclasses.replace(result, unchanged=True, warnings=quick.state.warnings,
                                       seconds=time.perf_counter() - started, state=previous if kept else None)
        _timed("load", started)
        pages, watched = _execute(settings, pages, executor, progress, report, result)
        report.extend([w for p in pages.values() for w in p.warnings])  # found loading and rendering each page
        _timed("execute", started)
        plan, files = _plan(settings, layouts, pages, assets, now, state, report)
        report.stop_on_errors()
        result.warnings = report.warnings
        _timed("route", started)
        new = _render_and_write(settings, trees, state, plan, files, layouts, search_index, report, result)
        _timed("render, index and write", started)
        if published is not None:
            published()
        result.stale_index = bool(new.stale)
        new.inputs = _inputs_key(settings, sources, assets, layouts, watched, strict, skipped + skipped_layouts)
        new.watched, new.warnings = watched, result.warnings
        new.expires, new.related = plan.due.isoformat() if plan.due else None, plan.related
        new.pages = {s.path: (s.signature, p) for s in sources for p in [pages.get(s.path)] if p}
        save_state(store, settings.output_path, new)
        _timed("save the state", started)
    result.pages, result.seconds, result.state = len(plan.pages), time.perf_counter() - started, new
    return result


def _timed(stage: str, started: float) -> None:
    """Stage timings, for NBPRESS_DEBUG=1."""
    log.debug("%-24s done at %.3f s", stage, time.perf_counter() - started)


def clean(settings: Settings, cache: bool = False) -> list[Path]:
    """Remove output/ (only if nbpress built it) and the build state, with `cache` all of .nbpress/; what went."""
    store = Store(settings.site_dir)
    check_output(settings, legacy=_legacy_outputs(store, settings.output_path))
    removed = [settings.output_path] if settings.output_path.exists() else []
    with build_lock(store.state_dir(settings.output_path) / "lock", wait=False):
        Trees(settings.output_path, store.state_dir(settings.output_path)).remove()
    return removed + store.clean(cache)


def _legacy_outputs(store: Store, output: Path) -> set[str]:
    """The files an earlier nbpress recorded writing into `output` (sites built before the marker)."""
    import json

    try:
        manifest = json.loads((store.state_dir(output) / "manifest.json").read_text())
        return set(manifest["outputs"]) if isinstance(manifest.get("outputs"), dict) else set()
    except (OSError, ValueError, KeyError, AttributeError):
        return set()


def _inputs(settings: Settings, watched: list[str], strict: bool) -> str:
    """The inputs key of the sources as they are now (discovered again)."""
    sources, assets, skipped = discover(settings)
    layouts, skipped_layouts = layout_files(settings, search=settings.search)
    return _inputs_key(settings, sources, assets, layouts, watched, strict, skipped + skipped_layouts)


def _inputs_key(settings: Settings, sources: list[SourceFile], assets: list[Asset], layouts: dict[str, Path],
                watched: list[str], strict: bool, skipped: list[Diagnostic]) -> str:
    """A hash of every input's path, mtime and size, the settings, the code, and the files skipped (a symlink
    added is a change): equal means nothing changed."""
    files = sorted(layouts.values())
    if settings.settings_file:
        files.append(settings.site_dir / settings.settings_file)
    files.extend(settings.site_dir / w for w in watched)
    options = dataclasses.asdict(settings) | {"code": code_version(), "strict": strict}
    listing = [(s.path, s.signature) for s in sources] + [(a.path, a.signature) for a in assets]
    return signature(files, (options, listing, [str(d) for d in skipped]))


def _up_to_date(settings: Settings, state: BuildState, key: str, now: dt.datetime, search_index: bool) -> bool:
    """Nothing changed since the last build, no post fell due, and output/ still holds what it made."""
    if state.inputs != key or settings.execute == "force":
        return False
    if state.expires is not None and now.isoformat() >= state.expires:
        return False
    if settings.search and search_index and state.stale:
        return False
    base = os.fspath(settings.output_path) + "/"
    return all(os.path.exists(base + p) for p in state.outputs)


def _load(settings: Settings, sources: list[SourceFile], state: BuildState, report: Diagnostics) -> dict[str, Page]:
    """Every page: reused from the last build when its Markdown file and the files it looked for are as they were."""
    from nbpress.sources.links import probes_hold

    pages: dict[str, Page] = {}
    todo: list[SourceFile] = []
    content = settings.content_path
    for source in sources:
        cached = state.pages.get(source.path)
        if (cached and cached[0] == source.signature and source.kind == "md" and cached[1].notebook is None
                and probes_hold(cached[1].probes, content)):
            pages[source.path] = cached[1]
        else:
            todo.append(source)
    for loaded in pmap(_load_chunk, todo, settings.site_dir, jobs(settings)):
        if isinstance(loaded, list):
            report.extend(loaded)
        elif loaded is not None:
            pages[loaded.source] = loaded
    return _with_git_dates(settings, pages, report)


def _load_chunk(site_dir: Path, chunk: Sequence[SourceFile]) -> list[Page | list[Diagnostic] | None]:
    from nbpress.sources.load import load_page

    out: list[Page | list[Diagnostic] | None] = []
    for source in chunk:
        try:
            out.append(load_page(source, site_dir))
        except NbpressError as exc:
            out.append(exc.diagnostics)
    return out


def _with_git_dates(settings: Settings, pages: dict[str, Page], report: Diagnostics) -> dict[str, Page]:
    """Undated pages take the date git first knew the file (looked up every build: a commit can add it)."""
    undated = [p.source for p in pages.values() if not p.dated]
    if not undated:
        return pages
    from nbpress.sources.discover import undated_dates

    dates, notes = undated_dates(settings.site_dir, undated)
    report.extend(notes)
    return {s: dataclasses.replace(p, date=dates[s], digest=digest(p.digest, str(dates[s]))) if s in dates else p
            for s, p in pages.items()}


def _execute(settings: Settings, pages: dict[str, Page], executor: Executor | None, progress: Progress | None,
             report: Diagnostics, result: BuildResult) -> tuple[dict[str, Page], list[str]]:
    """Notebooks run (or taken from the cache) and rendered into their pages; the files they depend on."""
    if not any(p.notebook is not None for p in pages.values()):
        return pages, []
    from nbpress.execute import execute
    from nbpress.sources.notebook import render_notebook

    ran, problems, done = execute(list(pages.values()), settings, executor, progress)
    report.extend(problems)
    result.notes.extend(done.notes)
    result.executed = {"executed": done.executed, "cached": done.cached, "failed": done.failed,
                       "seconds": round(done.seconds, 2)}
    rendered = {p.source: render_notebook(p, settings.site_dir, settings.content_dir) for p in ran}
    return rendered, done.watched


def _plan(settings: Settings, layouts: dict[str, Path], pages: dict[str, Page], assets: list[Asset],
          now: dt.datetime, state: BuildState, report: Diagnostics) -> tuple[SitePlan, list[OutputFile]]:
    """Every route and every other file of the site."""
    from nbpress.site.files import site_files
    from nbpress.site.render import missing_site_url

    plan, problems = plan_site(layouts, list(pages.values()), settings.page_size, settings.drafts, now,
                               settings.categories, state.related)
    report.extend(problems)
    report.advise([w for w in [missing_site_url(settings)] if w])
    files, problems = site_files(settings, layouts, assets, plan.pages, plan.routes)
    report.extend(problems)
    return plan, files


def _render_and_write(settings: Settings, trees: Trees, state: BuildState, plan: SitePlan, files: list[OutputFile],
                      layouts: dict[str, Path], search_index: bool, report: Diagnostics,
                      result: BuildResult) -> BuildState:
    """Render the routes whose inputs changed into a new tree, index and check it, and swap it in for output/.

    A fresh build is the same path with nothing current: no state, no spare tree.
    """
    from nbpress.output.search import is_index_file

    data = _render_input(settings, plan, layouts, state)
    todo, kept = _stale_routes(plan, state, data)
    previous_index = {p: d for p, d in state.outputs.items() if is_index_file(p)}
    spare = state.spare_outputs if state.spare and state.spare == identity(trees.spare / MARKER) else None
    staging = trees.begin(spare, state.spare_folders or None)
    try:
        staging.prune([*(r.output for r in plan.routes), *(f.path for f in files), *previous_index])
        rendered_searched = pmap(_render_chunk, todo, (data, staging), jobs(settings), threshold=200)
        rendered = [r for r, _ in rendered_searched]
        searched = {r.output: d for r, d in rendered_searched if d}
        unchanged = [OutputFile(path, digest=state.outputs[path]) for path in kept]
        staging.fill([*files, *unchanged], trees.output, state.outputs)
        outputs = {r.output: r.digest for r in rendered} | {f.path: f.digest for f in [*files, *unchanged]}
        index, shards, stale, searched = _index(settings, staging, trees, plan, state, searched, search_index,
                                                report)
        _sizes(settings, staging, plan, files, outputs, report)
        if report.strict:
            _check(settings, staging)
        with staging.writer() as writer:
            writer.put(MARKER, marker_bytes(settings), "")
        folders = tree_folders(staging.root, [*outputs, *index])
        trees.publish(staging, keep_old=state.live is not None)
    except BaseException:
        trees.discard(staging)
        raise
    result.rendered, result.written = len(rendered), len(rendered) + len(files)
    result.warnings = report.warnings
    routes = {r.output: RouteRecord(r.route, tuple(map(sys.intern, r.reads))) for r in rendered} | kept
    values = {key: data.site.value(key) for key in set().union(*(record.reads for record in routes.values()))}
    keep = state.live is not None
    return BuildState(live=identity(trees.output / MARKER), outputs=outputs | index,
                      read_pages=dict(data.site.pages), read_values=values,
                      spare=state.live if keep else None, spare_outputs=state.outputs if keep else {},
                      folders=folders, spare_folders=state.folders if keep else {},
                      shards=shards, stale=stale, searched=searched, routes=routes)


def _render_input(settings: Settings, plan: SitePlan, layouts: dict[str, Path], state: BuildState) -> Any:
    """What every route may read in this build, and how to render it."""
    from nbpress.site.reads import SiteData
    from nbpress.site.render import RenderInput, layout_dirs, settings_digest

    content = "/" + settings.content_dir.strip("/") + "/"
    site = SiteData(
        pages={p.source: p for p in plan.pages}, collections=plan.collections,
        source_urls={encode_path("/" + p.source[len(content) - 1:]): p.url for p in plan.pages if p.url},
        layouts={name: digest(path.read_bytes()) for name, path in layouts.items()},
        settings=settings_digest(settings),
    )
    site.reuse(state.read_pages, state.read_values)
    return RenderInput(settings, layout_dirs(settings), site, digest(*site.layouts.values()),
                       Store(settings.site_dir).templates_dir())


def _stale_routes(plan: SitePlan, state: BuildState, data: Any) -> tuple[list[Any], dict[str, RouteRecord]]:
    """The routes to render, and those whose file from the last build is current (none of what they read
    changed, and they are the same routes)."""
    from nbpress.site.render import route_key

    changed = data.site.changed(state.read_values)
    todo, kept = [], {}
    for route in plan.routes:
        record = state.routes.get(route.output)
        if (record and route.output in state.outputs and changed.isdisjoint(record.reads)
                and record.route == route_key(route)):
            kept[route.output] = record
        else:
            todo.append(route)
    return todo, kept


def _index(settings: Settings, staging: Staging, trees: Trees, plan: SitePlan, state: BuildState,
           searched: dict[str, str], search_index: bool, report: Diagnostics,
           ) -> tuple[dict[str, str], dict[str, tuple[str, ...]], list[str], dict[str, str]]:
    """The search index in the new tree: shards with a post whose search digest changed indexed again (or,
    without `search_index`, kept as they were and marked stale), the others as the live site has them.

    Its files, its shards, the stale ones, and the search digest of every post (`searched`: of those rendered).
    """
    from nbpress.output.search import (
        SHARDS,
        index_shards,
        is_index_file,
        plan_shards,
        shard_manifest,
        shards_file,
        stale_shards,
    )

    if not settings.search:
        return {}, {}, [], {}
    posts = [r.output for r in plan.routes if r.page and r.output.endswith(".html")]
    shards = plan_shards(posts)
    changed = {p for p, d in searched.items() if state.searched.get(p) != d}
    searched = {p: searched.get(p) or state.searched.get(p, "") for p in posts}
    todo = stale_shards(shards, state.shards, changed, state.stale)
    have = {p.split("/")[1] for p in state.outputs if p.count("/") >= 2 and p.startswith("pagefind/")}
    redo = todo if search_index else todo - have  # a shard that does not exist yet is made at once
    keep = set(shards) - redo
    index = {p: d for p, d in state.outputs.items() if p.count("/") >= 2 and p.split("/")[1] in keep}
    staging.remove(p for p in state.outputs if is_index_file(p) and p not in index)  # old shards, old layouts
    staging.fill([OutputFile(p, digest=d) for p, d in index.items()], trees.output, state.outputs)
    if redo:
        problem = index_shards(staging.root, shards, redo, jobs(settings))
        report.extend([problem] if problem else [])
        index |= shard_manifest(staging.root, sorted(redo))
    listing = shards_file({n: m for n, m in shards.items() if n in keep | redo})
    with staging.writer() as writer:
        writer.put(SHARDS, listing, digest(listing))
    index[SHARDS] = digest(listing)
    return index, shards, sorted(todo - redo), searched


def _render_chunk(shared: tuple[Any, Staging], chunk: Sequence[Any]) -> list[Any]:
    """A worker's share of the routes, rendered and written into the new tree (the bytes are not sent back),
    with the search digest of each page when the site has search."""
    from nbpress.output.search import search_digest
    from nbpress.site.render import render_routes

    data, staging = shared
    with staging.writer(search_digest if data.settings.search else None) as writer:
        rendered = render_routes(chunk, data, writer)
    return [(r, writer.searched.get(r.output, "")) for r in rendered]


def _sizes(settings: Settings, staging: Staging, plan: SitePlan, files: list[OutputFile], outputs: dict[str, str],
           report: Diagnostics) -> None:
    """Files too big for readers or hosts: warnings naming the source that made them (under --strict, the site
    is not published)."""
    from nbpress.output.sizes import oversized

    origins = {r.output: r.page for r in plan.routes if r.page} | {f.path: f.copy_from for f in files if f.copy_from}
    big = oversized(staging.root, outputs, origins, settings.output_path.name)
    report.extend(big)
    if big:
        report.stop_on_errors()


def _check(settings: Settings, staging: Staging) -> None:
    """--strict: the staged site checked as `nbpress check` would, before it goes live."""
    from nbpress.check import check_site

    found = check_site(staging.root, settings.base_url, jobs=jobs(settings))
    if found:
        name = settings.output_path.name
        raise NbpressError([dataclasses.replace(d, severity="error", path=f"{name}/{d.path}") for d in found])
