"""The generated corpus: Markdown posts with Next.js blog-starter front matter, the same on every machine.

The text comes from a small grammar driven by a seeded random.Random, so `make_posts(1000)`
gives the same 1000 posts everywhere; the edit the build benchmark makes is seeded too.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import random
import re
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.measure import BenchError

SEED = 20240101
MARKER = ".nbpress-bench"  # in a --keep folder: made by the benchmark, safe to delete

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
    def file(self) -> Path:
        """Where the post lives in a site's content folder (notebooks/ for nbpress, content/ for Hugo)."""
        return Path(self.category) / f"{self.slug}.md"


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


def write_posts(folder: Path, posts: Sequence[Post]) -> None:
    """Write each post to folder/<category>/<slug>.md (folder: a site's notebooks/ or content/)."""
    for post in posts:
        path = folder / post.file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(post_text(post), encoding="utf-8")


# A 16x9 JPEG: the blog-starter ships a cover for every post and a picture of every author, so the corpus
# does too (a site whose 2000 images are all missing would measure its warnings, not its build).
IMAGE = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAA0JCgsKCA0LCgsODg0PEyAVExISEyccHhcgLikxMC4pLSwzOko+MzZGNywtQFdBRkxOUlNSMj5a"
    "YVpQYEpRUk//2wBDAQ4ODhMREyYVFSZPNS01T09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT0//wAARCAAJ"
    "ABADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJx"
    "FDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWW"
    "l5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAEC"
    "AwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2"
    "Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU"
    "1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwChRRRXpHCf/9k=")


def write_images(folder: Path, posts: Sequence[Post]) -> None:
    """The images the posts' front matter names, under folder/assets/blog/ (folder: notebooks/ or static/)."""
    for path in {*(f"{p.slug}/cover.jpg" for p in posts), *(f"authors/{p.author[1]}.jpeg" for p in posts)}:
        target = folder / "assets" / "blog" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(IMAGE)


def write_site(site: Path, title: str = "Bench", search: bool = True) -> None:
    """A fresh, empty nbpress site folder with its nbpress.toml (search on unless told)."""
    if site.exists():
        shutil.rmtree(site)
    (site / "notebooks").mkdir(parents=True)
    toml = f'title = "{title}"\n' + ("" if search else "search = false\n")
    (site / "nbpress.toml").write_text(toml, encoding="utf-8")


@dataclass(frozen=True)
class Corpus:
    """The generated posts, and the nbpress site (settings as a user gets them) that holds them."""

    posts: list[Post]
    site: Path


def generate_corpus(root: Path, count: int) -> Corpus:
    """Generate the Markdown site once, in root/md-site; report its size."""
    start = time.perf_counter()
    posts = make_posts(count)
    site = root / "md-site"
    write_site(site)
    write_posts(site / "notebooks", posts)
    write_images(site / "notebooks", posts)
    words = sum(_words(p.body) for p in posts) / max(1, len(posts))
    size = sum(f.stat().st_size for f in (site / "notebooks").rglob("*.md"))
    print(
        f"corpus: {count} posts in {len(CATEGORIES)} categories, "
        f"{size / 1e6:.1f} MB, ~{words:.0f} words each, "
        f"generated in {time.perf_counter() - start:.1f} s -> {site}",
        flush=True,
    )
    return Corpus(posts, site)


def newest(posts: Sequence[Post]) -> Post:
    """The post the rebuild benchmarks edit: the newest, so it is on page one of its category and in the feeds."""
    return max(posts, key=lambda p: (p.date, p.slug))


def search_word(rng: random.Random) -> str:
    """A made-up word, no English stemmer changes it (consonants only, no s, l or y), so the index holds it as is."""
    return "zq" + "".join(rng.choice("bcdfghjkmnpqrtvwxz") for _ in range(8))


@dataclass(frozen=True)
class PostEdit:
    """One round of the one-post-changed rebuild: the post as edited, and the word its new paragraph adds."""

    post: Post
    word: str


def edit_post(post: Post, round_: int) -> PostEdit:
    """The original post with a new title and one more paragraph holding a new made-up word.

    Each round starts from the original, so the word of the round before is gone again: a search
    index that still finds it is stale.
    """
    rng = random.Random(SEED + round_)
    word = search_word(rng)
    title = f"Bench Edited Title Round {round_} {rng.randrange(10**6):06d}"
    paragraph = Prose(rng).paragraph() + f" The {word} shows that this paragraph is new."
    return PostEdit(dataclasses.replace(post, title=title, body=post.body + "\n" + paragraph + "\n"), word)


def prepare_root(keep: str | None) -> tuple[Path, bool]:
    """The folder everything is generated in, and whether to delete it at the end."""
    if keep is None:
        return Path(tempfile.mkdtemp(prefix="nbpress-bench-")), True
    root = Path(keep).resolve()
    if root.exists() and any(root.iterdir()) and not (root / MARKER).exists():
        raise BenchError(f"--keep {keep}: folder exists, is not empty and was not made by the benchmark")
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("made by `python -m bench`; safe to delete\n")
    return root, False
