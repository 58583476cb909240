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
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote

import jinja2
import markdown

from derive.render.mathml import to_mathml
from derive.render.maths import MathsExtension
from derive.templating import environment, render_template

PAGE_TEMPLATE = "html/page.html.j2"
_IMG = re.compile(r"<img\b[^>]*>")
_ATTR = r'\s{}="([^"]*)"'
_MIME = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}


def render_html(
    markdown_text: str,
    title: str,
    templates: Path | None = None,
    base_dir: Path | None = None,
    files: Mapping[str, str | bytes] | None = None,
    *,
    fragment: bool = False,
) -> str:
    """One HTML page for the Markdown notes. `title` is plain text (escaped here); `templates` is a
    folder whose html/page.html.j2 replaces the built-in page; images the Markdown references are
    embedded as data: URIs, taken from `files` (path as linked: content) or read relative to
    `base_dir` (none is read without one of them). `fragment`: a <div class="derive-notes"> to
    place inside another page (a notebook's output) instead, its styles scoped to that class."""
    return render_html_report(markdown_text, title, templates, base_dir, files, fragment=fragment)[0]


def render_html_report(
    markdown_text: str,
    title: str,
    templates: Path | None = None,
    base_dir: Path | None = None,
    files: Mapping[str, str | bytes] | None = None,
    *,
    fragment: bool = False,
) -> tuple[str, list[str]]:
    """(page, formulas that could not be converted and are shown as TeX source instead)."""
    failures: list[str] = []
    md = markdown.Markdown(extensions=["tables", "toc", "fenced_code", HtmlMaths(failures)], output_format="html")
    body = inline_images(md.convert(markdown_text), base_dir, files or {})
    extra = {"fragment": True} if fragment else {}  # a page template of the user's need not know it
    page = render_template(_environment(templates), PAGE_TEMPLATE, title=title, body=body, **extra)
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


class HtmlMaths(MathsExtension):
    """Maths converted to MathML and kept in Python-Markdown's stash of raw HTML, which puts it back
    after conversion (and lets `toc` make heading ids from its text)."""

    def __init__(self, failures: list[str]):
        super().__init__(self.store)
        self.failures = failures
        self.md: markdown.Markdown | None = None

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        self.md = md
        super().extendMarkdown(md)
        if "math" in md.block_level_elements:  # a paragraph holding only inline maths keeps its <p>
            md.block_level_elements.remove("math")

    def store(self, tex: str, display: bool, alone: bool) -> str:
        assert self.md is not None
        return self.md.htmlStash.store(self.markup(tex, display, alone))

    def markup(self, tex: str, display: bool, alone: bool) -> str:
        """What stands in the formula's place (derive.render.interactive sets display maths as rows)."""
        return formula_html(tex, display, self.failures, alone)


# ---- images -------------------------------------------------------------------------------------


def inline_images(body: str, base_dir: Path | None, files: Mapping[str, str | bytes]) -> str:
    """Every <img> gets a data: URI from `files` or read from `base_dir`, or becomes its alt text."""

    def one(m: re.Match) -> str:
        tag = m.group(0)
        src = re.search(_ATTR.format("src"), tag)
        link = html.unescape(src.group(1)) if src else ""
        data = given_image(unquote(link), files) or _data_uri(link, base_dir)
        if data is None:
            alt = re.search(_ATTR.format("alt"), tag)
            return f'<span class="missing-image">[image: {alt.group(1) if alt else ""}]</span>'
        assert src is not None  # a data URI was made from it
        return tag[: src.start()] + f' src="{data}"' + tag[src.end() :]

    return _IMG.sub(one, body)


def given_image(src: str, files: Mapping[str, str | bytes]) -> str | None:
    """A picture the caller holds in memory, by the path the Markdown links."""
    content = files.get(src)
    mime = _MIME.get(Path(src).suffix.lower())
    if content is None or mime is None:
        return None
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"


def _data_uri(src: str, base_dir: Path | None) -> str | None:
    if base_dir is None or not src or re.match(r"[A-Za-z][A-Za-z0-9+.-]*:|[/\\]", src):
        return None  # no folder given, or a URL, an absolute or a protocol-relative path
    root = Path(base_dir).resolve()
    path = (root / unquote(src.split("#")[0].split("?")[0])).resolve()
    mime = _MIME.get(path.suffix.lower())
    if mime is None or not path.is_relative_to(root) or not path.is_file():
        return None
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"
