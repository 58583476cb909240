"""LaTeX notes and their PDF: a Jinja2 environment with TeX-friendly delimiters, an escaping filter for
user text, and a sandboxed pdflatex run (no shell escape, paranoid file access, a timeout)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import jinja2

from derive.errors import DeriveError
from derive.escape import pdf_text, tex_escape
from derive.latex import tex_name
from derive.render import tex_writer, tree
from derive.templating import environment, render_template

TEMPLATE = "tex/document.tex.j2"
TIMEOUT = 60  # seconds for the whole compilation
TEMP_PREFIX = "derive-tex-"  # the temporary folders of a compilation
STALE_AFTER = 3600  # seconds after which a left-behind derive-tex-* folder of ours is removed
PACKAGES = "texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-pictures latexmk"


def align(line: str, relation: str = "=") -> str:
    """`lhs = rhs` as an align* row, aligned on the first `relation`; \\fitrhs breaks a long right side."""
    lhs, sep, rhs = line.partition(f" {relation} ")
    return f"{lhs} &{relation} \\fitrhs{{{rhs}}}" if sep else line


def _factor_lines(f) -> str:
    """One chain-rule factor (a derive.steps.document.Factor) for align*: the formula, then the
    numbers on a second line kept with it."""
    symbol, formula, numbers = f.symbol, f.formula, f.substituted
    if numbers and numbers != formula:
        return rf"{symbol} &= \fitrhs{{{formula}}} \\*" + "\n" + rf"  &= \fitrhs{{{numbers} {f.eq}}}"
    return rf"{symbol} &= \fitrhs{{{formula} {f.eq}}}"


TEX_FILTERS = {
    "tex_escape": tex_escape,
    "pdf_text": pdf_text,
    "factor_lines": _factor_lines,
    "align": align,
    "texname": tex_name,
}


def tex_environment(extra: Path | None = None, **filters) -> jinja2.Environment:
    """Jinja2 for .tex templates (see derive.templating for the delimiters). A `tex/notes.tex.j2`
    (or `tex/preamble.tex.j2`) in `extra` overrides the built-in one."""
    return environment("tex", extra, {**TEX_FILTERS, **filters})


def render_tex(
    markdown_text: str, title: str, templates: Path | None = None, pictures: Mapping[str, str] | None = None
) -> str:
    """A document's Markdown (its one source of words) as a standalone LaTeX document: the tree
    written by derive.render.tex_writer inside tex/document.tex.j2 (preamble and page set-up).
    `pictures` maps an image source the Markdown names to the TeX that draws it."""
    body = tex_writer.write(tree.parse(markdown_text), pictures)
    page = render_template(tex_environment(templates), TEMPLATE, title=title, body=body)
    return re.sub(r"\n{3,}", "\n\n", page).lstrip()  # %# comment lines leave empty lines behind


def picture_tex(pictures) -> dict[str, str]:
    """Image source (as the Markdown links it) to the TeX that draws it: a tikzpicture, or for a plot
    an \\includegraphics of its PDF twin (a file the LaTeX needs beside it: `Pictures.tex_files`)."""
    if pictures is None:
        return {}
    out: dict[str, str] = {}
    for key, ref in pictures.refs.items():
        drawn = pictures.tikz.get(key)
        if isinstance(ref, dict) and isinstance(drawn, dict):
            out.update({src: drawn[param] for param, src in ref.items() if param in drawn})
        elif isinstance(ref, str) and isinstance(drawn, str):
            out[ref] = drawn
        elif isinstance(ref, str) and ref in pictures.graphics:
            out[ref] = f"\\fitpicture{{\\includegraphics{{{pictures.graphics[ref]}}}}}"  # its size, or the line
    return out


# -- PDF ----------------------------------------------------------------------------------------------
def _commands(name: str, once: bool = False) -> list[list[str]]:
    """latexmk when it is there (it reruns as often as references need), else pdflatex twice; `once`:
    pdflatex once, for a document that refers to nothing on another page."""
    pdflatex = shutil.which("pdflatex")
    if not pdflatex:
        raise DeriveError(
            f"making a PDF needs pdflatex, which is not installed; install the Debian packages {PACKAGES}"
            " (or write the notes as .tex and compile them yourself)"
        )
    flags = ["-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error"]
    if once:
        return [[pdflatex, *flags, name]]
    latexmk = shutil.which("latexmk")
    if latexmk:
        return [[latexmk, "-pdf", "-norc", "-latexoption=-no-shell-escape", *flags[1:], name]]
    return [[pdflatex, *flags, name]] * 2


def _sandbox_env() -> dict[str, str]:
    env = dict(os.environ)
    # kpathsea: no shell escape, and no reading or writing of files outside the working directory.
    env.update({"shell_escape": "f", "openin_any": "p", "openout_any": "p"})
    env.pop("TEXMFOUTPUT", None)
    return env


def _run(cmd: list[str], cwd: str, timeout: float) -> tuple[int, str]:
    """Run one TeX command in its own process group, killed with all its children on timeout."""
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=_sandbox_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output = proc.communicate(timeout=timeout)[0]
    except BaseException:  # the timeout, or SIGTERM/SIGINT unwinding: no TeX may outlive its folder
        with contextlib.suppress(OSError):
            if hasattr(os, "killpg"):
                os.killpg(proc.pid, signal.SIGKILL)  # latexmk and the pdflatex it started
            else:
                proc.kill()
        proc.communicate()
        raise
    return proc.returncode, output.decode("utf-8", errors="replace")


def first_error(log: str) -> str | None:
    """The first `! ...` error of a TeX log, with the line of the .tex it stopped at."""
    match = re.search(r"^! (.+)$", log, re.M)
    if not match:
        return None
    text = match.group(1).strip()
    where = re.search(r"^l\.(\d+) ?(.*)$", log[match.end() :], re.M)
    return f"{text} (line {where.group(1)} of the .tex, at `{where.group(2).strip()}`)" if where else text


def remove_stale(folder: str | None = None, now: float | None = None) -> list[str]:
    """Remove LaTeX folders a killed run left behind (`kill -9` cannot be tidied up after): in the
    temporary directory, named derive-tex-*, real folders (not links), owned by this user and not
    changed for STALE_AFTER seconds. Once per process; returns the paths removed."""
    global _swept
    if folder is None:
        if _swept:
            return []
        _swept = True
    where = folder or tempfile.gettempdir()
    now = time.time() if now is None else now
    removed = []
    with contextlib.suppress(OSError), os.scandir(where) as entries:
        for entry in entries:
            if not entry.name.startswith(TEMP_PREFIX):
                continue
            with contextlib.suppress(OSError):
                info = entry.stat(follow_symlinks=False)
                mine = not hasattr(os, "getuid") or info.st_uid == os.getuid()
                if stat.S_ISDIR(info.st_mode) and mine and now - info.st_mtime > STALE_AFTER:
                    shutil.rmtree(entry.path)
                    removed.append(entry.path)
    return removed


_swept = False


def _terminated(signum, frame):
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def _terminate_unwinds():
    """While a PDF is made in the main thread, SIGTERM unwinds (as Ctrl-C does) instead of ending the
    process on the spot, so the TeX processes are killed and the temporary folder removed. A handler
    someone else installed is left in place."""
    main = threading.current_thread() is threading.main_thread()
    if not main or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def compile_pdf(
    tex: str, timeout: float = TIMEOUT, files: Mapping[str, bytes | str] | None = None, *, once: bool = False
) -> bytes:
    """Compile a standalone LaTeX document in a temporary directory and return the PDF; `files` (relative
    path to content) are written beside it first, for the document to include; `once`: one pdflatex run."""
    commands = _commands("notes.tex", once)
    deadline = time.monotonic() + timeout
    remove_stale()
    with _terminate_unwinds(), tempfile.TemporaryDirectory(prefix=TEMP_PREFIX) as tmp:
        work = Path(tmp)
        (work / "notes.tex").write_text(tex, encoding="utf-8")
        for name, content in (files or {}).items():
            path = (work / name).resolve()
            if not path.is_relative_to(work.resolve()):
                raise ValueError(f"{name} would be written outside the LaTeX folder")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        for cmd in commands:
            try:
                code, output = _run(cmd, tmp, max(deadline - time.monotonic(), 1))
            except subprocess.TimeoutExpired:
                raise DeriveError(
                    f"LaTeX did not finish within {timeout:g} s, so no PDF was made; "
                    "compile the .tex yourself to see where it stops"
                ) from None
            if code != 0:
                break
        pdf = work / "notes.pdf"
        if code == 0 and pdf.exists():
            return pdf.read_bytes()
        log = work / "notes.log"
        detail = first_error(log.read_text(encoding="utf-8", errors="replace") if log.exists() else "")
        raise DeriveError(
            "LaTeX could not compile the notes: "
            + (detail or output.strip()[-400:] or f"{cmd[0]} exited with code {code}")
        )
