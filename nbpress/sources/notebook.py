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

from nbpress.model import Heading, Page, PageFile
from nbpress.sources.links import content_link
from nbpress.sources.markdown import highlight, render_markdown
from nbpress.sources.streams import joined_streams, long_text_html

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
    probes: dict[str, bool] = dataclasses.field(default_factory=dict)  # files looked for, and found or not

    def add_file(self, name: str, data: bytes) -> str:
        self.files.append(PageFile(name, data))
        return name


def _image(mime: str, data: Any, meta: dict[str, Any], name: str, ctx: _Context) -> str:
    raw = _text(data).encode("utf-8") if mime == "image/svg+xml" else base64.b64decode(_text(data))
    filename = ctx.add_file(f"{name}.{_IMAGE_EXT[mime]}", raw)
    size = meta.get(mime, {}) if isinstance(meta.get(mime), dict) else {}
    attrs = "".join(f' {k}="{int(size[k])}"' for k in ("width", "height") if isinstance(size.get(k), (int, float)))
    return f'<img src="{filename}" alt="output"{attrs} loading="lazy">'


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
            resolve = content_link(ctx.rel, None, ctx.content, ctx.probes)
            rendered = render_markdown(_text(value), title="", resolve=resolve, ids=ctx.ids)
            ctx.has_math = ctx.has_math or rendered.has_math
            return f'<div class="output-markdown">{rendered.html}</div>'
        return f'<pre class="output-text">{long_text_html(_text(value))}</pre>'
    return ""


def _script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element (which decodes no entities)."""
    return json.dumps(value, sort_keys=True).replace("</", "<\\/")


def render_outputs(outputs: list[dict[str, Any]], cell_number: int, ctx: _Context) -> str:
    """The HTML of one code cell's outputs."""
    parts: list[str] = []
    streams = joined_streams(outputs)  # consecutive outputs of one stream are one text (then cut if too long)
    for k, output in enumerate(outputs, 1):
        kind = output.get("output_type")
        name = f"cell{cell_number}-{k}"
        if kind == "stream":
            joined = streams[k - 1]
            if joined is not None:
                stream = output.get("name", "stdout")
                parts.append(f'<pre class="output-stream {stream}">{long_text_html(_collapse_cr(joined))}</pre>')
        elif kind == "error":
            trace = "\n".join(output.get("traceback") or [f"{output.get('ename')}: {output.get('evalue')}"])
            parts.append(f'<pre class="output-error">{long_text_html(trace)}</pre>')
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
    resolve_content = content_link(ctx.rel, links, ctx.content, ctx.probes)
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
        probes=tuple(sorted(ctx.probes.items())),
    )
