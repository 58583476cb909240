"""The Markdown notes as one self-contained HTML page: MathML maths, inline CSS, no script, no network.

The maths is taken out of the Markdown before Python-Markdown parses it (which would read `_…_` as
emphasis and eat backslashes), converted to MathML, and kept in Python-Markdown's own stash of raw
HTML, which puts it back after conversion (and lets `toc` make heading ids from its text). Raw
HTML in the Markdown is not passed through: it comes out as text.
"""
from __future__ import annotations

import base64
import html
import re
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import unquote

import jinja2
import markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

from derive.render.mathml import to_mathml
from derive.templating import environment

PAGE_TEMPLATE = "html/page.html.j2"
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"\s*(?:[-*+]|\d+[.)])\s")
_BACKTICKS = re.compile(r"`+")
_IMG = re.compile(r"<img\b[^>]*>")
_ATTR = r'\s{}="([^"]*)"'
_MIME = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
         ".gif": "image/gif", ".webp": "image/webp"}


def render_html(markdown_text: str, title: str, templates: Path | None = None,
                base_dir: Path | None = None) -> str:
    """One HTML page for the Markdown notes. `title` is plain text (escaped here); `templates` is a
    folder whose html/page.html.j2 replaces the built-in page; images the Markdown references are
    read relative to `base_dir` and embedded as data: URIs (none is read without it)."""
    return render_html_report(markdown_text, title, templates, base_dir)[0]


def render_html_report(markdown_text: str, title: str, templates: Path | None = None,
                       base_dir: Path | None = None) -> tuple[str, list[str]]:
    """(page, formulas that could not be converted and are shown as TeX source instead)."""
    failures: list[str] = []
    md = markdown.Markdown(extensions=["tables", "toc", "fenced_code", _Maths(failures)],
                           output_format="html")
    body = _inline_images(md.convert(markdown_text), base_dir)
    page = _environment(templates).get_template(PAGE_TEMPLATE).render(title=title, body=body)
    return page, failures


def _environment(extra: Path | None) -> jinja2.Environment:
    return environment("html", extra)


# ---- maths --------------------------------------------------------------------------------------

def formula_html(tex: str, display: bool, failures: list[str], alone: bool = True) -> str:
    """MathML for one formula; its TeX source in <code class="tex"> (and counted) if that fails.
    Display maths is a <div> when it is a paragraph of its own, else a <span> set as a block."""
    mathml = to_mathml(tex, display)
    if mathml is None:
        failures.append(tex)
        delimiter = "$$" if display else "$"
        mathml = f'<code class="tex">{html.escape(delimiter + tex + delimiter)}</code>'
    if not display:
        return mathml
    tag = "div" if alone else "span"
    return f'<{tag} class="math-display">{mathml}</{tag}>'


def protect_maths(text: str, store: Callable[[str, bool, bool], str]) -> str:
    """`text` with each `$$…$$` and `$…$` outside code replaced by `store(tex, display, alone)`,
    `alone` telling whether a display formula makes up its paragraph by itself."""
    out, prose = [], []
    for chunk, is_code in _blocks(text):
        if is_code:
            out.append(_protect_inline("".join(prose), store))
            out.append(chunk)
            prose = []
        else:
            prose.append(chunk)
    out.append(_protect_inline("".join(prose), store))
    return "".join(out)


def _blocks(text: str) -> Iterator[tuple[str, bool]]:
    """Each line with whether it belongs to a fenced or an indented code block."""
    fence, indented, prev_blank, in_list = None, False, True, False
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if fence:
            if stripped.startswith(fence) and stripped == stripped[0] * len(stripped):
                fence = None
            yield line, True
            continue
        if m := _FENCE.match(line):
            fence = m.group(1)
            yield line, True
            continue
        code_line = line.startswith(("    ", "\t"))
        indented = (indented and (code_line or not stripped)) or (
            prev_blank and not in_list and code_line and bool(stripped))
        if not indented and stripped:
            in_list = bool(_LIST_ITEM.match(line)) or (in_list and line[:1] in " \t")
        prev_blank = not stripped
        yield line, indented


def _protect_inline(s: str, store: Callable[[str, bool, bool], str]) -> str:
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\":  # an escaped character (`\$` included) is never a delimiter
            out.append(s[i:i + 2])
            i += 2
        elif c == "`":
            end = _code_span_end(s, i)
            out.append(s[i:end])
            i = end
        elif c == "$" and (found := _formula_at(s, i)):
            tex, display, end = found
            out.append(store(tex, display, display and _alone(s, i, end)))
            i = end
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _alone(s: str, start: int, end: int) -> bool:
    """Whether s[start:end] is all there is between the blank lines around it."""
    after = s.find("\n\n", end)
    return not s[s.rfind("\n\n", 0, start) + 1:start].strip() and not s[end:None if after < 0 else after].strip()


def _code_span_end(s: str, i: int) -> int:
    """Where the code span opened at s[i] ends (just past a lone backtick run if it is not closed)."""
    run = _BACKTICKS.match(s, i).group()
    limit = s.find("\n\n", i)
    closing = re.compile(rf"(?<!`){run}(?!`)").search(s, i + len(run), len(s) if limit < 0 else limit)
    return closing.end() if closing else i + len(run)


def _formula_at(s: str, i: int) -> tuple[str, bool, int] | None:
    """(tex, display, end) of a formula opening at s[i], or None if the `$` opens none."""
    display = s.startswith("$$", i)
    start = i + (2 if display else 1)
    k = start
    while k < len(s):
        if s[k] == "\\":
            k += 2
        elif s.startswith("$$" if display else "$", k):
            tex = s[start:k]
            if not tex.strip() or (not display and (tex[0].isspace() or tex[-1].isspace())):
                return None
            return tex.strip(), display, k + (2 if display else 1)
        elif not display and s.startswith("\n\n", k):
            return None
        else:
            k += 1
    return None


class _MathsPreprocessor(Preprocessor):
    def __init__(self, md: markdown.Markdown, failures: list[str]):
        super().__init__(md)
        self.failures = failures

    def run(self, lines: list[str]) -> list[str]:
        def store(tex: str, display: bool, alone: bool) -> str:
            return self.md.htmlStash.store(formula_html(tex, display, self.failures, alone))
        return protect_maths("\n".join(lines), store).split("\n")


class _Maths(Extension):
    """Maths protected and converted; raw HTML shown as text; every escape md_escape writes honoured."""

    def __init__(self, failures: list[str]):
        super().__init__()
        self.failures = failures

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # After normalize_whitespace (30), which strips the stash's placeholder characters.
        md.preprocessors.register(_MathsPreprocessor(md, self.failures), "derive_maths", 25)
        md.preprocessors.deregister("html_block")
        for name in ("html", "autolink", "automail"):
            md.inlinePatterns.deregister(name)
        md.ESCAPED_CHARS.extend(c for c in "<$~|" if c not in md.ESCAPED_CHARS)
        if "math" in md.block_level_elements:  # a paragraph holding only inline maths keeps its <p>
            md.block_level_elements.remove("math")


# ---- images -------------------------------------------------------------------------------------

def _inline_images(body: str, base_dir: Path | None) -> str:
    """Every <img> gets a data: URI read from `base_dir`, or becomes its alt text if it cannot."""
    def one(m: re.Match) -> str:
        tag = m.group(0)
        src = re.search(_ATTR.format("src"), tag)
        data = _data_uri(html.unescape(src.group(1)) if src else "", base_dir)
        if data is None:
            alt = re.search(_ATTR.format("alt"), tag)
            return f'<span class="missing-image">[image: {alt.group(1) if alt else ""}]</span>'
        return tag[:src.start()] + f' src="{data}"' + tag[src.end():]
    return _IMG.sub(one, body)


def _data_uri(src: str, base_dir: Path | None) -> str | None:
    if base_dir is None or not src or re.match(r"[A-Za-z][A-Za-z0-9+.-]*:|[/\\]", src):
        return None  # no folder given, or a URL, an absolute or a protocol-relative path
    root = Path(base_dir).resolve()
    path = (root / unquote(src.split("#")[0].split("?")[0])).resolve()
    mime = _MIME.get(path.suffix.lower())
    if mime is None or not path.is_relative_to(root) or not path.is_file():
        return None
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"
