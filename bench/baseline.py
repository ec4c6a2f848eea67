"""Benchmark: a bare markdown-it-py + Pygments + Jinja2 loop over the posts, to calibrate this machine.

The loop runs in a child, `python -m bench.baseline SRC OUT --procs N`, timed like every other figure.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.benchmark import Benchmark, Context
from bench.measure import BenchError, Run, best, child_env, run_measured, spread, tail
from bench.report import mib, secs

# The team's figures for 1000 posts on their 2-core machines (issue 2).
REF_BASELINE_1 = 3.2
REF_BASELINE_2 = 2.0
PAGE_TEMPLATE = Path(__file__).with_name("baseline-page.html")


@dataclass(frozen=True)
class _Renderer:
    """What one baseline process builds once and uses for every post."""

    markdown: Callable[[str], str]
    page: Callable[..., str]
    split: Callable[[str], tuple[dict[str, Any], str]]


_renderer: _Renderer | None = None


def _init() -> None:
    """Build the renderer once per process."""
    global _renderer
    import frontmatter
    import jinja2
    from markdown_it import MarkdownIt
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    formatter = HtmlFormatter(nowrap=True)

    def hl(code: str, lang: str, attrs: str) -> str:
        try:
            lexer = get_lexer_by_name(lang)
        except ClassNotFound:
            return ""
        return str(highlight(code, lexer, formatter))

    def split(text: str) -> tuple[dict[str, Any], str]:
        post = frontmatter.loads(text)
        return dict(post.metadata), str(post.content)

    md = MarkdownIt("commonmark", {"highlight": hl}).enable("table")
    template = jinja2.Environment(autoescape=True).from_string(PAGE_TEMPLATE.read_text(encoding="utf-8"))
    _renderer = _Renderer(markdown=md.render, page=template.render, split=split)


def _render(job: tuple[str, str]) -> int:
    """Front matter, Markdown + Pygments, Jinja2, write: one post."""
    assert _renderer is not None
    source, out_dir = job
    meta, content = _renderer.split(Path(source).read_text(encoding="utf-8"))
    html = _renderer.page(
        title=meta.get("title", ""),
        excerpt=meta.get("excerpt", ""),
        date=meta.get("date", ""),
        author=meta.get("author", {}),
        cover=meta.get("coverImage", ""),
        og_image=(meta.get("ogImage") or {}).get("url", ""),
        tags=meta.get("tags", []),
        body=_renderer.markdown(content),
    )
    target = Path(out_dir) / Path(source).stem / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    return len(html)


def loop(source: Path, out: Path, procs: int) -> dict[str, float]:
    """The bare loop over every .md under source, in one process or a fork pool of procs."""
    start = time.perf_counter()
    jobs = [(str(p), str(out)) for p in sorted(source.rglob("*.md"))]
    if procs <= 1:
        _init()
        written = sum(map(_render, jobs))
    else:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(procs, initializer=_init) as pool:
            written = sum(pool.imap_unordered(_render, jobs, chunksize=16))
    return {"pages": len(jobs), "bytes": written, "loop_seconds": time.perf_counter() - start}


def run(ctx: Context) -> None:
    """Time the bare loop in one and in two processes; set the machine factor."""
    corpus = ctx.corpus()
    posts = len(corpus.posts)
    scale = posts / 1000  # the team's figures are for 1000 posts; other sizes scale them linearly
    ctx.report.section(f"baseline: markdown-it-py + Pygments + Jinja2 loop (best of {ctx.args.repeat})")
    results: dict[int, Run] = {}
    for procs in (1, 2):
        runs = []
        for _ in range(ctx.args.repeat):
            out = ctx.folder("baseline-out")
            cmd = [sys.executable, "-m", "bench.baseline", str(corpus.site / "notebooks"), str(out),
                   "--procs", str(procs)]
            measured = run_measured(cmd, cwd=ctx.root, env=child_env())
            if measured.returncode != 0:
                raise BenchError("baseline loop failed\n" + tail("stderr", measured.stderr))
            runs.append(measured)
        results[procs] = b = best(runs)
        info = json.loads(b.stdout.strip().splitlines()[-1])
        ref = (REF_BASELINE_1 if procs == 1 else REF_BASELINE_2) * scale
        ctx.report.add(
            f"baseline, {procs} process{'es' if procs > 1 else ''} ({info['pages']} posts)",
            secs(b.seconds), f"team: {secs(ref)}",
            note=f"in-loop {info['loop_seconds']:.2f} s, peak {mib(b.max_rss_mib)}, {spread(runs)}",
        )
    shutil.rmtree(ctx.root / "baseline-out", ignore_errors=True)
    factor = results[1].seconds / (REF_BASELINE_1 * scale)
    ctx.machine_factor = factor
    if posts != 1000:
        print("  note: the team's figures are for 1000 posts; scaled linearly to "
              f"{posts}, so this factor is only a rough guide", flush=True)
    ctx.report.add("machine factor", f"{factor:.2f}", f"baseline 1 proc / {secs(REF_BASELINE_1 * scale)}")


BENCHMARK = Benchmark(
    names=("baseline",),
    about="a bare markdown-it-py + Pygments + Jinja2 loop, in 1 and 2 processes: this machine's speed",
    run=run,
)


def main(argv: list[str] | None = None) -> int:
    """The child: run the loop once and print what it did as one JSON line."""
    p = argparse.ArgumentParser(description="The baseline loop (run by `python -m bench`).")
    p.add_argument("source", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--procs", type=int, default=1)
    args = p.parse_args(argv)
    print(json.dumps(loop(args.source, args.out, args.procs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
