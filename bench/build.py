"""Benchmark: the Markdown corpus built by nbpress (defaults, and search off) beside Hugo and Hugo + Pagefind.

Every tool ("peer") gets its own copy of the same posts. The runs are interleaved, round by
round, so a busy spell on the machine spreads over all of them: cold builds, then rebuilds with
nothing changed, then rebuilds after the newest post changed (checked on every peer: the post's
page, its category's first page, the feeds, and for the peers with a search index, that the
index finds the word the change added and no longer finds the one the change before added).
"""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bench import search_index
from bench.benchmark import Benchmark, Context
from bench.corpus import Corpus, Post, PostEdit, edit_post, newest, post_text, write_site
from bench.hugo import MISSING, hugo_binary, hugo_peers
from bench.measure import Run, best, child_env, peak, run_checked, spread
from bench.report import Table, mib, secs

# Issue 11's targets, for 1000 posts.
TARGET_UNCHANGED = 0.3
TARGET_CHANGED = 0.5
TARGET_PEAK_MIB = 150.0
REF_HUGO_COLD = 2.9  # the team's Hugo cold build of 1000 posts (issue 2), when Hugo is not installed here


class Peer(Protocol):
    """One tool building its own copy of the corpus."""

    @property
    def label(self) -> str: ...  # its column in the table
    @property
    def output(self) -> Path: ...  # the built site
    @property
    def searches(self) -> bool: ...  # whether a build makes a Pagefind index
    def source(self, post: Post) -> Path: ...  # the file of a post in its site
    def clean(self) -> None: ...  # delete every output and cache, for a cold build
    def build(self) -> Run: ...  # one measured build; BenchError if it fails


@dataclass(frozen=True)
class NbpressPeer:
    """`python -m nbpress build` on a site whose nbpress.toml says only its title (and maybe search = false)."""

    label: str
    site: Path
    searches: bool

    @property
    def output(self) -> Path:
        """The built site."""
        return self.site / "output"

    def source(self, post: Post) -> Path:
        """The file of `post` in this site."""
        return self.site / "notebooks" / post.file

    def clean(self) -> None:
        """Delete output/ and .nbpress/, for a cold build."""
        for name in ("output", ".nbpress"):
            shutil.rmtree(self.site / name, ignore_errors=True)

    def build(self) -> Run:
        """One build, as a user runs it; BenchError if it fails."""
        cmd = [sys.executable, "-m", "nbpress", "build", "--site", str(self.site), "--output", str(self.output)]
        return run_checked("nbpress build", cmd, cwd=self.site, env=child_env())


def nbpress_peers(root: Path, corpus: Corpus) -> list[NbpressPeer]:
    """nbpress as a user gets it (search on) in the corpus site, and with search = false in a copy."""
    off = root / "md-site-search-off"
    write_site(off, search=False)
    shutil.copytree(corpus.site / "notebooks", off / "notebooks", dirs_exist_ok=True)
    return [NbpressPeer("nbpress, defaults (search on)", corpus.site, True),
            NbpressPeer("nbpress, search off", off, False)]


@dataclass
class Figures:
    """Everything measured for one peer."""

    cold: list[Run] = field(default_factory=list)
    unchanged: list[Run] = field(default_factory=list)
    changed: list[Run] = field(default_factory=list)
    files: Counter[str] = field(default_factory=Counter)
    indexed: int | None = None  # pages in the search index after the cold build
    shown: list[tuple[bool, str]] = field(default_factory=list)  # the change is on every page it should be
    found: list[tuple[bool, str]] = field(default_factory=list)  # the search index finds the change

    def runs(self) -> list[Run]:
        """Every build."""
        return self.cold + self.unchanged + self.changed


def file_kinds(folder: Path) -> Counter[str]:
    """Files under folder, by kind: html, xml, or other."""
    kinds: Counter[str] = Counter()
    for path in folder.rglob("*"):
        if path.is_file():
            kinds[path.suffix[1:] if path.suffix in {".html", ".xml"} else "other"] += 1
    return kinds


def count_files(kinds: Counter[str]) -> str:
    """e.g. "1095 (1092 html, 0 xml, 3 other)"."""
    return f"{sum(kinds.values())} ({', '.join(f'{kinds[k]} {k}' for k in ('html', 'xml', 'other'))})"


def _holds(path: Path, text: str) -> bool:
    return text in path.read_text(encoding="utf-8", errors="replace")


def verify_change(output: Path, post: Post, old_title: str) -> tuple[bool, str]:
    """The new title is on the post's page (and the old one gone), its category's first page and its feeds.

    Only the files that can show the post are read, so this stays quick on 10,000 posts. The post's
    page is <slug>/index.html anywhere (nbpress: posts/<slug>/, Hugo: <category>/<slug>/); a first
    collection page is <category>/index.html with no page number in its path; the feeds are the
    .xml files at the top (but sitemap.xml) and under the category's folder.
    """
    pages = sorted(output.glob(f"**/{post.slug}/index.html"))
    firsts = [p for p in output.glob(f"**/{post.category}/index.html")
              if not any(part.isdigit() for part in p.relative_to(output).parts)]
    feeds = [p for p in output.rglob("*.xml") if p.name != "sitemap.xml"
             and (p.parent == output or post.category in p.relative_to(output).parts[:-1])]
    problems = []
    if not any(_holds(p, post.title) for p in pages):
        problems.append("post page lacks the new title" if pages else f"no page for {post.slug}")
    elif any(_holds(p, old_title) for p in pages):
        problems.append("post page still shows the old title")
    first = [p for p in firsts if _holds(p, post.title)]
    if not first:
        problems.append(f"no first page of category {post.category!r} shows the new title")
    stale = [str(f.relative_to(output)) for f in feeds if not _holds(f, post.title)]
    if stale:
        problems.append("feeds without the new title: " + ", ".join(stale))
    if problems:
        return False, "; ".join(problems)
    shown = [str(p.relative_to(output)) for p in [*pages[:1], *first[:1], *feeds]]
    return True, "found in " + ", ".join(shown) + ("" if feeds else " (no feeds in the output to check)")


def verify_search(output: Path, change: PostEdit, before: PostEdit | None, indexed: int | None) -> tuple[bool, str]:
    """The index finds the change's word on the post's page only, not the word of the change before, and
    holds as many pages as after the cold build."""
    hits = search_index.search(output, change.word)
    mine = [url for url in hits if change.post.slug in url.strip("/").split("/")]
    problems = []
    if not mine:
        problems.append(f"{change.word!r} (added to the post) is not found")
    others = sorted(set(hits) - set(mine))
    if others:
        problems.append(f"{change.word!r} is also found on " + ", ".join(others[:3]))
    if before is not None and (stale := search_index.search(output, before.word)):
        problems.append(f"{before.word!r} (removed again) is still found on " + ", ".join(sorted(stale)[:3]))
    count = search_index.page_count(output)
    if count != indexed:
        problems.append(f"the index holds {count} pages, {indexed} after the cold build")
    if problems:
        return False, "; ".join(problems)
    return True, f"{change.word!r} found on {mine[0]}, {count} pages indexed"


def _progress(peer: Peer, what: str, run: Run) -> None:
    print(f"  {peer.label}: {what} {secs(run.seconds)} (cpu {run.cpu_seconds:.2f} s, peak {mib(run.max_rss_mib)})",
          flush=True)


def measure(peers: Sequence[Peer], posts: Sequence[Post], repeat: int, cold_repeat: int) -> dict[str, Figures]:
    """Cold builds, rebuilds with nothing changed, rebuilds after one post changed: every peer, interleaved."""
    figures = {peer.label: Figures() for peer in peers}
    for _ in range(cold_repeat):
        for peer in peers:
            peer.clean()
            run = peer.build()
            _progress(peer, "cold build", run)
            figures[peer.label].cold.append(run)
    for peer in peers:  # before any rebuild can add or replace files
        figures[peer.label].files = file_kinds(peer.output)
        if peer.searches:
            figures[peer.label].indexed = search_index.page_count(peer.output)
    for _ in range(repeat):
        for peer in peers:
            run = peer.build()
            _progress(peer, "nothing changed", run)
            figures[peer.label].unchanged.append(run)

    target = newest(posts)
    before: PostEdit | None = None
    try:
        for round_ in range(1, repeat + 1):
            change = edit_post(target, round_)
            for peer in peers:
                fig = figures[peer.label]
                peer.source(target).write_text(post_text(change.post), encoding="utf-8")
                run = peer.build()
                _progress(peer, "one post changed", run)
                fig.changed.append(run)
                fig.shown.append(verify_change(peer.output, change.post, (before.post if before else target).title))
                if peer.searches:
                    fig.found.append(verify_search(peer.output, change, before, fig.indexed))
            before = change
    finally:
        for peer in peers:
            peer.source(target).write_text(post_text(target), encoding="utf-8")
    return figures


def _all(checks: list[tuple[bool, str]]) -> tuple[bool, str]:
    """Whether every check passed, and the first failure's detail (else the last detail)."""
    ok = all(passed for passed, _ in checks)
    return ok, next((detail for passed, detail in checks if not passed), checks[-1][1] if checks else "")


def table(figures: dict[str, Figures], posts: int, repeat: int, cold_repeat: int) -> Table:
    """One column per peer, one row per figure."""
    out = Table(f"build: {posts} posts, every tool on the same corpus", ("figure", *figures))

    def row(label: str, cell: Callable[[Figures], str]) -> None:
        out.add(label, *(cell(f) for f in figures.values()))

    row(f"cold build (best of {cold_repeat})", lambda f: secs(best(f.cold).seconds))
    row(f"one post changed (best of {repeat})", lambda f: secs(best(f.changed).seconds))
    row(f"nothing changed (best of {repeat})", lambda f: secs(best(f.unchanged).seconds))
    row("peak memory (largest max RSS)", lambda f: mib(peak(f.runs())))
    row("cpu time, cold build", lambda f: secs(best(f.cold).cpu_seconds))
    row("cold build per 1000 posts", lambda f: secs(best(f.cold).seconds * 1000 / posts))
    row("files written, cold build", lambda f: count_files(f.files))
    row("pages in the search index", lambda f: "-" if f.indexed is None else str(f.indexed))
    row("change shown (post, category, feeds)", lambda f: "yes" if _all(f.shown)[0] else "NO")
    row("search finds the change", lambda f: "-" if not f.found else ("yes" if _all(f.found)[0] else "NO"))
    return out


def _cold_target(ctx: Context, reference: Figures | None, name: str, posts: int) -> tuple[str, float | None]:
    """What a cold build must beat: the reference peer of this run, or (for Hugo) the team's figure scaled."""
    if reference is not None:
        return f"<= {name} {secs(best(reference.cold).seconds)}", best(reference.cold).seconds
    if name == "Hugo" and ctx.machine_factor is not None:
        limit = REF_HUGO_COLD * posts / 1000 * ctx.machine_factor
        return f"<= team's Hugo x machine factor = {secs(limit)}", limit
    return f"({name} not measured)", None


def judge(ctx: Context, figures: dict[str, Figures], posts: int) -> None:
    """Issue 11's targets, as verdict rows: nbpress with search on against Hugo then Pagefind, search off
    against Hugo alone; then whether every Hugo peer showed the change too."""
    hugo = next((f for label, f in figures.items() if label.startswith("Hugo ")), None)
    for name, f, reference, reference_name in (
        ("search on", figures.get("nbpress, defaults (search on)"), figures.get("Hugo, then Pagefind"),
         "Hugo, then Pagefind"),
        ("search off", figures.get("nbpress, search off"), hugo, "Hugo"),
    ):
        if f is None:
            continue
        cold = best(f.cold).seconds
        target, limit = _cold_target(ctx, reference, reference_name, posts)
        ctx.report.add(f"{name}: cold build", secs(cold), target, None if limit is None else cold <= limit,
                       note=spread(f.cold))
        changed = best(f.changed).seconds
        found, detail = _all(f.found) if f.found else (True, "")
        ctx.report.add(f"{name}: one post changed", secs(changed),
                       f"< {TARGET_CHANGED} s" + (", index finds it" if f.found else ""),
                       changed < TARGET_CHANGED and found, note=spread(f.changed) + (f"; {detail}" if detail else ""))
        unchanged = best(f.unchanged).seconds
        ctx.report.add(f"{name}: nothing changed", secs(unchanged), f"< {TARGET_UNCHANGED} s",
                       unchanged < TARGET_UNCHANGED, note=spread(f.unchanged))
        shown, detail = _all(f.shown)
        ctx.report.add(f"{name}: change shown", "yes" if shown else "no", "post, category page 1, feeds", shown,
                       note=detail)
        m = peak(f.runs())
        ctx.report.add(f"{name}: peak memory", mib(m), f"< {TARGET_PEAK_MIB:.0f} MiB", m < TARGET_PEAK_MIB,
                       note=", ".join(f"{k} {mib(peak(runs))}" for k, runs in
                                      (("cold", f.cold), ("unchanged", f.unchanged), ("changed", f.changed))))
    for label, f in figures.items():
        if label.startswith("Hugo"):
            ok, detail = _all(f.shown + f.found)
            ctx.report.add(f"{label}: change shown", "yes" if ok else "no", "as for nbpress", ok, note=detail)


def run(ctx: Context) -> None:
    """Build the corpus with every peer asked for and report the figures side by side."""
    corpus = ctx.corpus()
    peers: list[Peer] = []
    if ctx.wants("build"):
        peers += nbpress_peers(ctx.root, corpus)
    if ctx.wants("hugo"):
        binary = hugo_binary()
        if binary is None:
            print(MISSING, flush=True)
            if ctx.asked_for("hugo"):  # asked for by name: it did not run
                ctx.report.fail("hugo", "not installed")
        else:
            peers += hugo_peers(ctx.root, corpus, binary)
    if not peers:
        return
    n, repeat, cold_repeat = len(corpus.posts), ctx.args.repeat, ctx.args.cold_repeat
    ctx.report.section(f"build: {n} posts by {', '.join(p.label for p in peers)} "
                       f"(cold best of {cold_repeat}, rebuilds best of {repeat})")
    figures = measure(peers, corpus.posts, repeat, cold_repeat)
    ctx.report.table(table(figures, n, repeat, cold_repeat))
    ctx.report.section("build: the targets of issue 11 (set for 1000 posts)")
    judge(ctx, figures, n)


BENCHMARK = Benchmark(
    names=("build", "hugo"),
    about="the posts built by nbpress (defaults, search off) and by Hugo (alone, then Pagefind), "
          "cold, one post changed, nothing changed; `hugo` alone: only the Hugo columns",
    run=run,
)
