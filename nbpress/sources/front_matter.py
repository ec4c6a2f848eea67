"""Front matter: parse YAML blocks and check them against what the page model expects."""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import reprlib
from dataclasses import dataclass, field
from typing import Any

import frontmatter
import yaml

from nbpress.config import EXECUTE_MODES
from nbpress.errors import Diagnostic, NbpressError
from nbpress.model import Author
from nbpress.sources.markdown import plain

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it

KNOWN = {
    "title", "date", "excerpt", "description", "author", "coverImage", "ogImage", "category",
    "categories", "tags", "tag", "slug", "draft", "layout", "execute", "depends",
    "image", "permalink", "aliases", "redirect_from", "sticky_rank", "pinned",
}
# Read like `date` and kept in page.meta as datetimes: Jekyll, Hugo, Quarto and schema.org spell "updated" these ways.
UPDATED_KEYS = ("updated", "modified", "lastmod", "last_modified_at", "last-modified", "date-modified",
                "date_modified", "dateModified")  # each also sets meta["updated"], which layouts read
DATE_KEYS = (*UPDATED_KEYS, "publishDate", "expiryDate")
# `date:` values that mean "no fixed date" (Quarto): the file's first commit, else its mtime.
UNFIXED_DATES = ("last-modified", "today", "now")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%m/%d/%Y")
_HANDLER = frontmatter.YAMLHandler()  # python-frontmatter finds the block; we parse it for line numbers


@dataclass
class Where:
    """Where a front-matter block sits, so that errors can point at a line or a cell."""

    path: str
    first_line: int | None = None  # file line of the YAML block's first line
    cell: int | None = None
    text: str = ""

    def at(self, key: str | None, message: str, severity: str = "error") -> Diagnostic:
        line = None
        if self.first_line is not None:
            line = self.first_line
            if key is not None:
                match = (re.search(rf"^{re.escape(key)}\s*:", self.text, re.MULTILINE)  # a top-level key first
                         or re.search(rf"^[ \t]+{re.escape(key)}\s*:", self.text, re.MULTILINE))
                if match:
                    line += self.text.count("\n", 0, match.start())
        return Diagnostic(message, self.path, line, self.cell, severity)  # type: ignore[arg-type]


@dataclass
class FrontMatter:
    """Front matter checked and in the page model's types."""

    title: str | None = None
    date: dt.datetime | None = None
    excerpt: str | None = None
    author: Author | None = None
    cover_image: str | None = None
    og_image: str | None = None
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    slug: str | None = None
    draft: bool = False
    layout: str | None = None
    execute: dict[str, Any] = field(default_factory=dict)
    depends: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    image: str | None = None  # fastpages and Quarto `image:`: the OpenGraph image when there is no ogImage
    permalink: str | None = None
    aliases: tuple[str, ...] = ()
    pinned: int | None = None
    key_lines: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)


def split(text: str) -> tuple[str | None, str, int]:
    """The YAML block of a `---` fenced header, the rest, and the rest's first line."""
    if not _HANDLER.detect(text):
        return None, text, 1
    block, rest = _HANDLER.split(text)
    return block, rest, text[: len(text) - len(rest)].count("\n") + 1


MAX_YAML_VALUES = 10_000  # front matter whose aliases expand past this is refused: an alias bomb ("billion laughs")


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _expanded_size(root: yaml.Node) -> int:
    """How many values a node stands for once every alias is written out; each shared node is counted
    once (time in the number of nodes, not in the expansion); a node that contains itself is endless."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # on the path from the root: meeting one again is a cycle (`&a [*a]`)
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, counted = stack.pop()
        if counted:
            open_nodes.discard(id(node))
            sizes[id(node)] = 1 + sum(sizes[id(child)] for child in _children(node))
            continue
        if id(node) in sizes:
            continue
        if id(node) in open_nodes:
            return MAX_YAML_VALUES + 1
        open_nodes.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    return sizes[id(root)]


def _refuse_bombs(node: yaml.Node | None, where: Where) -> None:
    if node is not None and _expanded_size(node) > MAX_YAML_VALUES:
        raise NbpressError(where.at(None, f"invalid front matter: its aliases (*name) expand to more than "
                                          f"{MAX_YAML_VALUES:,} values; write the values out instead"))


def load_yaml(block: str, where: Where) -> Any:
    """The value of a YAML block, refused (NbpressError) when its aliases expand past MAX_YAML_VALUES.

    Composing first and counting shared nodes once takes time in the block's length, not in its expansion.
    """
    if "*" not in block:  # no aliases: nothing can expand
        return yaml.load(block, Loader=_Loader)
    loader = _Loader(block)
    try:
        node = loader.get_single_node()
        _refuse_bombs(node, where)
        return loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def check_aliases(block: str, where: Where) -> None:
    """Refuse a YAML header whose aliases expand past MAX_YAML_VALUES before jupytext reads it (which expands them)."""
    if "*" not in block:
        return
    loader = _Loader(block)
    try:
        while loader.check_node():
            _refuse_bombs(loader.get_node(), where)
    except yaml.YAMLError:
        pass  # not YAML: the notebook's reader says so, with its line
    finally:
        loader.dispose()


def quoted(value: Any, limit: int = 160) -> str:
    """A value as an error message shows it: repr, cut short (front matter can hold anything)."""
    text = _QUOTE.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_QUOTE = reprlib.Repr()
_QUOTE.maxstring = _QUOTE.maxother = 60
_QUOTE.maxlist = _QUOTE.maxtuple = _QUOTE.maxdict = _QUOTE.maxset = 6


def parse_yaml(block: str, where: Where) -> dict[str, Any]:
    """The mapping in a YAML block; NbpressError pointing at the line if it is not one."""
    try:
        data = load_yaml(block, where)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        context_mark = getattr(exc, "context_mark", None)
        if context and context_mark is not None and where.first_line is not None:
            problem = f"{problem} ({context} started on line {where.first_line + context_mark.line})"
        line = where.first_line + mark.line if mark is not None and where.first_line is not None else None
        raise NbpressError(Diagnostic(f"invalid front matter: {problem}", where.path, line, where.cell)) from None
    except RecursionError:
        raise NbpressError(Diagnostic("invalid front matter: nested too deeply", where.path, where.first_line,
                                      where.cell)) from None
    except ValueError as exc:  # PyYAML builds dates itself: 2024-13-45 looks like one and is not
        line, message = None, f"invalid front matter: {exc}"
        for number, text in enumerate(block.splitlines()):
            value = re.search(r"^\s*([\w-]+)\s*:\s*['\"]?(\d{4}-\d\d?-\d\d?)\b", text)
            if value and parse_date(value.group(2)) is None:
                line = where.first_line + number if where.first_line is not None else None
                message = f"invalid front matter: '{value.group(1)}' is not a real date: {value.group(2)} ({exc})"
                break
        raise NbpressError(Diagnostic(message, where.path, line, where.cell)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise NbpressError(where.at(None, f"invalid front matter: expected key: value pairs, not {kind}"))
    return {str(k): v for k, v in data.items()}


def holds_mapping(block: str) -> bool:
    """A YAML block of key: value pairs, or an empty one (a raw cell of `---`-fenced prose is no front matter)."""
    try:
        return isinstance(yaml.load(block, Loader=_Loader), dict | None)
    except (yaml.YAMLError, ValueError, RecursionError):
        return False


def check_jupytext_header(header: dict[str, Any], where: Where) -> dict[str, Any] | None:
    """A jupytext header checked before jupytext reads it (it fails on these with Python internals).

    Returns the header repaired where the intent is clear (a kernelspec with a name and no display_name, which
    nbformat's schema requires), or None when it is fine as it is; NbpressError for the rest.
    """
    problems: list[Diagnostic] = []
    fixed = dict(header)
    if "jupyter" in header:
        if not isinstance(header["jupyter"], dict):
            raise NbpressError(where.at("jupyter", "invalid jupytext header: 'jupyter' must be a mapping "
                                        f"(kernelspec, jupytext), not {header['jupyter']!r}"))
        meta = fixed["jupyter"] = dict(header["jupyter"])
    else:
        meta = fixed  # MyST: kernelspec and jupytext at the top level
    for key in ("kernelspec", "jupytext", "language_info"):
        if key in meta and not isinstance(meta[key], dict):
            problems.append(where.at(key, f"invalid jupytext header: '{key}' must be a mapping, not {meta[key]!r}"))
    spec = meta.get("kernelspec")
    if isinstance(spec, dict):
        for key in ("name", "display_name", "language"):
            if key in spec and not isinstance(spec[key], str):
                problems.append(where.at(key, f"invalid jupytext header: kernelspec '{key}' must be text, "
                                         f"not {spec[key]!r}"))
        if "name" not in spec:
            problems.append(where.at("kernelspec", "invalid jupytext header: the kernelspec has no 'name' "
                                     "(the kernel to run, such as python3)"))
        elif "display_name" not in spec:
            meta["kernelspec"] = {**spec, "display_name": spec["name"]}
    representation = meta.get("jupytext", {}).get("text_representation") if isinstance(meta.get("jupytext"),
                                                                                        dict) else None
    if representation is not None and not isinstance(representation, dict):
        problems.append(where.at("text_representation", "invalid jupytext header: 'text_representation' must be "
                                 f"a mapping (extension, format_name), not {representation!r}"))
    if problems:
        raise NbpressError(problems)
    return fixed if fixed != header else None


def jupyter_lines(block: str) -> list[int]:
    """The lines of a header block that jupytext reads as notebook metadata: `jupyter:` and the indented lines
    under it (the rest of the header becomes a raw cell, and so the page's front matter)."""
    found: list[int] = []
    inside = False
    for number, line in enumerate(block.split("\n")):
        if re.match(r"jupyter\s*:\s*$", line):
            inside = True
        elif line and not line[0].isspace():
            inside = False
        if inside:
            found.append(number)
    return found


def parse_date(value: Any) -> dt.datetime | None:
    """A datetime from a YAML date, datetime or ISO string; None if it is none of those."""
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, dt.date):
        when = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            when = dt.datetime.fromisoformat(text)
        except ValueError:
            for form in _DATE_FORMATS:  # what Jekyll and Quarto also read
                try:
                    when = dt.datetime.strptime(text, form)
                    break
                except ValueError:
                    continue
            else:
                return None
    else:
        return None
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when


def _strings(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return tuple(s.strip() for s in value.split(",") if s.strip())
    if isinstance(value, (list, tuple)) and all(isinstance(v, (str, int, float)) for v in value):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return None


def _url(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("url")
    return value if isinstance(value, str) and value.strip() else None


def _flag(value: Any) -> bool | None:
    """true/false, also as the text 'true'/'false' (fastpages cells and nbdev_migrate write those)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _authors(value: Any) -> Author | None:
    """One author, a plain name, or (Quarto) a list of names or of mappings with a name: one byline."""
    if isinstance(value, str):
        return Author(plain(value)) if plain(value) else None
    if isinstance(value, dict) and isinstance(value.get("name"), str) and plain(value["name"]):
        picture = value.get("picture", value.get("image"))
        return Author(plain(value["name"]), picture if isinstance(picture, str) and picture.strip() else None)
    if isinstance(value, list) and value:
        found = [_authors(v) for v in value]
        if all(found):
            names = [a.name for a in found if a]
            byline = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
            return Author(byline, next((a.picture for a in found if a and a.picture), None))
    return None


def _site_path(value: str) -> str:
    """A permalink as a site path: leading slash; a trailing one unless it names an .html file."""
    path = "/" + value.strip().lstrip("/")
    return path if path.endswith(("/", ".html", ".htm")) else path + "/"


def check(raw: dict[str, Any], where: Where) -> tuple[FrontMatter, list[Diagnostic]]:
    """Front matter in the page model's types, and every problem found in it."""
    fm = FrontMatter(meta={k: v for k, v in raw.items() if k not in KNOWN})
    fm.key_lines = {key: (d.line, d.cell) for key in raw for d in [where.at(key, "")]}
    problems: list[Diagnostic] = []

    def bad(key: str, expected: str) -> None:
        problems.append(where.at(key, f"invalid front matter: '{key}' must be {expected}, not {quoted(raw[key])}"))

    if "title" in raw and raw["title"] is not None:
        if isinstance(raw["title"], (str, int, float)) and not isinstance(raw["title"], bool):
            fm.title = str(raw["title"]).strip() or None
        else:
            bad("title", "a string")
    date = raw.get("date")
    if date is not None and not (isinstance(date, str) and date.strip().lower() in UNFIXED_DATES):
        fm.date = parse_date(date)
        if fm.date is None:
            bad("date", "a date such as 2024-05-01 or 2024-05-01T09:30:00")
    for key in DATE_KEYS:  # `updated: '2024-02-01'` is read like `date:`, so layouts get a date, not text
        if raw.get(key) is not None:
            when = parse_date(raw[key])
            if when is None:
                bad(key, "a date such as 2024-05-01 or 2024-05-01T09:30:00")
                del fm.meta[key]
            else:
                fm.meta[key] = when
                if key in UPDATED_KEYS:  # what layouts read, whichever tool's name the post uses
                    fm.meta.setdefault("updated", when)
    for key in ("excerpt", "description"):
        if raw.get(key) is not None:
            if isinstance(raw[key], str):
                fm.excerpt = fm.excerpt or plain(raw[key])
            else:
                bad(key, "a string")
    if raw.get("author") is not None:
        fm.author = _authors(raw["author"])
        if fm.author is None:
            bad("author", "a name, a mapping with 'name' and 'picture', or a list of those")
    for key, attr in (("coverImage", "cover_image"), ("ogImage", "og_image"), ("image", "image")):
        if raw.get(key) is not None:
            url = _url(raw[key])
            if url is None:
                bad(key, "a URL, or a mapping with 'url'")
            setattr(fm, attr, url)

    def names(*keys: str) -> tuple[str, ...]:
        found: list[str] = []
        for key in keys:
            if raw.get(key) is not None:
                values = _strings(raw[key])
                if values is None:
                    bad(key, "a name or a list of names")
                else:
                    found.extend(v for v in values if v not in found)
        return tuple(found)

    fm.categories = names("category", "categories")
    fm.tags = names("tags", "tag")
    for key in ("slug", "layout"):
        if raw.get(key) is not None:
            if isinstance(raw[key], (str, int)) and not isinstance(raw[key], bool) and str(raw[key]).strip():
                setattr(fm, key, str(raw[key]).strip())
            else:
                bad(key, "a string")
    for key in ("draft", "toc"):
        if raw.get(key) is not None:
            flag = _flag(raw[key])
            if flag is None:
                bad(key, "true or false")
                fm.meta.pop(key, None)
            elif key == "draft":
                fm.draft = flag
            else:
                fm.meta[key] = flag
    permalink = raw.get("permalink")
    if permalink is not None:
        if not isinstance(permalink, str) or not permalink.strip() or "://" in permalink:
            bad("permalink", "a path on this site such as /my-post/")
        elif ":" in permalink:  # a Jekyll template (/:year/:title/) names no one URL
            problems.append(where.at("permalink", f"permalink '{permalink}' is a Jekyll pattern, not a path: ignored "
                                     "(the page keeps its URL)", severity="warning"))
        else:
            fm.permalink = _site_path(permalink)
            if not fm.permalink.endswith("/"):  # /about.html: the page lives at /about/, the old URL redirects
                fm.aliases += (fm.permalink,)
                fm.permalink = _site_path(posixpath.splitext(fm.permalink)[0])
    for key in ("aliases", "redirect_from"):
        if raw.get(key) is not None:
            values = [raw[key]] if isinstance(raw[key], str) else raw[key]
            if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values) \
                    or any("://" in v for v in values):
                bad(key, "a path or a list of paths on this site")
            else:
                fm.aliases += tuple(v.strip() for v in values if v.strip() not in fm.aliases)
    rank = raw.get("sticky_rank")
    if rank is not None:
        if isinstance(rank, str) and rank.strip().isdigit():
            rank = int(rank)
        if isinstance(rank, int) and not isinstance(rank, bool):
            fm.pinned = rank
        else:
            bad("sticky_rank", "a whole number (1 is listed first)")
    if raw.get("pinned") is not None:
        flag = _flag(raw["pinned"])
        if flag is None:
            bad("pinned", "true or false")
        elif flag and fm.pinned is None:
            fm.pinned = 1
    execute = raw.get("execute")
    if isinstance(execute, bool):
        execute = "auto" if execute else "off"
    if isinstance(execute, str) and execute in EXECUTE_MODES:
        fm.execute = {"mode": execute}
    elif isinstance(execute, dict) and _valid_execute(execute):
        fm.execute = dict(execute)
    elif execute is not None:
        bad("execute", f"one of {', '.join(EXECUTE_MODES)}, or a mapping with mode, timeout, allow_errors")
    if raw.get("depends") is not None:
        values = _strings(raw["depends"]) if not isinstance(raw["depends"], str) else (raw["depends"],)
        if values is None:
            bad("depends", "a file name or a list of file names (globs allowed)")
        else:
            fm.depends = values
    return fm, problems


def _valid_execute(value: dict[str, Any]) -> bool:
    checks = {
        "mode": lambda v: v in EXECUTE_MODES,
        "timeout": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0,
        "allow_errors": lambda v: isinstance(v, bool),
        "kernel": lambda v: isinstance(v, str),
    }
    return all(k in checks and checks[k](v) for k, v in value.items())
