"""Benchmark nbpress against its targets (issues 2 and 3).

    python bench/bench.py [--posts 1000] [--notebooks 20]
                          [--only baseline,hugo,build,notebooks] [--keep DIR]

Sections:
  baseline   a bare markdown-it-py + Pygments + Jinja2 loop over the generated
             posts, in one process and in two; calibrates this machine against
             the team's reference numbers ("machine factor").
  hugo       the same posts built by Hugo (when `hugo` is on PATH) with a small
             theme like nbpress's: cold, again unchanged, after one post changed.
             The build section's cold verdict then compares against this time.
  build      `nbpress build` over N generated Markdown posts: cold, rebuild
             with nothing changed, rebuild after one post changed (checked).
  notebooks  M small notebooks: serial `jupyter nbconvert --execute`,
             `nbpress build --jobs 1` and `--jobs 2` cold, and a fully cached
             rebuild (which must start no kernel).

Every measured command runs as a fresh child process; its wall time is taken
around the child and its peak memory is the ru_maxrss that os.wait4 returns
for exactly that child. See bench/README.md for what each figure means.

Stdlib only, plus the project's own dependencies (markdown-it-py, Pygments,
Jinja2, python-frontmatter, nbformat, nbconvert) for the baseline and the
notebook corpus, and optionally the `hugo` binary (apt-get install hugo).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SEED = 20240101
MARKER = ".nbpress-bench"

# The team's reference figures (2-core machines), from issues 2 and 3.
REF_BASELINE_1 = 3.2
REF_BASELINE_2 = 2.0
REF_HUGO_COLD = 2.9
TARGET_REBUILD_UNCHANGED = 0.3
TARGET_REBUILD_CHANGED = 0.5
TARGET_PEAK_MIB = 150.0
TARGET_JOBS2_RATIO = 0.5
TARGET_CACHED_NB = 1.0
REF_NBCONVERT_20 = 36.0


class BenchError(Exception):
    """A benchmark step could not run; the message says which and why."""


# --------------------------------------------------------------------------
# Measuring one child process


@dataclass(frozen=True)
class Run:
    """One measured child process."""

    seconds: float
    max_rss_mib: float
    returncode: int
    stdout: str
    stderr: str
    kernels: int | None = None  # ipykernel processes seen, when watched
    cpu_seconds: float = 0.0  # user + system CPU time of the child and the descendants it reaped


class KernelWatch:
    """Counts ipykernel processes started under one process tree, by polling /proc.

    Only descendants of `root` count: other users of the machine may be running
    kernels of their own at the same time.
    """

    def __init__(self, root: int, interval: float = 0.02) -> None:
        self.root = root
        self.interval = interval
        self.available = Path("/proc/self/cmdline").exists()
        self.seen: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    @staticmethod
    def _parent(pid: int) -> int:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        # The command name may hold spaces and parentheses; the ppid follows the last ")".
        return int(stat[stat.rindex(b")") + 2 :].split()[1])

    def _descends_from_root(self, pid: int) -> bool:
        for _ in range(32):
            if pid == self.root:
                return True
            if pid <= 1:
                return False
            pid = self._parent(pid)
        return False

    def _scan(self) -> None:
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit() or int(entry.name) in self.seen:
                continue
            pid = int(entry.name)
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if b"ipykernel" in f.read() and self._descends_from_root(pid):
                        self.seen.add(pid)
            except (OSError, ValueError, IndexError):  # the process ended while we looked
                continue

    def _poll(self) -> None:
        while not self._stop.is_set():
            self._scan()
            self._stop.wait(self.interval)

    def start(self) -> None:
        """Start polling in a daemon thread."""
        if self.available:
            self._thread.start()

    def stop(self) -> None:
        """Stop polling and wait for the thread."""
        if self.available:
            self._stop.set()
            self._thread.join()

    @property
    def count(self) -> int | None:
        """Kernels seen so far; None where there is no /proc."""
        return len(self.seen) if self.available else None


def _maxrss_mib(ru_maxrss: int) -> float:
    # Linux reports KiB, macOS bytes.
    scale = 1 if sys.platform == "darwin" else 1024
    return ru_maxrss * scale / (1024 * 1024)


def run_measured(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path,
    env: dict[str, str] | None = None,
    watch_kernels: bool = False,
) -> Run:
    """Run cmd as a fresh child; return its wall time and its own peak RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [os.fspath(c) for c in cmd],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
        watch = KernelWatch(proc.pid) if watch_kernels else None
        if watch:
            watch.start()
        try:
            # wait4 on exactly this pid: its rusage covers the child and the
            # descendants it reaped, and ru_maxrss is the largest single one.
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - start
        finally:
            if watch:
                watch.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            seconds=seconds,
            max_rss_mib=_maxrss_mib(usage.ru_maxrss),
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            kernels=watch.count if watch else None,
            cpu_seconds=usage.ru_utime + usage.ru_stime,
        )


def child_env() -> dict[str, str]:
    """The environment for nbpress children: the repo importable from anywhere."""
    env = dict(os.environ)
    paths = [str(REPO)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def nbpress_build(site: Path, *extra: str, watch_kernels: bool = False) -> Run:
    """Run `python -m nbpress build` on site; raise BenchError unless it exits 0."""
    cmd = [
        sys.executable, "-m", "nbpress", "build",
        "--site", str(site), "--output", str(site / "output"), *extra,
    ]
    run = run_measured(cmd, cwd=site, env=child_env(), watch_kernels=watch_kernels)
    if run.returncode != 0:
        raise BenchError(
            f"nbpress build failed with exit status {run.returncode}\n"
            f"  command: {' '.join(cmd)}\n"
            + _tail("stderr", run.stderr)
            + _tail("stdout", run.stdout)
        )
    return run


def _tail(name: str, text: str, lines: int = 30) -> str:
    text = text.rstrip()
    if not text:
        return ""
    kept = text.splitlines()[-lines:]
    return f"  {name} (last {len(kept)} lines):\n" + "".join(f"    | {line}\n" for line in kept)


def best(runs: Sequence[Run]) -> Run:
    """The fastest of several runs."""
    return min(runs, key=lambda r: r.seconds)


def spread(runs: Sequence[Run]) -> str:
    """The range of wall times, to show how noisy the machine was."""
    times = [r.seconds for r in runs]
    return f"{len(times)} runs {min(times):.2f}-{max(times):.2f} s" if len(times) > 1 else "1 run"


def peak(runs: Sequence[Run]) -> float:
    """The largest peak RSS among runs, in MiB."""
    return max(r.max_rss_mib for r in runs)


# --------------------------------------------------------------------------
# A deterministic corpus of Markdown posts

CATEGORIES = [
    "python", "data-science", "web", "devops", "machine-learning", "databases",
    "testing", "security", "frontend", "career", "tooling", "statistics",
]
TAGS = [
    "pandas", "numpy", "asyncio", "typing", "performance", "docker", "kubernetes",
    "postgres", "sqlite", "react", "css", "accessibility", "pytest", "ci",
    "git", "linux", "regex", "caching", "http", "api-design", "refactoring",
    "visualization", "jupyter", "deployment", "monitoring", "logging",
    "packaging", "concurrency", "interviews", "open-source",
]
AUTHORS = [
    ("Alex McKenzie", "alex"), ("Priya Raman", "priya"), ("Tomás Ortega", "tomas"),
    ("Mei Chen", "mei"), ("Jonas Becker", "jonas"), ("Amara Okafor", "amara"),
]
NOUNS = [
    "pipeline", "cache", "build", "server", "query", "index", "request",
    "response", "function", "module", "package", "test", "dataset", "model",
    "feature", "layout", "template", "router", "page", "notebook", "kernel",
    "process", "thread", "queue", "worker", "schema", "table", "column",
    "migration", "release", "deployment", "container", "cluster", "network",
    "endpoint", "client", "library", "framework", "compiler", "parser", "token",
    "branch", "commit", "review", "metric", "dashboard", "alert", "log",
    "benchmark", "profile", "bottleneck", "allocation", "buffer", "stream", "file",
    "folder", "config", "setting", "option", "default", "team", "user", "reader",
    "engineer", "project", "deadline", "sprint", "prototype", "design", "pattern",
    "interface", "contract", "boundary", "abstraction", "decorator", "generator",
    "iterator", "closure", "exception", "error", "warning", "fixture", "mock",
    "sample",
]
VERBS = [
    "improves", "reduces", "changes", "breaks", "handles", "validates", "renders",
    "parses", "caches", "loads", "stores", "returns", "replaces", "simplifies",
    "measures", "tracks", "exposes", "hides", "wraps", "extends", "splits",
    "merges", "schedules", "retries", "ignores", "rewrites", "compiles", "serves",
    "streams", "filters", "sorts", "groups", "formats", "describes", "documents",
    "protects", "slows", "speeds", "shapes", "drives", "follows",
]
ADJECTIVES = [
    "small", "large", "fast", "slow", "simple", "complex", "stable", "fragile",
    "modern", "legacy", "careful", "naive", "robust", "flaky", "reliable",
    "expensive", "cheap", "obvious", "subtle", "hidden", "explicit", "implicit",
    "lazy", "eager", "static", "dynamic", "typed", "untyped", "shared", "local",
    "remote", "parallel", "sequential", "incremental", "clean", "messy",
    "readable", "concise", "verbose", "predictable", "surprising", "common",
    "rare", "useful", "practical",
]
ADVERBS = [
    "quickly", "quietly", "rarely", "often", "usually", "always", "carefully",
    "eventually", "surprisingly", "gradually", "clearly", "simply",
]
PREPOSITIONS = [
    "in", "on", "with", "for", "from", "across", "behind", "under", "over",
    "through", "without", "into",
]
DETERMINERS = [
    "the", "a", "every", "each", "this", "that", "our", "your", "one", "another",
]
CONNECTIVES = ["and", "but", "so", "because", "while", "although", "which means"]
TECH = ["Python", "Jupyter", "Postgres", "Docker", "React", "Linux", "Git", "NumPy"]
SNAKE = ["load_config", "parse_args", "run_query", "build_index", "render_page",
         "read_csv", "fetch_all", "to_dict", "validate", "normalize"]
FLAGS = ["--verbose", "--jobs 2", "--dry-run", "-m pytest", "--strict", "--no-cache"]


@dataclass(frozen=True)
class Post:
    """One generated Markdown post."""

    slug: str
    category: str
    title: str
    excerpt: str
    date: dt.date
    author: tuple[str, str]
    tags: tuple[str, ...]
    body: str

    @property
    def relpath(self) -> Path:
        """Where the post lives inside the site."""
        return Path("notebooks") / self.category / f"{self.slug}.md"


class Prose:
    """English-like text from a tiny grammar over fixed word lists."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def noun_phrase(self) -> str:
        """e.g. "the lazy cache"."""
        rng = self.rng
        words = [rng.choice(DETERMINERS)]
        if rng.random() < 0.55:
            words.append(rng.choice(ADJECTIVES))
        words.append(rng.choice(NOUNS))
        if words[0] == "a" and words[1][0] in "aeiou":
            words[0] = "an"
        return " ".join(words)

    def clause(self) -> str:
        """Subject, verb, object, maybe a prepositional phrase."""
        rng = self.rng
        parts = [self.noun_phrase()]
        if rng.random() < 0.25:
            parts.append(rng.choice(ADVERBS))
        parts += [rng.choice(VERBS), self.noun_phrase()]
        if rng.random() < 0.5:
            parts += [rng.choice(PREPOSITIONS), self.noun_phrase()]
        return " ".join(parts)

    def sentence(self, links: Sequence[str] = ()) -> str:
        """One or two clauses, sometimes with emphasis, inline code or a link."""
        rng = self.rng
        text = self.clause()
        if rng.random() < 0.35:
            text += f", {rng.choice(CONNECTIVES)} {self.clause()}"
        words = text.split()
        self._decorate(words, links)
        words[0] = words[0][:1].upper() + words[0][1:]
        return " ".join(words) + rng.choice([".", ".", ".", ".", "?", "!"])

    def _decorate(self, words: list[str], links: Sequence[str]) -> None:
        rng = self.rng
        roll = rng.random()
        i = rng.randrange(1, len(words))
        if words[i].endswith(","):
            return
        if roll < 0.10:
            words[i] = f"*{words[i]}*"
        elif roll < 0.16:
            words[i] = f"**{words[i]}**"
        elif roll < 0.24:
            words.insert(i, f"`{rng.choice(SNAKE)}()`")
        elif roll < 0.27:
            words.insert(i, f"`{rng.choice(FLAGS)}`")
        elif roll < 0.33 and links:
            words[i] = f"[{words[i]}]({rng.choice(links)})"

    def paragraph(self, links: Sequence[str] = ()) -> str:
        """Three to six sentences."""
        return " ".join(self.sentence(links) for _ in range(self.rng.randint(3, 6)))

    def heading(self) -> str:
        """A section heading."""
        rng = self.rng
        noun, other = rng.choice(NOUNS), rng.choice(NOUNS)
        options = [
            f"{rng.choice(ADJECTIVES)} {noun}s and {other}s",
            f"Why the {noun} {rng.choice(VERBS)} the {other}",
            f"Working with {rng.choice(ADJECTIVES)} {noun}s",
            f"When {noun}s go wrong",
            f"The {noun} in practice",
            f"{noun} versus {other}",
        ]
        text = rng.choice(options)
        return text[:1].upper() + text[1:]

    def title(self) -> str:
        """A post title in title case."""
        rng = self.rng
        adj, noun, other = rng.choice(ADJECTIVES), rng.choice(NOUNS), rng.choice(NOUNS)
        options = [
            f"A practical guide to {adj} {noun}s",
            f"How {noun}s {rng.choice(VERBS)} {other}s",
            f"{adj} {noun}s in {rng.choice(TECH)}",
            f"Lessons from {rng.randint(2, 12)} years of {noun}s",
            f"Understanding {noun} {other}s",
            f"What nobody tells you about {adj} {noun}s",
            f"From {noun} to {other}: a {adj} journey",
        ]
        return " ".join(w[:1].upper() + w[1:] for w in rng.choice(options).split())


def _words(text: str) -> int:
    return len(re.findall(r"[A-Za-z]+", text))


def code_block(rng: random.Random) -> str:
    """A fenced Python block of 10-20 lines."""
    name = f"{rng.choice(VERBS)[:-1]}_{rng.choice(NOUNS)}s"
    arg = rng.choice(NOUNS)
    head = [
        f"import {rng.choice(['json', 'statistics', 'itertools', 'pathlib'])}",
        f"from collections import {rng.choice(['Counter', 'defaultdict', 'deque'])}",
        "",
        "",
        f"def {name}({arg}s: list[dict[str, float]], limit: int = {rng.randint(3, 50)}):",
        f'    """{rng.choice(VERBS).capitalize()} the {arg}s, keep the best."""',
        "    result = []",
        f"    for index, item in enumerate({arg}s):",
    ]
    loop = [
        "        if index >= limit:",
        "            break",
        f'        score = item.get("{rng.choice(NOUNS)}", 0.0) * {rng.randint(2, 9)}',
        "        result.append((score, item))",
    ]
    tail = [
        "    result.sort(key=lambda pair: pair[0], reverse=True)",
        "    return [item for _, item in result]",
        "",
        "",
        f'print({name}([{{"{rng.choice(NOUNS)}": 1.5}}], limit=2))',
    ]
    fillers = [
        f"    # {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}s need this",
        f'    total = sum(score for score, _ in result)  # {rng.choice(ADVERBS)}',
        f'    print(f"{{len(result)}} {rng.choice(NOUNS)}s")',
        "    assert all(score >= 0 for score, _ in result)",
        f"    # {rng.choice(ADVERBS)} {rng.choice(VERBS)} the {rng.choice(NOUNS)}",
    ]
    # Drop optional parts (whole groups) until the block fits 10-20 lines.
    groups: list[tuple[list[str], bool]] = [
        (head[:4], True), (head[4:5], False), (head[5:6], True), (head[6:], False),
        (loop[:2], True), (loop[2:], False), (tail[:1], True), (tail[1:2], False),
        (tail[2:], True),
    ]
    target = rng.randint(10, 20)
    optional = [i for i, (_, opt) in enumerate(groups) if opt]
    rng.shuffle(optional)
    dropped: set[int] = set()
    while sum(len(g) for i, (g, _) in enumerate(groups) if i not in dropped) > target:
        dropped.add(optional.pop())
    lines = [line for i, (g, _) in enumerate(groups) if i not in dropped for line in g]
    at = next(i for i, line in enumerate(lines) if line.startswith("    return"))
    while len(lines) < target and fillers:
        lines.insert(at, fillers.pop(rng.randrange(len(fillers))))
    return "```python\n" + "\n".join(lines) + "\n```"


def _list_block(prose: Prose, ordered: bool) -> str:
    items = [prose.clause().capitalize() for _ in range(prose.rng.randint(3, 6))]
    return "\n".join(
        (f"{n}. " if ordered else "- ") + item for n, item in enumerate(items, 1)
    )


def post_body(rng: random.Random, links: Sequence[str]) -> str:
    """A ~800-word body: headings, paragraphs, lists, links, code."""
    prose = Prose(rng)
    target = rng.randint(630, 790)  # the overshoot and code bring it to ~800
    sections: list[list[str]] = [[prose.paragraph(links)]]  # the introduction
    n_sections = rng.randint(4, 6)
    specials = rng.sample(range(1, n_sections + 1), 3)
    for number in range(1, n_sections + 1):
        blocks = [f"## {prose.heading()}", prose.paragraph(links)]
        if rng.random() < 0.5:
            blocks += [f"### {prose.heading()}", prose.paragraph(links)]
        if number == specials[0]:
            blocks.append(_list_block(prose, ordered=False))
        if number == specials[1]:
            blocks.append(_list_block(prose, ordered=True))
        if number == specials[2]:
            blocks += [prose.paragraph(links), code_block(rng)]
        sections.append(blocks)
    words = sum(_words(b) for s in sections for b in s if not b.startswith("```"))
    while words < target:
        section = rng.choice(sections[1:])
        paragraph = prose.paragraph(links)
        section.insert(rng.randint(2, len(section)), paragraph)
        words += _words(paragraph)
    return "\n\n".join(b for s in sections for b in s) + "\n"


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def make_posts(count: int, seed: int = SEED) -> list[Post]:
    """count posts over the 12 categories, the same every time."""
    rng = random.Random(seed)
    prose = Prose(rng)
    titles: list[str] = []
    slugs: list[str] = []
    taken: set[str] = set()
    while len(titles) < count:
        title = prose.title()
        slug = _slugify(title)
        if slug in taken:
            continue
        taken.add(slug)
        titles.append(title)
        slugs.append(slug)
    start = dt.date(2015, 1, 1)
    span = 365 * 10
    # Distinct dates while they last, then repeats.
    offsets = rng.sample(range(span), min(count, span))
    offsets += [rng.randrange(span) for _ in range(count - len(offsets))]
    posts = []
    for i, (title, slug) in enumerate(zip(titles, slugs, strict=True)):
        others = [s for s in rng.sample(slugs, min(4, count)) if s != slug]
        links = [f"../{s}/" for s in others] + [
            f"https://{rng.choice(['docs.python.org/3/', 'developer.mozilla.org/en-US/', 'www.postgresql.org/docs/'])}",
            f"https://example.org/{rng.choice(NOUNS)}s/{rng.choice(NOUNS)}",
        ]
        body = post_body(rng, links)
        excerpt = prose.sentence()
        posts.append(Post(
            slug=slug,
            category=CATEGORIES[i % len(CATEGORIES)],
            title=title,
            excerpt=excerpt,
            date=start + dt.timedelta(days=offsets[i]),
            author=rng.choice(AUTHORS),
            tags=tuple(rng.sample(TAGS, rng.randint(1, 3))),
            body=body,
        ))
    return posts


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def post_text(post: Post) -> str:
    """The post as a Markdown file with Next.js blog-starter front matter."""
    name, handle = post.author
    cover = f"/assets/blog/{post.slug}/cover.jpg"
    lines = [
        "---",
        f"title: {_q(post.title)}",
        f"excerpt: {_q(post.excerpt)}",
        f"coverImage: {_q(cover)}",
        f"date: {_q(post.date.isoformat())}",
        "author:",
        f"  name: {name}",
        f"  picture: {_q(f'/assets/blog/authors/{handle}.jpeg')}",
        "ogImage:",
        f"  url: {_q(cover)}",
        "tags:",
        *[f"  - {tag}" for tag in post.tags],
        "---",
        "",
        "",
    ]
    return "\n".join(lines) + post.body


def prepare_root(keep: str | None) -> tuple[Path, bool]:
    """The folder everything is generated in, and whether to delete it at the end."""
    if keep is None:
        return Path(tempfile.mkdtemp(prefix="nbpress-bench-")), True
    root = Path(keep).resolve()
    if root.exists() and any(root.iterdir()) and not (root / MARKER).exists():
        raise BenchError(f"--keep {keep}: folder exists, is not empty and was not made by bench.py")
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("made by bench/bench.py; safe to delete\n")
    return root, False


def write_site(site: Path, title: str = "Bench") -> None:
    """A fresh, empty site folder with its nbpress.toml."""
    if site.exists():
        shutil.rmtree(site)
    (site / "notebooks").mkdir(parents=True)
    # No search index: Hugo (the reference) builds none either. `search_index_seconds` times it apart.
    (site / "nbpress.toml").write_text(f'title = "{title}"\nsearch = false\n')


def write_posts(site: Path, posts: Sequence[Post]) -> None:
    """Write each post to notebooks/<category>/<slug>.md."""
    for post in posts:
        path = site / post.relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(post_text(post), encoding="utf-8")


def generate_md_site(root: Path, count: int) -> tuple[Path, list[Post]]:
    """Generate the Markdown site once; report its size."""
    start = time.perf_counter()
    posts = make_posts(count)
    site = root / "md-site"
    write_site(site)
    write_posts(site, posts)
    words = sum(_words(p.body) for p in posts) / max(1, len(posts))
    size = sum(f.stat().st_size for f in (site / "notebooks").rglob("*.md"))
    print(
        f"corpus: {count} posts in {len(CATEGORIES)} categories, "
        f"{size / 1e6:.1f} MB, ~{words:.0f} words each, "
        f"generated in {time.perf_counter() - start:.1f} s -> {site}",
        flush=True,
    )
    return site, posts


# --------------------------------------------------------------------------
# Results table


@dataclass
class Row:
    """One line of the final table."""

    label: str
    value: str
    target: str = ""
    verdict: str = ""


@dataclass
class Report:
    """The figures gathered so far, and the sections that failed."""

    rows: list[Row] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    machine_factor: float | None = None
    hugo_cold: float | None = None  # Hugo's cold build of the same corpus, when measured
    written: dict[str, str] = field(default_factory=dict)  # tool -> "N files (...)" after a cold build

    def add(
        self, label: str, value: str, target: str = "", ok: bool | None = None,
        note: str = "",
    ) -> None:
        """A table row; also printed at once, with its note, as progress."""
        verdict = "" if ok is None else ("ok" if ok else "MISSED")
        self.rows.append(Row(label, value, target, verdict))
        line = f"  {label}: {value}"
        line += f" ({note})" if note else ""
        line += f"   [{verdict}]" if verdict else ""
        print(line, flush=True)

    def print_table(self) -> None:
        """The final table, then the failed sections."""
        if not self.rows:
            for failure in self.failures:
                print(f"FAILED: {failure}")
            return
        w = max([len(r.label) for r in self.rows] + [10])
        v = max([len(r.value) for r in self.rows] + [5])
        t = max([len(r.target) for r in self.rows] + [6])
        print()
        print(f"{'figure':<{w}}  {'value':>{v}}  {'target':<{t}}  verdict")
        print(f"{'-' * w}  {'-' * v}  {'-' * t}  -------")
        for r in self.rows:
            print(f"{r.label:<{w}}  {r.value:>{v}}  {r.target:<{t}}  {r.verdict}")
        for failure in self.failures:
            print(f"FAILED: {failure}")


def secs(x: float) -> str:
    """Seconds, for the table."""
    return f"{x:.2f} s"


def mib(x: float) -> str:
    """MiB, for the table."""
    return f"{x:.0f} MiB"


# --------------------------------------------------------------------------
# B. Baseline: a bare markdown-it-py + Pygments + Jinja2 loop

PAGE_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ title }} | Bench</title>
<meta name="description" content="{{ excerpt }}">
<meta property="og:image" content="{{ og_image }}">
<link rel="stylesheet" href="/pygments.css">
</head>
<body>
<header><a href="/">Bench</a></header>
<article>
<h1>{{ title }}</h1>
<p class="meta"><img src="{{ author.picture }}" alt=""> {{ author.name }}
 &middot; <time datetime="{{ date }}">{{ date }}</time></p>
<img class="cover" src="{{ cover }}" alt="">
{{ body | safe }}
<ul class="tags">{% for tag in tags %}<li><a href="/tags/{{ tag }}/">{{ tag }}</a></li>{% endfor %}</ul>
</article>
</body>
</html>
"""

@dataclass(frozen=True)
class _Renderer:
    """What one baseline process builds once and uses for every post."""

    markdown: Callable[[str], str]
    page: Callable[..., str]
    split: Callable[[str], tuple[dict[str, Any], str]]


_renderer: _Renderer | None = None


def _baseline_init() -> None:
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
    template = jinja2.Environment(autoescape=True).from_string(PAGE_TEMPLATE)
    _renderer = _Renderer(markdown=md.render, page=template.render, split=split)


def _baseline_render(job: tuple[str, str]) -> int:
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


def baseline_worker(source: Path, out: Path, procs: int) -> None:
    """Entry point of the child process that runs the bare loop."""
    start = time.perf_counter()
    jobs = [(str(p), str(out)) for p in sorted(source.rglob("*.md"))]
    if procs <= 1:
        _baseline_init()
        written = sum(map(_baseline_render, jobs))
    else:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(procs, initializer=_baseline_init) as pool:
            written = sum(pool.imap_unordered(_baseline_render, jobs, chunksize=16))
    seconds = time.perf_counter() - start
    print(json.dumps({"pages": len(jobs), "bytes": written, "loop_seconds": seconds}))


def run_baseline(site: Path, root: Path, posts: int, repeat: int, report: Report) -> None:
    """Time the bare loop in one and in two processes; set the machine factor."""
    # The team's figures are for 1000 posts; other sizes scale them linearly.
    scale = posts / 1000
    print(f"\n== baseline: markdown-it-py + Pygments + Jinja2 loop (best of {repeat})", flush=True)
    results: dict[int, Run] = {}
    for procs in (1, 2):
        runs = []
        for _ in range(repeat):
            out = root / "baseline-out"
            if out.exists():
                shutil.rmtree(out)
            out.mkdir()
            cmd = [sys.executable, __file__, "--baseline-worker",
                   str(site / "notebooks"), str(out), "--procs", str(procs)]
            run = run_measured(cmd, cwd=root)
            if run.returncode != 0:
                raise BenchError("baseline loop failed\n" + _tail("stderr", run.stderr))
            runs.append(run)
        results[procs] = b = best(runs)
        info = json.loads(b.stdout.strip().splitlines()[-1])
        ref = (REF_BASELINE_1 if procs == 1 else REF_BASELINE_2) * scale
        report.add(
            f"baseline, {procs} process{'es' if procs > 1 else ''} ({info['pages']} posts)",
            secs(b.seconds),
            f"team: {ref:.1f} s",
            note=f"in-loop {info['loop_seconds']:.2f} s, peak {mib(b.max_rss_mib)}, {spread(runs)}",
        )
    factor = results[1].seconds / (REF_BASELINE_1 * scale)
    report.machine_factor = factor
    print(f"machine factor: {factor:.2f}", flush=True)
    if posts != 1000:
        print("  note: the team's figures are for 1000 posts; scaled linearly to "
              f"{posts}, so this factor (and the Hugo target) is only a rough guide", flush=True)
    report.add(
        "machine factor", f"{factor:.2f}",
        f"baseline 1 proc / {REF_BASELINE_1 * scale:.1f} s",
    )


# --------------------------------------------------------------------------
# A. Markdown build benchmark


def _clean(site: Path, cache: bool = True) -> None:
    for name in ("output", ".nbpress") if cache else ("output",):
        if (site / name).exists():
            shutil.rmtree(site / name)


def _files_containing(folder: Path, needle: str) -> list[Path]:
    hits = []
    for path in sorted(folder.rglob("*")):
        if path.suffix not in {".html", ".xml"} or not path.is_file():
            continue
        if needle in path.read_text(encoding="utf-8", errors="replace"):
            hits.append(path.relative_to(folder))
    return hits


def verify_change(output: Path, post: Post, old_title: str) -> tuple[bool, str]:
    """The new title is on the post's page, its category's first page and its feeds."""
    hits = _files_containing(output, post.title)
    pages = [p for p in hits if p.suffix == ".html" and post.slug in p.parts]
    collections = [
        p for p in hits
        if p.suffix == ".html" and post.category in p.parts and post.slug not in p.parts
        and not any(part.isdigit() for part in p.parts)
    ]
    problems = []
    if not pages:
        problems.append("post page lacks the new title")
    elif old_title in (output / pages[0]).read_text(encoding="utf-8"):
        problems.append(f"post page {pages[0]} still shows the old title")
    if not collections:
        problems.append(f"no first collection page of category {post.category!r} shows the new title")
    feeds = [p.relative_to(output) for p in output.rglob("*.xml")
             if p.name != "sitemap.xml"
             and (p.parent == output or post.category in p.relative_to(output).parts)]
    stale_feeds = [str(f) for f in feeds if f not in hits]
    if stale_feeds:
        problems.append("feeds without the new title: " + ", ".join(stale_feeds))
    found = ", ".join(str(p) for p in pages[:1] + collections[:1] + [f for f in feeds if f in hits])
    if not feeds:
        found += " (no feeds in the output to check)"
    return (not problems, "; ".join(problems) if problems else f"found in {found}")


def _edit(post: Post, round_: int, rng: random.Random) -> Post:
    title = f"Bench Edited Title Round {round_} {rng.randrange(10**6):06d}"
    body = post.body + "\n" + Prose(rng).paragraph() + "\n"
    return dataclasses.replace(post, title=title, body=body)


def run_build(site: Path, posts: list[Post], args: argparse.Namespace, report: Report) -> None:
    """Cold build, unchanged rebuild, one-post-changed rebuild (checked), peak memory."""
    n = len(posts)
    print(f"\n== build: nbpress build over {n} Markdown posts", flush=True)
    cold: list[Run] = []
    for _ in range(args.cold_repeat):
        _clean(site)
        cold.append(nbpress_build(site))
    cold_files = _file_kinds(site / "output")  # before any rebuild can add or replace files
    # The search index (on by default, off in this corpus) timed apart: Pagefind over the cold output.
    search = run_measured([sys.executable, "-m", "pagefind", "--site", str(site / "output"), "--silent"],
                          cwd=site, env=child_env())
    shutil.rmtree(site / "output" / "pagefind", ignore_errors=True)
    unchanged = [nbpress_build(site) for _ in range(args.repeat)]

    # Edit the newest post, so it is on page one of its category and in the feeds.
    target = max(posts, key=lambda p: (p.date, p.slug))
    rng = random.Random(SEED + 1)
    changed: list[Run] = []
    verdicts: list[tuple[bool, str]] = []
    current = target
    for round_ in range(1, args.repeat + 1):
        edited = _edit(current, round_, rng)
        (site / edited.relpath).write_text(post_text(edited), encoding="utf-8")
        changed.append(nbpress_build(site))
        verdicts.append(verify_change(site / "output", edited, current.title))
        current = edited
    (site / target.relpath).write_text(post_text(target), encoding="utf-8")  # restore
    correct = all(ok for ok, _ in verdicts)
    detail = next((d for ok, d in verdicts if not ok), verdicts[-1][1])

    cold_ok: bool | None
    if report.hugo_cold is not None:
        # Measured here, on the same corpus: no machine factor needed.
        hugo = f"<= hugo {report.hugo_cold:.2f} s (same machine)"
        cold_ok = best(cold).seconds <= report.hugo_cold
    else:
        hugo_ref = REF_HUGO_COLD * n / 1000
        hugo = f"<= Hugo {hugo_ref:.1f} s x machine factor"
        if report.machine_factor is not None:
            limit = hugo_ref * report.machine_factor
            hugo += f" = {limit:.2f} s"
            cold_ok = best(cold).seconds <= limit
        else:
            hugo += " (run baseline or hugo)"
            cold_ok = None
    report.add(f"cold build ({n} posts)", secs(best(cold).seconds), hugo, cold_ok,
               note=f"cpu {best(cold).cpu_seconds:.2f} s, {spread(cold)}")
    report.written["nbpress"] = count_files(cold_files)
    report.add("  files written, cold build", report.written["nbpress"],
               f"hugo: {report.written['hugo']}" if "hugo" in report.written else "")
    report.add("  search index, timed apart (pagefind)", secs(search.seconds), "not in the figures above", None,
               note=f"cpu {search.cpu_seconds:.2f} s; `search = true` adds it to a cold build")
    t = best(unchanged).seconds
    report.add("rebuild, nothing changed", secs(t), f"< {TARGET_REBUILD_UNCHANGED} s",
               t < TARGET_REBUILD_UNCHANGED, note=spread(unchanged))
    t = best(changed).seconds
    report.add("rebuild, one post changed", secs(t), f"< {TARGET_REBUILD_CHANGED} s",
               t < TARGET_REBUILD_CHANGED, note=spread(changed))
    report.add("  correct", "yes" if correct else "no", "post, category page 1, feeds",
               correct, note=detail)
    m = peak(cold + unchanged + changed)
    report.add(
        "peak memory (max RSS, any build)", mib(m), f"< {TARGET_PEAK_MIB:.0f} MiB",
        m < TARGET_PEAK_MIB,
        note=", ".join(f"{label} {mib(peak(runs))}" for label, runs in
                       (("cold", cold), ("unchanged", unchanged), ("changed", changed))),
    )


# --------------------------------------------------------------------------
# A2. The same corpus built by Hugo, on this machine

HUGO_MISSING = "hugo: not installed (apt-get install hugo) — skipped"

# Hugo 0.111 (Debian 12). `paginate` became [pagination] pagerSize only in 0.128.
HUGO_CONFIG = """baseURL = "/"
title = "Bench"
languageCode = "en"
disableKinds = []
paginate = 10
pluralizeListTitles = false

[taxonomies]
  tag = "tags"

[markup.highlight]
  noClasses = false

[markup.goldmark.renderer]
  unsafe = true
"""

# A small theme about as rich as nbpress's built-in one: a head with og/twitter
# tags, a header listing the sections (= nbpress's categories), a post page with
# byline, cover, table of contents (twice, like nbpress) and tags, a paginated home,
# a paginated list per section and per tag, a tags/sections overview and a 404.
HUGO_LAYOUTS = {
    "_default/baseof.html": """<!doctype html>
<html lang="{{ site.LanguageCode | default "en" }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ if .IsHome }}{{ site.Title }}{{ else }}{{ .Title }} — {{ site.Title }}{{ end }}</title>
{{- $desc := .Params.excerpt | default site.Title }}
<meta name="description" content="{{ $desc }}">
<meta name="generator" content="Hugo {{ hugo.Version }}">
<meta property="og:site_name" content="{{ site.Title }}">
<meta property="og:title" content="{{ .Title | default site.Title }}">
<meta property="og:description" content="{{ $desc }}">
<meta property="og:type" content="{{ if .IsPage }}article{{ else }}website{{ end }}">
<meta property="og:url" content="{{ .Permalink }}">
{{- $image := "" }}
{{- with .Params.ogimage }}{{ $image = .url }}{{ end }}
{{- if not $image }}{{ $image = .Params.coverimage }}{{ end }}
{{- with $image }}
<meta property="og:image" content="{{ . | absURL }}">
<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:image" content="{{ . | absURL }}">
{{- else }}
<meta name="twitter:card" content="summary">
{{- end }}
{{- if .IsPage }}
<meta property="article:published_time" content="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">
{{- with .Params.author }}
<meta name="author" content="{{ .name }}">
{{- end }}
<meta property="article:section" content="{{ .Section }}">
{{- range .Params.tags }}
<meta property="article:tag" content="{{ . }}">
{{- end }}
{{- end }}
<link rel="stylesheet" href="{{ "style.css" | relURL }}">
{{- range .AlternativeOutputFormats }}
<link rel="{{ .Rel }}" type="{{ .MediaType.Type }}" href="{{ .RelPermalink }}">
{{- end }}
</head>
<body>
<header class="site-header">
  <a class="site-title" href="{{ "/" | relURL }}">{{ site.Title }}</a>
  <nav class="site-nav" aria-label="Main">
    <a href="{{ "/" | relURL }}">Home</a>
    {{- range site.Sections.ByTitle }}
    <a href="{{ .RelPermalink }}">{{ .Title }}</a>
    {{- end }}
    <a href="{{ "tags/" | relURL }}">Tags</a>
  </nav>
</header>
<main id="content">
{{ block "main" . }}{{ end }}
</main>
<footer class="site-footer"><p><a href="{{ "/" | relURL }}">{{ site.Title }}</a> · Built with Hugo</p></footer>
</body>
</html>
""",
    "_default/single.html": """{{ define "main" }}
<article class="post">
  <header class="post-header">
    <p class="eyebrow"><a href="{{ .CurrentSection.RelPermalink }}">{{ .CurrentSection.Title }}</a></p>
    <h1 class="post-title">{{ .Title }}</h1>
    <div class="post-meta">
      {{- with .Params.author }}
      {{- with .picture }}
      <img class="avatar" src="{{ . | relURL }}" alt="" width="44" height="44">
      {{- end }}
      <p class="byline-name">{{ .name }}</p>
      {{- end }}
      <p>{{ partial "date.html" .Date }} · {{ .ReadingTime }} min read</p>
    </div>
  </header>
  {{- with .Params.coverimage }}
  <figure class="post-cover"><img src="{{ . | relURL }}" alt="" width="1200" height="630"></figure>
  {{- end }}
  {{- with .TableOfContents }}
  <details class="toc toc-inline"><summary>Contents</summary>{{ . }}</details>
  <aside class="toc toc-side"><p class="toc-heading">On this page</p>{{ . }}</aside>
  {{- end }}
  <div class="prose post-body">
{{ .Content }}
  </div>
  <footer class="post-footer">
    {{- with .GetTerms "tags" }}
    <ul class="tag-list" aria-label="Tags">
      {{- range . }}
      <li><a class="tag" href="{{ .RelPermalink }}">#{{ .LinkTitle }}</a></li>
      {{- end }}
    </ul>
    {{- end }}
    <p class="back-home"><a href="{{ "/" | relURL }}">← All posts</a></p>
  </footer>
</article>
{{ end }}
""",
    "_default/list.html": """{{ define "main" }}
{{- $paginator := .Paginate .Pages }}
<header class="page-header">
  <p class="eyebrow"><a href="{{ "tags/" | relURL }}">{{ if eq .Kind "term" }}Tag{{ else }}Category{{ end }}</a></p>
  <h1>{{ if eq .Kind "term" }}Posts tagged #{{ end }}{{ .Title }}
    {{- if gt $paginator.PageNumber 1 }} (page {{ $paginator.PageNumber }}){{ end }}</h1>
  <p class="page-lead">{{ len .Pages }} posts</p>
</header>
{{ partial "cards.html" $paginator.Pages }}
{{ partial "pagination.html" $paginator }}
{{ end }}
""",
    "_default/terms.html": """{{ define "main" }}
<header class="page-header"><p class="eyebrow">Browse</p><h1>Categories and tags</h1>
  <p class="page-lead">{{ len site.RegularPages }} posts in {{ len site.Sections }} categories,
    with {{ len .Data.Terms }} tags.</p></header>
<ul class="category-list">
  {{- range site.Sections.ByTitle }}
  <li class="category-item">
    <h2 class="category-name"><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
    <span class="count">{{ len .Pages }} posts</span>
    <ul class="category-posts">
      {{- range first 3 .Pages }}
      <li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ partial "date.html" .Date }}</li>
      {{- end }}
    </ul>
  </li>
  {{- end }}
</ul>
<ul class="tag-cloud">
  {{- range .Data.Terms.Alphabetical }}
  <li><a class="tag" href="{{ .Page.RelPermalink }}">#{{ .Page.Title }} <span class="count">{{ .Count }}</span></a></li>
  {{- end }}
</ul>
{{ end }}
""",
    "index.html": """{{ define "main" }}
{{- $paginator := .Paginate site.RegularPages }}
{{- if eq $paginator.PageNumber 1 }}
<section class="hero"><h1 class="hero-title">{{ site.Title }}</h1></section>
{{- else }}
<header class="page-header"><p class="eyebrow">{{ site.Title }}</p><h1>Page {{ $paginator.PageNumber }}</h1></header>
{{- end }}
{{ partial "cards.html" $paginator.Pages }}
{{ partial "pagination.html" $paginator }}
{{ end }}
""",
    "404.html": """{{ define "main" }}
<section class="not-found"><h1>Page not found</h1>
<p><a class="button" href="{{ "/" | relURL }}">Go to the home page</a></p></section>
{{ end }}
""",
    "partials/cards.html": """{{- if . }}
<div class="card-grid">
  {{- range . }}
  <article class="card">
    {{- with .Params.coverimage }}
    <div class="card-cover"><img src="{{ . | relURL }}" alt="" loading="lazy" width="1200" height="630"></div>
    {{- end }}
    <div class="card-body">
      <p class="eyebrow"><a href="{{ .CurrentSection.RelPermalink }}">{{ .CurrentSection.Title }}</a></p>
      <h2 class="card-title"><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
      <p class="card-excerpt">{{ with .Params.excerpt }}{{ . }}{{ else }}{{ .Summary }}{{ end }}</p>
      <div class="byline">
        {{- with .Params.author }}
        {{- with .picture }}
        <img class="avatar" src="{{ . | relURL }}" alt="" width="24" height="24" loading="lazy">
        {{- end }}
        <span class="byline-name">{{ .name }}</span> ·
        {{- end }}
        {{ partial "date.html" .Date }}
      </div>
    </div>
  </article>
  {{- end }}
</div>
{{- else }}
<p class="empty">No posts yet.</p>
{{- end }}
""",
    "partials/date.html": """<time datetime="{{ .Format "2006-01-02" }}">{{ .Format "January 2, 2006" }}</time>""",
    "partials/pagination.html": """{{- if gt .TotalPages 1 }}
<nav class="pagination" aria-label="Pagination">
  {{- if .HasPrev }}
  <a class="pagination-link" rel="prev" href="{{ .Prev.URL }}">← Newer posts</a>
  {{- else }}
  <span class="pagination-link is-disabled" aria-hidden="true">← Newer posts</span>
  {{- end }}
  <span class="pagination-status">Page {{ .PageNumber }} of {{ .TotalPages }}</span>
  {{- if .HasNext }}
  <a class="pagination-link" rel="next" href="{{ .Next.URL }}">Older posts →</a>
  {{- else }}
  <span class="pagination-link is-disabled" aria-hidden="true">Older posts →</span>
  {{- end }}
</nav>
{{- end }}
""",
}

HUGO_CSS = """body { font: 17px/1.6 system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 0 1rem; }
.site-header, .site-footer { display: flex; gap: 1rem; justify-content: space-between; padding: 1rem 0; }
.card-grid { display: grid; gap: 1.5rem; grid-template-columns: repeat(auto-fill, minmax(18rem, 1fr)); }
.card img, .post-cover img { height: auto; max-width: 100%; }
.toc-side { float: right; max-width: 16rem; }
.tag-list, .tag-cloud { display: flex; flex-wrap: wrap; gap: .5rem; list-style: none; padding: 0; }
.pagination { display: flex; justify-content: space-between; margin: 2rem 0; }
.is-disabled { opacity: .4; }
/* Chroma classes (noClasses = false), like Pygments' */
.highlight pre { overflow-x: auto; padding: 1rem; background: #f6f8fa; }
.chroma .k, .chroma .kn, .chroma .kd { color: #cf222e; }
.chroma .s, .chroma .s1, .chroma .s2, .chroma .sa, .chroma .si { color: #0a3069; }
.chroma .c, .chroma .c1 { color: #6e7781; font-style: italic; }
.chroma .nf, .chroma .nc { color: #8250df; }
.chroma .mi, .chroma .mf, .chroma .o { color: #0550ae; }
"""

# What `hugo` leaves in the site besides its sources; all deleted before a cold build.
HUGO_OUTPUTS = ("public", "resources", ".hugo-cache", ".hugo_build.lock")


def hugo_binary() -> str | None:
    """The hugo executable on PATH, or None."""
    return shutil.which("hugo")


def _hugo_env(site: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["HUGO_CACHEDIR"] = str(site / ".hugo-cache")  # not the user's ~/.cache
    return env


def hugo_post_path(post: Post) -> Path:
    """Where the post lives in the Hugo site: its category folder becomes a section."""
    return Path("content") / post.category / f"{post.slug}.md"


def generate_hugo_site(root: Path, md_site: Path, posts: Sequence[Post]) -> Path:
    """hugo-site/ beside md-site/: config, the small theme, and a verbatim copy of every post."""
    site = root / "hugo-site"
    if site.exists():
        shutil.rmtree(site)
    site.mkdir()
    (site / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    for name, text in HUGO_LAYOUTS.items():
        path = site / "layouts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (site / "static").mkdir()
    (site / "static" / "style.css").write_text(HUGO_CSS, encoding="utf-8")
    for post in posts:
        target = site / hugo_post_path(post)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(md_site / post.relpath, target)
    print(f"hugo site: {len(posts)} posts copied verbatim -> {site}", flush=True)
    return site


def _clean_hugo(site: Path) -> None:
    for name in HUGO_OUTPUTS:
        path = site / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def hugo_build(site: Path, binary: str) -> Run:
    """Run `hugo --quiet` in site; raise BenchError unless it exits 0."""
    cmd = [binary, "--quiet"]
    run = run_measured(cmd, cwd=site, env=_hugo_env(site))
    if run.returncode != 0:
        raise BenchError(
            f"hugo failed with exit status {run.returncode}\n"
            f"  command: {' '.join(cmd)} (in {site})\n"
            + _tail("stderr", run.stderr)
            + _tail("stdout", run.stdout)
        )
    return run


def _file_kinds(folder: Path) -> Counter[str]:
    """Files under folder, by kind: html, xml, or other."""
    kinds: Counter[str] = Counter()
    for path in folder.rglob("*"):
        if path.is_file():
            kinds[path.suffix[1:] if path.suffix in {".html", ".xml"} else "other"] += 1
    return kinds


def count_files(kinds: Counter[str]) -> str:
    """e.g. "1095 files (1092 html, 0 xml, 3 other)"."""
    detail = ", ".join(f"{kinds[k]} {k}" for k in ("html", "xml", "other"))
    return f"{sum(kinds.values())} files ({detail})"


def run_hugo(md_site: Path, posts: list[Post], root: Path, binary: str,
             args: argparse.Namespace, report: Report) -> None:
    """Hugo over the same posts: cold, again with nothing changed, after one post changed."""
    n = len(posts)
    version = subprocess.run([binary, "version"], capture_output=True, text=True, check=False)
    print(f"\n== hugo: the same {n} posts built by Hugo on this machine "
          f"({version.stdout.strip() or 'version unknown'}; load {load_text()})", flush=True)
    site = generate_hugo_site(root, md_site, posts)

    cold: list[Run] = []
    for _ in range(args.cold_repeat):
        _clean_hugo(site)
        cold.append(hugo_build(site, binary))
    written = _file_kinds(site / "public")
    # Hugo has no incremental mode outside `hugo server`: this is a full build again.
    unchanged = [hugo_build(site, binary) for _ in range(args.repeat)]

    # The same edit as the nbpress section: the newest post gets a new title and a paragraph.
    target = max(posts, key=lambda p: (p.date, p.slug))
    rng = random.Random(SEED + 1)
    changed: list[Run] = []
    verdicts: list[tuple[bool, str]] = []
    current = target
    path = site / hugo_post_path(target)
    for round_ in range(1, args.repeat + 1):
        edited = _edit(current, round_, rng)
        path.write_text(post_text(edited), encoding="utf-8")
        changed.append(hugo_build(site, binary))
        verdicts.append(verify_change(site / "public", edited, current.title))
        current = edited
    shutil.copyfile(md_site / target.relpath, path)  # restore
    correct = all(ok for ok, _ in verdicts)
    detail = next((d for ok, d in verdicts if not ok), verdicts[-1][1])

    report.hugo_cold = best(cold).seconds
    report.add(f"hugo cold build, same machine ({n} posts)", secs(best(cold).seconds),
               f"team: {REF_HUGO_COLD * n / 1000:.1f} s on theirs",
               note=f"cpu {best(cold).cpu_seconds:.2f} s, {spread(cold)}")
    report.written["hugo"] = count_files(written)
    report.add("  hugo files written, cold build", report.written["hugo"],
               f"nbpress: {report.written['nbpress']}" if "nbpress" in report.written else "")
    t = best(unchanged)
    report.add("hugo rebuild, nothing changed (full build)", secs(t.seconds),
               note=f"cpu {t.cpu_seconds:.2f} s, {spread(unchanged)}")
    t = best(changed)
    report.add("hugo rebuild, one post changed (full build)", secs(t.seconds),
               note=f"cpu {t.cpu_seconds:.2f} s, {spread(changed)}")
    report.add("  hugo correct", "yes" if correct else "no", "post, category page 1, feeds",
               correct, note=detail)
    report.add("hugo peak memory (max RSS, any build)", mib(peak(cold + unchanged + changed)))


# --------------------------------------------------------------------------
# C. Notebook benchmark


def make_notebook(index: int) -> dict[str, Any]:
    """A small nbformat 4.5 notebook without outputs: front matter, import, compute, print, plot."""
    day = dt.date(2024, 1, 1) + dt.timedelta(days=index - 1)
    freq = 1 + index % 7
    sources = [
        ("raw", f"---\ntitle: Notebook {index:02d}\ndate: {day.isoformat()}\n---"),
        ("markdown", f"A small benchmark notebook: a damped sine wave of frequency {freq}."),
        ("code", "import math\n\nimport matplotlib.pyplot as plt"),
        ("code", "xs = [i / 50 for i in range(500)]\n"
                 f"ys = [math.sin({freq} * x) * math.exp(-x / 5) for x in xs]\n"
                 "area = sum(abs(y) for y in ys) / 50"),
        ("code", f'print(f"notebook {index:02d}: area = {{area:.4f}}")'),
        ("code", "fig, ax = plt.subplots(figsize=(4, 2.5))\n"
                 "ax.plot(xs, ys)\n"
                 f'ax.set_title("Notebook {index:02d}")\n'
                 "plt.show()"),
    ]
    cells: list[dict[str, Any]] = []
    for k, (kind, source) in enumerate(sources):
        # Fixed ids, so the files are the same every time.
        cell: dict[str, Any] = {"cell_type": kind, "id": f"cell-{k}", "metadata": {},
                                "source": source.splitlines(keepends=True)}
        if kind == "code":
            cell |= {"execution_count": None, "outputs": []}
        cells.append(cell)
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def generate_nb_site(root: Path, count: int) -> tuple[Path, list[Path]]:
    """A site holding only count notebooks, under notebooks/nb/."""
    site = root / "nb-site"
    write_site(site, "Bench notebooks")
    folder = site / "notebooks" / "nb"
    folder.mkdir(parents=True)
    paths = []
    for i in range(1, count + 1):
        path = folder / f"nb{i:02d}.ipynb"
        path.write_text(json.dumps(make_notebook(i), indent=1) + "\n", encoding="utf-8")
        paths.append(path)
    print(f"corpus: {count} notebooks without outputs -> {folder}", flush=True)
    return site, paths


def _jupyter() -> list[str]:
    beside = Path(sys.executable).parent / "jupyter"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("jupyter")
    return [found] if found else [sys.executable, "-m", "jupyter"]


def run_notebooks(root: Path, args: argparse.Namespace, report: Report) -> None:
    """Serial nbconvert, nbpress --jobs 1 and 2 cold, and a fully cached rebuild."""
    m = args.notebooks
    print(f"\n== notebooks: {m} small notebooks", flush=True)
    site, paths = generate_nb_site(root, m)

    # Untimed: make sure matplotlib's one-time font cache exists before timing.
    subprocess.run([sys.executable, "-c", "import matplotlib.pyplot"], check=False,
                   capture_output=True)
    out = root / "nbconvert-out"
    nbconvert_total: list[float] = []
    nbconvert_peak = 0.0
    for _ in range(args.cold_repeat):
        if out.exists():
            shutil.rmtree(out)
        total = 0.0
        for path in paths:
            cmd = [*_jupyter(), "nbconvert", "--to", "notebook", "--execute",
                   "--output-dir", str(out), str(path)]
            run = run_measured(cmd, cwd=site)
            if run.returncode != 0:
                raise BenchError(f"jupyter nbconvert failed on {path.name}\n" + _tail("stderr", run.stderr))
            total += run.seconds
            nbconvert_peak = max(nbconvert_peak, run.max_rss_mib)
        nbconvert_total.append(total)
    serial = min(nbconvert_total)
    report.add(f"nbconvert --execute, serial ({m} nb)", secs(serial),
               f"team: {REF_NBCONVERT_20 * m / 20:.0f} s",
               note=f"peak {mib(nbconvert_peak)}")

    cold: dict[int, Run] = {}
    for jobs in (1, 2):
        runs = []
        for _ in range(args.cold_repeat):
            _clean(site)
            runs.append(nbpress_build(site, "--execute", "cache", "--jobs", str(jobs),
                                      watch_kernels=True))
        cold[jobs] = best(runs)
        report.add(f"nbpress build --jobs {jobs}, cold", secs(cold[jobs].seconds),
                   note=f"kernels seen: {cold[jobs].kernels}, {spread(runs)}")
    ratio = cold[2].seconds / serial
    report.add("  --jobs 2 / serial nbconvert", f"{ratio:.2f}x", f"<= {TARGET_JOBS2_RATIO}x",
               ratio <= TARGET_JOBS2_RATIO)

    cached = []
    for _ in range(args.repeat):
        _clean(site, cache=False)
        cached.append(nbpress_build(site, "--execute", "cache", watch_kernels=True))
    c = best(cached)
    report.add("rebuild, all notebooks cached", secs(c.seconds), f"< {TARGET_CACHED_NB} s",
               c.seconds < TARGET_CACHED_NB, note=spread(cached))
    kernels = [r.kernels for r in cached]
    n_kernels = None if None in kernels else sum(k or 0 for k in kernels)
    report.add("  kernels started", "n/a" if n_kernels is None else str(n_kernels), "0",
               None if n_kernels is None else n_kernels == 0)
    report.add("peak memory, notebook builds (max RSS)",
               mib(peak(list(cold.values()) + cached)))


# --------------------------------------------------------------------------


def load_text() -> str:
    """The 1, 5 and 15 minute load averages, or "n/a"."""
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def warn_if_busy(limit: float = 0.5) -> None:
    """Say so when other processes are using the CPU: every figure is then noisy."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return
    if load > limit:
        print(f"warning: load average {load:.2f} before starting: other processes are busy, "
              "so the figures will be noisy (compare the run ranges in parentheses)", flush=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line; see the module docstring."""
    p = argparse.ArgumentParser(description="Benchmark nbpress (see bench/README.md).")
    p.add_argument("--posts", type=int, default=1000, help="Markdown posts (default 1000)")
    p.add_argument("--notebooks", type=int, default=20, help="notebooks (default 20)")
    p.add_argument("--only", type=_only, metavar="SECTION[,SECTION...]",
                   help=f"run only these sections, from {', '.join(SECTIONS)} "
                        "(default: all; hugo only when installed)")
    p.add_argument("--keep", metavar="DIR", help="generate in DIR and keep it (default: a temp folder)")
    p.add_argument("--repeat", type=int, default=3, help="runs per rebuild/baseline figure, best kept")
    p.add_argument("--cold-repeat", type=int, default=1, help="runs per cold figure, best kept")
    p.add_argument("--baseline-worker", nargs=2, metavar=("SRC", "OUT"), help=argparse.SUPPRESS)
    p.add_argument("--procs", type=int, default=1, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if min(args.posts, args.notebooks, args.repeat, args.cold_repeat) < 1:
        p.error("--posts, --notebooks, --repeat and --cold-repeat must be at least 1")
    return args


# In this order: the build verdict uses the baseline's machine factor and Hugo's time.
SECTIONS = ("baseline", "hugo", "build", "notebooks")


def _only(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in SECTIONS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"{text!r}: choose from {', '.join(SECTIONS)} (comma-separated)")
    return names


def _sections(only: Sequence[str] | None) -> Iterator[str]:
    for name in SECTIONS:
        if only is None or name in only:
            yield name


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen sections, print the table; 1 if a section failed."""
    args = parse_args(argv)
    if args.baseline_worker:
        baseline_worker(Path(args.baseline_worker[0]), Path(args.baseline_worker[1]), args.procs)
        return 0

    report = Report()
    try:
        root, temporary = prepare_root(args.keep)
    except BenchError as e:
        print(f"bench: error: {e}", file=sys.stderr)
        return 2
    print(f"nbpress bench: python {sys.version.split()[0]}, {os.cpu_count()} cores, in {root}")
    print(f"load average: {load_text()}", flush=True)
    warn_if_busy()
    try:
        md: tuple[Path, list[Post]] | None = None
        for section in _sections(args.only):
            try:
                if section == "notebooks":
                    run_notebooks(root, args, report)
                    continue
                hugo = hugo_binary() if section == "hugo" else None
                if section == "hugo" and hugo is None:
                    print(HUGO_MISSING, flush=True)
                    if args.only is not None:  # asked for by name: it did not run
                        report.failures.append("hugo: not installed")
                    continue
                if md is None:
                    md = generate_md_site(root, args.posts)
                site, posts = md
                if section == "baseline":
                    run_baseline(site, root, len(posts), args.repeat, report)
                elif hugo is not None:
                    run_hugo(site, posts, root, hugo, args, report)
                else:
                    run_build(site, posts, args, report)
            except BenchError as e:
                print(f"\nbench: {section}: {e}", file=sys.stderr, flush=True)
                report.failures.append(f"{section}: {str(e).splitlines()[0]}")
    finally:
        if temporary:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"\nkept: {root}")
    report.print_table()
    print(f"load average at the end: {load_text()}")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
