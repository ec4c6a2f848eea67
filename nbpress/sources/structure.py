"""A notebook's JSON checked once, where it is read: every field nbpress reads, in the type later stages trust.

After `check_notebook`, the notebook, its metadata, every cell, output and attachment are mappings of the
expected fields; `source`, stream `text` and text representations are strings; tags are a list of strings;
image data is valid base64. A problem that leaves the content in doubt is an error naming the file and the cell;
one with a safe default (a malformed kernelspec, a tag list that is not a list) is a warning, and the value is
dropped. Nothing a notebook holds reaches execution, the cache key or rendering in a shape they do not expect.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any

from nbpress.errors import Diagnostic, NbpressError

CELL_TYPES = ("code", "markdown", "raw")
OUTPUT_TYPES = ("stream", "display_data", "execute_result", "error")
IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif", "image/webp")
MAX_WARNINGS = 10  # per file: a notebook broken all over says so once, not a thousand times


def _kind(value: Any) -> str:
    """How a wrong value is named in a message: 'a list', 'a number', 'null'."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    names = {dict: "a mapping", list: "a list", str: "text", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


def _lines(value: Any) -> str | None:
    """Text stored as a string or a list of strings (nbformat's multiline string); None otherwise."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return None


def is_base64(text: str) -> bool:
    """Valid base64 once whitespace (notebooks wrap long data in lines) is taken out."""
    try:
        base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


class _Checker:
    """Collects the problems of one notebook while it rebuilds the notebook in the trusted shape."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []

    def error(self, message: str, cell: int | None = None) -> None:
        self.errors.append(Diagnostic(message, self.path, cell=cell))

    def warn(self, message: str, cell: int | None = None) -> None:
        self.warnings.append(Diagnostic(message, self.path, cell=cell, severity="warning"))

    # --- the notebook's own metadata -----------------------------------------------------------

    def strings(self, value: Any, where: str, keys: tuple[str, ...]) -> dict[str, Any] | None:
        """A mapping whose `keys`, when present, are strings (other keys kept as they are)."""
        if value is None:
            return None
        if not isinstance(value, dict):
            self.warn(f"metadata.{where} must be a mapping, not {_kind(value)} (ignored)")
            return None
        clean = dict(value)
        for key in keys:
            if key in clean and not isinstance(clean[key], str):
                self.warn(f"metadata.{where}.{key} must be text, not {_kind(clean[key])} (ignored)")
                del clean[key]
        return clean

    def metadata(self, value: Any) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.warn(f"the notebook's metadata must be a mapping, not {_kind(value)} (ignored)")
            return {}
        meta = dict(value)
        for key, fields in (("kernelspec", ("name", "display_name", "language")),
                            ("language_info", ("name", "version", "pygments_lexer", "file_extension"))):
            if key in meta:
                checked = self.strings(meta.pop(key), key, fields)
                if checked is not None:
                    meta[key] = checked
        if "widgets" in meta:  # kept only as ipywidgets 7+ saves it; older versions saved no usable state
            widgets = meta.pop("widgets")
            state = widgets.get("application/vnd.jupyter.widget-state+json") if isinstance(widgets, dict) else None
            if isinstance(state, dict) and isinstance(state.get("state", {}), dict):
                meta["widgets"] = widgets
            elif not isinstance(widgets, dict) or state is not None:
                self.warn("metadata.widgets is not a saved widget state (widgets are shown without it)")
        if "nbpress" in meta and not isinstance(meta["nbpress"], dict):
            self.error(f"metadata.nbpress must be a mapping of front-matter keys, not {_kind(meta['nbpress'])}")
            del meta["nbpress"]
        return meta

    # --- cells -----------------------------------------------------------------------------------

    def cell_metadata(self, value: Any, n: int) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.warn(f"the cell's metadata must be a mapping, not {_kind(value)} (ignored)", n)
            return {}
        meta = dict(value)
        if "tags" in meta:
            tags = meta.pop("tags")
            if isinstance(tags, str):  # what a hand-edited notebook holds: honour it, removal tags matter
                self.warn(f"tags must be a list, not text: read as [{tags}]", n)
                meta["tags"] = [t.strip() for t in tags.split(",") if t.strip()]
            elif isinstance(tags, list):
                meta["tags"] = [t for t in tags if isinstance(t, str)]
                if len(meta["tags"]) != len(tags):
                    self.warn("tags must be text: the others are ignored", n)
            elif tags is not None:
                self.warn(f"tags must be a list of text, not {_kind(tags)} (ignored)", n)
        if "jupyter" in meta:
            jupyter = meta.pop("jupyter")
            if isinstance(jupyter, dict):
                meta["jupyter"] = {k: v for k, v in jupyter.items()
                                   if k not in ("source_hidden", "outputs_hidden") or isinstance(v, bool)}
            else:
                self.warn(f"metadata.jupyter must be a mapping, not {_kind(jupyter)} (ignored)", n)
        for key in ("format", "raw_mimetype"):
            if key in meta and not isinstance(meta[key], str):
                self.warn(f"metadata.{key} must be text, not {_kind(meta[key])} (ignored)", n)
                del meta[key]
        return meta

    def cell(self, value: Any, n: int) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.error(f"not a cell: {_kind(value)} where a cell (a mapping) should be", n)
            return None
        cell = dict(value)
        kind = cell.get("cell_type")
        if not isinstance(kind, str):
            self.error(f"the cell has no cell_type (found {_kind(kind)})", n)
            return None
        source = _lines(cell.get("source", ""))
        if source is None:
            self.error(f"the cell's source must be text or a list of lines, not {_kind(cell.get('source'))}"
                       + (" holding other values" if isinstance(cell.get("source"), list) else ""), n)
            return None
        cell["source"] = source
        cell["metadata"] = self.cell_metadata(cell.get("metadata"), n)
        if kind not in CELL_TYPES:
            self.warn(f"unknown cell type '{kind}' (left out)", n)
            return {"cell_type": "raw", "source": "", "metadata": {}, **({"id": cell["id"]} if "id" in cell else {})}
        if "attachments" in cell:
            attachments = self.attachments(cell.pop("attachments"), n)
            if attachments:
                cell["attachments"] = attachments
        if kind == "code":
            count = cell.get("execution_count")
            if count is not None and (not isinstance(count, int) or isinstance(count, bool)):
                self.warn(f"execution_count must be a number or null, not {_kind(count)} (ignored)", n)
                count = None
            cell["execution_count"] = count
            outputs = cell.get("outputs", [])
            if not isinstance(outputs, list):
                self.error(f"the cell's outputs must be a list, not {_kind(outputs)}", n)
                return None
            checked = [self.output(o, n, k) for k, o in enumerate(outputs, 1)]
            if any(o is None for o in checked):
                return None
            cell["outputs"] = [o for o in checked if o]
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
        return cell

    def attachments(self, value: Any, n: int) -> dict[str, dict[str, str]]:
        if not isinstance(value, dict):
            if value is not None:
                self.warn(f"attachments must be a mapping, not {_kind(value)} (ignored)", n)
            return {}
        clean: dict[str, dict[str, str]] = {}
        for name, bundle in value.items():
            if not isinstance(bundle, dict):
                self.warn(f"attachment '{name}' is not a mapping of representations (left out)", n)
                continue
            kept = {}
            for mime, data in bundle.items():
                text = _lines(data)
                if text is None or (mime in IMAGE_MIMES and not is_base64(text)):
                    self.warn(f"attachment '{name}': {mime} is not valid {'base64' if text else 'text'} (left out)", n)
                    continue
                kept[mime] = text
            if kept:
                clean[name] = kept
        return clean

    # --- outputs ---------------------------------------------------------------------------------

    def output(self, value: Any, n: int, k: int) -> dict[str, Any] | bool | None:
        """The checked output; None for an error, False for an output that is left out with a warning."""
        if not isinstance(value, dict):
            self.error(f"output {k} is {_kind(value)}, not an output (a mapping)", n)
            return None
        out = dict(value)
        kind = out.get("output_type")
        if kind not in OUTPUT_TYPES:
            self.warn(f"output {k} has an unknown output_type {kind!r} (left out)", n)
            return False
        if kind == "stream":
            text = _lines(out.get("text", ""))
            if text is None:
                self.error(f"output {k}: stream text must be text or a list of lines, not {_kind(out.get('text'))}", n)
                return None
            out["text"] = text
            if not isinstance(out.get("name"), str):
                out["name"] = "stdout"
            return out
        if kind == "error":
            for key in ("ename", "evalue"):
                if not isinstance(out.get(key), str):
                    out[key] = str(out.get(key) or "")
            traceback = out.get("traceback")
            if not (isinstance(traceback, list) and all(isinstance(line, str) for line in traceback)):
                if traceback is not None:
                    self.warn(f"output {k}: the traceback must be a list of text (shown as the error's name)", n)
                out["traceback"] = []
            return out
        data = out.get("data", {})
        if not isinstance(data, dict):
            self.error(f"output {k}: data must be a mapping of representations, not {_kind(data)}", n)
            return None
        clean: dict[str, Any] = {}
        for mime, item in data.items():
            if not isinstance(mime, str):
                continue
            if mime.endswith("json") and isinstance(item, (dict, list)):
                clean[mime] = item
                continue
            text = _lines(item)
            if text is None:
                self.warn(f"output {k}: {mime} must be text, not {_kind(item)} (left out)", n)
            elif mime in IMAGE_MIMES and not is_base64(text):
                self.warn(f"output {k}: {mime} is not valid base64 (left out; the next representation is shown)", n)
            else:
                clean[mime] = text
        out["data"] = clean
        meta = out.get("metadata", {})
        out["metadata"] = self.output_metadata(meta if isinstance(meta, dict) else {})
        return out

    def output_metadata(self, meta: dict[str, Any]) -> dict[str, Any]:
        """Image sizes are finite positive numbers, or absent."""
        clean = dict(meta)
        for mime, size in meta.items():
            if isinstance(size, dict) and any(k in size for k in ("width", "height")):
                clean[mime] = {k: v for k, v in size.items() if k not in ("width", "height") or (
                    isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0)}
        return clean


def check_notebook(data: Any, path: str) -> tuple[dict[str, Any], list[Diagnostic]]:
    """The notebook in the shape later stages trust, and its warnings; NbpressError with every error found."""
    checker = _Checker(path)
    if not isinstance(data, dict):
        raise NbpressError(Diagnostic(f"not a Jupyter notebook: the file holds {_kind(data)}, not a mapping", path))
    cells = data.get("cells")
    if not isinstance(cells, list):
        raise NbpressError(Diagnostic("not a Jupyter notebook (no list of cells)", path))
    nb = dict(data)
    version = nb.get("nbformat", 4)
    if isinstance(version, str) and version.strip().isdigit():
        checker.warn(f"nbformat must be a number, not text ({version!r}): read as {int(version)}")
        version = int(version)
    if not isinstance(version, int) or isinstance(version, bool):
        checker.warn(f"nbformat must be a number, not {_kind(version)}: read as 4")
        version = 4
    if version > 4:
        checker.warn(f"nbformat {version} is newer than nbpress knows: read as version 4")
    nb["nbformat"] = 4
    nb["metadata"] = checker.metadata(nb.get("metadata"))
    checked = [checker.cell(cell, n) for n, cell in enumerate(cells, 1)]
    nb["cells"] = [c for c in checked if c is not None]
    if checker.errors:
        raise NbpressError(checker.errors)
    warnings = checker.warnings
    if len(warnings) > MAX_WARNINGS:
        more = len(warnings) - MAX_WARNINGS
        warnings = [*warnings[:MAX_WARNINGS], Diagnostic(f"and {more} more problems like these", path,
                                                         severity="warning")]
    return nb, warnings
