"""Training notes in every format from one source of words, templates/train/<kind>.md.j2: Markdown as
written, HTML and LaTeX (then PDF) from it by their writers, JSON from the numbers."""

from __future__ import annotations

import re
import shlex
from functools import partial
from pathlib import Path

from derive import defaults, json_text
from derive.escape import md_code
from derive.pictures import train_plots as train_figures
from derive.pictures.drawing import Pictures
from derive.pictures.train_tikz import tikz
from derive.render.html import render_html
from derive.render.notes import markdown_environment
from derive.render.tex import compile_pdf, picture_tex, render_tex
from derive.steps.training import TrainDoc
from derive.templating import render_template

FORMATS = defaults.TRAINING_FORMATS


def draw(folder: str, charts: dict[str, dict | None]) -> Pictures:
    """Each chart as an SVG file under `folder` (for Markdown and HTML) and as TikZ (for LaTeX)."""
    pics = Pictures(folder)
    for key, chart in charts.items():
        if chart is None:
            continue
        pics.add(key, f"{key}.svg", train_figures.svg(chart)["svg"])
        pics.tikz_drawers[key, None] = partial(tikz, chart)
    return pics


def markdown(doc: TrainDoc, templates: Path | None = None) -> str:
    """The document's one source of words: its Markdown, from train/<kind>.md.j2."""
    env = markdown_environment(templates, code=md_code, shell=shlex.quote)
    text = render_template(env, f"train/{doc.kind}.md.j2", doc=doc)
    return re.sub(r"\n{3,}", "\n\n", text)


def render(doc: TrainDoc, fmt: str, templates: Path | None = None) -> str | bytes:
    if fmt == "json":
        return json_text.dumps(doc.numbers)
    if fmt == "md":
        return markdown(doc, templates)
    if fmt == "html":
        return _html(doc, templates)
    if fmt in ("tex", "pdf"):
        tex = render_tex(markdown(doc, templates), doc.title, templates, picture_tex(doc.pictures))
        return compile_pdf(tex, files=doc.pictures.tex_files() if doc.pictures else None) if fmt == "pdf" else tex
    raise ValueError(fmt)


def _html(doc: TrainDoc, templates: Path | None) -> str:
    """HTML embeds the pictures, from memory."""
    return render_html(
        markdown(doc, templates), doc.title, templates, files=doc.pictures.files if doc.pictures else None
    )
