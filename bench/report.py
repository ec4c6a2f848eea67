"""The figures of a run: progress lines while it runs, then one table per benchmark and the verdicts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


def secs(x: float) -> str:
    """Seconds, for the table."""
    return f"{x:.2f} s"


def mib(x: float) -> str:
    """MiB, for the table."""
    return f"{x:.0f} MiB"


def verdict(ok: bool | None) -> str:
    """"ok", "MISSED", or nothing when there is no target to judge."""
    return "" if ok is None else ("ok" if ok else "MISSED")


@dataclass
class Table:
    """A titled table of text cells; the first column is the label, the others are right-aligned values."""

    title: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)

    def add(self, *cells: str) -> None:
        """One row, padded to the header's width."""
        self.rows.append(tuple(cells) + ("",) * (len(self.header) - len(cells)))

    def render(self) -> str:
        """The table as aligned text."""
        widths = [max(len(row[i]) for row in [self.header, *self.rows]) for i in range(len(self.header))]

        def line(cells: Sequence[str]) -> str:
            out = [cells[0].ljust(widths[0])]
            out += [cell.rjust(w) if i < self._left_from else cell.ljust(w)
                    for i, (cell, w) in enumerate(zip(cells[1:], widths[1:], strict=True), 1)]
            return "  ".join(out).rstrip()

        rule = ["-" * w for w in widths]
        return "\n".join([self.title, line(self.header), line(rule), *(line(r) for r in self.rows)])

    @property
    def _left_from(self) -> int:
        # In a figures table the target and verdict columns read better left-aligned.
        return 2 if self.header[:2] == FIGURES[:2] else len(self.header)


FIGURES = ("figure", "value", "target", "verdict")


@dataclass
class Report:
    """The tables gathered so far, and the benchmarks that failed."""

    tables: list[Table] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    _figures: Table | None = None
    _title: str = ""

    def section(self, title: str) -> None:
        """Start a benchmark: its heading now, and a fresh figures table for `add`."""
        print(f"\n== {title}", flush=True)
        self._figures = None
        self._title = title

    def add(self, label: str, value: str, target: str = "", ok: bool | None = None, note: str = "") -> None:
        """A row of the current benchmark's figures table; also printed at once, with its note, as progress."""
        if self._figures is None:
            self._figures = Table(self._title, FIGURES)
            self.tables.append(self._figures)
        self._figures.add(label, value, target, verdict(ok))
        line = f"  {label}: {value}"
        line += f" ({note})" if note else ""
        line += f"   [{verdict(ok)}]" if ok is not None else ""
        print(line, flush=True)

    def table(self, table: Table) -> None:
        """A table of another shape (e.g. one column per tool), printed with the others at the end."""
        self.tables.append(table)

    def fail(self, name: str, message: str) -> None:
        """A benchmark that could not run."""
        self.failures.append(f"{name}: {message}")

    def print_tables(self) -> None:
        """Every table, then the failed benchmarks."""
        for table in self.tables:
            print()
            print(table.render())
        if self.failures:
            print()
        for failure in self.failures:
            print(f"FAILED: {failure}")
