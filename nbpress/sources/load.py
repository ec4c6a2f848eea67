"""Stage 2: read one source, whatever its format, into a Page."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from pathlib import Path
from typing import Any

import yaml

from nbpress import __version__
from nbpress.errors import Diagnostic, NbpressError
from nbpress.hashing import digest
from nbpress.model import Author, Page, SourceFile, SourceKind
from nbpress.sources.front_matter import (
    FrontMatter,
    Where,
    check,
    check_aliases,
    check_jupytext_header,
    holds_mapping,
    jupyter_lines,
    parse_yaml,
    split,
)
from nbpress.sources.links import content_link, content_root
from nbpress.sources.markdown import first_h1, render_markdown
from nbpress.sources.options import option_tags
from nbpress.sources.structure import check_notebook
from nbpress.urls import script_hosts, slugify

NOTEBOOK_KEYS = ("jupyter", "jupytext", "kernelspec")
_FASTPAGES_KEY = re.compile(r"^-\s+([\w-]+)\s*:\s*(.*)$")
_DATED_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")  # Jekyll and fastpages: 2020-02-20-name.md


def folder_name(folder: str) -> str:
    """A category name from a folder: data-science -> Data Science (names with capitals kept)."""
    if folder != folder.lower():
        return folder
    return " ".join(word.capitalize() for word in folder.replace("_", "-").split("-") if word)


def name_date(stem: str) -> tuple[dt.datetime | None, str]:
    """The date and the name in a Jekyll-style file name (2020-02-20-my-post -> 2020-02-20, my-post)."""
    match = _DATED_NAME.match(stem)
    if match:
        try:
            return dt.datetime(int(match[1]), int(match[2]), int(match[3])), match[4]
        except ValueError:  # 2020-13-45-x is a name, not a date
            pass
    return None, stem


def _page(source: SourceFile, fm: FrontMatter, kind: SourceKind, raw: bytes, **fields: Any) -> Page:
    stem = Path(source.rel).stem
    named_date, name = name_date(stem)
    resolve = content_link(source.rel)
    if fm.author and fm.author.picture:
        fm.author = Author(fm.author.name, resolve(fm.author.picture))
    folder = source.rel.split("/")[0] if "/" in source.rel else None
    found_title, found_excerpt = fields.pop("title", None), fields.pop("excerpt", "")
    title = fm.title or found_title or name.replace("-", " ").replace("_", " ").strip().capitalize()
    date = fm.date or named_date
    og_image = fm.og_image or fm.image
    return Page(
        source=source.path,
        slug=slugify(fm.slug or name),
        title=title,
        date=date or dt.datetime.fromtimestamp(source.mtime, dt.UTC).replace(tzinfo=None),
        excerpt=fm.excerpt or found_excerpt,
        digest=digest(__version__, source.path, raw),
        kind=kind,
        author=fm.author,
        cover_image=resolve(fm.cover_image) if fm.cover_image else None,
        og_image=resolve(og_image) if og_image else None,
        categories=fm.categories or ((folder_name(folder),) if folder else ()),
        tags=fm.tags,
        draft=fm.draft,
        layout=fm.layout,
        execute=fm.execute,
        depends=fm.depends,
        dated=date is not None,
        meta=fm.meta,
        key_lines=fm.key_lines,
        pinned=fm.pinned,
        permalink=fm.permalink,
        aliases=fm.aliases,
        **fields,
    )


def load_markdown(source: SourceFile, text: str, raw: bytes, site_dir: Path) -> Page:
    """A Markdown post: YAML front matter and a CommonMark body."""
    block, body, _ = split(text)
    where = Where(source.path, first_line=1, text=block or "")
    fm, problems = check(parse_yaml(block, where) if block is not None else {}, where)
    errors, warnings = _split(problems)
    if errors:
        raise NbpressError(errors)
    links: list[str] = []
    probes: dict[str, bool] = {}
    resolve = content_link(source.rel, links, content_root(source, site_dir), probes)
    rendered = render_markdown(body, title=fm.title, resolve=resolve)
    warnings += [Diagnostic(f"the post loads files from another host, {host}: readers' browsers contact it, and "
                            "the page does not work offline", source.path, severity="warning")
                 for host in script_hosts(rendered.html)]
    return _page(
        source, fm, "markdown", raw,
        title=rendered.title, excerpt=rendered.excerpt, body=rendered.html,
        toc=rendered.headings if fm.meta.get("toc") is not False else (),
        has_math=rendered.has_math, links=tuple(sorted(set(links))), words=len(body.split()), warnings=tuple(warnings),
        probes=tuple(sorted(probes.items())),
    )


def _split(problems: list[Diagnostic]) -> tuple[list[Diagnostic], list[Diagnostic]]:
    return [p for p in problems if p.severity == "error"], [p for p in problems if p.severity == "warning"]


def _unquote(text: str) -> str:
    """fastpages writes `# "Title"` and `> "summary"` and shows them without the quotes."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1].strip()
    return text


def _fastpages(cell: dict[str, Any]) -> dict[str, Any] | None:
    """Front matter from a fastpages-style first markdown cell, or None if it is not one."""
    lines = [line.strip() for line in cell["source"].splitlines() if line.strip()]
    if not lines or not lines[0].startswith("# "):
        return None
    data: dict[str, Any] = {"title": _unquote(lines[0][2:])}
    for line in lines[1:]:
        if line.startswith(">"):
            data["excerpt"] = (data.get("excerpt", "") + " " + _unquote(line[1:])).strip()
            continue
        match = _FASTPAGES_KEY.match(line)
        if not match:
            return None
        key, value = match.groups()
        try:
            data[key] = json.loads(value) if value.startswith("[") else _unquote(value)
        except (json.JSONDecodeError, RecursionError):
            data[key] = [v.strip(" \"'") for v in value.strip("[]").split(",") if v.strip()]
        if data[key] in ("true", "false"):
            data[key] = data[key] == "true"
    return data


def notebook_front_matter(
    nb: dict[str, Any], path: str, text_header: str | None = None
) -> tuple[dict[str, Any], int, Where]:
    """The front matter of a notebook, how many leading cells it takes out of the body, and where it is."""
    cells = nb["cells"]
    first = cells[0] if cells else None
    source = first["source"] if first else ""
    if first and first["cell_type"] == "raw" and source.lstrip().startswith("---"):
        block, _, _ = split(source.lstrip() + ("\n" if not source.endswith("\n") else ""))
        where = Where(path, first_line=1, text=text_header) if text_header is not None else Where(path, cell=1)
        if block is not None and holds_mapping(block):
            return parse_yaml(block, where), 1, where
        if block is not None and re.search(r"^[\w-]+\s*:", block, re.MULTILINE):
            parse_yaml(block, where)  # meant as front matter (it has `key:` lines) but not valid YAML: say where
    meta = nb["metadata"].get("nbpress")
    if isinstance(meta, dict):
        return meta, 0, Where(path)  # in the notebook's metadata, not in a cell
    if first and first["cell_type"] == "markdown":
        fast = _fastpages(first)
        if fast is not None and len(fast) > 1:
            return fast, 1, Where(path, cell=1)
    return {}, 0, Where(path)


def _ipynb(source: SourceFile, text: str) -> tuple[dict[str, Any], list[Diagnostic]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NbpressError(Diagnostic(f"invalid notebook JSON: {exc.msg}", source.path, exc.lineno)) from None
    except RecursionError:
        raise NbpressError(Diagnostic("invalid notebook JSON: nested too deeply", source.path)) from None
    if isinstance(data, dict) and "cells" not in data and isinstance(data.get("nbformat"), int) \
            and data["nbformat"] < 4:
        data = _upgrade(data, source.path)
    return check_notebook(data, source.path)


def _upgrade(data: dict[str, Any], path: str) -> dict[str, Any]:
    """A version 3 (or older) notebook as version 4: worksheets, heading cells, prompt numbers, as nbformat does."""
    import nbformat  # only sites with old notebooks pay for this import
    from traitlets.log import get_logger

    worksheets = data.get("worksheets")
    if not isinstance(worksheets, list) or not any(isinstance(w, dict) and w.get("cells") for w in worksheets):
        raise NbpressError(Diagnostic("an empty notebook (no cell holds anything): left out", path,
                                      severity="warning"))
    # What IPython 1 and 2 left out and nbformat's converter needs; nothing that changes the content.
    data = {"metadata": {}, "nbformat_minor": 0, **data,
            "worksheets": [{"metadata": {}, **w, "cells": w.get("cells") or []} for w in worksheets
                           if isinstance(w, dict)]}
    found = get_logger()
    logger = found.logger if isinstance(found, logging.LoggerAdapter) else found
    was = logger.disabled
    logger.disabled = True  # nbformat logs each schema complaint with the whole notebook; ours name the cell
    try:
        return json.loads(nbformat.writes(nbformat.reads(json.dumps(data), as_version=4)))
    except Exception as exc:
        raise NbpressError(Diagnostic(f"cannot upgrade this version {data['nbformat']} notebook to version 4: "
                                      f"{str(exc).splitlines()[0]}", path)) from None
    finally:
        logger.disabled = was


def _text_notebook(source: SourceFile, text: str, header: str | None) -> dict[str, Any]:
    """A jupytext text notebook (py:percent, light, sphinx; md, MyST, Pandoc) as v4 JSON."""
    import jupytext  # only sites with text notebooks pay for this import

    fmt = "py" if source.kind == "py" else "md"  # jupytext reads the format from the header or the text
    if header is not None:
        text = _checked_header(source, text, header)
    try:
        notebook = jupytext.reads(text, fmt=fmt)
    except Exception as exc:
        if type(exc).__name__ == "PandocError":
            raise NbpressError(Diagnostic(
                "a Pandoc Markdown notebook (jupytext's md:pandoc format): reading it needs pandoc 2.7.2 or later "
                "(https://pandoc.org/installing.html), or convert it once with `jupytext --to ipynb`",
                source.path)) from None
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        message = str(getattr(exc, "problem", None) or exc).splitlines()[0]
        raise NbpressError(Diagnostic(f"cannot read this jupytext {fmt} notebook: {message}", source.path,
                                      line)) from None
    return json.loads(json.dumps(notebook, default=str))  # a MyST header's dates are in its metadata


def _checked_header(source: SourceFile, text: str, header: str) -> str:
    """The text, its jupytext header checked first (line-numbered errors) and repaired where the intent is clear."""
    lines = header.split("\n")  # line k of the block is line k + 1 of the file (line 0 is the `---`)
    section = jupyter_lines(header)
    while section and not lines[section[-1]].strip():
        section.pop()  # blank lines after it are not part of it (an error at the end names the last line)
    if section:  # `jupyter:` (py:percent, light, md): the metadata jupytext reads; the rest is front matter
        first, last = section[0], section[-1]
        block = "\n" * first + "\n".join(lines[first : last + 1])
    elif re.search(r"^(jupytext|kernelspec)\s*:", header, re.MULTILINE):  # MyST: the whole header
        first, last, block = 1, len(lines) - 2, header
    else:
        return text
    where = Where(source.path, first_line=1, text=block)
    repaired = check_jupytext_header(parse_yaml(block, where), where)
    if repaired is None:
        return text
    prefix = "# " if source.kind == "py" else ""
    dumped = [prefix + line for line in yaml.safe_dump(repaired, sort_keys=False, allow_unicode=True).splitlines()]
    file_lines = text.split("\n")
    return "\n".join(file_lines[:first] + dumped + file_lines[last + 1 :])


def read_notebook(source: SourceFile, text: str, header: str | None = None) -> tuple[dict[str, Any], list[Diagnostic]]:
    """The notebook as checked nbformat v4 JSON, from .ipynb (any version) or a jupytext text file; its warnings."""
    if source.kind == "ipynb":
        return _ipynb(source, text)
    return check_notebook(_text_notebook(source, text, header), source.path)


def load_notebook(source: SourceFile, text: str, raw: bytes, kind: SourceKind) -> Page:
    """A notebook: front matter as DESIGN.md orders it; cells kept for execution and rendering."""
    header = split(text)[0] if source.kind == "md" else _py_header(text) if source.kind == "py" else None
    if header is not None:  # before jupytext reads it: an alias bomb there takes it minutes
        check_aliases(header, Where(source.path, first_line=1, text=header))
    nb, warnings = read_notebook(source, text, header)
    if not any(c["source"].strip() or c.get("outputs") for c in nb["cells"]):
        raise NbpressError(Diagnostic("an empty notebook (no cell holds anything): left out", source.path,
                                      severity="warning"))
    if header is not None and not jupyter_lines(header) and holds_mapping(header):
        # MyST: jupytext keeps the header's own keys (title, date...) as notebook metadata; they are the front matter
        where = Where(source.path, first_line=1, text=header)
        raw_fm, skip = {k: v for k, v in parse_yaml(header, where).items() if k not in NOTEBOOK_KEYS}, 0
    else:
        raw_fm, skip, where = notebook_front_matter(nb, source.path, header)
    fm, problems = check(raw_fm, where)
    errors, fm_warnings = _split(problems)
    if errors:
        raise NbpressError(errors)
    warnings += fm_warnings
    for number, cell in enumerate(nb["cells"], 1):
        if cell["cell_type"] == "code" and ("#" in cell["source"] or "|" in cell["source"]):
            tags, problem = option_tags(cell["source"])
            if problem:
                warnings.append(Diagnostic(problem, source.path, cell=number, severity="warning"))
            if tags:  # as tags, so that execution and the cache key see them too
                cell["metadata"]["tags"] = sorted(set(cell["metadata"].get("tags", [])) | tags)
    markdown = [c["source"] for c in nb["cells"][skip:] if c["cell_type"] == "markdown"]
    title = None if fm.title is not None else next((h for h in map(first_h1, markdown) if h), None)
    excerpt = next((e for e in (render_markdown(md, title="").excerpt for md in markdown) if e), "")
    nb["metadata"].setdefault("nbpress", {})["skip_cells"] = skip
    words = sum(len(c["source"].split()) for c in nb["cells"][skip:])
    return _page(source, fm, kind, raw, title=title, excerpt=excerpt, body="", notebook=nb, words=words,
                 warnings=tuple(warnings))


def _py_header(text: str) -> str | None:
    """The YAML of a commented `# ---` header at the top of a script, like split() gives it for Markdown."""
    lines = text.splitlines()
    if not lines or lines[0].rstrip() != "# ---":
        return None
    body: list[str] = []
    for line in lines[1:]:
        if line.rstrip() == "# ---":
            return "\n" + "\n".join(body) + "\n"  # like split(): the block's first line is the `---` one
        if not line.startswith("#"):
            return None
        body.append(line[2:] if line.startswith("# ") else line[1:])
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
