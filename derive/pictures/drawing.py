"""The pictures a set of notes refers to: the network, each parameter's paths, the descent curve and,
for deep networks, the activations and the gradient per layer. Files are named under one folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING

from derive.calculus.graph import Forward
from derive.pictures import diagram
from derive.pictures.layout import PathSet, paths_to

if TYPE_CHECKING:
    from derive.steps.document import BackwardSection


class Files(MutableMapping):
    """Path -> content, where a content may wait to be made until it is first read (a plot's PDF twin
    is drawn only when LaTeX, or a caller writing every file, asks for it)."""

    def __init__(self) -> None:
        self._made: dict[str, str | bytes] = {}
        self._later: dict[str, Callable[[], str | bytes]] = {}

    def later(self, path: str, make: Callable[[], str | bytes]) -> None:
        self._made.pop(path, None)
        self._later[path] = make

    def __getitem__(self, path: str) -> str | bytes:
        if path in self._later:
            self._made[path] = self._later.pop(path)()
        return self._made[path]

    def __setitem__(self, path: str, content: str | bytes) -> None:
        self._later.pop(path, None)
        self._made[path] = content

    def __delitem__(self, path: str) -> None:
        if self._later.pop(path, None) is None:
            del self._made[path]

    def __iter__(self) -> Iterator[str]:
        return iter([*self._made, *self._later])

    def __len__(self) -> int:
        return len(self._made) + len(self._later)


@dataclass
class Pictures:
    """`refs` are the paths the notes link to; `files` maps each path to its content; `tikz` holds the
    diagrams again as tikzpictures, for LaTeX, drawn only when LaTeX asks (`tikz_drawers`); a plot
    has a PDF twin for LaTeX instead: `graphics` maps the linked path to the PDF's path in `files`."""

    folder: str
    refs: dict = field(default_factory=dict)
    files: Files = field(default_factory=Files)
    tikz_drawers: dict[tuple[str, str | None], Callable[[], str]] = field(default_factory=dict)  # (key, param)
    graphics: dict[str, str] = field(default_factory=dict)
    # parameter -> (k, focus) -> the TikZ of its path k alone lit (derive.pictures.diagram.one_path),
    # in the slides' drawing, drawn only when asked (the slides ask; the notes do not)
    route_drawers: dict[str, Callable[[int, Sequence[str]], str | None]] = field(default_factory=dict)
    # the diagrams again as the slides draw them (diagram.scene(…, slide=True)), keyed as `tikz_drawers`
    slide_drawers: dict[tuple[str, str | None], Callable[[], str]] = field(default_factory=dict)

    def add(self, key: str, name: str, content: str | bytes, param: str | None = None) -> None:
        path = f"{self.folder}/{name}"
        self.files[path] = content
        if param is None:
            self.refs[key] = path
        else:
            self.refs.setdefault(key, {})[param] = path

    def add_plot(self, key: str, name: str, plot: Mapping) -> None:
        """A matplotlib figure (derive.pictures.figures): SVG for Markdown and HTML, PDF for LaTeX."""
        self.refs[key] = svg = f"{self.folder}/{name}.svg"
        self.files.later(svg, lambda: plot["svg"])  # each drawn only when read: HTML reads the SVG,
        self.graphics[svg] = pdf = f"{self.folder}/{name}.pdf"
        self.files.later(pdf, lambda: plot["pdf"])  # drawn when LaTeX (or a writer of every file) reads it

    def tex_files(self) -> dict[str, bytes]:
        """The files a LaTeX document of these pictures includes (the plots' PDFs), by path."""
        return {pdf: self.files[pdf] for pdf in self.graphics.values()}  # type: ignore[misc]

    def route_tikz(self, param: str, k: int, focus: Sequence[str] = ()) -> str | None:
        """The tikzpicture of `param`'s path `k` (0-based, the notes' order) alone lit, with `focus`
        marking each factor's edge on its overlay steps (see `one_path`); None when the parameter has
        no picture of its own or its paths are not drawn one by one."""
        draw_route = self.route_drawers.get(param)
        return draw_route(k, focus) if draw_route is not None else None

    @cached_property
    def tikz(self) -> dict:
        """Key (as in `refs`) to tikzpicture; "paths" maps each parameter to its own."""
        return _drawn(self.tikz_drawers)

    @cached_property
    def slide_tikz(self) -> dict:
        """The same keys as `tikz`, to the slides' drawing of each diagram: larger text against the same
        gaps, fitted to a 16:9 frame (derive.pictures.diagram.scene with slide=True)."""
        return _drawn(self.slide_drawers)


def _drawn(drawers: Mapping[tuple[str, str | None], Callable[[], str]]) -> dict:
    out: dict = {}
    for (key, param), draw_tikz in drawers.items():
        if param is None:
            out[key] = draw_tikz()
        else:
            out.setdefault(key, {})[param] = draw_tikz()
    return out


def draw(fwd: Forward, folder: str, backward: BackwardSection, plot_weight: str | None, point: int) -> Pictures:
    """Every picture for the notes of one data point (`point` is 1-based)."""
    net = fwd.net
    pics = Pictures(folder)
    whole = diagram.scene(net, fwd)  # laid out once, drawn as SVG and as TikZ
    pics.add("network", "network.svg", diagram.svg_of(whole))
    pics.tikz_drawers["network", None] = partial(diagram.tikz_of, whole)
    pics.slide_drawers["network", None] = partial(_slide_tikz, net, fwd, None)
    if not backward.available:
        return pics
    for p in backward.derived:  # a brief derivation ("found just as w9 was") has no picture of its own
        if p.paths is not None and not p.like:
            lit = diagram.scene(net, fwd, highlight=p.name)
            pics.add("paths", f"paths_{p.name}.svg", diagram.svg_of(lit), p.name)
            pics.tikz_drawers["paths", p.name] = partial(diagram.tikz_of, lit)
            slide = cache(partial(diagram.scene, net, fwd, p.name, True, True))  # laid out once, when asked
            pics.slide_drawers["paths", p.name] = partial(_slide_tikz, net, fwd, p.name, slide)
            pics.route_drawers[p.name] = partial(_route_tikz, slide, paths_to(net, p.name))
    if plot_weight or backward.depth:
        from derive.pictures import figures  # matplotlib: imported only for the plots that need it
    if plot_weight:
        pics.add_plot("descent", f"descent_{plot_weight}", figures.descent_curve(net, point, plot_weight))
        pics.refs["descent_param"] = plot_weight
    if backward.depth:
        pics.add_plot("activations", "activations", shipped_activations())
        pics.add_plot("layers", "layer_gradients", figures.layer_gradients(net, point))
    return pics


def _slide_tikz(net, fwd: Forward, param: str | None, lit: Callable[[], dict] | None = None) -> str:
    """The slides' drawing of the network (param None) or of one parameter's paths, as TikZ."""
    return diagram.tikz_of(lit() if lit is not None else diagram.scene(net, fwd, param, slide=True))


def _route_tikz(slide: Callable[[], dict], paths: PathSet, k: int, focus: Sequence[str]) -> str | None:
    """Path k of the slides' picture of the parameter (`slide()`) alone lit, as TikZ, its factors' edges
    marked on their `focus` steps (left unmarked if the notes' factors do not match its edges one for
    one); None when the paths are not drawn one by one (more than PATH_LIMIT, or a network drawn as a
    summary of its layers)."""
    lit = slide()
    if lit.get("big") or k >= len(paths.routes):
        return None
    if len(focus) != len(diagram.route_factors(paths, k)):  # not one factor per edge: no bands
        focus = ()
    return diagram.tikz_of(diagram.one_path(lit, paths, k, focus, legend=False))  # the frame's title names it


SHIPPED = Path(__file__).parent / "shipped"  # the activations plot, the same for every network


def shipped_activations() -> dict[str, str | bytes]:
    """The activations plot as shipped with derive (drawn once by scripts/render_examples.py, checked
    against a fresh drawing by a test), so no network's notes spend matplotlib's time drawing it."""
    return {
        "svg": (SHIPPED / "activations.svg").read_text(encoding="utf-8"),
        "pdf": (SHIPPED / "activations.pdf").read_bytes(),
    }
