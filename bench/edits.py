"""A small site and seeded random edits to it, for checking that a build in place equals a build from nothing.

    make_site(folder, posts=12, seed=1)
    rng = random.Random(1)
    for edit in random_edits(rng, folder, 30):
        edit.apply()
        ...  # build folder in place, build a copy of its sources from nothing, compare the trees;
        ...  # edit.describe() says what changed, for the failure message

The edits are the ordinary ones: retitle, re-date, recategorise, retag, rename or move a file,
toggle draft, edit, add or remove a layout (the site's own or an override of a built-in one),
change page_size or the site title, edit, add or remove an asset, edit a post's or a
notebook's prose, add or delete a post. Each edit is drawn from the folder as it is when it is
drawn (which posts exist, what their front matter says), so apply one before drawing the next:
`random_edits` is a generator. The same seed on the same site gives the same edits everywhere.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
import re
import shutil
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import nbformat.v4 as v4
import yaml

from bench.corpus import Prose
from nbpress.site.theme import THEME_DIR

CATEGORIES = ("python", "data", "web")  # the folders under notebooks/
OTHER_CATEGORIES = ("Data Science", "ops")  # only ever in front matter: one with a space and capitals
TAGS = ("pandas", "numpy", "asyncio", "testing", "css", "caching", "plotting", "sql")
SERIES = ("Advent of Code", "Deep dive")  # a front-matter field with its own layout, series/[series].html
OVERRIDABLE = ("_base.html", "404.html")  # built-in layouts an edit may copy into layouts/ and change
MIN_SOURCES = 4  # deletions stop here
MIN_PUBLISHED = 3  # drafting stops here

SETTINGS = 'title = "Edits"\npage_size = 3\n'

# The site's own layouts, beside the built-in theme. The notes page lists, on every post's
# notes, the other posts of its categories through pages_of(): what that page shows changes
# when another post does, so a build must know that it read them.
LAYOUTS = {
    "notes/[slug].html": """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Notes: {{ page.title }}</title></head>
<body>
<h1>{{ page.title }}</h1>
<p>{{ page.date|iso_date }} · {{ page.categories|join(", ") }} · {{ page.tags|join(", ") }}</p>
{% for c in categories if c.name in page.categories %}
<section><h2><a href="{{ url(c.url) }}">{{ c.name }}</a></h2>
<ol>{% for p in pages_of(c) %}<li><a href="{{ url(p.url) }}">{{ p.title }}</a></li>{% endfor %}</ol></section>
{% endfor %}
</body></html>
""",
    "reading-list.html": """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Reading list · {{ site.title }}</title></head>
<body>
<h1>Reading list</h1>
{% for c in categories %}
<h2>{{ c.name }} ({{ c.pages|length }})</h2>
<ul>{% for p in pages_of(c)[:2] %}<li>{{ p.title }} <time>{{ p.date|iso_date }}</time></li>{% endfor %}</ul>
{% endfor %}
<p>{% for t in tags %}#{{ t.name }} {% endfor %}</p>
</body></html>
""",
    "series/[series].html": """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ collection.name }} · {{ site.title }}</title></head>
<body>
<h1>Series: {{ collection.name }}</h1>
<ol>{% for p in pages %}<li><a href="{{ url(p.url) }}">{{ p.title }}</a> {{ p.excerpt }}</li>{% endfor %}</ol>
</body></html>
""",
}


@dataclass(frozen=True)
class Edit:
    """One change to a site's sources; nothing happens until apply()."""

    kind: str  # which edit: "retitle", "rename", ...
    path: str  # the file it changes, relative to the site ("notebooks/web/x.md")
    detail: str  # what it does: "title 'Old' -> 'New'"
    change: Callable[[], object] = field(repr=False, compare=False)

    def apply(self) -> None:
        """Make the change on disk."""
        self.change()

    def describe(self) -> str:
        """One line for a failure message."""
        return f"{self.kind} {self.path}: {self.detail}"


# --- reading and writing the site ------------------------------------------------------------------

_FRONT = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.DOTALL)


def sources(site: Path) -> list[Path]:
    """The posts and notebooks under notebooks/, sorted."""
    return sorted(p for p in (site / "notebooks").rglob("*") if p.suffix in (".md", ".ipynb")
                  and "assets" not in p.relative_to(site / "notebooks").parts)


def assets(site: Path) -> list[Path]:
    """The files under notebooks/assets/, sorted."""
    return sorted(p for p in (site / "notebooks" / "assets").rglob("*") if p.is_file())


def read_meta(path: Path) -> dict[str, Any]:
    """A source's front matter (a Markdown post's YAML block, a notebook's first raw cell)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        text = nbformat.reads(text, as_version=4).cells[0].source + "\n"
    match = _FRONT.match(text)
    meta = yaml.safe_load(match.group(1)) if match else None
    return meta if isinstance(meta, dict) else {}


def write_meta(path: Path, meta: dict[str, Any]) -> None:
    """Replace a source's front matter, keeping the rest of it."""
    block = "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---"
    if path.suffix == ".ipynb":
        notebook = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        notebook.cells[0].source = block
        path.write_text(nbformat.writes(notebook), encoding="utf-8")
    else:
        match = _FRONT.match(path.read_text(encoding="utf-8"))
        path.write_text(block + "\n" + (match.group(2) if match else ""), encoding="utf-8")


def _rel(site: Path, path: Path) -> str:
    return path.relative_to(site).as_posix()


def _date(rng: random.Random) -> str:
    return (dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3650))).isoformat()


def _png(rgb: tuple[int, int, int]) -> bytes:
    """A real 2x2 PNG of one colour."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + bytes(rgb) * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _colour(rng: random.Random) -> tuple[int, int, int]:
    return rng.randrange(256), rng.randrange(256), rng.randrange(256)


def _insert(text: str, line: str) -> str:
    """line before </body>, or in a layout that extends another, at the end of its last block."""
    for mark in ("</body>", "{% endblock %}"):
        at = text.rfind(mark)
        if at >= 0:
            return text[:at] + line + "\n" + text[at:]
    return text + line + "\n"


def _unique_slug(site: Path, prose: Prose) -> str:
    taken = {p.stem for p in sources(site)}
    while True:
        slug = re.sub(r"[^a-z0-9]+", "-", prose.title().lower()).strip("-")
        if slug not in taken:
            return slug


def _post_text(meta: dict[str, Any], body: str) -> str:
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n" + body


def _post_body(rng: random.Random, links: list[str]) -> str:
    prose = Prose(rng)
    parts = [prose.paragraph(), f"## {prose.heading()}", prose.paragraph()]
    if links:
        parts.append(f"See also [an earlier post]({rng.choice(links)}).")
    if rng.random() < 0.4:
        parts.append("```python\nprint(sum(range(10)))\n```")
    return "\n\n".join(parts) + "\n"


def _notebook(rng: random.Random, meta: dict[str, Any], image: bool) -> str:
    prose = Prose(rng)
    outputs = [v4.new_output("stream", name="stdout", text="45\n")]
    if image:
        png = base64.b64encode(_png(_colour(rng))).decode()
        outputs.append(v4.new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"}))
    cells = [
        v4.new_raw_cell("---\n" + yaml.safe_dump(meta, sort_keys=False) + "---", id="front-matter"),
        v4.new_markdown_cell(prose.paragraph(), id="intro"),
        v4.new_code_cell("print(sum(range(10)))", execution_count=1, outputs=outputs, id="sum"),
        v4.new_markdown_cell(prose.paragraph(), id="outro"),
    ]
    kernel = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
              "language_info": {"name": "python"}}
    return str(nbformat.writes(v4.new_notebook(cells=cells, metadata=kernel)))


def make_site(folder: Path, posts: int = 12, seed: int = 0, search: bool = False, notebooks: int = 2) -> Path:
    """A small site in folder: posts and notebooks (saved with outputs, so nothing runs) over three
    category folders, tags, a series, cover images, links between posts, and layouts of its own."""
    rng = random.Random(seed)
    prose = Prose(rng)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nbpress.toml").write_text(SETTINGS + ("" if search else "search = false\n"), encoding="utf-8")
    for name, text in LAYOUTS.items():
        path = folder / "layouts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    images = folder / "notebooks" / "assets" / "img"
    images.mkdir(parents=True)
    for i in range(3):
        (images / f"cover-{i}.png").write_bytes(_png(_colour(rng)))
    (folder / "notebooks" / "assets" / "data.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    links: list[str] = []
    for i in range(posts + notebooks):
        category = CATEGORIES[i % len(CATEGORIES)]
        slug = _unique_slug(folder, prose)
        meta: dict[str, Any] = {"title": prose.title(), "date": _date(rng),
                                "tags": rng.sample(TAGS, rng.randint(1, 3))}
        if rng.random() < 0.5:
            meta["excerpt"] = prose.sentence()
        if rng.random() < 0.3:
            meta["coverImage"] = f"/assets/img/cover-{rng.randrange(3)}.png"
        if rng.random() < 0.2:
            meta["category"] = rng.choice(OTHER_CATEGORIES)
        if rng.random() < 0.3:
            meta["series"] = rng.choice(SERIES)
        path = folder / "notebooks" / category / slug
        path.parent.mkdir(parents=True, exist_ok=True)
        if i < posts:
            path.with_suffix(".md").write_text(_post_text(meta, _post_body(rng, links)), encoding="utf-8")
            links.append(f"/{category}/{slug}.md")
        else:
            path.with_suffix(".ipynb").write_text(_notebook(rng, meta, image=i == posts), encoding="utf-8")
    return folder


# --- the edits: each draws its change from the site as it is, or returns None when it cannot ---------


def _set_meta(site: Path, path: Path, kind: str, changes: dict[str, Any]) -> Edit:
    """An edit of front-matter keys (a value of None removes the key)."""
    meta = read_meta(path)
    detail = ", ".join(f"{k} {meta.get(k)!r} -> {v!r}" for k, v in changes.items() if meta.get(k) != v) or "no change"

    def change() -> None:
        new = read_meta(path)
        for key, value in changes.items():
            if value is None:
                new.pop(key, None)
            else:
                new[key] = value
        write_meta(path, new)

    return Edit(kind, _rel(site, path), detail, change)


def retitle(rng: random.Random, site: Path) -> Edit | None:
    """A new title."""
    path = rng.choice(sources(site))
    return _set_meta(site, path, "retitle", {"title": Prose(rng).title()})


def redate(rng: random.Random, site: Path) -> Edit | None:
    """Another date; now and then one far in the future (a draft until then)."""
    path = rng.choice(sources(site))
    date = _date(rng) if rng.random() < 0.9 else f"2099-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
    return _set_meta(site, path, "redate", {"date": date})


def recategorise(rng: random.Random, site: Path) -> Edit | None:
    """Another category in front matter, two categories, or none (the folder's again)."""
    path = rng.choice(sources(site))
    roll = rng.random()
    if roll < 0.25:
        return _set_meta(site, path, "recategorise", {"category": None, "categories": None})
    names = list(CATEGORIES + OTHER_CATEGORIES)
    if roll < 0.45:
        return _set_meta(site, path, "recategorise", {"category": None, "categories": rng.sample(names, 2)})
    return _set_meta(site, path, "recategorise", {"categories": None, "category": rng.choice(names)})


def retag(rng: random.Random, site: Path) -> Edit | None:
    """A tag added, a tag removed, or new tags."""
    path = rng.choice(sources(site))
    tags = list(read_meta(path).get("tags") or [])
    roll = rng.random()
    if roll < 0.4 and len(tags) < len(TAGS):
        tags.append(rng.choice([t for t in TAGS if t not in tags]))
    elif roll < 0.7 and tags:
        tags.remove(rng.choice(tags))
    else:
        tags = rng.sample(TAGS, rng.randint(1, 3))
    return _set_meta(site, path, "retag", {"tags": tags or None})


def reseries(rng: random.Random, site: Path) -> Edit | None:
    """Into another series (a front-matter field with its own layout), or out of it."""
    path = rng.choice(sources(site))
    current = read_meta(path).get("series")
    value = None if current and rng.random() < 0.4 else rng.choice([s for s in SERIES if s != current])
    return _set_meta(site, path, "reseries", {"series": value})


def toggle_draft(rng: random.Random, site: Path) -> Edit | None:
    """draft: true, or the draft published again."""
    paths = sources(site)
    path = rng.choice(paths)
    if read_meta(path).get("draft"):
        return _set_meta(site, path, "toggle draft", {"draft": None})
    if sum(not read_meta(p).get("draft") for p in paths) <= MIN_PUBLISHED:
        return None
    return _set_meta(site, path, "toggle draft", {"draft": True})


def rename(rng: random.Random, site: Path) -> Edit | None:
    """A new file name (so a new slug and URL), sometimes in another category folder."""
    path = rng.choice(sources(site))
    folder = path.parent
    if rng.random() < 0.3:
        folder = site / "notebooks" / rng.choice([c for c in CATEGORIES if c != path.parent.name])
    target = folder / (_unique_slug(site, Prose(rng)) + path.suffix)

    def change() -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        path.rename(target)

    return Edit("rename", _rel(site, path), f"-> {_rel(site, target)}", change)


def edit_body(rng: random.Random, site: Path) -> Edit | None:
    """A Markdown post's text: a paragraph added at the end."""
    posts = [p for p in sources(site) if p.suffix == ".md"]
    if not posts:
        return None
    path = rng.choice(posts)
    paragraph = Prose(rng).paragraph()

    def change() -> None:
        path.write_text(path.read_text(encoding="utf-8") + "\n" + paragraph + "\n", encoding="utf-8")

    return Edit("edit body", _rel(site, path), f"+ {paragraph[:50]!r}...", change)


def notebook_prose(rng: random.Random, site: Path) -> Edit | None:
    """A notebook's markdown cell rewritten."""
    notebooks = [p for p in sources(site) if p.suffix == ".ipynb"]
    if not notebooks:
        return None
    path = rng.choice(notebooks)
    text = Prose(rng).paragraph()
    which = rng.choice(["intro", "outro"])

    def change() -> None:
        notebook = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        for cell in notebook.cells:
            if cell.get("id") == which:
                cell.source = text
        path.write_text(nbformat.writes(notebook), encoding="utf-8")

    return Edit("notebook prose", _rel(site, path), f"cell {which} = {text[:50]!r}...", change)


def edit_layout(rng: random.Random, site: Path) -> Edit | None:
    """One of the site's layouts changed, a layout added or removed, or a built-in one overridden or restored."""
    layouts = site / "layouts"
    own = sorted(p for p in layouts.rglob("*.html"))
    extras = [p for p in own if p.name.startswith("extra-")]
    roll = rng.random()
    if roll < 0.4 and own:
        path = rng.choice(own)
        line = f"<p class=\"edit\">{Prose(rng).clause()}</p>"

        def change() -> None:
            path.write_text(_insert(path.read_text(encoding="utf-8"), line), encoding="utf-8")

        return Edit("edit layout", _rel(site, path), f"+ {line}", change)
    if roll < 0.55:
        path = layouts / f"extra-{rng.randrange(1000)}.html"
        text = ('<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{{ site.title }}</title></head>\n'
                "<body><p>{{ pages|length }} posts, newest: {{ (pages|first).title }}</p></body></html>\n")
        return Edit("add layout", _rel(site, path), "a new page", lambda: path.write_text(text, encoding="utf-8"))
    if roll < 0.65 and extras:
        path = rng.choice(extras)
        return Edit("remove layout", _rel(site, path), "its page goes", path.unlink)
    name = rng.choice(OVERRIDABLE)
    path = layouts / name
    if path.exists() and rng.random() < 0.5:
        return Edit("restore layout", _rel(site, path), "the built-in one again", path.unlink)
    comment = f"<!-- {Prose(rng).clause()} -->"

    def override() -> None:
        text = (path if path.exists() else THEME_DIR / name).read_text(encoding="utf-8")
        path.write_text(_insert(text, comment), encoding="utf-8")

    return Edit("override layout", _rel(site, path), f"+ {comment}", override)


def _set_setting(site: Path, kind: str, key: str, value: str) -> Edit:
    path = site / "nbpress.toml"
    old = re.search(rf"^{key} = (.*)$", path.read_text(encoding="utf-8"), re.MULTILINE)

    def change() -> None:
        text = path.read_text(encoding="utf-8")
        text, found = re.subn(rf"^{key} = .*$", f"{key} = {value}", text, flags=re.MULTILINE)
        path.write_text(text if found else f"{key} = {value}\n" + text, encoding="utf-8")

    return Edit(kind, "nbpress.toml", f"{key} {old.group(1) if old else None} -> {value}", change)


def page_size(rng: random.Random, site: Path) -> Edit | None:
    """page_size changed (so every paginated list is cut differently)."""
    current = re.search(r"^page_size = (\d+)", (site / "nbpress.toml").read_text(encoding="utf-8"), re.MULTILINE)
    sizes = [n for n in range(1, 6) if not current or n != int(current.group(1))]
    return _set_setting(site, "page size", "page_size", str(rng.choice(sizes)))


def site_title(rng: random.Random, site: Path) -> Edit | None:
    """The site's title changed (every page shows it)."""
    return _set_setting(site, "site title", "title", f'"{Prose(rng).title()}"')


def edit_asset(rng: random.Random, site: Path) -> Edit | None:
    """An image or data file changed, added or removed."""
    files = assets(site)
    roll = rng.random()
    if roll < 0.6 and files:
        path = rng.choice(files)
        data = _png(_colour(rng)) if path.suffix == ".png" else f"{rng.randrange(100)},{rng.randrange(100)}\n".encode()

        def change() -> None:
            path.write_bytes(data if path.suffix == ".png" else path.read_bytes() + data)

        return Edit("edit asset", _rel(site, path), f"{len(data)} new bytes", change)
    if roll < 0.85 or len(files) < 2:
        path = site / "notebooks" / "assets" / "img" / f"cover-{rng.randrange(3, 100)}.png"
        data = _png(_colour(rng))
        return Edit("add asset", _rel(site, path), "a new image", lambda: path.write_bytes(data))
    path = rng.choice(files)
    return Edit("remove asset", _rel(site, path), "deleted", path.unlink)


def add_post(rng: random.Random, site: Path) -> Edit | None:
    """A new Markdown post."""
    prose = Prose(rng)
    category = rng.choice(CATEGORIES)
    path = site / "notebooks" / category / (_unique_slug(site, prose) + ".md")
    meta = {"title": prose.title(), "date": _date(rng), "tags": rng.sample(TAGS, rng.randint(1, 2))}
    links = [f"/{p.parent.name}/{p.name}" for p in sources(site) if p.suffix == ".md"]
    text = _post_text(meta, _post_body(rng, links))

    def change() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    return Edit("add post", _rel(site, path), repr(meta["title"]), change)


def delete_post(rng: random.Random, site: Path) -> Edit | None:
    """A post or notebook deleted."""
    paths = sources(site)
    if len(paths) <= MIN_SOURCES:
        return None
    path = rng.choice(paths)
    return Edit("delete post", _rel(site, path), "deleted", path.unlink)


EditMaker = Callable[[random.Random, Path], Edit | None]

# Every kind of edit, by name; random_edits draws from them evenly.
KINDS: dict[str, EditMaker] = {
    "retitle": retitle,
    "redate": redate,
    "recategorise": recategorise,
    "retag": retag,
    "reseries": reseries,
    "toggle draft": toggle_draft,
    "rename": rename,
    "edit body": edit_body,
    "notebook prose": notebook_prose,
    "edit layout": edit_layout,
    "page size": page_size,
    "site title": site_title,
    "edit asset": edit_asset,
    "add post": add_post,
    "delete post": delete_post,
}


def random_edits(rng: random.Random, site: Path, count: int, kinds: dict[str, EditMaker] = KINDS) -> Iterator[Edit]:
    """count edits drawn one at a time from the site as it is then; apply each before drawing the next."""
    makers = list(kinds.values())
    made = 0
    while made < count:
        edit = rng.choice(makers)(rng, site)
        if edit is not None:
            made += 1
            yield edit


def copy_sources(site: Path, dest: Path) -> Path:
    """A copy of everything a build reads (not output/ or .nbpress/), file times kept, in a fresh dest."""
    if dest.exists():
        shutil.rmtree(dest)
    top = site.resolve()
    shutil.copytree(site, dest, ignore=lambda folder, names: [n for n in names if Path(folder).resolve() == top
                                                              and n in ("output", ".nbpress")])
    return dest
