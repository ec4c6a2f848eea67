"""The dev server: build, serve output/ under base_url, rebuild on every change, reload the browser.

Standard library only. Three kinds of threads share one `Live` record of the last build:
the watcher polls the sources and wakes the builder, the builder runs `build()` (one at a time,
in this process, so imports stay warm and the incremental state does the rest), and the HTTP
server's request threads serve files and hold one event stream per open tab.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from nbpress.build import BuildResult, build
from nbpress.config import Settings, load_settings
from nbpress.errors import EXIT_USAGE, Diagnostic, NbpressError
from nbpress.output.state import BuildState, watched_files
from nbpress.serve.http import Handler, IPv6Server, Live, Server, allowed_hosts
from nbpress.serve.notify import Notify, folders_of
from nbpress.serve.watch import (
    MAX_WAIT_SECONDS,
    NOTIFIED_POLL_SECONDS,
    POLL_SECONDS,
    SETTLE_SECONDS,
    Snapshot,
    changes,
    snapshot,
)
from nbpress.store import Store
from nbpress.urls import base_path

log = logging.getLogger(__name__)

RELOAD_SECONDS = 0.5  # how long a build's last steps wait for the open tabs to reload first

EventKind = Literal["serving", "building", "waiting", "built", "failed", "crashed"]


@dataclass(frozen=True)
class ServeEvent:
    """Something the command line tells the user about."""

    kind: EventKind
    url: str = ""  # serving
    changed: tuple[str, ...] = ()  # building, built, failed: the files that changed (site-relative)
    result: BuildResult | None = None  # built
    diagnostics: tuple[Diagnostic, ...] = ()  # built (settings warnings), failed
    text: str = ""  # crashed: the traceback of a bug; waiting: for which other build


Report = Callable[[ServeEvent], None]



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
        self.building = threading.Event()  # set while a build runs: the watcher waits for it to end
        self.extra: tuple[str, ...] = self._depends()
        self.settings_warnings: list[Diagnostic] | None = None
        self.http: Server | None = None
        self.state: BuildState | None = None  # the last good build's, the next one starts from it

    def report(self, event: ServeEvent) -> None:
        """Tell the caller; a failure to print must not stop the builder."""
        try:
            self.told(event)
        except Exception:
            log.exception("reporting %s failed", event.kind)

    def _depends(self) -> tuple[str, ...]:
        """Files notebooks depend on (front matter `depends`), from the last good build's state."""
        settings = self.settings
        return tuple(watched_files(Store(settings.site_dir), settings.output_path))

    def request(self, changed: set[str]) -> None:
        """Ask the builder for one more build (requests made during a build are built together after it)."""
        log.debug("build asked for at %.3f: %s", time.time(), ", ".join(sorted(changed)) or "the first")
        with self.wake:
            self.due = True
            self.pending |= changed
            self.wake.notify()

    def watch(self, last: Snapshot) -> None:
        """Poll the sources; once a change has been quiet for a moment, ask for a build (one save, one build).

        Where the system tells of changes (inotify), a change wakes the watcher at once instead of at its next
        poll, a change followed by a quiet moment with no news needs no second look to be built, and the poll
        is only a safety net (for a file saved into a folder made since the last look), so it is rarer."""
        notify = Notify.open()
        poll = POLL_SECONDS if notify is None else NOTIFIED_POLL_SECONDS
        changed: set[str] = set()
        since = 0.0
        if notify is not None:
            notify.watch(folders_of(str(self.settings.site_dir), last))
        try:
            while not self.stop.is_set():
                if notify is not None:
                    woke = notify.wait(SETTLE_SECONDS if changed else poll)
                    if changed and not woke:  # quiet since the last look, and the system would have said
                        self.request(changed)
                        changed, since = set(), 0.0
                        continue
                elif self.stop.wait(SETTLE_SECONDS if changed else poll):
                    break
                if self.building.is_set() and not changed:
                    continue  # a poll walks every source, holding the interpreter: not while a build runs (one after)
                try:
                    now = snapshot(self.settings, self.extra)
                except Exception:  # a watcher that dies quietly is worse than a missed poll
                    log.exception("watching the sources failed")
                    continue
                delta = changes(last, now)
                last = now
                if delta:
                    if notify is not None:  # a new folder with files: watched from now on
                        notify.watch(folders_of(str(self.settings.site_dir), last))
                    changed |= delta
                    since = since or time.monotonic()
                    if time.monotonic() - since < MAX_WAIT_SECONDS:
                        continue  # still being written
                if changed:
                    self.request(changed)
                    changed, since = set(), 0.0
        finally:
            if notify is not None:
                notify.close()

    def run_builds(self) -> None:
        """Build whenever asked, one build at a time, until stopped."""
        while True:
            with self.wake:
                self.wake.wait_for(lambda: self.due or self.stop.is_set())
                if self.stop.is_set():
                    return
                changed, self.pending, self.due = self.pending, set(), False
            self.building.set()
            try:
                stale = self.build_once(tuple(sorted(changed)))
                with self.wake:
                    idle = not self.due
                if stale and idle:  # the page has reloaded: now the search index catches up
                    self.index()
            finally:
                self.building.clear()

    def build_once(self, changed: tuple[str, ...]) -> bool:
        """One build: the settings re-read, the site built, the outcome told to the browser and the terminal.

        The search index is left for later (`index`): an edit must show at once. Whether it is stale.
        """
        self.report(ServeEvent("building", changed=changed))
        try:
            settings, warnings = load_settings(self.settings.site_dir, self.overrides)
            self._use(settings)
            # Warnings are told when they change; those of the settings passed in, the caller has told.
            fresh_warnings = [] if self.settings_warnings in (None, warnings) else warnings
            self.settings_warnings = warnings
            told: list[bool] = []

            def published() -> None:  # the new site is in place: the tabs reload, then the state is saved
                log.debug("published at %.3f", time.time())
                tabs = self._publish(True, [], changed_site=True)
                told.append(True)
                self.live.reloaded(tabs, RELOAD_SECONDS)
                log.debug("reloaded at %.3f", time.time())

            result = build(settings, executor=self.executor, progress=self.progress, strict=self.strict,
                           search_index=False, previous=self.state, published=published,
                           waiting=lambda message: self.report(ServeEvent("waiting", text=message)))
        except NbpressError as exc:
            self.settings_warnings = [] if exc.exit_code == EXIT_USAGE else self.settings_warnings
            self.report(ServeEvent("failed", changed=changed, diagnostics=tuple(exc.diagnostics)))
            self._publish(False, list(exc.diagnostics))
            return False
        except Exception as exc:  # a bug in nbpress: say so, keep serving the last good site
            self.report(ServeEvent("crashed", changed=changed, text=traceback.format_exc()))
            self._publish(False, [Diagnostic(f"nbpress failed with a bug: {type(exc).__name__}: {exc} "
                                             "(the traceback is in the terminal)")])
            return False
        self.state = result.state
        self.extra = self._depends()
        self.report(ServeEvent("built", changed=changed, result=result, diagnostics=tuple(fresh_warnings)))
        if not told:
            self._publish(True, [], changed_site=False)
        return result.stale_index

    def index(self) -> None:
        """Bring the search index up to date: the shards whose posts changed (no page changes, so no reload)."""
        try:
            result = build(self.settings, executor=self.executor, progress=self.progress, strict=self.strict,
                           previous=self.state, index_only=True,
                           waiting=lambda message: self.report(ServeEvent("waiting", text=message)))
        except NbpressError:
            return  # the sources changed under it and are broken: the next build says so
        except Exception:
            self.report(ServeEvent("crashed", text=traceback.format_exc()))
            return
        # A save since the last build stops it at once (the watcher's build for it indexes after).
        self.state = result.state or self.state
        if result.rendered:  # a post fell due since the last build, built here: the tabs must see it
            self._publish(True, [], changed_site=True)

    def _publish(self, ok: bool, errors: list[Diagnostic], changed_site: bool = False) -> int:
        """Tell every open tab: a good build that changed something (or ended an error) reloads them. The number
        of tabs told."""
        live = self.live
        with live.changed:
            live.build += 1
            if ok and (changed_site or not live.ok or live.version == 0):
                live.version += 1
            live.ok = ok
            live.errors = errors
            live.changed.notify_all()
            return live.tabs

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
        kind = IPv6Server if ":" in host else Server
        try:
            self.http = kind((host, port), Handler)
        except OSError as exc:
            raise NbpressError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", exit_code=EXIT_USAGE) from None
        self.http.settings = self.settings
        self.http.live = self.live
        self.http.hosts = allowed_hosts(host)

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
