"""The one Markdown engine, for posts and notebook markdown cells alike."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.lexers.special import TextLexer
from pygments.util import ClassNotFound

from nbpress.model import Heading
from nbpress.urls import slugify

LinkResolver = Callable[[str], str]


@dataclass(frozen=True)
class Rendered:
    html: str
    headings: tuple[Heading, ...]
    title: str | None  # the leading `# heading`, when it was taken out of the body
    excerpt: str  # plain text of the first paragraph
    has_math: bool


@functools.lru_cache(maxsize=64)
def _lexer(language: str) -> Lexer:
    try:
        return get_lexer_by_name(language or "text", stripnl=False, ensurenl=False)
    except ClassNotFound:
        return TextLexer(stripnl=False, ensurenl=False)


_FORMATTER = HtmlFormatter(nowrap=True)


def highlight(code: str, language: str, lexer: str | None = None) -> str:
    """Code as HTML with Pygments CSS classes, in the theme's code block markup.

    `lexer` names a Pygments lexer other than the language's (ipython3 for Python notebooks: `!pip`, `%magic`).
    """
    lang = (language or "").strip().split()[0] if language and language.strip() else ""
    chosen = _lexer(lexer.lower()) if lexer else None
    if chosen is None or isinstance(chosen, TextLexer):
        chosen = _lexer(lang.lower())
    body = pygments_highlight(code, chosen, _FORMATTER) if lang else html.escape(code)
    cls = f' class="language-{html.escape(lang)}"' if lang else ""
    return f'<div class="highlight"><pre><code{cls}>{body}</code></pre></div>\n'


# Admonitions as MyST (Jupyter Book) writes them, ```{note} or :::{note}, and Quarto, ::: {.callout-note}.
ADMONITIONS = ("note", "tip", "hint", "important", "warning", "caution", "attention", "danger", "error", "seealso",
               "admonition")
_MYST_DIRECTIVE = re.compile(r"\{(\w+)\}\s*(.*)")
_QUARTO_CALLOUT = re.compile(r"\{\s*\.callout-(\w+)([^}]*)\}\s*(.*)")
_DIRECTIVE_OPTION = re.compile(r"\A(?::[\w-]+:.*\n)+")  # `:class: dropdown` lines at a directive's top


def _callout(info: str) -> tuple[str, str] | None:
    """The kind and title of an admonition's opening line (after its fence), or None if it is not one."""
    info = info.strip()
    myst = _MYST_DIRECTIVE.fullmatch(info)
    if myst and myst[1] in ADMONITIONS:
        kind = "note" if myst[1] == "admonition" else myst[1]
        return kind, myst[2].strip() or ("See also" if kind == "seealso" else kind.capitalize())
    quarto = _QUARTO_CALLOUT.fullmatch(info)
    if quarto:
        title = re.search(r"""title\s*=\s*["']([^"']*)["']""", quarto[2])
        return quarto[1].lower(), (title[1] if title else quarto[3].strip()) or quarto[1].capitalize()
    return None


def _callout_open(kind: str, title: str) -> str:
    return (f'<div class="callout callout-{html.escape(kind)}" role="note">'
            f'<p class="callout-title">{html.escape(title)}</p>\n')


def _fence(renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    callout = _callout(token.info)
    if callout is not None:  # its content is Markdown, rendered like the rest of the page
        inner = render_markdown(_DIRECTIVE_OPTION.sub("", token.content), title="", resolve=env.get("resolve"),
                                ids=env.get("ids"))
        if inner.has_math:
            env["has_math"] = True
        return _callout_open(*callout) + inner.html + "</div>\n"
    return highlight(token.content, token.info.strip())


def _container(renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    if token.nesting == -1:
        return "</div>\n"
    return _callout_open(*(_callout(token.info) or ("note", "Note")))


def _math(content: str, options: dict[str, Any]) -> str:
    # The plugin wraps this in span.math.inline / div.math.block; the delimiters stay so
    # that a math renderer in the page (or a reader without one) can use them.
    if options.get("display_mode"):
        return f"\\[{html.escape(content)}\\]"
    return f"\\({html.escape(content)}\\)"


@functools.lru_cache(maxsize=1)
def engine() -> MarkdownIt:
    """The configured markdown-it-py parser (one per process)."""
    md = (
        MarkdownIt("commonmark", {"html": True, "typographer": False})
        .enable(["table", "strikethrough"])
        .use(footnote_plugin)
        .use(tasklists_plugin)
        .use(dollarmath_plugin, allow_space=False, allow_digits=False, renderer=_math)
        .use(container_plugin, "callout", validate=lambda params, *_: _callout(params) is not None)
    )
    md.add_render_rule("fence", _fence)
    md.add_render_rule("container_callout_open", _container)
    md.add_render_rule("container_callout_close", _container)
    md.add_render_rule("code_block", lambda _r, tokens, idx, _o, _e: highlight(tokens[idx].content, ""))
    return md


def _text(token: Token, math: str = "$") -> str:
    parts = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "math_inline":
            parts.append(f"{math}{child.content}{math}")
    return "".join(parts)


# The tags people put in summaries and bylines (fastpages and Quarto authors write <a href=...>Name</a>); other
# text in angle brackets ("Three & <Four>") is text.
_TAG = re.compile(r"<!--.*?-->|</?(?:a|abbr|b|big|br|cite|code|del|div|em|font|i|img|ins|kbd|mark|p|q|s|samp|small|"
                  r"span|strong|sub|sup|time|u|var)(?:\s[^<>]*)?/?>", re.S | re.IGNORECASE)
# Inline math as the one engine reads it: no space inside the dollars, no digit after the closing one.
_MATH = re.compile(r"\$\$(.+?)\$\$|\$(?=\S)([^$\n]*?\S)\$(?!\d)|\\\((.+?)\\\)", re.S)


def plain(text: str) -> str:
    """Text for cards, meta tags and feeds: HTML tags and math delimiters out, entities decoded, spaces folded."""
    if "<" in text:
        text = _TAG.sub("", text)
    if "$" in text or "\\(" in text:
        text = _MATH.sub(lambda m: next(g for g in m.groups() if g is not None), text)
    if "&" in text:
        text = html.unescape(text)
    return re.sub(r"\s+", " ", text).strip()


def first_h1(text: str) -> str | None:
    """The text of the first level-1 heading (`# Title` or a setext `Title\n=====`), if any."""
    if "#" not in text and "=" not in text:
        return None
    tokens = engine().parse(text)
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h1":
            return _text(tokens[i + 1]).strip() or None
    return None


def trim(text: str, limit: int = 240) -> str:
    """Text shortened at a word boundary, with an ellipsis when cut."""
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


def render_markdown(
    text: str,
    *,
    title: str | None = None,
    resolve: LinkResolver | None = None,
    ids: set[str] | None = None,
    jupyter_ids: bool = False,
) -> Rendered:
    """HTML for Markdown text, with heading ids, links resolved and the title taken out.

    With no `title`, a leading `# heading` becomes the title and leaves the body; with a
    title, a leading `# heading` that repeats it leaves the body too. With `jupyter_ids`, every
    heading also carries the id Jupyter gives it, so that `nb.ipynb#Some-Heading` links land.
    """
    md = engine()
    ids = set() if ids is None else ids
    env: dict[str, Any] = {"resolve": resolve, "ids": ids}  # for the Markdown inside admonitions
    tokens = md.parse(text, env)
    found: str | None = None
    lead = ""
    first = next((i for i, t in enumerate(tokens) if t.type not in ("html_block",)), None)
    if first is not None and tokens[first].type == "heading_open" and tokens[first].tag == "h1":
        heading = _text(tokens[first + 1]).strip()
        if title is None or heading.casefold() == title.strip().casefold():
            found = heading
            del tokens[first : first + 3]
            if jupyter_ids and heading.replace(" ", "-") not in ids:  # the title's anchor stays on the page
                ids.add(heading.replace(" ", "-"))
                lead = _anchor(heading.replace(" ", "-"))
    headings: list[Heading] = []
    excerpt = ""
    has_math = False
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            label = _text(tokens[i + 1]).strip()
            base = slugify(label, max_bytes=None)  # an anchor names no file: headings keep their whole id
            anchor, n = base, 1
            while anchor in ids:
                n += 1
                anchor = f"{base}-{n}"
            ids.add(anchor)
            token.attrSet("id", anchor)
            headings.append(Heading(int(token.tag[1]), label, anchor))
            jupyter = label.replace(" ", "-")  # what Jupyter and nbconvert give a heading: its text, '-' for ' '
            children = tokens[i + 1].children
            if jupyter_ids and jupyter and jupyter not in ids and children is not None:
                ids.add(jupyter)
                marker = Token("html_inline", "", 0)
                marker.content = _anchor(jupyter)
                children.insert(0, marker)
        elif token.type == "paragraph_open" and not excerpt and token.level == 0:
            excerpt = trim(_text(tokens[i + 1], math=""))  # cards show no raw TeX
        elif token.type.startswith("math_block"):
            has_math = True
        if token.type == "inline" and token.children:
            for child in token.children:
                if child.type == "math_inline":
                    has_math = True
                elif resolve is not None and child.type in ("link_open", "image"):
                    attr = "href" if child.type == "link_open" else "src"
                    value = child.attrGet(attr)
                    if isinstance(value, str):
                        child.attrSet(attr, resolve(value))
    body = lead + md.renderer.render(tokens, md.options, env)
    return Rendered(body, tuple(headings), found, excerpt, has_math or bool(env.get("has_math")))


def _anchor(name: str) -> str:
    return f'<span id="{html.escape(name)}"></span>'

