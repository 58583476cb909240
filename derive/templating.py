"""The one Jinja2 environment factory: every template of every format is loaded here, sandboxed.

A `--templates` folder may come from anyone, so every environment is an
`ImmutableSandboxedEnvironment` (no attribute starting with `_`, no mutating a list or dict, no
calling what is not safe) with `StrictUndefined`. The kinds differ only in their markup:

- `md` and `text`: Jinja2's own delimiters, nothing escaped;
- `html` and `svg`: the same delimiters, values HTML-escaped;
- `tex`: `\\BLOCK{…}`, `\\VAR{…}`, `\\#{…}`, `%%` line statements and `%#` line comments, so the
  delimiters never fight TeX's braces.

The built-in environment of a kind (with a given set of filters) is built once and shared, so each
template compiles once per process; a folder `extra` gets a fresh one every time, so an override
that appears while a notebook runs is seen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

KINDS = ("md", "text", "html", "svg", "tex")
_TEX_SYNTAX = {
    "block_start_string": r"\BLOCK{",
    "block_end_string": "}",
    "variable_start_string": r"\VAR{",
    "variable_end_string": "}",
    "comment_start_string": r"\#{",
    "comment_end_string": "}",
    "line_statement_prefix": "%%",
    "line_comment_prefix": "%#",
}


def template_dir() -> Path:
    """templates/ inside the installed package, or at the top of a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "notes.md.j2").exists():
            return candidate
    raise FileNotFoundError("derive's templates are missing; reinstall with `pip install .`")


def environment(
    kind: str = "md", extra: Path | str | None = None, filters: Mapping[str, Callable[..., Any]] | None = None
) -> jinja2.Environment:
    """The sandboxed environment for templates of `kind`, with `filters` added; a folder `extra`
    overrides built-in templates of the same relative name."""
    if kind not in KINDS:
        raise ValueError(f"unknown template kind {kind!r}")
    items = tuple(sorted((filters or {}).items()))
    if extra is None:
        return _shared(kind, items)
    return _build(kind, Path(extra), items)


@lru_cache(maxsize=32)
def _shared(kind: str, filters: tuple) -> jinja2.Environment:
    return _build(kind, None, filters)


def _build(kind: str, extra: Path | None, filters: tuple) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(str(extra))] if extra else []
    loaders.append(jinja2.FileSystemLoader(str(template_dir())))
    env = ImmutableSandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=kind in ("html", "svg"),
        trim_blocks=kind != "html",
        lstrip_blocks=kind != "html",
        keep_trailing_newline=True,
        **(_TEX_SYNTAX if kind == "tex" else {}),
    )
    env.filters.update(dict(filters))
    return env
