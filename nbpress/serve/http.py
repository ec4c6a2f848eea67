"""What the dev server answers: files of output/ under the base path, live reload events, the status."""

from __future__ import annotations

import html
import ipaddress
import json
import logging
import mimetypes
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from nbpress.config import Settings
from nbpress.errors import Diagnostic
from nbpress.urls import base_path

log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15.0  # event streams send a comment this often, to notice closed tabs
IDLE_SECONDS = 20.0  # a connection idle this long (a request never finished, a reader that stopped) is closed
EVENTS = "__nbpress/events"
STATUS = "__nbpress/status"


@dataclass(frozen=True)
class Target:
    """What a request path maps to: a file, a redirect, or nothing (404)."""

    file: Path | None = None
    redirect: str | None = None


MAX_PATH_BYTES = 2048  # no file nbpress writes has a longer path; a longer request is a 404, not an error
MAX_SEGMENT_BYTES = 255  # what file systems allow in one name


def resolve(output: Path, base: str, request_path: str) -> Target:
    """The file under `output` for a URL path (still %-encoded) under `base`; never anything outside `output`."""
    path = unquote(request_path)
    if path + "/" == base:
        return Target(redirect=base)
    if not path.startswith(base) or "\0" in path or "//" in path:
        return Target()
    rel = path[len(base):]
    parts = rel.replace("\\", "/").split("/")
    if any(part in ("..", ".") for part in parts):
        return Target()  # no dot segments at all: browsers never send them
    if len(path.encode()) > MAX_PATH_BYTES or any(len(part.encode()) > MAX_SEGMENT_BYTES for part in parts):
        return Target()  # no such file can exist (and the file system would refuse to look)
    root = output.resolve()
    try:
        target = (root / rel).resolve()
        if target != root and root not in target.parents:
            return Target()  # a symlink out of the output folder
        if target.is_dir():
            if not path.endswith("/"):
                return Target(redirect=request_path + "/")
            target = target / "index.html"
        return Target(file=target) if target.is_file() else Target()
    except (OSError, ValueError):
        return Target()


def host_allowed(header: str | None, extra: frozenset[str] = frozenset()) -> bool:
    """Whether a request's Host header names this machine: localhost, an IP address, or a name in `extra`.

    A page on another site that points its own name at 127.0.0.1 (DNS rebinding) sends its own name as the
    Host, so it cannot read the preview (drafts included). IP addresses are safe: no page can be served from one
    and read another origin's answers.
    """
    if not header:
        return True  # HTTP/1.0 clients may send none; browsers always do
    name = header.strip().lower()
    if name.startswith("["):
        name = name[1 : name.find("]")] if "]" in name else name
    elif name.count(":") == 1:
        name = name.rsplit(":", 1)[0]
    name = name.rstrip(".")
    if name == "localhost" or name.endswith(".localhost") or name in extra:
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def allowed_hosts(host: str) -> frozenset[str]:
    """The host names `--host` adds to the ones always allowed (a name, not an address)."""
    name = host.strip().strip("[]").lower().rstrip(".")
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return frozenset({name}) if name else frozenset()
    return frozenset()


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



class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = socket.SOMAXCONN  # a page opening many files at once is not refused (the default is 5)
    live: Live
    settings: Settings
    hosts: frozenset[str] = frozenset()  # host names allowed besides localhost and IP addresses (from --host)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("request from %s failed", client_address, exc_info=True)


class IPv6Server(Server):
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


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.0"  # one request per connection: event streams end when the tab does
    timeout = IDLE_SECONDS  # a connection that sends nothing (or nothing more) is closed

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def _answer(self, body: bool) -> None:
        """Every request gets an answer: a bug while answering is a 500 (and a line in the log), not a dropped line."""
        try:
            if not host_allowed(self.headers.get("Host"), self.server.hosts):
                host = str(self.headers.get("Host"))
                text = (f"nbpress serve answers only to localhost and IP addresses, not to {host!r}: start it with "
                        f"--host {host.rsplit(':', 1)[0]} to serve the preview under that name.\n")
                self._send(HTTPStatus.FORBIDDEN, "text/plain; charset=utf-8", text.encode(), body)
                return
            self._answer_allowed(body)
        except OSError:
            raise  # the browser went away: nothing to answer
        except Exception:
            log.exception("answering %s failed", self.path[:200])
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8", b"nbpress serve failed\n", body)

    def _answer_allowed(self, body: bool) -> None:
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
            if not kind.startswith("text/html"):  # stylesheets, scripts, images: the browser asks if it may reuse
                st = target.file.stat()
                tag = f'"{st.st_ino:x}-{st.st_mtime_ns:x}-{st.st_size:x}"'  # a build makes files anew, never in place
                if self.headers.get("If-None-Match") == tag:
                    self._send(HTTPStatus.NOT_MODIFIED, kind, b"", False, {"ETag": tag}, cache="no-cache")
                    return
                self._send(HTTPStatus.OK, kind, target.file.read_bytes(), body, {"ETag": tag}, cache="no-cache")
                return
            data = target.file.read_bytes()
        except OSError:  # replaced by a build between resolving and reading
            self._not_found(settings, base, path, body)
            return
        self._send(HTTPStatus.OK, kind, self._live(data, base), body)

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
              headers: Mapping[str, str] | None = None, cache: str = "no-store") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", cache)
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
        with live.changed:
            live.tabs += 1
            live.greeted = {seen[0]: live.greeted.get(seen[0], 0) + 1}  # older versions are of no more use
            live.changed.notify_all()
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
                    return  # the tab reloads and opens a new stream: this one would be counted as a tab
                elif not ok:
                    self._event("error", errors)
                seen = now
        except OSError:  # the tab went away
            return
        finally:
            with live.changed:
                live.tabs -= 1

    def _event(self, name: str, data: str) -> None:
        lines = "".join(f"data: {line}\n" for line in data.split("\n"))
        self.wfile.write(f"event: {name}\n{lines}\n".encode())





@dataclass
class Live:
    """The last build as the browser sees it; `changed` is notified on every change."""

    build: int = 0  # builds finished, good or bad
    version: int = 0  # good builds that changed the site: a page older than this reloads
    ok: bool = True
    errors: list[Diagnostic] = field(default_factory=list)
    closing: bool = False
    changed: threading.Condition = field(default_factory=threading.Condition)
    tabs: int = 0  # event streams open
    greeted: dict[int, int] = field(default_factory=dict)  # version -> streams that opened on it

    def reloaded(self, tabs: int, timeout: float) -> None:
        """Wait until `tabs` tabs have loaded the current version (they open a new stream once they have), or
        `timeout`: the work after a build (saving its state, the search index) would slow their reload."""
        with self.changed:
            self.changed.wait_for(lambda: self.closing or self.greeted.get(self.version, 0) >= tabs, timeout)

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


