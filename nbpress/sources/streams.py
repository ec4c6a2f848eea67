"""Long text outputs on the page: consecutive stream outputs joined, and very long text cut in the middle.

A cell that prints a hundred megabytes would make a page no reader can open. Like JupyterLab (which shows the
head of a long output area) and VS Code (a text line limit with "Output is truncated"), the page keeps the start
and the end of the text, with a notice of how much was left out; the notebook, and the execution cache, keep it
all.
"""

from __future__ import annotations

from typing import Any

from nbpress.ansi import ansi_to_html

MAX_LINES = 1_000  # a longer text shows its first 800 and last 200 lines
MAX_CHARS = 100_000  # and at most this many characters (one line can be huge)
TAIL_SHARE = 5  # one fifth of the budget goes to the end of the text: a log's last lines say how it ended


def joined_streams(outputs: list[dict[str, Any]]) -> dict[int, str | None]:
    """For each stream output (by index), the text of the run of same-name streams it starts; None for the
    later outputs of a run, whose text is in the first one's."""
    runs: dict[int, list[str]] = {}
    later: list[int] = []
    start: int | None = None
    for i, output in enumerate(outputs):
        if output.get("output_type") != "stream":
            start = None
            continue
        text = output.get("text")
        text = "".join(text) if isinstance(text, list) else str(text or "")
        if start is not None and outputs[start].get("name", "stdout") == output.get("name", "stdout"):
            runs[start].append(text)  # joined once at the end: many small outputs stay linear
            later.append(i)
        else:
            start = i
            runs[i] = [text]
    joined: dict[int, str | None] = {i: "".join(parts) for i, parts in runs.items()}
    joined.update(dict.fromkeys(later))
    return joined


def _head(text: str, lines: int, chars: int) -> str:
    """At most `lines` lines and `chars` characters from the start, ending at a line end when there is one."""
    head = text[:chars]
    end = -1
    for _ in range(lines):
        end = head.find("\n", end + 1)
        if end < 0:
            break
    else:
        return head[: end + 1]
    newline = head.rfind("\n")  # the budget ends mid-line: cut at the line end before it, unless that is far back
    return head[: newline + 1] if newline >= chars // 2 and len(head) < len(text) else head


def _tail(text: str, lines: int, chars: int) -> str:
    """At most `lines` lines and `chars` characters from the end, starting after a line end when there is one."""
    tail = text[len(text) - chars :] if chars else ""
    start = len(tail) - 1 if tail.endswith("\n") else len(tail)
    for _ in range(lines):
        start = tail.rfind("\n", 0, start)
        if start < 0:
            break
    else:
        return tail[start + 1 :]
    newline = tail.find("\n")
    return tail[newline + 1 :] if 0 <= newline <= chars // 2 and len(tail) < len(text) else tail


def shorten(text: str, max_lines: int | None = None, max_chars: int | None = None) -> tuple[str, str, str]:
    """(head, middle, tail) of a text too long for a page; the middle is "" when it all fits."""
    max_lines = MAX_LINES if max_lines is None else max_lines
    max_chars = MAX_CHARS if max_chars is None else max_chars
    if len(text) <= max_chars and text.count("\n", 0, len(text) - 1) < max_lines:
        return text, "", ""
    tail_lines, tail_chars = max_lines // TAIL_SHARE, max_chars // TAIL_SHARE
    head = _head(text, max_lines - tail_lines, max_chars - tail_chars)
    tail = _tail(text[len(head) :], tail_lines, tail_chars)
    return head, text[len(head) : len(text) - len(tail)], tail


def _size(chars: int) -> str:
    for unit, size in (("MB", 1_000_000), ("kB", 1_000)):
        if chars >= size:
            return f"{chars / size:.1f} {unit}"
    return f"{chars} characters"


def long_text_html(text: str) -> str:
    """Text output as HTML (ANSI colours kept), cut in the middle with a notice when it is too long for a page."""
    head, middle, tail = shorten(text)
    if not middle:
        return ansi_to_html(text)
    lines = middle.count("\n")
    what = f"{lines:,} line{'s' * (lines != 1)} ({_size(len(middle))})" if lines else _size(len(middle))
    notice = f'<span class="output-truncated">[… {what} not shown …]</span>'
    return ansi_to_html(head) + ("" if head.endswith("\n") or not head else "\n") + notice + "\n" + ansi_to_html(tail)
