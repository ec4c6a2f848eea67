"""Cell options written in the code itself, read as the cell tags nbpress honours.

Quarto puts YAML in `#|` lines at the top of a cell (`#| echo: false`; `//|` in JavaScript); nbdev 2 and
fastpages notebooks migrated to Quarto write bare flags the same way (`#| hide`); fastpages and nbdev 1 use
comment flags on their own line anywhere in the cell (`#hide`, `#collapse-show`). Each becomes the tag that
means the same, so execution, the cache and rendering see one thing; the lines themselves are not shown.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_OPTION = re.compile(r"^\s*(?:#|//|--|%%)\|\s?(.*)$")
# fastpages / nbdev 1 flags (nbdev reads them on any line of the cell, in any case, '-' or '_').
_FLAG = re.compile(r"^\s*#\s*(hide|hide[-_]input|hide[-_]output|collapse|collapse[-_]hide|collapse[-_]input|"
                   r"collapse[-_]show|collapse[-_]output)\s*$", re.IGNORECASE | re.MULTILINE)
FLAG_TAGS = {
    "hide": "remove-cell",
    "hide_input": "remove-input",
    "hide_output": "remove-output",
    "collapse": "hide-input",
    "collapse_hide": "hide-input",
    "collapse_input": "hide-input",
    "collapse_show": "fold-input",  # code in a foldable box, open
    "collapse_output": "hide-output",
}


def _option_lines(source: str) -> tuple[list[str], int]:
    """The option lines at the top of a cell (without their `#|`) and how many lines they take."""
    found: list[str] = []
    lines = source.split("\n")
    for line in lines:
        match = _OPTION.match(line)
        if not match:
            break
        found.append(match.group(1))
    return found, len(found)


def _quarto_tags(options: dict[str, Any]) -> set[str]:
    """Quarto's cell options as tags (https://quarto.org/docs/reference/cells/cells-jupyter.html)."""
    tags: set[str] = set()
    if options.get("include") is False:
        tags.add("remove-cell")
    if options.get("echo") is False:
        tags.add("remove-input")
    if options.get("output") is False:
        tags.add("remove-output")
    if options.get("eval") is False:
        tags.add("skip-execution")
    if options.get("warning") is False:
        tags.add("remove-stderr")  # Python warnings go to stderr, as Jupyter Book's tag of that name knows
    if options.get("error") is True:
        tags.add("raises-exception")
    fold = options.get("code-fold")
    if fold is True or fold == "true":
        tags.add("hide-input")
    elif fold == "show":
        tags.add("fold-input")
    extra = options.get("tags")
    if isinstance(extra, list):
        tags.update(t for t in extra if isinstance(t, str))
    return tags


def option_tags(source: str) -> tuple[set[str], str | None]:
    """The tags a code cell's option lines and flags mean, and a problem with them (invalid YAML), if any."""
    tags = {FLAG_TAGS[m.lower().replace("-", "_")] for m in _FLAG.findall(source)} if "#" in source else set()
    lines, _ = _option_lines(source)
    if not lines:
        return tags, None
    block = []
    for line in lines:
        word = line.strip().lower().replace("-", "_")
        if word in FLAG_TAGS:  # `#| hide`: nbdev 2 and nbdev_migrate write fastpages flags this way
            tags.add(FLAG_TAGS[word])
        elif ":" in line:
            block.append(line)
    if not block:
        return tags, None
    try:
        options = yaml.safe_load("\n".join(block))
    except yaml.YAMLError as exc:
        return tags, f"invalid cell options (#| lines): {getattr(exc, 'problem', None) or exc}"
    except (ValueError, RecursionError) as exc:  # PyYAML raises ValueError on dates that are not real dates
        return tags, f"invalid cell options (#| lines): {exc}"
    if isinstance(options, dict):
        tags |= _quarto_tags(options)
    return tags, None


def strip_options(source: str) -> str:
    """The code as readers see it: without the option lines at its top and without fastpages flags."""
    if "|" in source:
        _, count = _option_lines(source)
        if count:
            source = "\n".join(source.split("\n")[count:])
    if "#" in source and _FLAG.search(source):
        source = "\n".join(line for line in source.split("\n") if not _FLAG.fullmatch(line))
    return source
