"""Rendering: one Jinja2 environment per output format, built on demand, templates only read steps."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Callable

import jinja2

from .latex import tex_name
from .steps import Document

FORMATS = ("md", "json", "html", "tex", "pdf")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|$~-])")


def template_dir() -> Path:
    """templates/ inside the installed package, or at the top of a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "notes.md.j2").exists():
            return candidate
    raise FileNotFoundError("derive's templates are missing; reinstall with `pip install .`")


def md_escape(text: str) -> str:
    """User text shown as itself in Markdown: every markup character escaped."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def _factor_line(f: dict) -> str:
    parts = [f"{f['symbol']} &= {f['formula']}"]
    if f["substituted"] and f["substituted"] != f["formula"]:
        parts.append(f["substituted"])
    return " = ".join(parts) + f" {f['eq']}"


def markdown_environment(extra: Path | None = None, **filters) -> jinja2.Environment:
    """Jinja2 for Markdown (and YAML) templates; a folder `extra` overrides built-in templates."""
    return shared_or_private(_new_markdown_environment, extra, filters)


def shared_or_private(build: Callable[[Path | None], jinja2.Environment], extra: Path | None,
                      filters: dict) -> jinja2.Environment:
    """The built-in environment of a kind is built once and shared, so each template compiles once
    per process. With a folder `extra` (whose files may come and go while a notebook runs) or extra
    `filters`, a private one is built each time: a shared one is never changed, an override always seen."""
    if extra is None and not filters:
        return _builtin(build)
    env = build(extra)
    env.filters.update(filters)
    return env


@lru_cache(maxsize=None)
def _builtin(build: Callable[[Path | None], jinja2.Environment]) -> jinja2.Environment:
    return build(None)


def _new_markdown_environment(extra: Path | None) -> jinja2.Environment:
    loaders = [jinja2.FileSystemLoader(str(extra))] if extra else []
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders + [jinja2.FileSystemLoader(str(template_dir()))]),
        undefined=jinja2.StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)
    env.filters["md"] = md_escape
    env.filters["tex"] = lambda s: f"${s}$"
    env.filters["factor_line"] = _factor_line
    env.filters["align"] = lambda line: line.replace(" = ", " &= ", 1)
    env.filters["texname"] = tex_name
    return env


def render(doc: Document, fmt: str, templates: Path | None = None, base_dir: Path | None = None) -> str:
    """The document in `fmt`: text (md, json, html, tex) or bytes (pdf); `base_dir` is where HTML finds images."""
    if fmt == "json":
        return to_json(doc)
    if fmt == "html":
        from .render_html import render_html

        return render_html(render(doc, "md", templates), doc.title, templates, base_dir)
    if fmt in ("tex", "pdf"):
        from .render_tex import compile_pdf, render_tex

        tikz = doc.pictures.tikz if doc.pictures else {}
        tex = render_tex(doc, templates, diagram_tikz=tikz.get("network", ""),
                         pictures={k: v for k, v in tikz.items() if k != "network"})
        return compile_pdf(tex) if fmt == "pdf" else tex
    text = markdown_environment(templates).get_template("notes.md.j2").render(doc=doc)
    return re.sub(r"\n{3,}", "\n\n", text)


def to_json(doc: Document) -> str:
    data = {"title": doc.title, "source": doc.source, "conventions": {
        "loss": doc.facts["loss"], "learning_rate": doc.facts["eta"], "carry": doc.facts["carry"],
        "data_point": doc.facts["point_index"]}, **doc.numbers}
    if doc.backward.get("check") is not None:
        c = doc.backward["check"]
        data["check"] = {"done": c.done, "agreed": c.agreed, "digits": c.digits, "reason": c.reason}
    if not doc.backward["available"]:
        data["gradients_unavailable"] = doc.backward["reason"]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
