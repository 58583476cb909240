"""Rendering: one Jinja2 environment per output format, built on demand, templates only read steps."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2

from derive import defaults, json_text
from derive.escape import md_escape
from derive.latex import tex_name
from derive.steps.document import Factor
from derive.steps.notes import Document
from derive.templating import environment, render_template

FORMATS = defaults.NOTES_FORMATS


def _factor_line(f: Factor) -> str:
    parts = [f"{f.symbol} &= {f.formula}"]
    if f.substituted and f.substituted != f.formula:
        parts.append(f.substituted)
    return " = ".join(parts) + f" {f.eq}"


def _tex_inline(text: str) -> str:
    return f"${text}$"


def _join_and(items) -> str:
    """a, b and c"""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


_NEGATIVE = re.compile(r"^-(?=\.?[0-9])")


def _num(text) -> str:
    """A number in running text or a table, with a real minus sign (U+2212), as in the maths."""
    return _NEGATIVE.sub("\u2212", str(text))


def _align(line: str) -> str:
    return line.replace(" = ", " &= ", 1)


MARKDOWN_FILTERS: dict[str, Callable[..., Any]] = {
    "md": md_escape,
    "tex": _tex_inline,
    "factor_line": _factor_line,
    "align": _align,
    "join_and": _join_and,
    "num": _num,
    "texname": tex_name,
}


def markdown_environment(extra: Path | None = None, **filters) -> jinja2.Environment:
    """Jinja2 for Markdown (and YAML) templates; a folder `extra` overrides built-in templates."""
    return environment("md", extra, {**MARKDOWN_FILTERS, **filters})


def draw_pictures(doc: Document, folder: str, plot_weight: str | None = None):
    """Draw the pictures the notes show (network, each derived parameter's paths, the descent curve
    of `plot_weight`, the depth plots) as files under `folder`; the Markdown links them from then on."""
    from derive import progress
    from derive.pictures.drawing import draw

    if doc.values is None:
        raise ValueError("the document holds no forward values to draw")
    progress.stage("pictures")
    doc.pictures = draw(doc.values, folder, doc.backward, plot_weight, doc.facts["point_index"])
    return doc.pictures


def markdown(doc: Document, templates: Path | None = None) -> str:
    """The notes' one source of words: their Markdown, from notes.md.j2."""
    text = render_template(markdown_environment(templates), "notes.md.j2", doc=doc)
    return re.sub(r"\n{3,}", "\n\n", text)


def render(
    doc: Document, fmt: str, templates: Path | None = None, base_dir: Path | None = None, *, interactive: bool = False
) -> str | bytes:
    """The document in `fmt`: text (md, json, html, tex, slides-tex) or bytes (pdf, slides); `base_dir` is
    where HTML finds images; `interactive`: the HTML page a student steps through."""
    if fmt == "json":
        return to_json(doc)
    if fmt in ("slides", "slides-tex"):
        from derive.render.slides import compile_slides, render_slides

        deck = render_slides(doc, templates)
        return deck if fmt == "slides-tex" else compile_slides(deck)
    if fmt == "html" and interactive:
        from derive.render.interactive import render_interactive

        return render_interactive(doc, markdown(doc, templates), templates)
    if fmt == "html":
        from derive.render.html import render_html

        files = doc.pictures.files if doc.pictures else None  # embedded from memory
        return render_html(markdown(doc, templates), doc.title, templates, base_dir, files)
    if fmt in ("tex", "pdf"):
        from derive.render.tex import compile_pdf, picture_tex, render_tex

        tex = render_tex(markdown(doc, templates), doc.title, templates, picture_tex(doc.pictures))
        if fmt == "tex":
            return tex
        return compile_pdf(tex, files=doc.pictures.tex_files() if doc.pictures else None)
    return markdown(doc, templates)


def to_json(doc: Document) -> str:
    data = {
        "title": doc.title,
        "source": doc.source,
        "conventions": {
            "loss": doc.facts["loss"],
            "learning_rate": doc.facts["eta"],
            "carry": doc.facts["carry"],
            "data_point": doc.facts["point_index"],
        },
        **doc.numbers,
    }
    if doc.backward.check is not None:
        c = doc.backward.check
        data["check"] = {
            "done": c.done,
            "agreed": c.agreed,
            "digits": c.digits,
            "reason": c.reason,
            "method": c.method or None,
            "sympy_skipped": c.skipped or None,
        }
    if not doc.backward.available:
        data["gradients_unavailable"] = doc.backward.reason
    return json_text.dumps(data)
