"""LaTeX notes and their PDF: a Jinja2 environment with TeX-friendly delimiters, an escaping filter for
user text, and a sandboxed pdflatex run (no shell escape, paranoid file access, a timeout)."""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unicodedata
from pathlib import Path

import jinja2

from .errors import DeriveError
from .latex import tex_name
from .render import shared_or_private, template_dir
from .steps import Document

TEMPLATE = "tex/notes.tex.j2"
TIMEOUT = 60  # seconds for the whole compilation
PACKAGES = "texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-pictures latexmk"

# Characters of the ASCII set that TeX reads as markup. `_ ~ ^` come from the typewriter font, the
# only OT1 font with real ASCII glyphs for them (\textasciitilde would be an accent, \_ a rule), so
# they print and copy out of the PDF as themselves. Text-mode \$ (like \S, \P, \pounds) would take
# its glyph from a TS1 font, a bitmap without cm-super; the maths fonts have it.
_ASCII = {
    "&": r"\&", "%": r"\%", "$": r"\ensuremath{\$}", "#": r"\#", "{": r"\{", "}": r"\}",
    "_": r"{\ttfamily\char95}", "~": r"{\ttfamily\char126}", "^": r"{\ttfamily\char94}",
    "\\": r"\textbackslash{}", "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}
# Non-ASCII symbols as OT1/OMS/OML glyphs (never TS1, whose Computer Modern fonts are bitmaps).
_MATH = dict(zip("−×÷±∓·⋅•≈≠≤≥∞∂∑∏√∈→←↔⇒∼≡∝∇∣‖′°²³¹½¼¾µ¬", (
    "-", r"\times", r"\div", r"\pm", r"\mp", r"\cdot", r"\cdot", r"\bullet", r"\approx", r"\neq", r"\leq",
    r"\geq", r"\infty", r"\partial", r"\sum", r"\prod", r"\surd", r"\in", r"\to", r"\leftarrow",
    r"\leftrightarrow", r"\Rightarrow", r"\sim", r"\equiv", r"\propto", r"\nabla", r"\mid", r"\|",
    r"{}^{\prime}", r"{}^{\circ}", "{}^{2}", "{}^{3}", "{}^{1}", r"\tfrac{1}{2}", r"\tfrac{1}{4}",
    r"\tfrac{3}{4}", r"\mu", r"\neg")))
_GREEK = dict(zip("αβγδεζηθικλμνξοπρςστυφχψωΓΔΘΛΞΠΣΥΦΨΩ", (
    r"\alpha \beta \gamma \delta \epsilon \zeta \eta \theta \iota \kappa \lambda \mu \nu \xi o \pi \rho "
    r"\varsigma \sigma \tau \upsilon \phi \chi \psi \omega \Gamma \Delta \Theta \Lambda \Xi \Pi \Sigma "
    r"\Upsilon \Phi \Psi \Omega").split()))
_GREEK.update(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΧ", "ABEZHIKMNOPTX"))  # capitals that look like Latin ones
_TEXT = {"\u00a0": "~", "\u00ad": r"\-", "§": r"\ensuremath{\S}", "¶": r"\ensuremath{\P}", "©": "(c)",
         "£": r"\ensuremath{\mathsterling}",
         "¡": r"\textexclamdown{}", "¿": r"\textquestiondown{}", "‘": "`", "’": "'", "“": "``", "”": "''",
         "–": "--", "—": "---", "…": r"\dots{}", "«": r"\textless{}\textless{}", "»": r"\textgreater{}\textgreater{}"}
# Latin letters that LaTeX's utf8 input cannot typeset in OT1 (they need T1 or other encodings).
_NOT_OT1 = set("ÐÞðþĄąĐđĘęĦħĮįĸĿŀŉŊŋŦŧŲųſ")
# Specials, ligature starters (`--`, ``` `` ```, `''`, `!``, `?``), and everything outside printable ASCII.
_SPECIAL = re.compile(r"[&%$#_{}~^\\<>|]|-(?=-)|`(?=`)|'(?=')|[!?](?=`)|[^\x20-\x7e]")


def _unicode(char: str) -> str:
    """One character outside printable ASCII, as something pdflatex typesets in OT1."""
    if char in _TEXT:
        return _TEXT[char]
    if char in _MATH or char in _GREEK:
        symbol = _MATH.get(char) or _GREEK[char]
        return symbol if symbol.isalpha() else rf"\ensuremath{{{symbol}}}"
    if "\u00c0" <= char <= "\u017f" and char not in _NOT_OT1 and unicodedata.category(char)[0] == "L":
        return char  # accented Latin: LaTeX's utf8 input composes it in OT1
    category = unicodedata.category(char)
    if category[0] in "CZ":
        return " " if char in "\t\n\r" or category == "Zs" else ""
    plain = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if plain and plain != char and all(c.isascii() for c in plain):
        return tex_escape(plain)
    return rf"{{\ttfamily[U+{ord(char):04X}]}}"  # no glyph in pdflatex's fonts: say which character


def _replace(match: re.Match) -> str:
    char = match.group()
    if char in _ASCII:
        return _ASCII[char]
    if char in "-`'!?":
        return char + "{}"  # break the ligature, so `--` stays two hyphens
    return _unicode(char)


def tex_escape(text) -> str:
    """User text (a title, a label, a file name) typeset as itself, in one pass."""
    return _SPECIAL.sub(_replace, str(text))


_PDF_SPECIAL = re.compile(r"[&%$#_{}~^\\]")
_PDF = {"~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}


def pdf_text(text) -> str:
    """User text for hyperref's PDF strings (document title, bookmarks), which take Unicode as it is."""
    return _PDF_SPECIAL.sub(lambda m: _PDF.get(m.group(), "\\" + m.group()), str(text))


def align(line: str, relation: str = "=") -> str:
    """`lhs = rhs` as an align* row, aligned on the first `relation`; \\fitrhs breaks a long right side."""
    lhs, sep, rhs = line.partition(f" {relation} ")
    return f"{lhs} &{relation} \\fitrhs{{{rhs}}}" if sep else line


def _factor_lines(f: dict) -> str:
    """One chain-rule factor for align*: the formula, then the numbers on a second line kept with it."""
    symbol, formula, numbers = f["symbol"], f["formula"], f["substituted"]
    if numbers and numbers != formula:
        return rf"{symbol} &= \fitrhs{{{formula}}} \\*" + "\n" + rf"  &= \fitrhs{{{numbers} {f['eq']}}}"
    return rf"{symbol} &= \fitrhs{{{formula} {f['eq']}}}"


def tex_environment(extra: Path | None = None, **filters) -> jinja2.Environment:
    """Jinja2 for .tex templates: \\BLOCK{..}, \\VAR{..}, \\#{..}, %% line statements, %# line comments.
    A `tex/notes.tex.j2` (or `tex/preamble.tex.j2`) in `extra` overrides the built-in one."""
    return shared_or_private(_new_tex_environment, extra, filters)


def _new_tex_environment(extra: Path | None) -> jinja2.Environment:
    loaders = [jinja2.FileSystemLoader(str(extra))] if extra else []
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders + [jinja2.FileSystemLoader(str(template_dir()))]),
        block_start_string=r"\BLOCK{", block_end_string="}", variable_start_string=r"\VAR{",
        variable_end_string="}", comment_start_string=r"\#{", comment_end_string="}",
        line_statement_prefix="%%", line_comment_prefix="%#", undefined=jinja2.StrictUndefined,
        autoescape=False, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["tex_escape"] = tex_escape
    env.filters["pdf_text"] = pdf_text
    env.filters["factor_lines"] = _factor_lines
    env.filters["align"] = align
    env.filters["texname"] = tex_name
    return env


def render_tex(doc: Document, templates: Path | None = None, *, diagram_tikz: str = "",
               pictures: dict | None = None) -> str:
    """The notes as a standalone LaTeX document. `diagram_tikz` (a tikzpicture) draws the network in
    section 1; `pictures` holds TeX for the other pictures, under the keys of `doc.pictures.refs`."""
    template = tex_environment(templates).get_template(TEMPLATE)
    text = template.render(doc=doc, diagram_tikz=diagram_tikz, pictures=pictures or {})
    return re.sub(r"\n{3,}", "\n\n", text).lstrip()  # %# comment lines leave empty lines behind


# -- PDF ----------------------------------------------------------------------------------------------
def _commands(name: str) -> list[list[str]]:
    """latexmk when it is there (it reruns as often as references need), else pdflatex twice."""
    pdflatex = shutil.which("pdflatex")
    if not pdflatex:
        raise DeriveError(f"making a PDF needs pdflatex, which is not installed; install the Debian packages {PACKAGES}"
                          " (or write the notes as .tex and compile them yourself)")
    flags = ["-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error"]
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
    proc = subprocess.Popen(cmd, cwd=cwd, env=_sandbox_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        output = proc.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
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
    where = re.search(r"^l\.(\d+) ?(.*)$", log[match.end():], re.M)
    return f"{text} (line {where.group(1)} of the .tex, at `{where.group(2).strip()}`)" if where else text


def compile_pdf(tex: str, timeout: float = TIMEOUT) -> bytes:
    """Compile a standalone LaTeX document in a temporary directory and return the PDF."""
    commands = _commands("notes.tex")
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix="derive-tex-") as tmp:
        work = Path(tmp)
        (work / "notes.tex").write_text(tex, encoding="utf-8")
        for cmd in commands:
            try:
                code, output = _run(cmd, tmp, max(deadline - time.monotonic(), 1))
            except subprocess.TimeoutExpired:
                raise DeriveError(f"LaTeX did not finish within {timeout:g} s, so no PDF was made; "
                                  "compile the .tex yourself to see where it stops") from None
            if code != 0:
                break
        pdf = work / "notes.pdf"
        if code == 0 and pdf.exists():
            return pdf.read_bytes()
        log = work / "notes.log"
        detail = first_error(log.read_text(encoding="utf-8", errors="replace") if log.exists() else "")
        raise DeriveError("LaTeX could not compile the notes: "
                          + (detail or output.strip()[-400:] or f"{cmd[0]} exited with code {code}"))
