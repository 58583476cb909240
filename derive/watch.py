"""`derive watch NETWORK.yaml`: the HTML notes served on 127.0.0.1 and re-rendered on each save.

Three threads: the main one waits for Ctrl-C (SIGINT) or SIGTERM; an HTTP server (the standard
library's ThreadingHTTPServer) answers `/` with the current page and `/events` with Server-Sent Events;
a watcher thread (the `watchfiles` library) renders the notes at start and again whenever the file
(or a template of --templates) changes. Nothing is written to disk and no browser is opened.

The page a browser gets is the HTML notes with one small inline script added: it listens on /events
and reloads the page when the notes' version differs from the one the page was made with. The notes'
Content-Security-Policy meta tag is replaced with one that allows exactly that script (by its SHA-256
hash) and connections to the server itself, and nothing else new. A mistake in the YAML shows the
error (file:line:column and hint) in place of the notes; the next good render brings them back.
"""

from __future__ import annotations

import base64
import hashlib
import html
import http.server
import os
import re
import secrets
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from derive import defaults
from derive.cli_common import CONTEXT, input_files, templates_option, warn
from derive.errors import DeriveError, clean

HOST = "127.0.0.1"
KEEP_ALIVE = 15.0  # seconds between the comments that keep an idle /events stream open

# The one script of a served page. Its text is fixed (the version it compares with is read from a meta
# tag), so its hash, which the page's Content-Security-Policy names, is computed once.
SCRIPT = (
    "(function () {\n"
    "  var m = document.querySelector('meta[name=\"derive-version\"]');\n"
    "  var shown = m ? m.getAttribute('content') : '';\n"
    "  var events = new EventSource('/events');\n"
    "  events.onmessage = function (e) {\n"
    "    if (e.data !== shown) { events.close(); window.location.reload(); }\n"
    "  };\n"
    "})();"
)
SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
POLICY = f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src '{SCRIPT_HASH}'; connect-src 'self'"

_CSP_META = re.compile(r"<meta\s+http-equiv\s*=\s*[\"']?Content-Security-Policy[\"']?[^>]*>", re.IGNORECASE)
_HEAD = re.compile(r"<head(\s[^>]*)?>", re.IGNORECASE)

# A page that is not the notes (the first render still running, or an error): the notes' look, small.
_STYLE = """
body { margin: 0; background: #fffefb; color: #1f2023; font-size: 1.125rem; line-height: 1.6;
  font-family: "Latin Modern Roman", "STIX Two Text", "Libertinus Serif", Charter, Georgia, serif; }
main { max-width: 42rem; margin: 0 auto; padding: 2.5rem 1.25rem 4rem; }
h1 { font-size: 2rem; line-height: 1.25; margin: 0 0 1.25rem; }
p { margin: 0.85rem 0; }
.muted { color: #5b5e66; }
pre { background: #f5f6f8; padding: 0.75rem 1rem; border-left: 4px solid #8b1a1a; border-radius: 4px;
  overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere;
  font-family: "Latin Modern Mono", "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.95rem; }
"""


_OWN_HASHES = re.compile(r"'(sha256-[A-Za-z0-9+/=]+)'")


def policy_for(page: str) -> str:
    """POLICY, also allowing the scripts the page's own policy allows by hash (the interactive page's)."""
    head_end = page.lower().find("</head>")
    found = _CSP_META.search(page, 0, head_end if head_end >= 0 else len(page))
    own = [h for h in _OWN_HASHES.findall(found.group(0)) if h != SCRIPT_HASH] if found else []
    return POLICY.replace(f"'{SCRIPT_HASH}'", " ".join(f"'{h}'" for h in [SCRIPT_HASH, *own]))


def served(page: str, version: str) -> str:
    """The notes (or a status page) as served: the CSP meta replaced by POLICY (with the hashes of the
    page's own scripts), the version the page shows in a meta tag, and the reload script before </body>."""
    policy = policy_for(page)
    metas = f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n<meta name="derive-version" content="{version}">'
    head_end = page.lower().find("</head>")
    found = _CSP_META.search(page, 0, head_end if head_end >= 0 else len(page))
    if found:
        page = page[: found.start()] + metas + page[found.end() :]
    elif m := _HEAD.search(page):  # a template of one's own without the meta tag
        page = page[: m.end()] + "\n" + metas + page[m.end() :]
    else:
        page = metas + "\n" + page
    script = f"<script>{SCRIPT}</script>\n"
    at = page.lower().rfind("</body>")
    return page[:at] + script + page[at:] if at >= 0 else page + "\n" + script


def status_page(title: str, heading: str, text: str, detail: str | None = None) -> str:
    """A small page in the notes' style; every piece of text is escaped here."""
    pre = f"<pre>{html.escape(detail)}</pre>\n" if detail is not None else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n"
        f'<h1>{html.escape(heading)}</h1>\n<p class="muted">{html.escape(text)}</p>\n{pre}</main>\n</body>\n</html>\n'
    )


class Pages:
    """The page being served and its version, shared by the watcher (which sets it) and the server's
    threads (which read it and wait for the next one)."""

    def __init__(self, shown_name: str):
        self.name = shown_name
        self._token = secrets.token_hex(4)  # a restarted server never repeats a version a tab holds
        self._count = 0
        self._changed = threading.Condition()
        self.stopping = False
        self.version = ""
        self.body = b""
        self.policy = POLICY  # the served page's Content-Security-Policy, also sent as a header
        self.set(
            status_page(
                f"{shown_name} (derive watch)",
                "Rendering the notes…",
                f"derive is working through {shown_name}; this page shows the notes as soon as they are ready.",
            )
        )

    def set(self, page: str) -> None:
        with self._changed:
            self._count += 1
            self.version = f"{self._token}-{self._count}"
            self.body = served(page, self.version).encode("utf-8")
            self.policy = policy_for(page)
            self._changed.notify_all()

    def current(self) -> tuple[str, bytes]:
        with self._changed:
            return self.version, self.body

    def response(self) -> tuple[bytes, str]:
        """The page as served and its policy, read together."""
        with self._changed:
            return self.body, self.policy

    def wait_change(self, seen: str, timeout: float) -> str:
        """The version once it differs from `seen` (or after `timeout` seconds, or when stopping)."""
        with self._changed:
            self._changed.wait_for(lambda: self.version != seen or self.stopping, timeout)
            return self.version

    def stop(self) -> None:
        with self._changed:
            self.stopping = True
            self._changed.notify_all()


class Handler(http.server.BaseHTTPRequestHandler):
    """GET (and HEAD) of `/`: the page; of `/events`: its version as Server-Sent Events; anything else
    404. Nothing is ever read from disk. A Host header that is not this server's own is refused, so a
    web page cannot reach the notes through a DNS name rebound to 127.0.0.1."""

    server: Server
    server_version = "derive-watch"
    sys_version = ""
    timeout = 30  # an idle connection (a browser's spare one) is dropped after this many seconds

    def log_message(self, format: str, *args: Any) -> None:
        pass  # no line per request on the terminal

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def do_GET(self) -> None:
        self._answer(head=False)

    def _answer(self, head: bool) -> None:
        pages = self.server.pages
        if self.headers.get("Host", "").lower() not in self.server.own_hosts:
            self._plain(403, "derive watch answers only requests addressed to 127.0.0.1 or localhost\n", head)
            return
        path = urlsplit(self.path).path
        if path == "/":
            body, policy = pages.response()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Security-Policy", policy)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            if not head:
                self.wfile.write(body)
        elif path == "/events" and not head:
            self._events(pages)
        else:
            self._plain(404, "not found: derive watch serves the notes at / only\n", head)

    def _plain(self, code: int, text: str, head: bool) -> None:
        body = text.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _events(self, pages: Pages) -> None:
        """The current version at once, then each new one, until the client leaves or the server stops."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        version, _ = pages.current()
        try:
            self.wfile.write(f"retry: 1000\ndata: {version}\n\n".encode("ascii"))
            while True:
                new = pages.wait_change(version, KEEP_ALIVE)
                if pages.stopping:
                    return
                self.wfile.write(f"data: {new}\n\n".encode("ascii") if new != version else b": keep-alive\n\n")
                version = new
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            return  # the tab was closed or reloaded


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # closing does not wait for open /events streams or idle connections

    def __init__(self, port: int, pages: Pages):
        self.pages = pages
        super().__init__((HOST, port), Handler)
        self.port = self.server_address[1]
        self.own_hosts = {f"{h}:{self.port}" for h in (HOST, "localhost")}


@dataclass
class Source:
    """What the notes are made from: the network file and the templates that override the built-in ones."""

    network: str
    templates: str | None
    interactive: bool = False  # the page a student steps through (derive -f html --interactive)

    def folders(self) -> list[str]:
        """The folders to watch, each without its subfolders: the network's (an editor saves by writing
        a new file and renaming it, so the file itself cannot be watched), and each of the templates."""
        found = {os.path.dirname(os.path.abspath(self.network))}
        found.add(os.path.dirname(os.path.realpath(self.network)))
        if self.templates:
            root = Path(self.templates).resolve()
            found.add(str(root))
            found.update(str(d) for d in root.glob("**/") if len(d.relative_to(root).parts) <= 3)
        return sorted(found)

    def relevant(self, path: str) -> bool:
        """A change of this path changes the notes."""
        full = os.path.abspath(path)
        if full in (os.path.abspath(self.network), os.path.realpath(self.network)):
            return True
        return bool(self.templates) and full.endswith(".j2") and full in self.template_files()

    def template_files(self) -> set[str]:
        return {str(Path(f).resolve()) for f in input_files([self.templates], (".j2",), depth=3)}

    def signature(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.network)
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino


def render_page(network: str, point: int, templates: str | None, interactive: bool = False) -> tuple[str, list[Any]]:
    """The HTML notes (pictures inlined) and the network's warnings; raises what rendering raises."""
    from derive import explain

    notes = explain(network, fmt="html", pictures=True, point=point, templates=templates, interactive=interactive)
    assert isinstance(notes.text, str)
    return notes.text, list(notes.network.warnings)


def error_page(shown: str, exc: BaseException) -> tuple[str, str]:
    """(page, one line for the terminal) for a render that failed."""
    if isinstance(exc, DeriveError):
        heading, message = "The notes could not be made", str(exc)
        hint = f"Fix {shown} and save it: the notes come back here by themselves."
    else:
        heading = "derive: internal error"
        message = f"internal error: {type(exc).__name__}: {clean(str(exc))}"
        hint = f"This is a bug in derive, not in {shown}; please report it with the file. Saving again retries."
    return status_page(f"Error: {shown} (derive watch)", heading, hint, message), message


class Watcher(threading.Thread):
    """Renders at start, then on each relevant change reported by watchfiles, until `stop` is set."""

    def __init__(self, source: Source, pages: Pages, point: int, stop: threading.Event, say: Callable[[str], None]):
        super().__init__(name="derive-watch-renderer", daemon=True)
        self.source, self.pages, self.point, self.stop, self.say = source, pages, point, stop, say
        self._warnings: list[str] = []
        self._rendered_from: tuple[int, int, int] | None = None
        self.failure: str | None = None  # why watching stopped, if it did

    def render(self) -> None:
        self._rendered_from = self.source.signature()
        start = time.monotonic()
        try:
            source = self.source
            page, warnings = render_page(source.network, self.point, source.templates, source.interactive)
        except Exception as exc:  # a render never stops the server: any failure is shown in the page
            error, line = error_page(self.pages.name, exc)
            if not self.stop.is_set():
                self.pages.set(error)
                self.say(f"derive: error: {line}")
            return
        if self.stop.is_set():
            return
        self.pages.set(page)
        shown = [w.format() for w in warnings]
        if shown != self._warnings:
            warn(warnings)
            self._warnings = shown
        self.say(f"{time.strftime('%H:%M:%S')} notes of {self.pages.name} rendered in {time.monotonic() - start:.1f} s")

    def run(self) -> None:
        try:
            self._watch()
        except Exception as exc:  # watchfiles could not watch (a folder removed, no inotify watches left)
            self.failure = f"{type(exc).__name__}: {clean(str(exc))}"

    def _watch(self) -> None:
        import watchfiles

        self.render()
        first = True
        # yield_on_timeout: the first (possibly empty) answer means the watcher is running; a save made
        # while the first render ran, before it started, is caught then by the file's changed stat.
        for changes in watchfiles.watch(
            *self.source.folders(),
            watch_filter=lambda _change, path: self.source.relevant(path),
            stop_event=self.stop,
            recursive=False,
            yield_on_timeout=True,
            rust_timeout=1000,
            raise_interrupt=False,
        ):
            if self.stop.is_set():
                return
            if changes or (first and self.source.signature() != self._rendered_from):
                self.render()
            first = False


@click.command(context_settings=CONTEXT)
@click.argument("network", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--port",
    default=0,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="The port to serve on at 127.0.0.1; 0 picks a free one.",
)
@click.option(
    "--point", default=defaults.POINT, show_default=True, type=int, help="Which data point to work through (1 = first)."
)
@click.option("--interactive", is_flag=True, help="Serve the page a student steps through (as -f html --interactive).")
@templates_option()
def watch(network: str, port: int, point: int, interactive: bool, templates: str | None) -> None:
    """Serve the HTML notes of NETWORK on 127.0.0.1 and render them again each time the file is saved;
    an open page reloads itself. A mistake in the file shows in the page in place of the notes until it
    is fixed. Opens no browser and writes no file. Ctrl-C stops.
    """
    stop = threading.Event()

    def on_signal(_signum: int, _frame: Any) -> None:
        stop.set()

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        pages = Pages(network)
        try:
            server = Server(port, pages)
        except OSError as exc:
            raise DeriveError(
                f"cannot serve on {HOST}:{port}: {exc.strerror or exc}; choose another --port, or --port 0 for a free one"
            ) from None
        try:
            serving = threading.Thread(target=server.serve_forever, name="derive-watch-server", daemon=True)
            serving.start()
            say_lock = threading.Lock()

            def say(line: str) -> None:
                with say_lock:
                    click.echo(line, err=line.startswith("derive:"))

            say(
                f"Serving the notes of {clean(network, shorten=False)} at http://{HOST}:{server.port}/ "
                "(they re-render on each save; Ctrl-C stops)"
            )
            watcher = Watcher(Source(network, templates, interactive), pages, point, stop, say)
            watcher.start()
            while not stop.wait(0.5):
                if not watcher.is_alive():  # watching failed (its folder went away): stop, not hang
                    raise DeriveError(f"watching {network} stopped ({watcher.failure}); run derive watch again")
        finally:
            stop.set()
            pages.stop()
            server.shutdown()
            server.server_close()
        watcher.join(timeout=2)  # a render in progress is abandoned (its thread is a daemon)
        click.echo("Stopped.")
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
