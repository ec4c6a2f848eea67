"""The one error type for user-facing problems, and the diagnostics a build collects."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Severity = Literal["error", "warning"]

EXIT_CONTENT = 1
EXIT_USAGE = 2


@dataclass(frozen=True)
class Diagnostic:
    """A problem found in the content, with where it is."""

    message: str
    path: str | None = None
    line: int | None = None
    cell: int | None = None
    severity: Severity = "error"

    def __str__(self) -> str:
        where = self.path or ""
        if self.path and self.line is not None:
            where += f":{self.line}"
        if self.cell is not None:
            where += f": cell {self.cell}" if where else f"cell {self.cell}"
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{self.message}" if where else f"{prefix}{self.message}"


class NbpressError(Exception):
    """A problem the user must fix; carries the diagnostics and the exit status."""

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic | str, exit_code: int = EXIT_CONTENT):
        if isinstance(diagnostics, str):
            diagnostics = Diagnostic(diagnostics)
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics = diagnostics
        self.exit_code = exit_code
        super().__init__("\n".join(str(d) for d in diagnostics))

    def __reduce__(self) -> tuple[type, tuple[list[Diagnostic], int]]:
        return (NbpressError, (self.diagnostics, self.exit_code))


class SettingsError(NbpressError):
    """Settings that cannot be used: exit status 2."""

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic | str):
        super().__init__(diagnostics, exit_code=EXIT_USAGE)


class Diagnostics:
    """Every problem one build finds, in one place; in strict mode every warning is an error."""

    def __init__(self, strict: bool = False) -> None:
        self.strict = strict
        self.items: list[Diagnostic] = []
        self.advice: list[Diagnostic] = []  # warnings that are only advice: never errors, even in strict mode

    def extend(self, found: list[Diagnostic] | tuple[Diagnostic, ...]) -> None:
        self.items.extend(found)

    def advise(self, found: list[Diagnostic] | tuple[Diagnostic, ...]) -> None:
        self.advice.extend(found)

    @property
    def errors(self) -> list[Diagnostic]:
        if self.strict:
            return [d if d.severity == "error" else replace(d, severity="error") for d in self.items]
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"] + self.advice

    def stop_on_errors(self) -> None:
        """Raise every error found so far, all at once, before anything is written."""
        if self.errors:
            raise NbpressError(self.errors)
