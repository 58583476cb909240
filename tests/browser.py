"""Headless Chromium for the HTML tests: screenshot and DOM of pages, and every request they make.

Each page is opened from a file:// URL with its own recording HTTP proxy (which answers every
request with an error), and host names resolve to nothing, so any network request a page makes is
both recorded and fails. Chromium's own background traffic to a few Google services goes through
the same proxy even with every background feature switched off; it is not the page's and is set
apart by host name.
"""
from __future__ import annotations

import http.server
import struct
import subprocess
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# Chromium's own services, seen here with every background feature switched off. A page's request
# to any other host (fonts.googleapis.com, a CDN, ...) counts.
BROWSER_HOSTS = {"accounts.google.com", "clients2.google.com", "clients2.googleusercontent.com",
                 "update.googleapis.com", "optimizationguide-pa.googleapis.com",
                 "safebrowsing.googleapis.com", "content-autofill.googleapis.com",
                 "clientservices.googleapis.com", "redirector.gvt1.com", "edgedl.me.gvt1.com"}
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--no-default-browser-check",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--proxy-bypass-list=<-loopback>",
         "--hide-scrollbars", "--window-size=1000,3000", "--dump-dom"]


@dataclass
class Run:
    png: Path
    dom: str = ""
    stderr: str = ""
    returncode: int = -1
    requests: list[str] = field(default_factory=list)

    @property
    def page_requests(self) -> list[str]:
        return [r for r in self.requests if _host(r) not in BROWSER_HOSTS]


def _host(request: str) -> str:
    target = request.split("://", 1)[-1]
    return target.split("/", 1)[0].rsplit(":", 1)[0].lower()


class _Recorder(http.server.BaseHTTPRequestHandler):
    def _record(self):
        self.server.seen.append(self.path)
        self.send_error(502)

    do_GET = do_POST = do_HEAD = do_CONNECT = _record

    def log_message(self, *args):
        pass


def run_pages(pages: dict[str, str], folder: Path, timeout: float = 60) -> dict[str, Run]:
    """Open every page at once (each in its own profile, behind its own proxy) and collect them."""
    servers, procs, runs = [], {}, {}
    try:
        for name, html in pages.items():
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
            server.seen = []
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers.append(server)
            page = folder / f"{name}.html"
            page.write_text(html, encoding="utf-8")
            runs[name] = Run(png=folder / f"{name}.png", requests=server.seen)
            procs[name] = subprocess.Popen(
                [str(CHROMIUM), *FLAGS, f"--user-data-dir={folder / ('profile-' + name)}",
                 f"--proxy-server=http://127.0.0.1:{server.server_address[1]}",
                 f"--screenshot={runs[name].png}", page.as_uri()],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name, proc in procs.items():
            try:
                runs[name].dom, runs[name].stderr = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                runs[name].dom, runs[name].stderr = proc.communicate()
            runs[name].returncode = proc.returncode
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
        for server in servers:
            server.shutdown()
            server.server_close()
    return runs


def inked_rows(png: Path) -> float:
    """The share of the image's pixel rows that hold more than a flat colour (text, rules, maths).

    PNG rows are stored filtered; a row of one colour stays at most a handful of distinct byte
    values under every filter, while a row crossing antialiased text has dozens."""
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8, "expected 8-bit channels"
            channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = 1 + width * channels
    inked = sum(len(set(raw[y * stride + 1:(y + 1) * stride])) > 8 for y in range(height))
    return inked / height
