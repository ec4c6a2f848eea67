"""ANSI escape codes (tracebacks, coloured logs) as HTML spans."""

from __future__ import annotations

import html
import re

_SGR = re.compile(r"\x1b\[([\d;]*)m")
_OTHER = re.compile(r"\x1b\[[\d;?]*[A-Za-ln-z]|\x1b\][^\x07]*\x07|\x1b[()][AB012]")
_NAMES = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]


def strip_ansi(text: str) -> str:
    """Text with every escape sequence removed."""
    return _OTHER.sub("", _SGR.sub("", text))


def _extended(codes: list[int], i: int) -> tuple[str | None, int]:
    """A colour from `38;5;n` or `38;2;r;g;b` starting at codes[i], and the next index."""
    if i + 1 < len(codes) and codes[i + 1] == 5 and i + 2 < len(codes):
        n = codes[i + 2]
        if n < 16:
            return f"var(--ansi-{'bright-' if n > 7 else ''}{_NAMES[n % 8]})", i + 3
        if n < 232:
            n -= 16
            r, g, b = (0 if c == 0 else 55 + c * 40 for c in (n // 36, n // 6 % 6, n % 6))
            return f"rgb({r},{g},{b})", i + 3
        level = 8 + (n - 232) * 10
        return f"rgb({level},{level},{level})", i + 3
    if i + 1 < len(codes) and codes[i + 1] == 2 and i + 4 < len(codes):
        return f"rgb({codes[i + 2]},{codes[i + 3]},{codes[i + 4]})", i + 5
    return None, i + 1


def ansi_to_html(text: str) -> str:
    """Escaped HTML with SGR colours and bold as styled spans."""
    out: list[str] = []
    fg: str | None = None
    bg: str | None = None
    bold = underline = False
    pos = 0
    opened = False
    text = _OTHER.sub("", text)
    for match in _SGR.finditer(text):
        out.append(html.escape(text[pos : match.start()]))
        pos = match.end()
        codes = [int(c) if c else 0 for c in match.group(1).split(";")] if match.group(1) else [0]
        i = 0
        while i < len(codes):
            code = codes[i]
            if code == 0:
                fg = bg = None
                bold = underline = False
            elif code == 1:
                bold = True
            elif code == 4:
                underline = True
            elif code == 22:
                bold = False
            elif code == 24:
                underline = False
            elif 30 <= code <= 37:
                fg = f"var(--ansi-{_NAMES[code - 30]})"
            elif 90 <= code <= 97:
                fg = f"var(--ansi-bright-{_NAMES[code - 90]})"
            elif 40 <= code <= 47:
                bg = f"var(--ansi-{_NAMES[code - 40]})"
            elif 100 <= code <= 107:
                bg = f"var(--ansi-bright-{_NAMES[code - 100]})"
            elif code == 39:
                fg = None
            elif code == 49:
                bg = None
            elif code in (38, 48):
                colour, i = _extended(codes, i)
                if code == 38:
                    fg = colour
                else:
                    bg = colour
                continue
            i += 1
        if opened:
            out.append("</span>")
            opened = False
        style = ";".join(
            s for s in (
                f"color:{fg}" if fg else "", f"background-color:{bg}" if bg else "",
                "font-weight:bold" if bold else "", "text-decoration:underline" if underline else "",
            ) if s
        )
        if style:
            out.append(f'<span style="{style}">')
            opened = True
    out.append(html.escape(text[pos:]))
    if opened:
        out.append("</span>")
    return "".join(out)
