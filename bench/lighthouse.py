"""Lighthouse scores of the built-in theme (issue 13): the demo site, built and served, audited.

    python -m bench.lighthouse [--preset mobile|desktop] [--runs 1] [--keep DIR]
    python -m bench --only lighthouse

Builds the demo site (notebooks/, layouts/, nbpress.toml at the repository root) into a temp
folder with `--base-url /` and `--site-url` set to the local address, serves it as a static host
does (gzip, 404.html for a missing path), and runs Lighthouse on the home page, a notebook post
and a category page. Prints performance, accessibility, best practices and SEO for each, and the
audits that cost points. Lighthouse's default is a simulated mid-range phone on slow 4G; its CPU
figures scale what this machine measures, so a busy machine lowers the performance score.

Needs Node.js and npm (Lighthouse is installed with npm into a cache folder the first time:
~/.cache/nbpress-bench/, or $NBPRESS_BENCH_CACHE) and Chromium (/usr/bin/chromium, or
$CHROME_PATH). Stdlib only otherwise. Exit status 0 when every page was audited (a missed target
is marked MISSED), 1 when a step could not run.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.benchmark import Benchmark, Context
from bench.measure import BenchError

REPO = Path(__file__).resolve().parent.parent
LIGHTHOUSE = "lighthouse@12.8.2"  # the last major that runs on Node 18 and 20 (13 needs Node 22.19)
PAGES = {"home": "/", "notebook post": "/posts/sine-waves/", "category page": "/categories/data-science/"}
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TARGET = 95
COMPRESSIBLE = (".html", ".css", ".js", ".json", ".xml", ".svg", ".txt")


class LighthouseError(Exception):
    """A step could not run; the message says which and why."""


class StaticHost(http.server.SimpleHTTPRequestHandler):
    """Serves a built site as GitHub Pages does: gzip for text, 404.html for a missing path."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_head(self) -> Any:
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?", 1)[0].endswith("/"):
                return super().send_head()  # the redirect to the folder
            path = path / "index.html"
        status = 200
        if not path.is_file():
            status, path = 404, Path(str(self.directory)) / "404.html"
            if not path.is_file():
                self.send_error(404)
                return None
        data = path.read_bytes()
        gzipped = path.suffix in COMPRESSIBLE and "gzip" in self.headers.get("Accept-Encoding", "")
        if gzipped:
            data = gzip.compress(data, 6)
        self.send_response(status)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "max-age=600")
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        return _Body(data)


class _Body:
    """The bytes send_head hands to copyfile."""

    def __init__(self, data: bytes):
        self.data = data

    def read(self, *_: Any) -> bytes:
        data, self.data = self.data, b""
        return data

    def close(self) -> None:
        pass


def run(cmd: Sequence[str], what: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(cmd), capture_output=True, text=True, check=False, **kwargs)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise LighthouseError(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}")
    return proc


def lighthouse_bin(cache: Path) -> Path:
    """The Lighthouse command, installed with npm into the cache folder if it is not there yet."""
    folder = cache / LIGHTHOUSE.replace("@", "-")
    binary = folder / "node_modules" / ".bin" / "lighthouse"
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise LighthouseError("Node.js and npm are needed (apt-get install nodejs npm)")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"installing {LIGHTHOUSE} into {folder} (once)", file=sys.stderr)
    run([npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund", "--loglevel=error", LIGHTHOUSE],
        "npm install", timeout=900)
    if not binary.exists():
        raise LighthouseError(f"npm installed {LIGHTHOUSE} but {binary} is missing")
    return binary


def build_demo(site: Path, address: str) -> None:
    for name in ("notebooks", "layouts"):
        shutil.copytree(REPO / name, site / name)
    shutil.copy(REPO / "nbpress.toml", site / "nbpress.toml")
    run([sys.executable, "-m", "nbpress", "build", "--site", str(site), "--base-url", "/", "--site-url", address],
        "nbpress build", timeout=900, cwd=REPO)


def audit(binary: Path, chrome: str, url: str, preset: str, out: Path) -> dict[str, Any]:
    """One Lighthouse run: its JSON report."""
    cmd = [str(binary), url, "--output=json", f"--output-path={out}", "--quiet",
           f"--only-categories={','.join(CATEGORIES)}",
           "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"]
    if preset == "desktop":
        cmd.append("--preset=desktop")
    run(cmd, f"lighthouse {url}", timeout=600, env=dict(os.environ, CHROME_PATH=chrome))
    report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    if report.get("runtimeError"):
        raise LighthouseError(f"lighthouse {url}: {report['runtimeError'].get('message')}")
    return report


def scores(report: dict[str, Any]) -> dict[str, int]:
    return {c: round((report["categories"][c]["score"] or 0) * 100) for c in CATEGORIES}


def lost_points(report: dict[str, Any]) -> list[str]:
    """The audits that cost a category points, worst first."""
    lost = []
    for name in CATEGORIES:
        for ref in report["categories"][name]["auditRefs"]:
            result = report["audits"][ref["id"]]
            if ref["weight"] and result.get("score") is not None and result["score"] < 1:
                value = f" ({result['displayValue']})" if result.get("displayValue") else ""
                lost.append((ref["weight"] * (1 - result["score"]), f"{name}: {result['title']}{value}"))
    return [text for _, text in sorted(lost, key=lambda item: -item[0])]


def audit_demo(root: Path, preset: str = "mobile", runs: int = 1) -> tuple[dict[str, dict[str, int]], list[str]]:
    """The demo site built in root, served and audited: each page's median scores, and the points lost."""
    chrome = os.environ.get("CHROME_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    cache = Path(os.environ.get("NBPRESS_BENCH_CACHE") or Path.home() / ".cache" / "nbpress-bench")
    if not Path(chrome).exists():
        raise LighthouseError(f"Chromium not found at {chrome} (apt-get install chromium, or set CHROME_PATH)")
    binary = lighthouse_bin(cache)
    site = root / "site"
    site.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(StaticHost, directory=str(site / "output"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        address = f"http://127.0.0.1:{server.server_address[1]}/"
        build_demo(site, address)
        medians: dict[str, dict[str, int]] = {}
        notes: list[str] = []
        for name, path in PAGES.items():
            reports = [audit(binary, chrome, address.rstrip("/") + path, preset,
                             root / f"{name.replace(' ', '-')}-{i}.json") for i in range(runs)]
            by_run = [scores(r) for r in reports]
            medians[name] = {c: sorted(s[c] for s in by_run)[len(by_run) // 2] for c in CATEGORIES}
            notes.extend(f"  {name}: {text}" for text in lost_points(reports[len(reports) // 2])[:6])
        return medians, notes
    finally:
        server.shutdown()
        server.server_close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Lighthouse scores of the demo site (see the module docstring).")
    parser.add_argument("--preset", choices=("mobile", "desktop"), default="mobile")
    parser.add_argument("--runs", type=int, default=1, help="runs per page; the median score is reported")
    parser.add_argument("--keep", type=Path, help="build into this folder and keep it, with the JSON reports")
    args = parser.parse_args(argv)
    root = args.keep or Path(tempfile.mkdtemp(prefix="nbpress-lighthouse-"))
    try:
        medians, notes = audit_demo(root, args.preset, args.runs)
    except LighthouseError as exc:
        print(f"lighthouse: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print(f"Lighthouse {LIGHTHOUSE.split('@')[1]}, {args.preset}, {args.runs} run(s) per page")
    print(f"{'page':<16}" + "".join(f"{c:>16}" for c in CATEGORIES))
    for name, median in medians.items():
        print(f"{name:<16}" + "".join(f"{median[c]:>10}{'' if median[c] >= TARGET else ' MISSED':>6}"
                                      for c in CATEGORIES))
    if notes:
        print("points lost (worst first):")
        print("\n".join(notes))
    return 0


def _bench(ctx: Context) -> None:
    """As a benchmark of `python -m bench`: one row per page, all four scores in it."""
    ctx.report.section(f"lighthouse: the demo site, Lighthouse {LIGHTHOUSE.split('@')[1]}, mobile preset")
    try:
        medians, _ = audit_demo(ctx.folder("lighthouse"))
    except LighthouseError as exc:
        raise BenchError(str(exc)) from None
    for name, median in medians.items():
        ctx.report.add(f"lighthouse {name}", " / ".join(str(median[c]) for c in CATEGORIES), f">= {TARGET} each",
                       all(v >= TARGET for v in median.values()), note=", ".join(CATEGORIES))


BENCHMARK = Benchmark(names=("lighthouse",), about="Lighthouse scores of the demo site (needs npm and Chromium)",
                      run=_bench, default=False)


if __name__ == "__main__":
    sys.exit(main())
