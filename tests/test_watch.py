"""`derive watch`: the notes served on 127.0.0.1 and re-rendered on each save, driven end to end as a
user does it: start the command, open the page, edit the YAML (a change, a mistake, the fix), stop it
with Ctrl-C (SIGINT) or SIGTERM."""

import base64
import hashlib
import html
import http.client
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from derive import DeriveError
from derive import watch as watch_module
from tests.helpers import ROOT

TITLE = "Will the student pass?"
# The seed lecture's output of the second neuron: O2 = σ(0.04518) = 0.51129 (its line 52).
SEED_O2 = "0.51129"
SERVING = re.compile(
    r"^Serving the notes of (\S+) at http://127\.0\.0\.1:(\d+)/ \(they re-render on each save; Ctrl-C stops\)$"
)


class Watch:
    """`derive watch FILE --port 0` in its own session, its output read by threads (so no pipe fills)."""

    def __init__(self, cwd, name, *flags):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout, installed or not
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "derive.cli", "watch", name, "--port", "0", *flags],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        threading.Thread(target=self._read, args=(self.proc.stdout, self.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._read, args=(self.proc.stderr, self.stderr, None), daemon=True).start()

    @staticmethod
    def _read(stream, into, lines):
        for line in stream:
            into.append(line)
            if lines is not None:
                lines.put(line)

    def first_line(self, timeout=60.0):
        try:
            return self.lines.get(timeout=timeout).rstrip("\n")
        except queue.Empty:
            self.stop(signal.SIGTERM)
            pytest.fail(f"derive watch printed nothing in {timeout} s; stderr: {''.join(self.stderr)}")

    def stop(self, signum):
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            pytest.fail(f"derive watch did not stop on signal {signum}")


def fetch(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        assert r.status == 200
        return r.read().decode("utf-8")


def wait_for_page(url, ok, what, timeout=180.0):
    """The page once ok(page) holds, fetched again every 0.3 s until `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    page = ""
    while time.monotonic() < deadline:
        page = fetch(url)
        if ok(page):
            return page
        time.sleep(0.3)
    pytest.fail(f"the page never showed {what} in {timeout} s; it showed: {page[:2000]}")


def title_of(page):
    m = re.search(r"<title>(.*?)</title>", page, re.S)
    return html.unescape(m.group(1)) if m else None


def version_of(page):
    return re.search(r'<meta name="derive-version" content="([^"]+)">', page).group(1)


class Events:
    """The data of every event /events sends, collected by a thread."""

    def __init__(self, port):
        self.data: list[str] = []
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        self.conn.request("GET", "/events")
        self.response = self.conn.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Content-Type") == "text/event-stream"
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            for raw in self.response:
                line = raw.decode("utf-8").rstrip("\n")
                if line.startswith("data: "):
                    self.data.append(line[len("data: ") :])
        except (OSError, ValueError, http.client.HTTPException):
            pass  # the server stopped


def save_like_an_editor(path, text):
    """Write a new file beside it and rename it over the old one, as vim, VS Code and others save."""
    tmp = path.with_name(path.name + ".tmp-save")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def csp_of(page):
    m = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page)
    assert m, "the served page has no Content-Security-Policy meta tag"
    policy = {}
    for directive in html.unescape(m.group(1)).split(";"):
        name, *values = directive.split()
        policy[name] = values
    return policy


@pytest.mark.slow
def test_watch_follows_a_change_a_mistake_and_the_fix_then_stops_on_ctrl_c(tmp_path):
    source = (ROOT / "examples" / "pass_fail.yaml").read_text(encoding="utf-8")
    network = tmp_path / "pass_fail.yaml"
    network.write_text(source, encoding="utf-8")
    w = Watch(tmp_path, "pass_fail.yaml")
    try:
        m = SERVING.match(w.first_line())
        assert m, w.stdout
        assert m.group(1) == "pass_fail.yaml"
        port = int(m.group(2))
        url = f"http://127.0.0.1:{port}/"

        # The first render: the seed lecture's network and its numbers.
        page = wait_for_page(url, lambda p: title_of(p) == TITLE, "the notes")
        assert SEED_O2 in page
        events = Events(port)

        # The page allows exactly its one script, by hash, and connections back to the server only.
        scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
        assert len(scripts) == 1 and page.count("<script") == 1
        digest = base64.b64encode(hashlib.sha256(scripts[0].encode("utf-8")).digest()).decode("ascii")
        policy = csp_of(page)
        assert policy["default-src"] == ["'none'"]
        assert policy["script-src"] == [f"'sha256-{digest}'"]
        assert policy["connect-src"] == ["'self'"]
        assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in str(policy)
        assert "EventSource('/events')" in scripts[0]

        # A change, saved as editors save (a new file renamed over the old): the new title is served.
        renamed = source.replace(f"title: {TITLE}", "title: Will the student pass the exam?")
        assert renamed != source
        save_like_an_editor(network, renamed)
        page = wait_for_page(url, lambda p: title_of(p) == "Will the student pass the exam?", "the new title")
        assert SEED_O2 in page  # the numbers did not change
        # /events announced the new page's version (an open tab reloads on it)
        deadline = time.monotonic() + 30
        while version_of(page) not in events.data and time.monotonic() < deadline:
            time.sleep(0.2)
        assert version_of(page) in events.data, (events.data, version_of(page))

        # A mistake, written in place: the error instead of the notes, at the value's line and column.
        lines = renamed.splitlines()
        row = next(i for i, line in enumerate(lines) if line.startswith("learning_rate:"))
        wrong = "\n".join([*lines[:row], "learning_rate: fast", *lines[row + 1 :]]) + "\n"
        network.write_text(wrong, encoding="utf-8")
        where = f"pass_fail.yaml:{row + 1}:{len('learning_rate: ') + 1}"  # 1-based, at `fast`
        page = wait_for_page(url, lambda p: where in p, f"the error at {where}")
        assert "hint: " in page and "fast" in page
        assert SEED_O2 not in page  # the notes are not shown under the error
        assert page.count("<script") == 1 and csp_of(page)["script-src"] == [f"'sha256-{digest}'"]

        # The fix brings the notes back.
        network.write_text(renamed, encoding="utf-8")
        page = wait_for_page(url, lambda p: SEED_O2 in p, "the notes again")
        assert title_of(page) == "Will the student pass the exam?" and where not in page
    finally:
        code = w.stop(signal.SIGINT)

    stderr = "".join(w.stderr)
    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert w.stdout[-1].strip() == "Stopped."
    # The listening socket is closed: the port can be listened on again. (SO_REUSEADDR, as every
    # server sets it, including derive watch: the connections the server closed linger in TIME_WAIT
    # for a minute, which is the kernel's rule, not a socket left open.)
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pass_fail.yaml"]  # nothing written


@pytest.mark.slow
def test_watch_serves_the_page_only_and_no_file_from_disk_then_stops_on_sigterm(tmp_path):
    shutil.copy(ROOT / "examples" / "pass_fail.yaml", tmp_path / "pass_fail.yaml")
    (tmp_path / "examples").mkdir()
    shutil.copy(ROOT / "examples" / "pass_fail.yaml", tmp_path / "examples" / "pass_fail.yaml")
    w = Watch(tmp_path, "pass_fail.yaml")
    try:
        m = SERVING.match(w.first_line())
        assert m, w.stdout
        port = int(m.group(2))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for path in (
            "/../../etc/passwd",
            "/%2e%2e/%2e%2e/etc/passwd",
            "/pass_fail.yaml",
            "/examples/pass_fail.yaml",
            "/index.html",
            "/events/../pass_fail.yaml",
        ):
            conn.request("GET", path)
            r = conn.getresponse()
            body = r.read().decode("utf-8")
            assert r.status == 404, path
            assert "learning_rate" not in body and "root:" not in body
            conn.close()
        # a request addressed to another host name (a DNS name rebound to 127.0.0.1) is refused
        conn.request("GET", "/", headers={"Host": "attacker.example"})
        r = conn.getresponse()
        assert r.status == 403 and "Will the student" not in r.read().decode("utf-8")
        conn.close()
        conn.request("GET", "/")  # the page itself is there (the notes, or "rendering" while they are made)
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        code = w.stop(signal.SIGTERM)  # likely while the first render runs: it is abandoned
    assert code == 0, "".join(w.stderr)
    assert "Traceback" not in "".join(w.stderr)


def test_a_port_in_use_is_one_message_and_exit_2(tmp_path):
    shutil.copy(ROOT / "examples" / "pass_fail.yaml", tmp_path / "pass_fail.yaml")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        r = subprocess.run(
            [sys.executable, "-m", "derive.cli", "watch", "pass_fail.yaml", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert r.returncode == 2
    assert r.stderr.startswith(f"derive: error: cannot serve on 127.0.0.1:{port}: ")
    assert "--port 0" in r.stderr and "Traceback" not in r.stderr


def _render_with(monkeypatch, exc):
    def failing(*_args, **_kwargs):
        raise exc

    monkeypatch.setattr(watch_module, "render_page", failing)
    pages = watch_module.Pages("net.yaml")
    said: list[str] = []
    watcher = watch_module.Watcher(watch_module.Source("net.yaml", None), pages, 1, threading.Event(), said.append)
    watcher.render()  # returns: a failed render does not raise out of the watcher thread
    return pages.current()[1].decode("utf-8"), said


def test_an_internal_error_is_shown_with_its_type_and_message(monkeypatch):
    page, said = _render_with(monkeypatch, ZeroDivisionError("division by zero"))
    assert "internal error: ZeroDivisionError: division by zero" in page
    assert said == ["derive: error: internal error: ZeroDivisionError: division by zero"]


def test_an_error_message_is_escaped_in_the_page(monkeypatch):
    page, _ = _render_with(monkeypatch, DeriveError('net.yaml:3:7: title `<script>alert("x")</script>` & more'))
    assert "title `&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;` &amp; more" in page
    assert page.count("<script") == 1  # only the page's own reload script


def script_hashes(page):
    return {
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode("ascii") + "'"
        for s in re.findall(r"<script>(.*?)</script>", page, re.S)
    }


def test_an_interactive_page_keeps_its_own_script_when_served():
    """Served, the interactive page has two scripts (its own and the reload one); the policy allows
    exactly those two, by their hashes."""
    import derive

    page = derive.explain(str(ROOT / "examples" / "pass_fail.yaml"), fmt="html", pictures=True, interactive=True).text
    out = watch_module.served(page, "v1")
    hashes = script_hashes(out)
    assert len(hashes) == 2
    assert set(csp_of(out)["script-src"]) == hashes
    assert watch_module.policy_for(out) == watch_module.policy_for(page)


@pytest.mark.slow
def test_watch_interactive_serves_the_page_to_step_through(tmp_path):
    shutil.copy(ROOT / "examples" / "pass_fail.yaml", tmp_path / "pass_fail.yaml")
    w = Watch(tmp_path, "pass_fail.yaml", "--interactive")
    try:
        m = SERVING.match(w.first_line())
        assert m, w.stdout
        url = f"http://127.0.0.1:{m.group(2)}/"
        page = wait_for_page(url, lambda p: 'id="panel"' in p, "the interactive notes")
        assert SEED_O2 in page
        with urllib.request.urlopen(url, timeout=30) as r:
            header = r.headers["Content-Security-Policy"]
        assert set(re.search(r"script-src ([^;]*)", header).group(1).split()) == script_hashes(page)
    finally:
        code = w.stop(signal.SIGINT)
    assert code == 0 and "Traceback" not in "".join(w.stderr)
