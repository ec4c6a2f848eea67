"""Stage: a notebook's cells and outputs as HTML, with images as files beside the page."""

from __future__ import annotations

import base64
import dataclasses
import functools
import html
import importlib.util
import json
import posixpath
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from nbpress.errors import Diagnostic
from nbpress.model import Heading, Page, PageFile
from nbpress.sources.images import image_size, image_title
from nbpress.sources.links import content_link
from nbpress.sources.markdown import highlight, render_markdown
from nbpress.sources.options import strip_options
from nbpress.sources.streams import joined_streams, long_text_html
from nbpress.sources.structure import check_notebook
from nbpress.urls import script_hosts

# Vega-Lite and Vega specs, as Altair (v5: vegalite.v5) and older versions of it save them.
VEGA_MIMES = (*(f"application/vnd.vegalite.v{v}+json" for v in (5, 4, 3, 6)),
              "application/vnd.vega.v5+json", "application/vnd.vega.v6+json")
# Richest first, as Jupyter and nbconvert choose.
MIME_ORDER = (
    "application/vnd.plotly.v1+json",
    *VEGA_MIMES,
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
_ANCHORS_ONLY = re.compile(r'\s*(?:<span id="[^"]*"></span>\s*)*')
_FOOTNOTE_ID = re.compile(r'((?:id|href)="#?)(fn(?:ref)?)(\d+(?::\d+)?)(?=")')
_IMAGE_EXT = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp", "image/svg+xml": "svg"}


def _tags(cell: dict[str, Any]) -> set[str]:
    meta = cell["metadata"]  # checked where the notebook was read (sources/structure.py)
    tags = set(meta.get("tags", []))
    jupyter = meta.get("jupyter", {})
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
    cell: int = 0  # the cell being rendered, for warnings
    hosts: dict[str, set[int]] = dataclasses.field(default_factory=dict)  # other hosts outputs load from: cells
    fallbacks: dict[str, list[int]] = dataclasses.field(default_factory=dict)  # outputs nbpress could not draw
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


def _image(mime: str, data: str, meta: dict[str, Any], name: str, ctx: _Context) -> str:
    raw = data.encode("utf-8") if mime == "image/svg+xml" else base64.b64decode("".join(data.split()))
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


@functools.lru_cache(maxsize=1)
def plotly_available() -> bool:
    """Whether the plotly package (whose plotly.min.js the site ships) is installed where nbpress runs."""
    spec = importlib.util.find_spec("plotly")
    if not spec or not spec.submodule_search_locations:
        return False
    return (Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js").is_file()


def _altair_spec(text: str) -> dict[str, Any] | None:
    """The Vega-Lite spec in the HTML that Altair's `html` renderer saves (it loads vega from a CDN)."""
    if "altair-viz" not in text or ("vegaEmbed" not in text and "vega-embed" not in text):
        return None
    start = text.rfind("})(")
    if start < 0:
        return None
    try:
        spec, _ = json.JSONDecoder().raw_decode(text, start + 3)
    except (ValueError, RecursionError):
        return None
    return spec if isinstance(spec, dict) and "$schema" in spec else None


def _data_hosts(spec: Any) -> set[str]:
    """Hosts a Vega or Vega-Lite spec loads its data from (`"data": {"url": ...}`)."""
    hosts: set[str] = set()
    todo = [spec]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            url = item.get("url")
            if isinstance(url, str) and "//" in url:
                hosts.add(urlsplit(url).netloc.lower())
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    hosts.discard("")
    return hosts


def _vega(spec: Any, name: str, ctx: _Context) -> str:
    """A chart drawn in the page by the site's copy of vega, vega-lite and vega-embed."""
    ctx.needs.add("vega")
    for host in _data_hosts(spec):
        ctx.hosts.setdefault(host, set()).add(ctx.cell)
    return (f'<div class="output-vega" id="vega-{name}"></div>'
            f'<script type="application/json" data-vega="vega-{name}">{_script_json(spec)}</script>')


def _rich(output: dict[str, Any], name: str, ctx: _Context) -> str:
    data = output["data"]
    meta = output["metadata"]
    for mime in MIME_ORDER:
        if mime not in data:
            continue
        value = data[mime]
        if mime == "application/vnd.plotly.v1+json" and isinstance(value, dict):
            if not plotly_available():  # a page never links a script the site does not have
                ctx.fallbacks.setdefault("Plotly figure", []).append(ctx.cell)
                continue
            # Drawn by the page's copy of plotly.js (loaded only on pages with a figure).
            ctx.needs.add("plotly")
            figure = _script_json(value)
            return (f'<div class="output-plotly" id="plotly-{name}"></div>'
                    f'<script type="application/json" data-plotly="plotly-{name}">{figure}</script>')
        if mime in VEGA_MIMES:
            if isinstance(value, dict):
                return _vega(value, name, ctx)
            continue
        if mime == "application/vnd.jupyter.widget-view+json":
            if isinstance(value, dict) and value.get("model_id") in ctx.widget_models:
                ctx.needs.add("widgets")
                view = _script_json(value)
                return f'<script type="application/vnd.jupyter.widget-view+json">{view}</script>'
            continue  # no saved widget state: fall back to the next representation
        if not isinstance(value, str):
            continue  # JSON where text was expected: not a representation nbpress can show
        if mime == "application/javascript":
            ctx.needs.add("javascript")
            _note_hosts(f"<script>{value}</script>", ctx)
            return f'<div class="output-js"><script>{value}</script></div>'
        if mime == "text/html":
            spec = _altair_spec(value)
            if spec is not None:  # Altair's HTML loads vega from a CDN: draw its spec with the site's copy
                return _vega(spec, name, ctx)
            _note_hosts(value, ctx)
            return f'<div class="output-html">{value}</div>'
        if mime in _IMAGE_EXT:
            return _image(mime, value, meta, name, ctx)
        if mime == "text/latex":
            ctx.has_math = True
            return f'<div class="output-latex math display">{html.escape(value)}</div>'
        if mime == "text/markdown":
            resolve = content_link(ctx.rel, None, ctx.content, ctx.probes)
            rendered = render_markdown(value, title="", resolve=resolve, ids=ctx.ids, jupyter_ids=True)
            ctx.has_math = ctx.has_math or rendered.has_math
            return f'<div class="output-markdown">{rendered.html}</div>'
        if mime == "text/plain":
            return f'<pre class="output-text">{long_text_html(value)}</pre>'
    if "application/vnd.plotly.v1+json" in data and not plotly_available():
        return ('<div class="output-notice" role="note">This Plotly figure cannot be shown: the site was built '
                "without the plotly package, and the notebook saved no other view of it.</div>")
    return ""


def _note_hosts(text: str, ctx: _Context) -> None:
    for host in script_hosts(text):
        ctx.hosts.setdefault(host, set()).add(ctx.cell)


def _script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element (which decodes no entities)."""
    return json.dumps(value, sort_keys=True).replace("</", "<\\/")


def render_outputs(outputs: list[dict[str, Any]], cell_number: int, ctx: _Context,
                   streams: tuple[str, ...] = ("stdout", "stderr")) -> str:
    """The HTML of one code cell's outputs (stream outputs only of the named `streams`)."""
    parts: list[str] = []
    joined = joined_streams(outputs)  # consecutive outputs of one stream are one text (then cut if too long)
    for k, output in enumerate(outputs, 1):
        kind = output["output_type"]
        name = f"cell{cell_number}-{k}"
        if kind == "stream":
            text = joined[k - 1]
            stream = output["name"]
            if text is None or (stream not in streams and stream in ("stdout", "stderr")):
                continue  # in the first output of its run; or a stream the cell's tags remove
            parts.append(f'<pre class="output-stream {html.escape(stream)}">{long_text_html(_collapse_cr(text))}</pre>')
        elif kind == "error":
            trace = "\n".join(output["traceback"] or [f"{output['ename']}: {output['evalue']}"])
            parts.append(f'<pre class="output-error">{long_text_html(trace)}</pre>')
        elif kind in ("display_data", "execute_result"):
            rich = _rich(output, name, ctx)
            if rich:
                parts.append(rich)
    return "".join(f'<div class="output">{p}</div>' for p in parts)


def _attachments(cell: dict[str, Any], number: int, ctx: _Context) -> dict[str, str]:
    names: dict[str, str] = {}
    for name, bundle in sorted(cell.get("attachments", {}).items()):
        for mime in ("image/svg+xml", "image/png", "image/jpeg", "image/gif", "image/webp"):
            if mime in bundle:
                stem = posixpath.splitext(posixpath.basename(name))[0] or "attachment"
                filename = f"cell{number}-{stem}.{_IMAGE_EXT[mime]}"
                text = bundle[mime]
                data = text.encode() if mime == "image/svg+xml" else base64.b64decode("".join(text.split()))
                names[name] = ctx.add_file(filename, data)
                break
    return names


def _lexer(meta: dict[str, Any], language: str) -> str | None:
    """The Pygments lexer the kernel names; IPython's for Python, so that `!pip` and `%magic` are not errors."""
    lexer = meta.get("language_info", {}).get("pygments_lexer")
    if isinstance(lexer, str) and lexer.strip():
        return "ipython3" if lexer.strip().startswith("ipython") else lexer.strip()  # ipython2: Python 2 notebooks
    return "ipython3" if language.lower() in ("python", "python3", "ipython") else None


def _warnings(page: Page, ctx: _Context) -> list[Diagnostic]:
    found = []
    for what, numbers in sorted(ctx.fallbacks.items()):
        cells = sorted(set(numbers))
        shown = ", ".join(map(str, cells))
        found.append(Diagnostic(
            f"{what}s in cell{'s' * (len(cells) > 1)} {shown} cannot be drawn without the plotly package "
            "(install it where nbpress runs): shown as the next view the notebook saved, or a notice",
            page.source, severity="warning"))
    for host, where in sorted(ctx.hosts.items()):
        shown = ", ".join(map(str, sorted(where)))
        found.append(Diagnostic(
            f"cell{'s' * (len(where) > 1)} {shown} load{'s' * (len(where) == 1)} files from another host, {host}: "
            "readers' browsers contact it, and the page does not work offline", page.source, severity="warning"))
    return found


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
    # Checked where it was read; executed outputs (nbclient's, the cache's) are checked here the same way.
    nb, found = check_notebook(nb, page.source) if page.provenance else (nb, [])
    meta = nb["metadata"]
    kernelspec, language_info = meta.get("kernelspec", {}), meta.get("language_info", {})
    language = kernelspec.get("language") or language_info.get("name") or "python"
    lexer = _lexer(meta, language)
    widgets = meta.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    ctx.widget_models = set(widgets.get("state", {}))
    skip = meta.get("nbpress", {}).get("skip_cells", 0)
    links: list[str] = []
    resolve_content = content_link(ctx.rel, links, ctx.content, ctx.probes)
    parts: list[str] = []
    title_pending = True
    for number, cell in enumerate(nb["cells"], 1):
        if number <= skip:
            continue
        ctx.cell = number
        tags = _tags(cell)
        if "remove-cell" in tags:
            continue
        kind = cell["cell_type"]
        source = cell["source"]
        if kind == "markdown":
            files = _attachments(cell, number, ctx)

            def resolve(href: str, files: dict[str, str] = files) -> str:
                if href.startswith("attachment:"):
                    return files.get(href[len("attachment:"):], href)
                return resolve_content(href)

            rendered = render_markdown(source, title=page.title if title_pending else "", resolve=resolve, ids=ctx.ids,
                                       jupyter_ids=True)
            if rendered.title is not None or any(h.level == 1 for h in rendered.headings):
                title_pending = False  # the title's heading is out of the body, or the body has its own
            ctx.headings.extend(rendered.headings)
            ctx.has_math = ctx.has_math or rendered.has_math
            body = rendered.html
            _note_hosts(body, ctx)  # raw HTML in Markdown can load scripts too
            if "footnote" in body:  # each cell numbers its footnotes from 1: keep their ids apart
                body = _FOOTNOTE_ID.sub(rf"\1\2-cell{number}-\3", body)
            if not _ANCHORS_ONLY.fullmatch(body):
                parts.append(f'<div class="cell markdown">{body}</div>')
            elif body.strip():  # a cell that only held the title leaves its Jupyter anchor
                parts.append(body.strip())
        elif kind == "code":
            inner = ""
            shown = strip_options(source)  # Quarto's #| lines and fastpages' #hide flags are not shown
            if "remove-input" not in tags and shown.strip():
                code = highlight(shown, language, lexer)
                if "hide-input" in tags:
                    code = f'<details class="input"><summary>Show code</summary>{code}</details>'
                elif "fold-input" in tags:
                    code = f'<details class="input" open><summary>Hide code</summary>{code}</details>'
                else:
                    code = f'<div class="input">{code}</div>'
                inner += code
            if "remove-output" not in tags:
                streams = tuple(s for s in ("stdout", "stderr") if f"remove-{s}" not in tags)
                ctx.alt, ctx.titles = _figure_text(cell, source)
                outputs = render_outputs(cell["outputs"], number, ctx, streams)
                if outputs and "hide-output" in tags:
                    outputs = f'<details class="outputs"><summary>Show output</summary>{outputs}</details>'
                elif outputs:
                    outputs = f'<div class="outputs">{outputs}</div>'
                inner += outputs
            if inner and "hide-cell" in tags:  # Jupyter Book: the whole cell behind a toggle
                inner = f'<details class="cell-toggle"><summary>Show cell</summary>{inner}</details>'
            if inner:
                parts.append(f'<div class="cell code" id="cell-{number}">{inner}</div>')
        elif kind == "raw":
            mime = cell["metadata"].get("format") or cell["metadata"].get("raw_mimetype")
            if mime in ("text/html", "html"):
                _note_hosts(source, ctx)
                parts.append(f'<div class="cell raw">{source}</div>')
    if "widgets" in ctx.needs:  # the saved widget state, read by the widgets' embed script
        parts.insert(0, f'<script type="application/vnd.jupyter.widget-state+json">{_script_json(widgets)}</script>')
    return dataclasses.replace(
        page,
        body="\n".join(parts),
        toc=tuple(ctx.headings) if page.meta.get("toc") is not False else (),
        warnings=page.warnings + tuple(found) + tuple(_warnings(page, ctx)),
        files=tuple(ctx.files),
        notebook=None,
        has_math=ctx.has_math,
        links=tuple(sorted(set(links))),
        scripts=tuple(sorted(ctx.needs)),
        probes=tuple(sorted(ctx.probes.items())),
    )
