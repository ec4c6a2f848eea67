"""Imports point one way: cli and serve -> build -> stages -> shared model, settings and helpers -> errors."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "nbpress"
LAYERS = [
    {"cli", "__main__", "serve"},
    {"build"},
    {"sources", "execute", "site", "output", "check", "scaffold"},  # stages: none imports another
    {"model", "config", "hashing", "urls", "store", "parallel", "ansi", "files"},
    {"errors", "__init__"},
]
LEVEL = {name: level for level, names in enumerate(LAYERS) for name in names}


def _part(module: str) -> str:
    """nbpress.site.render -> site; nbpress -> __init__."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "nbpress":
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] == "nbpress")
    return found


def test_every_module_is_in_a_layer() -> None:
    parts = {(p.stem if p.parent == PACKAGE else p.relative_to(PACKAGE).parts[0]) for p in PACKAGE.rglob("*.py")}
    assert parts <= set(LEVEL), parts - set(LEVEL)


def test_imports_point_one_way() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        here = rel.stem if len(rel.parts) == 1 else rel.parts[0]
        for line, module in _imports(path):
            there = _part(module)
            if there == here:
                continue  # within one module or one stage's package
            if LEVEL[there] <= LEVEL[here] and not (LEVEL[here] == 0 and LEVEL[there] == 0):
                wrong.append(f"nbpress/{rel.as_posix()}:{line}: {here} imports {module}")
    assert not wrong, "\n".join(wrong)
