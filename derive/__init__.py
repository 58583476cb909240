"""derive: exact, step-by-step chain-rule derivations for small neural networks.

The one facade is `explain`: it reads a network, works through one data point and returns the notes
as text (Markdown or JSON), so tests and notebooks need not touch the disk.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from derive import defaults
from derive.errors import DeriveError, SpecError

if TYPE_CHECKING:  # the facade imports nothing heavy until explain() is called
    from derive.spec.model import Network
    from derive.steps.notes import Document

__all__ = ["DeriveError", "Notes", "SpecError", "builtin_example", "explain", "load_network"]
__version__ = defaults.VERSION


def builtin_example(name: str = "pass_fail") -> tuple[str, str]:
    """(text, display name) of an example shipped with the package."""
    here = Path(__file__).resolve().parent
    candidates = [here.parent / "examples" / f"{name}.yaml"]
    with contextlib.suppress(ModuleNotFoundError):  # a source checkout run without installing
        candidates.insert(0, Path(str(resources.files("derive.examples") / f"{name}.yaml")))
    for c in candidates:
        if c.exists():
            return c.read_text(encoding="utf-8"), f"examples/{name}.yaml"
    raise DeriveError(f"the built-in example {name} is missing; reinstall with `pip install .`")


def load_network(path: str | None = None, *, text: str | None = None, name: str | None = None):
    """The validated Network from a file, from text, or (neither given) the built-in seed example."""
    from derive.spec.loader import load
    from derive.spec.source import read_text

    if text is None:
        if path is None:
            text, name = builtin_example()
        else:
            text, name = read_text(path), name or path
    return load(text, name or "<text>")


@dataclass(frozen=True)
class Notes:
    """Rendered notes; displays itself in Jupyter."""

    text: str | bytes  # bytes for a PDF
    format: str
    network: Network
    document: Document

    def __str__(self) -> str:
        return self.text if isinstance(self.text, str) else f"<PDF notes, {len(self.text)} bytes>"

    def _repr_markdown_(self):
        """The Markdown notes with their pictures inlined as data: URIs (the notes are made in
        memory, so the folder their links name does not exist); a picture not at hand is left out."""
        if self.format != "md" or not isinstance(self.text, str):
            return None
        return _inline_markdown_images(self.text, self._pictures())

    def _repr_latex_(self):
        """The forward pass, loss and gradients as one aligned block, for Jupyter's maths display."""
        from dataclasses import replace
        from types import SimpleNamespace

        from derive.render.notes import markdown_environment

        doc = self.document
        if not doc.forward:
            return None
        # "≈ 0.51129 → 0.51129" says nothing: the arrow stays only where the carried value reads differently
        forward = [
            replace(s, carried=None) if s.carried and s.O_line.endswith(" " + s.carried.value) else s
            for s in doc.forward
        ]
        view = SimpleNamespace(forward=forward, loss=doc.loss, backward=doc.backward)
        return markdown_environment().get_template("summary.tex.j2").render(doc=view)

    def _repr_html_(self):
        """The notes as an HTML fragment for a notebook's output: maths as MathML, styles scoped to
        its <div class="derive-notes">, pictures inlined as data: URIs."""
        from derive.render.html import render_html

        if self.format not in ("md", "html"):
            return None
        from derive.render.notes import markdown

        text = self.text if self.format == "md" and isinstance(self.text, str) else markdown(self.document)
        return render_html(text, self.document.title, files=self._pictures(), fragment=True)

    def _pictures(self) -> dict[str, str | bytes]:
        pictures = getattr(self.document, "pictures", None)
        return dict(pictures.files) if pictures else {}


_MD_IMAGE = re.compile(r"!\[([^\]\n]*)\]\(([^)\s]+)\)")


def _inline_markdown_images(text: str, files: dict[str, str | bytes]) -> str:
    """Every Markdown image `![alt](path)` with its picture in `files` as a data: URI; the rest removed."""

    from derive.render.html import given_image

    def one(m: re.Match) -> str:
        data = given_image(unquote(m.group(2)), files)
        return f"![{m.group(1)}]({data})" if data else ""

    return _MD_IMAGE.sub(one, text)


def explain(
    path: str | None = None,
    *,
    text: str | None = None,
    name: str | None = None,
    fmt: str = defaults.NOTES_FORMAT,
    point: int = defaults.POINT,
    max_paths: int = defaults.MAX_PATHS,
    verify: bool = True,
    verify_budget: float = defaults.VERIFY_BUDGET,
    templates: str | None = None,
    derive_in_full: list[str] | None = None,
    max_derivations: int = defaults.MAX_DERIVATIONS,
    max_expression: int = defaults.MAX_EXPRESSION,
    pictures: bool = False,
    plot_weight: str | None = None,
    interactive: bool = False,
) -> Notes:
    """Notes for data point `point` (1-based) of a network file, network text, or the built-in example;
    `name` is how the source is called in the notes and in messages; `derive_in_full` names the
    parameters whose derivation is written out (default: all of a small network, a few of a big one);
    `pictures` adds diagrams (and plots) as files under `<name>_files/` (in HTML, inlined);
    `plot_weight` adds the gradient-descent curve of that parameter; `verify` checks the gradients
    independently, by SymPy for at most `verify_budget` seconds, else by central differences;
    `interactive` (HTML only) makes the page a student steps through, the network beside the notes."""
    from derive.output import safe_stem
    from derive.steps.notes import Options, build

    if fmt not in defaults.NOTES_FORMATS:
        raise DeriveError(f"unknown format `{fmt}`; choose one of: {', '.join(defaults.NOTES_FORMATS)}")
    net = load_network(path, text=text, name=name)
    if not 1 <= point <= len(net.data):
        raise DeriveError(f"there is no data point {point}: {net.source} has {len(net.data)}")
    if min(max_paths, max_derivations, max_expression) < 0:
        raise DeriveError("--max-paths, --max-derivations and --max-expression must be 0 or more")
    if interactive and fmt != "html":
        raise DeriveError(f"--interactive is a kind of HTML page: use it with --format html, not {fmt}")
    if not verify_budget >= 0:  # also refuses NaN
        raise DeriveError(f"--verify-budget must be 0 or more seconds, not {verify_budget}")
    unknown = [p for p in (derive_in_full or []) + ([plot_weight] if plot_weight else []) if p not in net.parameters]
    if unknown:
        raise DeriveError(
            f"{', '.join(unknown)} {'is not a parameter' if len(unknown) == 1 else 'are not parameters'} "
            f"of {net.source} (parameters: {', '.join(list(net.parameters)[:20])})"
        )
    doc = build(
        net,
        Options(
            point=point - 1,
            max_paths=max_paths,
            verify=verify,
            verify_budget=verify_budget,
            detail=fmt != "json",
            explain=derive_in_full,
            max_derivations=max_derivations,
            max_expression=max_expression,
        ),
    )
    if fmt in ("slides", "slides-tex"):
        plot_weight = None  # the slides show the diagrams only (a plot's small print does not carry in a hall)
    elif pictures and plot_weight is None:
        plot_weight = net.plot_weight  # the file's own `render: {plot_weight: …}`
    if (pictures or plot_weight) and fmt != "json":
        from derive.render.notes import draw_pictures

        draw_pictures(doc, f"{safe_stem(net.source)}_files", plot_weight)
    return Notes(_render(doc, fmt, templates, interactive), fmt, net, doc)


def _render(doc, fmt: str, templates: str | None, interactive: bool = False) -> str | bytes:
    """The text of the notes (bytes for a PDF); HTML embeds the pictures from memory."""
    from derive.render.notes import render

    return render(doc, fmt, Path(templates) if templates else None, interactive=interactive)
