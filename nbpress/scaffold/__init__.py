"""New sites and new posts: the files `nbpress init` and `nbpress new` write (the cli prints)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from nbpress import __version__
from nbpress.config import Settings
from nbpress.errors import Diagnostic, SettingsError
from nbpress.urls import slugify

SCAFFOLD_DIR = Path(__file__).parent / "site"
CI_DIR = Path(__file__).parent / "ci"  # one folder per CI service: the workflow that publishes the site
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}

PostKind = Literal["markdown", "notebook", "py"]
POST_EXTS: dict[PostKind, str] = {"markdown": ".md", "notebook": ".ipynb", "py": ".py"}
Status = Literal["created", "kept", "added to"]
CiKind = Literal["github", "gitlab", "none"]
CI_KINDS: tuple[CiKind, ...] = ("github", "gitlab", "none")

# A folder holding only these is still empty enough for `nbpress init` (a fresh `git init`).
_NOT_CONTENT = {".git", ".DS_Store"}
_SKIP_DIRS = {".ipynb_checkpoints", "__pycache__", "node_modules"}
_BODY = "The first paragraph is the post's excerpt when the front matter gives none.\n"
# A requirement line that names nbpress: `nbpress`, `NBPress[x]>=1`, `nbpress @ https://...`.
_NAMES_NBPRESS = re.compile(r"^\s*nbpress\s*($|[\[(<>=!~;@ ])", re.IGNORECASE)


@dataclass(frozen=True)
class Written:
    """One file of a new site: created, kept as it was, or (.gitignore) added to."""

    path: str  # relative to the site folder, posix
    status: Status


def site_title(folder: Path) -> str:
    """A title from a folder name: my-blog -> My Blog (names with capitals kept)."""
    name = folder.resolve().name
    if not name:
        return "nbpress site"
    if name != name.lower():
        return name
    return " ".join(word.capitalize() for word in name.replace("_", "-").split("-") if word) or name


def _toml_string(value: str) -> str:
    # JSON's escapes are TOML's, except that TOML also wants DEL escaped.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _target(rel: str) -> str:
    """Package data has no dotfiles: a `dot-x` path part stands for `.x`."""
    return "/".join("." + part[4:] if part.startswith("dot-") else part for part in rel.split("/"))


def requirement() -> str:
    """The pin a new site's CI installs: the nbpress that wrote it, so a release never changes it unasked."""
    return f"nbpress=={__version__}"


def is_release(version: str) -> bool:
    """False for a development or local version (0.2.0.dev0, 0.1.0+g1234), which no package index has."""
    return ".dev" not in version and "+" not in version


def template_files(ci: CiKind = "github") -> list[tuple[str, Path]]:
    """Every file of the new-site template with ci's workflow: (path in the new site, template file), sorted."""
    roots = [SCAFFOLD_DIR] + ([CI_DIR / ci] if ci != "none" else [])
    found = [
        (_target(path.relative_to(root).as_posix()), path)
        for root in roots
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    ]
    return sorted(found)


def _create(path: Path, text: str) -> bool:
    """Write a new file; False, leaving it alone, if one is already there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError:
        return False
    return True


def _merge_lines(path: Path, text: str) -> bool:
    """Append the template's patterns that an existing ignore file lacks; True if any were."""
    have = {line.strip() for line in path.read_text(encoding="utf-8").splitlines()}
    missing = [line for line in text.splitlines() if line.strip() and not line.startswith("#") and line not in have]
    if not missing:
        return False
    current = path.read_text(encoding="utf-8")
    sep = "" if not current or current.endswith("\n") else "\n"
    with open(path, "a", encoding="utf-8", newline="\n") as handle:
        handle.write(sep + "# nbpress\n" + "".join(line + "\n" for line in missing))
    return True


def _contents(folder: Path) -> list[str]:
    return sorted(entry.name for entry in folder.iterdir() if entry.name not in _NOT_CONTENT)


def init_site(folder: Path | str, force: bool = False, today: dt.date | None = None,
              ci: CiKind = "github") -> list[Written]:
    """Write a new site into folder (made if missing); SettingsError if it holds files and force is off.

    With force, files already there are kept as they are: init never overwrites or deletes, and only
    adds lines to .gitignore and (the nbpress pin) to a requirements.txt that does not name nbpress.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise SettingsError(Diagnostic("not a folder: nbpress init makes a site in a folder", str(folder)))
    present = _contents(folder) if folder.is_dir() else []
    if present and not force:
        shown = ", ".join(present[:4]) + (", ..." if len(present) > 4 else "")
        raise SettingsError(Diagnostic(
            f"the folder is not empty ({shown}); nbpress init makes a new site in an empty or new folder. "
            "--force adds the site's files anyway, keeping every file that is already there", str(folder)))
    values = {
        "__TODAY__": (today or dt.date.today()).isoformat(),
        "__SITE_TITLE__": _toml_string(site_title(folder)),
        "__NBPRESS_VERSION__": __version__,
    }
    if ci not in CI_KINDS:
        raise SettingsError(f"unknown CI service '{ci}': choose one of {', '.join(CI_KINDS)}")
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Written] = []
    for rel, template in template_files(ci):
        text = template.read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace(key, value)
        target = folder / rel
        if rel.endswith(".ipynb"):
            written.extend(_create_pair(folder, rel, text))
        elif _create(target, text):
            written.append(Written(rel, "created"))
        elif Path(rel).name == ".gitignore" and _merge_lines(target, text):
            written.append(Written(rel, "added to"))
        else:
            written.append(Written(rel, "kept"))
    pinned = _pin(folder / "requirements.txt")
    if pinned is not None:
        written.append(Written("requirements.txt", pinned))
    return sorted(written, key=lambda item: item.path)


def _pin(path: Path) -> Status | None:
    """Add the nbpress pin to an existing requirements file (CI installs it too), unless it names nbpress."""
    if not path.is_file():
        return None
    current = path.read_text(encoding="utf-8")
    if any(_NAMES_NBPRESS.match(line) for line in current.splitlines()):
        return "kept"
    sep = "" if not current or current.endswith("\n") else "\n"
    with open(path, "a", encoding="utf-8", newline="\n") as handle:
        handle.write(f"{sep}{requirement()}\n")
    return "added to"


def _create_pair(folder: Path, rel: str, text: str) -> list[Written]:
    """A notebook and its jupytext py:percent twin, written together or (if either is there) not at all."""
    twin = rel[: -len(".ipynb")] + ".py"
    there = [name for name in (rel, twin) if (folder / name).exists()]
    if there:  # half a pair would be someone else's notebook with our twin, which jupytext would sync
        return [Written(name, "kept") for name in there]
    import jupytext  # only init and new --py pay for this import

    script = jupytext.writes(jupytext.reads(text, fmt="ipynb"), fmt="py:percent")
    # The .ipynb first: jupytext refuses a pair whose text file is older than its notebook.
    return [Written(name, "created") for name, body in ((rel, text), (twin, script)) if _create(folder / name, body)]


def _same_stem(content: Path, stem: str) -> list[Path]:
    """Sources anywhere under content whose file name (hence default URL) is stem."""
    found: list[Path] = []
    for here, dirs, files in os.walk(content):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
        found.extend(Path(here) / name for name in sorted(files)
                     if os.path.splitext(name)[0] == stem and name.endswith(tuple(POST_EXTS.values())))
    return found


def front_matter(values: dict[str, Any]) -> str:
    """A `---` YAML block, keys in the order given."""
    block = yaml.safe_dump(values, sort_keys=False, allow_unicode=True, default_flow_style=False, width=10_000)
    return f"---\n{block}---\n"


def new_post(settings: Settings, title: str, kind: PostKind = "markdown", category: str | None = None,
             today: dt.date | None = None) -> Path:
    """Write notebooks/<slug>.md (.ipynb, .py) with its front matter filled in; SettingsError if taken."""
    title = title.strip()
    if not title:
        raise SettingsError("the title is empty: nbpress new \"My Title\"")
    slug = slugify(title)
    content = settings.content_path
    target = content / f"{slug}{POST_EXTS[kind]}"
    shown = _relative(target, settings.site_dir)
    if target.exists():
        raise SettingsError(Diagnostic("already exists: nbpress new never overwrites a file; choose another title",
                                       shown))
    clash = _same_stem(content, slug)
    if clash:
        raise SettingsError(Diagnostic(
            f"{_relative(clash[0], settings.site_dir)} already has this name, and so this address: "
            "choose another title", shown))
    values: dict[str, Any] = {"title": title, "date": today or dt.date.today(), "slug": slug, "excerpt": ""}
    if settings.author:
        values["author"] = settings.author
    if category and category.strip():
        values["category"] = category.strip()
    text = _post_text(kind, front_matter(values))
    if not _create(target, text):  # made between the check and now
        raise SettingsError(Diagnostic("already exists", shown))
    return target


def _relative(path: Path, site: Path) -> str:
    return Path(os.path.relpath(path, site)).as_posix()


def _post_text(kind: PostKind, front: str) -> str:
    if kind == "markdown":
        return f"{front}\n{_BODY}"
    import nbformat  # only new --notebook and --py pay for these imports
    import nbformat.v4 as v4

    notebook = v4.new_notebook(
        cells=[v4.new_raw_cell(front.rstrip("\n")), v4.new_markdown_cell(_BODY.rstrip("\n")), v4.new_code_cell("")],
        metadata={"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}},
    )
    nbformat.validate(notebook)
    if kind == "notebook":
        return str(nbformat.writes(notebook))
    import jupytext

    # The raw front-matter cell becomes the `# ---` header, next to jupytext's `jupyter:` metadata.
    return str(jupytext.writes(notebook, fmt="py:percent"))
