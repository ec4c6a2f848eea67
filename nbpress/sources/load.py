"""Stage 2: read one source, whatever its format, into a Page."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from nbpress import __version__
from nbpress.errors import Diagnostic, NbpressError
from nbpress.hashing import digest
from nbpress.model import Author, Page, SourceFile, SourceKind
from nbpress.sources.front_matter import FrontMatter, Where, check, check_aliases, parse_yaml, split
from nbpress.sources.links import content_link, content_root
from nbpress.sources.markdown import render_markdown
from nbpress.urls import slugify

NOTEBOOK_KEYS = ("jupyter", "jupytext", "kernelspec")
_FASTPAGES_KEY = re.compile(r"^-\s+([\w-]+)\s*:\s*(.*)$")
_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)


def folder_name(folder: str) -> str:
    """A category name from a folder: data-science -> Data Science (names with capitals kept)."""
    if folder != folder.lower():
        return folder
    return " ".join(word.capitalize() for word in folder.replace("_", "-").split("-") if word)


def _page(source: SourceFile, fm: FrontMatter, kind: SourceKind, raw: bytes, **fields: Any) -> Page:
    stem = Path(source.rel).stem
    resolve = content_link(source.rel)
    if fm.author and fm.author.picture:
        fm.author = Author(fm.author.name, resolve(fm.author.picture))
    folder = source.rel.split("/")[0] if "/" in source.rel else None
    found_title, found_excerpt = fields.pop("title", None), fields.pop("excerpt", "")
    title = fm.title or found_title or stem.replace("-", " ").replace("_", " ").strip().capitalize()
    dated = fm.date is not None
    return Page(
        source=source.path,
        slug=slugify(fm.slug or stem),
        title=title,
        date=fm.date or dt.datetime.fromtimestamp(source.mtime, dt.UTC).replace(tzinfo=None),
        excerpt=fm.excerpt or found_excerpt,
        digest=digest(__version__, source.path, raw),
        kind=kind,
        author=fm.author,
        cover_image=resolve(fm.cover_image) if fm.cover_image else None,
        og_image=resolve(fm.og_image) if fm.og_image else None,
        categories=fm.categories or ((folder_name(folder),) if folder else ()),
        tags=fm.tags,
        draft=fm.draft,
        layout=fm.layout,
        execute=fm.execute,
        depends=fm.depends,
        dated=dated,
        meta=fm.meta,
        **fields,
    )


def load_markdown(source: SourceFile, text: str, raw: bytes, site_dir: Path) -> Page:
    """A Markdown post: YAML front matter and a CommonMark body."""
    block, body, _ = split(text)
    where = Where(source.path, first_line=1, text=block or "")
    fm, problems = check(parse_yaml(block, where) if block is not None else {}, where)
    if problems:
        raise NbpressError(problems)
    links: list[str] = []
    probes: dict[str, bool] = {}
    resolve = content_link(source.rel, links, content_root(source, site_dir), probes)
    rendered = render_markdown(body, title=fm.title, resolve=resolve)
    return _page(
        source, fm, "markdown", raw,
        title=rendered.title, excerpt=rendered.excerpt, body=rendered.html, toc=rendered.headings,
        has_math=rendered.has_math, links=tuple(sorted(set(links))), words=len(body.split()),
        probes=tuple(sorted(probes.items())),
    )


def _fastpages(cell: dict[str, Any]) -> dict[str, Any] | None:
    """Front matter from a fastpages-style first markdown cell, or None if it is not one."""
    lines = [line.strip() for line in "".join(cell.get("source", "")).splitlines() if line.strip()]
    if not lines or not lines[0].startswith("# "):
        return None
    data: dict[str, Any] = {"title": lines[0][2:].strip()}
    for line in lines[1:]:
        if line.startswith(">"):
            data["excerpt"] = (data.get("excerpt", "") + " " + line[1:].strip()).strip()
            continue
        match = _FASTPAGES_KEY.match(line)
        if not match:
            return None
        key, value = match.groups()
        try:
            data[key] = json.loads(value) if value.startswith("[") else value.strip("\"'")
        except json.JSONDecodeError:
            data[key] = [v.strip(" \"'") for v in value.strip("[]").split(",") if v.strip()]
        if data[key] in ("true", "false"):
            data[key] = data[key] == "true"
    return data


def notebook_front_matter(
    nb: dict[str, Any], path: str, text_header: str | None = None
) -> tuple[dict[str, Any], int, Where]:
    """The front matter of a notebook, how many leading cells it takes out of the body, and where it is."""
    cells = nb.get("cells", [])
    first = cells[0] if cells else None
    source = "".join(first.get("source", "")) if first else ""
    if first and first.get("cell_type") == "raw" and source.lstrip().startswith("---"):
        block, _, _ = split(source.lstrip() + ("\n" if not source.endswith("\n") else ""))
        where = Where(path, first_line=1, text=text_header) if text_header is not None else Where(path, cell=1)
        return parse_yaml(block or "", where), 1, where
    meta = nb.get("metadata", {}).get("nbpress")
    if isinstance(meta, dict):
        return meta, 0, Where(path)  # in the notebook's metadata, not in a cell
    if first and first.get("cell_type") == "markdown":
        fast = _fastpages(first)
        if fast is not None and len(fast) > 1:
            return fast, 1, Where(path, cell=1)
    return {}, 0, Where(path)


def read_notebook(source: SourceFile, text: str) -> dict[str, Any]:
    """The notebook as nbformat v4 JSON, from .ipynb (any version) or a jupytext text file."""
    if source.kind == "ipynb":
        try:
            nb = json.loads(text)
        except json.JSONDecodeError as exc:
            raise NbpressError(Diagnostic(f"invalid notebook JSON: {exc.msg}", source.path, exc.lineno)) from None
        if not isinstance(nb, dict) or not isinstance(nb.get("cells", nb.get("worksheets")), list):
            raise NbpressError(Diagnostic("not a Jupyter notebook (no cells)", source.path))
        if nb.get("nbformat", 4) < 4:
            import nbformat  # only sites with old notebooks pay for this import

            try:
                nb = json.loads(nbformat.writes(nbformat.reads(text, as_version=4)))
            except Exception as exc:
                raise NbpressError(Diagnostic(f"cannot upgrade notebook: {exc}", source.path)) from None
        return nb
    import jupytext  # only sites with text notebooks pay for this import

    fmt = "py:percent" if source.kind == "py" else "md"
    try:
        notebook = jupytext.reads(text, fmt=fmt)
    except Exception as exc:
        raise NbpressError(Diagnostic(f"invalid {fmt} notebook: {exc}", source.path)) from None
    return json.loads(json.dumps(notebook))


def load_notebook(source: SourceFile, text: str, raw: bytes, kind: SourceKind) -> Page:
    """A notebook: front matter as DESIGN.md orders it; cells kept for execution and rendering."""
    header = split(text)[0] if source.kind != "ipynb" else None
    if source.kind == "py":
        header = _py_header(text)
    if header is not None:
        check_aliases(header, Where(source.path, first_line=1, text=header))
    nb = read_notebook(source, text)
    raw_fm, skip, where = notebook_front_matter(nb, source.path, header)
    fm, problems = check(raw_fm, where)
    if problems:
        raise NbpressError(problems)
    markdown = ["".join(c.get("source", "")) for c in nb["cells"][skip:] if c.get("cell_type") == "markdown"]
    title = None
    if fm.title is None:
        match = next((m for m in map(_H1.search, markdown) if m), None)
        title = match.group(1) if match else None
    excerpt = next((e for e in (render_markdown(md, title="").excerpt for md in markdown) if e), "")
    nb["metadata"].setdefault("nbpress", {})["skip_cells"] = skip
    words = sum(len("".join(c.get("source", "")).split()) for c in nb["cells"][skip:])
    return _page(source, fm, kind, raw, title=title, excerpt=excerpt, body="", notebook=nb, words=words)


def _py_header(text: str) -> str | None:
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[2:] if line.startswith("# ") else line[1:])
        if len(lines) > 1 and line.strip() == "# ---":
            return "\n" + "\n".join(lines[1:]) + "\n"  # like split(): the block starts after '---'

    return None


def load_page(source: SourceFile, site_dir: Path) -> Page | None:
    """The Page for one source; None for a text notebook whose .ipynb twin is the page."""
    raw = (site_dir / source.path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise NbpressError(Diagnostic("not UTF-8 text", source.path, line)) from None
    if source.kind == "md":
        block, _, _ = split(text)
        is_notebook = block is not None and re.search(
            rf"^({'|'.join(NOTEBOOK_KEYS)})\s*:", block, re.MULTILINE
        ) is not None
        if not is_notebook:
            return load_markdown(source, text, raw, site_dir)
        if source.paired:
            return None
        return load_notebook(source, text, raw, "md-notebook")
    return load_notebook(source, text, raw, "ipynb" if source.kind == "ipynb" else "py")
