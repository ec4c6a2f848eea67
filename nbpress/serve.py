"""The dev server: build, serve output/ under base_url, rebuild on every change, reload the browser.

Standard library only. Three kinds of threads share one `Live` record of the last build:
the watcher polls the sources and wakes the builder, the builder runs `build()` (one at a time,
in this process, so imports stay warm and the incremental state does the rest), and the HTTP
server's request threads serve files and hold one event stream per open tab.
"""

from __future__ import annotations

import html
import json
import logging
import mimetypes
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote

from nbpress.build import BuildResult, build
from nbpress.cache import load_state
from nbpress.config import Settings, load_settings
from nbpress.errors import EXIT_USAGE, Diagnostic, NbpressError
from nbpress.urls import base_path

log = logging.getLogger(__name__)

POLL_SECONDS = 0.15  # how often the watcher looks at the sources
SETTLE_SECONDS = 0.06  # after a change, how long the sources must stay quiet: one save is one rebuild
MAX_WAIT_SECONDS = 2.0  # a file that never stops changing still gets built
KEEPALIVE_SECONDS = 15.0  # event streams send a comment this often, to notice closed tabs
EVENTS = "__nbpress/events"
STATUS = "__nbpress/status"
SETTINGS_FILES = ("nbpress.toml", "pyproject.toml")
_SKIP_DIRS = {"__pycache__", "node_modules"}

EventKind = Literal["serving", "building", "built", "failed", "crashed"]


@dataclass(frozen=True)
class ServeEvent:
    """Something the command line tells the user about."""

    kind: EventKind
    url: str = ""  # serving
    changed: tuple[str, ...] = ()  # building, built, failed: the files that changed (site-relative)
    result: BuildResult | None = None  # built
    diagnostics: tuple[Diagnostic, ...] = ()  # built (settings warnings), failed
    text: str = ""  # crashed: the traceback of a bug


Report = Callable[[ServeEvent], None]


# --- what the watcher sees ----------------------------------------------------------------------


def ignored(name: str) -> bool:
    """Dot-files and folders (.ipynb_checkpoints, .~lock), editor backups, swap and temp files."""
    return (name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx", ".swo", ".tmp", ".part", ".crdownload"))
            or name == "4913" or name in _SKIP_DIRS)  # 4913: the file vim creates to test a folder


Snapshot = dict[str, tuple[int, int, int]]


def _scan(folder: Path, site: Path, skip: set[Path], into: Snapshot) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:  # gone, or not a folder
        return
    for entry in entries:
        if ignored(entry.name):
            continue
        try:
            if entry.is_dir():
                if Path(entry.path).resolve() not in skip:
                    _scan(Path(entry.path), site, skip, into)
                continue
            st = entry.stat()
        except OSError:  # removed between listing and stat
            continue
        into[os.path.relpath(entry.path, site)] = (st.st_mtime_ns, st.st_size, st.st_ino)


def snapshot(settings: Settings, extra: tuple[str, ...] = ()) -> Snapshot:
    """Every watched file (site-relative path) -> (mtime, size, inode): content, layouts, settings, depends."""
    site = settings.site_dir
    found: Snapshot = {}
    skip = {settings.output_path, settings.state_path.resolve()}
    for folder in (settings.content_path, settings.layouts_path):
        _scan(folder, site, skip, found)
    for name in (*SETTINGS_FILES, *extra):
        try:
            st = (site / name).stat()
        except OSError:
            continue
        found[name] = (st.st_mtime_ns, st.st_size, st.st_ino)
    return found


def changes(before: Snapshot, after: Snapshot) -> set[str]:
    """The paths added, removed or modified between two snapshots."""
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


# --- what the server serves ---------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What a request path maps to: a file, a redirect, or nothing (404)."""

    file: Path | None = None
    redirect: str | None = None


def resolve(output: Path, base: str, request_path: str) -> Target:
    """The file under `output` for a URL path (still %-encoded) under `base`; never anything outside `output`."""
    path = unquote(request_path)
    if path + "/" == base:
        return Target(redirect=base)
    if not path.startswith(base) or "\0" in path or "//" in path:
        return Target()
    rel = path[len(base):]
    if any(part in ("..", ".") for part in rel.replace("\\", "/").split("/")):
        return Target()  # no dot segments at all: browsers never send them
    root = output.resolve()
    try:
        target = (root / rel).resolve()
    except (OSError, ValueError):
        return Target()
    if target != root and root not in target.parents:
        return Target()  # a symlink out of the output folder
    if target.is_dir():
        if not path.endswith("/"):
            return Target(redirect=request_path + "/")
        target = target / "index.html"
    return Target(file=target) if target.is_file() else Target()


_LIVE_SCRIPT = """<script id="nbpress-live">(function () {
  var version = %(version)s, stream = new EventSource(%(events)s);
  stream.addEventListener("hello", function (e) { if (e.data !== String(version)) location.reload(); });
  stream.addEventListener("reload", function () { location.reload(); });
  stream.addEventListener("error", function (e) {
    if (typeof e.data !== "string") return;  // the stream's own connection error: it reconnects by itself
    var box = document.getElementById("nbpress-error-overlay");
    if (!box) {
      box = document.createElement("div");
      box.id = "nbpress-error-overlay";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;top:0;left:0;right:0;z-index:2147483647;max-height:70vh;overflow:auto;" +
        "box-sizing:border-box;margin:0;padding:14px 18px;background:#2a0f12;color:#ffe3e3;text-align:left;" +
        "border-bottom:3px solid #e5484d;font:13px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;" +
        "white-space:pre-wrap;box-shadow:0 6px 24px rgba(0,0,0,.45)";
      (document.body || document.documentElement).appendChild(box);
    }
    box.innerHTML = '<button type="button" aria-label="Close" style="float:right;background:none;border:0;' +
      'color:inherit;font-size:18px;cursor:pointer" onclick="this.parentNode.remove()">\\u00d7</button>' +
      "<strong>nbpress: the build failed; this is the last good build of the page.</strong>\\n\\n" + e.data;
  });
})();</script>
"""


def live_script(base: str, version: int) -> bytes:
    """The script every served HTML page gets: reload on `reload`, show the overlay on `error`."""
    events = json.dumps(base + EVENTS).replace("</", "<\\/")  # a base_url cannot end the script early
    return (_LIVE_SCRIPT % {"version": version, "events": events}).encode()


def inject(page: bytes, script: bytes) -> bytes:
    """The page with the script just before its last </body> (at the end when it has none)."""
    at = page.lower().rfind(b"</body>")
    return page + script if at < 0 else page[:at] + script + page[at:]


# --- the state of the last build, shared by every thread ------------------------------------------


@dataclass
class Live:
    """The last build as the browser sees it; `changed` is notified on every change."""

    build: int = 0  # builds finished, good or bad
    version: int = 0  # good builds that changed the site: a page older than this reloads
    ok: bool = True
    errors: list[Diagnostic] = field(default_factory=list)
    closing: bool = False
    changed: threading.Condition = field(default_factory=threading.Condition)

    def state(self) -> tuple[int, bool, str]:
        """(version, ok, the errors as HTML-escaped text), read under the lock."""
        with self.changed:
            return self.version, self.ok, html.escape("\n".join(str(d) for d in self.errors))

    def wait(self, seen: tuple[int, bool, str], timeout: float) -> tuple[int, bool, str] | None:
        """The state once it differs from `seen` (or `seen` after `timeout`); None when the server closes."""
        with self.changed:
            self.changed.wait_for(lambda: self.closing or self.state() != seen, timeout)
            return None if self.closing else self.state()

    def status(self) -> dict[str, Any]:
        """What /__nbpress/status answers."""
        with self.changed:
            return {"build": self.build, "version": self.version, "ok": self.ok,
                    "errors": [str(d) for d in self.errors]}


# --- the HTTP side ------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    live: Live
    settings: Settings

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("request from %s failed", client_address, exc_info=True)


class _IPv6Server(_Server):
    address_family = socket.AF_INET6


_TEXT_TYPES = ("application/javascript", "application/json", "application/xml", "image/svg+xml",
               "application/atom+xml", "application/rss+xml", "application/manifest+json")
_EXTRA_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".webmanifest": "application/manifest+json",
                ".wasm": "application/wasm", ".ipynb": "application/json", ".woff2": "font/woff2"}


def content_type(path: Path) -> str:
    """The Content-Type of a served file, with charset for text."""
    kind = _EXTRA_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return kind + "; charset=utf-8" if kind.startswith("text/") or kind in _TEXT_TYPES else kind


_WAITING = b"""<!doctype html><meta charset="utf-8"><title>nbpress</title>
<body style="font:16px system-ui,sans-serif;margin:3em">%s</body>
"""


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection: event streams end when the tab does

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def _answer(self, body: bool) -> None:
        settings = self.server.settings
        base = base_path(settings.base_url)
        path, _, query = self.path.partition("#")[0].partition("?")
        if path == base + EVENTS and body:
            self._events()
            return
        if path == base + STATUS:
            self._send(HTTPStatus.OK, "application/json", json.dumps(self.server.live.status()).encode(), body)
            return
        target = resolve(settings.output_path, base, path)
        if target.redirect is not None:
            location = target.redirect + ("?" + query if query else "")
            self._send(HTTPStatus.MOVED_PERMANENTLY, "text/plain; charset=utf-8", b"", body, {"Location": location})
            return
        if target.file is None:
            self._not_found(settings, base, path, body)
            return
        kind = content_type(target.file)
        try:
            data = target.file.read_bytes()
        except OSError:  # replaced by a build between resolving and reading
            self._not_found(settings, base, path, body)
            return
        self._send(HTTPStatus.OK, kind, self._live(data, base) if kind.startswith("text/html") else data, body)

    def _live(self, page: bytes, base: str) -> bytes:
        return inject(page, live_script(base, self.server.live.version))

    def _not_found(self, settings: Settings, base: str, path: str, body: bool) -> None:
        page = settings.output_path / "404.html"
        if not path.startswith(base):
            text = f'Not found. This site is served under <a href="{html.escape(base)}">{html.escape(base)}</a>.'
            data = _WAITING % text.encode()
        elif page.is_file():
            data = page.read_bytes()
        elif self.server.live.build == 0:
            data = _WAITING % b"Building the site; this page reloads when it is ready."
        else:
            data = _WAITING % b"Not found."
        self._send(HTTPStatus.NOT_FOUND, "text/html; charset=utf-8", self._live(data, base), body)

    def _send(self, status: HTTPStatus, kind: str, data: bytes, body: bool,
              headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _events(self) -> None:
        """A server-sent event stream: the current state at once, then every change until the tab closes."""
        live = self.server.live
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = live.state()
        try:
            self._event("hello", str(seen[0]))
            if not seen[1]:
                self._event("error", seen[2])
            while (now := live.wait(seen, KEEPALIVE_SECONDS)) is not None:
                version, ok, errors = now
                if now == seen:
                    self.wfile.write(b": keepalive\n\n")
                elif ok and version != seen[0]:
                    self._event("reload", str(version))
                elif not ok:
                    self._event("error", errors)
                seen = now
        except OSError:  # the tab went away
            return

    def _event(self, name: str, data: str) -> None:
        lines = "".join(f"data: {line}\n" for line in data.split("\n"))
        self.wfile.write(f"event: {name}\n{lines}\n".encode())


# --- the watcher and the builder ----------------------------------------------------------------


class _Site:
    """The running dev server: its settings, the last build, and the two background threads."""

    def __init__(self, settings: Settings, overrides: Mapping[str, Any], report: Report, executor: Any,
                 progress: Any, strict: bool) -> None:
        self.settings = settings
        self.overrides = dict(overrides)
        self.told = report
        self.executor = executor
        self.progress = progress
        self.strict = strict
        self.live = Live()
        self.due = False  # a build was asked for
        self.pending: set[str] = set()  # the files changed since the last build began
        self.wake = threading.Condition()
        self.stop = threading.Event()
        self.extra: tuple[str, ...] = self._depends()
        self.settings_warnings: list[Diagnostic] | None = None
        self.http: _Server | None = None
        self.indexed = False  # a good build has made the search index

    def report(self, event: ServeEvent) -> None:
        """Tell the caller; a failure to print must not stop the builder."""
        try:
            self.told(event)
        except Exception:
            log.exception("reporting %s failed", event.kind)

    def _depends(self) -> tuple[str, ...]:
        """Files notebooks depend on (front matter `depends`), from the last good build's state."""
        settings = self.settings
        return tuple(load_state(settings.site_dir, settings.output_path, with_pages=False).watched)

    def request(self, changed: set[str]) -> None:
        """Ask the builder for one more build (requests made during a build are built together after it)."""
        with self.wake:
            self.due = True
            self.pending |= changed
            self.wake.notify()

    def watch(self, last: Snapshot) -> None:
        """Poll the sources; once a change has been quiet for a moment, ask for a build (one save, one build)."""
        changed: set[str] = set()
        since = 0.0
        while not self.stop.wait(SETTLE_SECONDS if changed else POLL_SECONDS):
            try:
                now = snapshot(self.settings, self.extra)
            except Exception:  # a watcher that dies quietly is worse than a missed poll
                log.exception("watching the sources failed")
                continue
            delta = changes(last, now)
            last = now
            if delta:
                changed |= delta
                since = since or time.monotonic()
                if time.monotonic() - since < MAX_WAIT_SECONDS:
                    continue  # still being written
            if changed:
                self.request(changed)
                changed, since = set(), 0.0

    def run_builds(self) -> None:
        """Build whenever asked, one build at a time, until stopped."""
        while True:
            with self.wake:
                self.wake.wait_for(lambda: self.due or self.stop.is_set())
                if self.stop.is_set():
                    return
                changed, self.pending, self.due = self.pending, set(), False
            self.build_once(tuple(sorted(changed)))

    def build_once(self, changed: tuple[str, ...]) -> None:
        """One build: the settings re-read, the site built, the outcome told to the browser and the terminal."""
        self.report(ServeEvent("building", changed=changed))
        try:
            settings, warnings = load_settings(self.settings.site_dir, self.overrides)
            self._use(settings)
            # Warnings are told when they change; those of the settings passed in, the caller has told.
            fresh_warnings = [] if self.settings_warnings in (None, warnings) else warnings
            self.settings_warnings = warnings
            # The search index (a Pagefind run, about half a second) is made by the first good build only:
            # an edit must show at once, and a slightly stale index is fine while writing.
            result = build(settings, executor=self.executor, progress=self.progress, strict=self.strict,
                           search_index=not self.indexed)
        except NbpressError as exc:
            self.settings_warnings = [] if exc.exit_code == EXIT_USAGE else self.settings_warnings
            self.report(ServeEvent("failed", changed=changed, diagnostics=tuple(exc.diagnostics)))
            self._publish(False, list(exc.diagnostics))
            return
        except Exception as exc:  # a bug in nbpress: say so, keep serving the last good site
            self.report(ServeEvent("crashed", changed=changed, text=traceback.format_exc()))
            self._publish(False, [Diagnostic(f"nbpress failed with a bug: {type(exc).__name__}: {exc} "
                                             "(the traceback is in the terminal)")])
            return
        self.indexed = True
        self.extra = self._depends()
        self.report(ServeEvent("built", changed=changed, result=result, diagnostics=tuple(fresh_warnings)))
        self._publish(True, [], changed_site=not (result.unchanged or result.written == 0))

    def _publish(self, ok: bool, errors: list[Diagnostic], changed_site: bool = False) -> None:
        """Tell every open tab: a good build that changed something (or ended an error) reloads them."""
        live = self.live
        with live.changed:
            live.build += 1
            if ok and (changed_site or not live.ok or live.version == 0):
                live.version += 1
            live.ok = ok
            live.errors = errors
            live.changed.notify_all()

    def _use(self, settings: Settings) -> None:
        """Switch to re-read settings; a new base_url or port-facing change is announced."""
        old = self.settings
        self.settings = settings
        if self.http is not None:
            self.http.settings = settings
            if base_path(old.base_url) != base_path(settings.base_url):
                self.report(ServeEvent("serving", url=self.url()))

    def url(self) -> str:
        """The address the site is served at."""
        assert self.http is not None
        host, port = str(self.http.server_address[0]), self.http.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}{base_path(self.settings.base_url)}"

    def listen(self, host: str, port: int) -> None:
        """Bind the HTTP server (before any build, so a port in use is reported at once)."""
        kind = _IPv6Server if ":" in host else _Server
        try:
            self.http = kind((host, port), _Handler)
        except OSError as exc:
            raise NbpressError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", exit_code=EXIT_USAGE) from None
        self.http.settings = self.settings
        self.http.live = self.live

    def close(self) -> None:
        """Stop the threads and close the server; a build under way is left to finish or die with the process."""
        self.stop.set()
        with self.wake:
            self.wake.notify_all()
        with self.live.changed:
            self.live.closing = True
            self.live.changed.notify_all()
        if self.http is not None:
            self.http.server_close()


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000, report: Report | None = None,
          overrides: Mapping[str, Any] | None = None, executor: Any = None, progress: Any = None,
          strict: bool = False) -> None:
    """Serve the site and rebuild it on every change until Ctrl+C; `overrides` are re-applied to re-read settings."""
    site = _Site(settings, overrides or {}, report or (lambda event: None), executor, progress, strict)
    site.listen(host, port)
    assert site.http is not None
    first = snapshot(settings, site.extra)  # before the first build, so that no change during it is missed
    threads = [threading.Thread(target=site.watch, args=(first,), name="nbpress-watch", daemon=True),
               threading.Thread(target=site.run_builds, name="nbpress-build", daemon=True)]
    try:
        site.request(set())
        for thread in threads:
            thread.start()
        site.report(ServeEvent("serving", url=site.url()))
        site.http.serve_forever(poll_interval=0.25)
    except KeyboardInterrupt:
        pass
    finally:
        site.close()
