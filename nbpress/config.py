"""Site settings: one typed, validated object from nbpress.toml or [tool.nbpress]."""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from nbpress.errors import Diagnostic, SettingsError

ExecuteMode = Literal["auto", "cache", "force", "off"]
EXECUTE_MODES: tuple[str, ...] = get_args(ExecuteMode)
# dask:// is nbpress's name for Dask's plain tcp://; the others are the schemes Dask's client takes.
DASK_ADDRESS = re.compile(r"(dask|tcp|tls|ws|wss)://[^\s/]+")


@dataclass(frozen=True)
class Settings:
    """Everything a build needs to know besides the content."""

    site_dir: Path
    title: str = "nbpress site"
    description: str = ""
    base_url: str = "/"
    site_url: str = ""  # the site's public address, for canonical links, feeds and the sitemap
    author: str = ""
    language: str = "en"
    page_size: int = 10
    content_dir: str = "notebooks"
    layouts_dir: str = "layouts"
    output_dir: str = "output"
    execute: ExecuteMode = "auto"
    jobs: int = 0  # 0: one per core
    timeout: float = 120.0
    executor: str = "local"  # or a Dask scheduler's address: dask://host:8786, tcp://..., tls://...
    drafts: bool = False
    feed_full_content: bool = True
    search: bool = True
    categories: tuple[tuple[str, str], ...] = ()  # [categories] table: (name as written, display name)
    settings_file: str | None = None

    @property
    def content_path(self) -> Path:
        return self.site_dir / self.content_dir

    @property
    def layouts_path(self) -> Path:
        return self.site_dir / self.layouts_dir

    @functools.cached_property
    def output_path(self) -> Path:
        return (self.site_dir / self.output_dir).resolve()  # resolved once: a build asks for it thousands of times

    @property
    def state_path(self) -> Path:
        return self.site_dir / ".nbpress"


# key: (type(s) accepted, description for the error message)
_FIELDS: dict[str, tuple[tuple[type, ...], str]] = {
    "title": ((str,), "a string"),
    "description": ((str,), "a string"),
    "base_url": ((str,), "a path such as /repo/ or a URL"),
    "site_url": ((str,), "the site's address, such as https://user.github.io/repo/"),
    "author": ((str,), "a string"),
    "language": ((str,), "a language code such as en"),
    "page_size": ((int,), "a whole number of posts, at least 1"),
    "content_dir": ((str,), "a folder name"),
    "layouts_dir": ((str,), "a folder name"),
    "output_dir": ((str,), "a folder name"),
    "execute": ((str,), "one of " + ", ".join(EXECUTE_MODES)),
    "jobs": ((int,), "a whole number (0: one per core)"),
    "timeout": ((int, float), "a number of seconds"),
    "executor": ((str,), '"local" or a Dask scheduler\'s address such as dask://HOST:8786 or tls://HOST:8786'),
    "drafts": ((bool,), "true or false"),
    "feed_full_content": ((bool,), "true or false"),
    "search": ((bool,), "true or false"),
    "categories": ((dict,), 'a table of display names, such as [categories] nextjs = "Next.js"'),
}


def _key_line(text: str, key: str) -> int | None:
    """The line of `key =` (or of a `[key]` table) in the nbpress table (after [tool.nbpress] in pyproject.toml)."""
    table = re.search(r"^\s*\[tool\.nbpress\]", text, re.MULTILINE)
    start = table.end() if table else 0
    name = re.escape(key)
    match = re.compile(rf"^[ \t]*(?:{name}\s*=|\[(?:tool\.nbpress\.)?{name}\])", re.MULTILINE).search(text, start)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _read_file(site_dir: Path) -> tuple[dict[str, Any], str | None, str]:
    """The raw settings table, the file it came from and that file's text."""
    for name, table in (("nbpress.toml", None), ("pyproject.toml", ("tool", "nbpress"))):
        path = site_dir / name
        if not path.is_file():
            continue
        data_bytes = path.read_bytes()
        try:
            text = data_bytes.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            where = data_bytes[: exc.start].count(b"\n") + 1
            raise SettingsError(Diagnostic("not UTF-8 text (save the file as UTF-8)", name, where)) from None
        try:
            data: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            line = re.search(r"line (\d+)", str(exc))
            raise SettingsError(
                Diagnostic(f"invalid TOML: {exc}", name, int(line.group(1)) if line else None)
            ) from None
        if table is None:
            return data, name, text
        for key in table:
            data = data.get(key) if isinstance(data, dict) else None
        if isinstance(data, dict):
            return data, name, text
    return {}, None, ""


def validate(
    raw: dict[str, Any], file: str | None = None, text: str = ""
) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Checked values and warnings; raises SettingsError listing every bad value."""
    values: dict[str, Any] = {}
    errors: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    for key, value in raw.items():
        line = _key_line(text, key) if file else None
        if key not in _FIELDS:
            warnings.append(Diagnostic(f"unknown setting '{key}' (ignored)", file, line, severity="warning"))
            continue
        types, expected = _FIELDS[key]
        ok = isinstance(value, types) and not (bool not in types and isinstance(value, bool))
        if ok and key == "execute":
            ok = value in EXECUTE_MODES
        if ok and key == "executor":
            ok = value == "local" or bool(DASK_ADDRESS.fullmatch(value))
        if ok and key == "site_url":
            ok = value == "" or (value.startswith(("http://", "https://")) and "://" in value and
                                 bool(value.split("://", 1)[1].strip("/")))
        if ok and key == "categories":
            ok = all(isinstance(v, str) and v.strip() for v in value.values())
        if ok and key == "page_size":
            ok = value >= 1
        if ok and key in ("jobs", "timeout"):
            ok = value >= 0
        if not ok:
            errors.append(Diagnostic(f"setting '{key}' must be {expected}, not {value!r}", file, line))
            continue
        if key == "categories":
            value = tuple(sorted((str(k), v.strip()) for k, v in value.items()))
        values[key] = float(value) if key == "timeout" else value
    if errors:
        raise SettingsError(errors)
    return values, warnings


def load_settings(
    site_dir: Path | str, overrides: dict[str, Any] | None = None
) -> tuple[Settings, list[Diagnostic]]:
    """Settings for the site in site_dir, with command-line overrides on top."""
    site = Path(site_dir).resolve()
    if not site.is_dir():
        raise SettingsError(f"site folder not found: {site_dir}")
    raw, file, text = _read_file(site)
    values, warnings = validate(raw, file, text)
    cli_values, _ = validate({k: v for k, v in (overrides or {}).items() if v is not None})
    values.update(cli_values)
    settings = Settings(site_dir=site, settings_file=file, **values)
    if not settings.content_path.is_dir():
        raise SettingsError(
            Diagnostic(f"content folder '{settings.content_dir}' not found in {site}", file)
        )
    return settings, warnings


def jobs(settings: Settings) -> int:
    """How many workers to use."""
    return settings.jobs or os.cpu_count() or 1


def replace(settings: Settings, **changes: Any) -> Settings:
    """A copy of settings with some values changed."""
    return dataclasses.replace(settings, **changes)
