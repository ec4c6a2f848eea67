"""Stage: a notebook's cells and outputs as HTML, with images as files beside the page."""

from __future__ import annotations

import base64
import dataclasses
import html
import json
import posixpath
import re
from pathlib import Path
from typing import Any

from nbpress.ansi import ansi_to_html
from nbpress.model import Heading, Page, PageFile
from nbpress.sources.images import image_size, image_title
from nbpress.sources.links import content_link
from nbpress.sources.markdown import highlight, render_markdown

# Richest first, as Jupyter and nbconvert choose.
MIME_ORDER = (
    "application/vnd.plotly.v1+json",
    "application/vnd.jupyter.widget-view+json",
    "application/javascript",
    "text/html",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/latex",
    "text/markdown",
    "text/plain",
)
_FOOTNOTE_ID = re.compile(r'((?:id|href)="#?)(fn(?:ref)?)(\d+(?::\d+)?)(?=")')
_IMAGE_EXT = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp", "image/svg+xml": "svg"}


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _tags(cell: dict[str, Any]) -> set[str]:
    meta = cell.get("metadata", {})
    tags = set(meta.get("tags", []) or [])
    jupyter = meta.get("jupyter", {}) or {}
    if jupyter.get("source_hidden"):
        tags.add("hide-input")
    if jupyter.get("outputs_hidden"):
        tags.add("hide-output")
    return tags


def _collapse_cr(text: str) -> str:
    """Carriage returns as a terminal shows them (progress bars keep their last state)."""
    if "\r" not in text:
        return text
    return "\n".join(line.rsplit("\r", 1)[-1] if not line.endswith("\r") else line.rstrip("\r").rsplit("\r", 1)[-1]
                     for line in text.replace("\r\n", "\n").split("\n"))


@dataclasses.dataclass
class _Context:
    """What rendering one notebook accumulates: files to write, heading ids, scripts needed."""

    rel: str
    content: Path | None = None  # the content folder, to tell files beside the notebook from page links
    files: list[PageFile] = dataclasses.field(default_factory=list)
    ids: set[str] = dataclasses.field(default_factory=set)
    headings: list[Heading] = dataclasses.field(default_factory=list)
    has_math: bool = False
    needs: set[str] = dataclasses.field(default_factory=set)  # scripts the outputs need
    widget_models: set[str] = dataclasses.field(default_factory=set)  # models with saved state
    alt: str = ""  # the current cell's alt text or caption, for its image outputs
    titles: list[str] = dataclasses.field(default_factory=list)  # figure titles its code sets, in order

    def add_file(self, name: str, data: bytes) -> str:
        self.files.append(PageFile(name, data))
        return name


_QUARTO_OPTION = re.compile(r"^#\|\s*(fig-alt|fig-cap)\s*:\s*(.+?)\s*$", re.MULTILINE)
# A title in plain quotes (an f-string says nothing certain): ax.set_title("x"), fig.suptitle('x'), df.plot(title="x").
_TITLE_CALL = re.compile(r"""(?:\b(?:suptitle|set_title|title)\s*\(\s*|\btitle\s*=\s*)[rRuU]?"""
                         r"""(["'])((?:\\.|(?!\1).)+?)\1""")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _figure_text(cell: dict[str, Any], source: str) -> tuple[str, list[str]]:
    """A code cell's alt text or caption (nbconvert's metadata alt, Quarto's fig-alt/fig-cap,
    MyST-NB's image alt/figure caption), and the figure titles its code sets."""
    meta = _dict(cell.get("metadata"))
    mystnb = _dict(meta.get("mystnb"))
    options = {key: value.strip("'\"") for key, value in _QUARTO_OPTION.findall(source)}
    candidates = (meta.get("alt"), options.get("fig-alt"), _dict(mystnb.get("image")).get("alt"),
                  options.get("fig-cap"), _dict(mystnb.get("figure")).get("caption"))
    alt = next((c.strip() for c in candidates if isinstance(c, str) and c.strip()), "")
    calls = list(_TITLE_CALL.finditer(source))
    suptitles = [m.group(2) for m in calls if m.group(0).startswith("suptitle")]  # a figure's title over its axes'
    return alt, suptitles or [m.group(2) for m in calls]


def _image(mime: str, data: Any, meta: dict[str, Any], name: str, ctx: _Context) -> str:
    raw = _text(data).encode("utf-8") if mime == "image/svg+xml" else base64.b64decode(_text(data))
    filename = ctx.add_file(f"{name}.{_IMAGE_EXT[mime]}", raw)
    size = _dict(meta.get(mime))
    # The size to show: the output's width/height metadata (a retina figure is saved at twice the size it is
    # shown at), else the file's own; on the tag, so that nothing moves while the image loads.
    width, height = (v if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 else None
                     for v in (size.get("width"), size.get("height")))
    intrinsic = image_size(raw)
    if intrinsic:
        w, h = intrinsic
        if width is None and height is None:
            width, height = w, h
        elif height is None and width is not None:
            height = width * h / w
        elif width is None and height is not None:
            width = height * w / h
    attrs = "".join(f' {k}="{round(v)}"' for k, v in (("width", width), ("height", height)) if v)
    title = ctx.titles.pop(0) if ctx.titles else ""
    given = size.get("alt") if isinstance(size.get("alt"), str) else ""
    alt = (given or ctx.alt or image_title(raw) or title).strip()
    if not alt:
        alt = f"Image output of cell {name[len('cell'):].split('-')[0]}"
    return f'<img src="{filename}" alt="{html.escape(alt)}"{attrs} loading="lazy">'


def _rich(output: dict[str, Any], name: str, ctx: _Context) -> str:
    data = output.get("data", {})
    meta = output.get("metadata", {})
    for mime in MIME_ORDER:
        if mime not in data:
            continue
        value = data[mime]
        if mime == "application/vnd.plotly.v1+json" and isinstance(value, dict):
            # Drawn by the page's copy of plotly.js (loaded only on pages with a figure).
            ctx.needs.add("plotly")
            figure = _script_json(value)
            return (f'<div class="output-plotly" id="plotly-{name}"></div>'
                    f'<script type="application/json" data-plotly="plotly-{name}">{figure}</script>')
        if mime == "application/vnd.jupyter.widget-view+json":
            if isinstance(value, dict) and value.get("model_id") in ctx.widget_models:
                ctx.needs.add("widgets")
                view = _script_json(value)
                return f'<script type="application/vnd.jupyter.widget-view+json">{view}</script>'
            continue  # no saved widget state: fall back to the next representation
        if mime == "application/javascript":
            ctx.needs.add("javascript")
            return f'<div class="output-js"><script>{_text(value)}</script></div>'
        if mime == "text/html":
            return f'<div class="output-html">{_text(value)}</div>'
        if mime in _IMAGE_EXT:
            return _image(mime, value, meta, name, ctx)
        if mime == "text/latex":
            ctx.has_math = True
            return f'<div class="output-latex math display">{html.escape(_text(value))}</div>'
        if mime == "text/markdown":
            rendered = render_markdown(_text(value), title="", resolve=content_link(ctx.rel, None, ctx.content),
                                       ids=ctx.ids)
            ctx.has_math = ctx.has_math or rendered.has_math
            return f'<div class="output-markdown">{rendered.html}</div>'
        return f'<pre class="output-text">{ansi_to_html(_text(value))}</pre>'
    return ""


def _script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element (which decodes no entities)."""
    return json.dumps(value, sort_keys=True).replace("</", "<\\/")


def render_outputs(outputs: list[dict[str, Any]], cell_number: int, ctx: _Context) -> str:
    """The HTML of one code cell's outputs."""
    parts: list[str] = []
    for k, output in enumerate(outputs, 1):
        kind = output.get("output_type")
        name = f"cell{cell_number}-{k}"
        if kind == "stream":
            stream = output.get("name", "stdout")
            text = ansi_to_html(_collapse_cr(_text(output.get("text"))))
            if parts and parts[-1].startswith(f'<pre class="output-stream {stream}">'):
                parts[-1] = parts[-1][: -len("</pre>")] + text + "</pre>"
            else:
                parts.append(f'<pre class="output-stream {stream}">{text}</pre>')
        elif kind == "error":
            trace = "\n".join(output.get("traceback") or [f"{output.get('ename')}: {output.get('evalue')}"])
            parts.append(f'<pre class="output-error">{ansi_to_html(trace)}</pre>')
        elif kind in ("display_data", "execute_result"):
            rich = _rich(output, name, ctx)
            if rich:
                parts.append(rich)
    return "".join(f'<div class="output">{p}</div>' for p in parts)


def _attachments(cell: dict[str, Any], number: int, ctx: _Context) -> dict[str, str]:
    names: dict[str, str] = {}
    for name, bundle in sorted((cell.get("attachments") or {}).items()):
        for mime in ("image/svg+xml", "image/png", "image/jpeg", "image/gif", "image/webp"):
            if mime in bundle:
                stem = posixpath.splitext(posixpath.basename(name))[0] or "attachment"
                filename = f"cell{number}-{stem}.{_IMAGE_EXT[mime]}"
                text = _text(bundle[mime])
                data = text.encode() if mime == "image/svg+xml" else base64.b64decode(text)
                names[name] = ctx.add_file(filename, data)
                break
    return names


def render_notebook(page: Page, site_dir: Path | None = None, content_dir: str = "notebooks") -> Page:
    """The page with its notebook rendered into body, toc and files.

    With `site_dir`, relative links name files beside the notebook only when those exist.
    """
    nb = page.notebook
    if nb is None:
        return page
    prefix = content_dir.strip("/") + "/"
    rel = page.source[len(prefix):] if page.source.startswith(prefix) else page.source.split("/", 1)[-1]
    ctx = _Context(rel=rel, content=site_dir / content_dir if site_dir else None)
    meta = nb.get("metadata", {})
    kernelspec, language_info = meta.get("kernelspec") or {}, meta.get("language_info") or {}
    language = kernelspec.get("language") or language_info.get("name") or "python"
    widgets = (meta.get("widgets") or {}).get("application/vnd.jupyter.widget-state+json") or {}
    ctx.widget_models = set(widgets.get("state") or {})
    skip = meta.get("nbpress", {}).get("skip_cells", 0)
    links: list[str] = []
    resolve_content = content_link(ctx.rel, links, ctx.content)
    parts: list[str] = []
    title_pending = True
    for number, cell in enumerate(nb.get("cells", []), 1):
        if number <= skip:
            continue
        tags = _tags(cell)
        if "remove-cell" in tags:
            continue
        kind = cell.get("cell_type")
        source = _text(cell.get("source"))
        if kind == "markdown":
            files = _attachments(cell, number, ctx)

            def resolve(href: str, files: dict[str, str] = files) -> str:
                if href.startswith("attachment:"):
                    return files.get(href[len("attachment:"):], href)
                return resolve_content(href)

            rendered = render_markdown(source, title=page.title if title_pending else "", resolve=resolve, ids=ctx.ids)
            title_pending = title_pending and not source.strip()
            ctx.headings.extend(rendered.headings)
            ctx.has_math = ctx.has_math or rendered.has_math
            body = rendered.html
            if "footnote" in body:  # each cell numbers its footnotes from 1: keep their ids apart
                body = _FOOTNOTE_ID.sub(rf"\1\2-cell{number}-\3", body)
            if body.strip():  # a cell that only held the title leaves nothing
                parts.append(f'<div class="cell markdown">{body}</div>')
        elif kind == "code":
            title_pending = False
            inner = ""
            if "remove-input" not in tags and source.strip():
                code = highlight(source, language)
                if "hide-input" in tags:
                    code = f'<details class="input"><summary>Show code</summary>{code}</details>'
                else:
                    code = f'<div class="input">{code}</div>'
                inner += code
            if "remove-output" not in tags:
                ctx.alt, ctx.titles = _figure_text(cell, source)
                outputs = render_outputs(cell.get("outputs", []), number, ctx)
                if outputs and "hide-output" in tags:
                    outputs = f'<details class="outputs"><summary>Show output</summary>{outputs}</details>'
                elif outputs:
                    outputs = f'<div class="outputs">{outputs}</div>'
                inner += outputs
            if inner:
                parts.append(f'<div class="cell code" id="cell-{number}">{inner}</div>')
        elif kind == "raw":
            cell_meta = cell.get("metadata") or {}
            mime = cell_meta.get("format") or cell_meta.get("raw_mimetype")
            if mime in ("text/html", "html"):
                parts.append(f'<div class="cell raw">{source}</div>')
    if "widgets" in ctx.needs:  # the saved widget state, read by the widgets' embed script
        parts.insert(0, f'<script type="application/vnd.jupyter.widget-state+json">{_script_json(widgets)}</script>')
    return dataclasses.replace(
        page,
        body="\n".join(parts),
        toc=tuple(ctx.headings),
        files=tuple(ctx.files),
        notebook=None,
        has_math=ctx.has_math,
        links=tuple(sorted(set(links))),
        scripts=tuple(sorted(ctx.needs)),
    )
