"""Pictures of a network for the notes: a standalone SVG, or the same picture as a TikZ environment.

Python decides every position, colour and label (see `scene`), in points with y growing downward;
the templates in templates/diagram/ only write markup, the SVG in a viewBox of those points and the
TikZ picture with x = 1pt, y = −1pt, so both draw one placement.

Without `highlight` the picture is the full network with its title, values, weights and biases.
With `highlight="w1"` it is a compact picture for one parameter: the network faint, and each
chain-rule path from the loss back to w1 in its own colour and dash, numbered in a legend in the
order the notes list them ("Path 1", "Path 2", …). `one_path` turns that picture into one of a single
path alone lit, for the slides, each factor's edge marked on the overlay steps that show the factor.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

import jinja2

from derive.calculus.graph import Forward
from derive.escape import tex_escape
from derive.latex import number, tex_name
from derive.numbers import Num, show
from derive.pictures.geometry import (
    Box,
    Obstacles,
    curve,
    edge_spots,
    leader_spots,
    offset,
    place,
    place_with_leader,
    polyline,
    ring_spots,
    shorten_end,
    text_width,
)
from derive.pictures.layout import (
    BIG_EDGES,
    BIG_NEURONS,
    LOSS,
    Layout,
    PathSet,
    Spacing,
    is_big,
    layout,
    name_runs,
    paths_to,
)
from derive.spec.model import Network
from derive.templating import environment

__all__ = ["Layout", "layout", "one_path", "route_factors", "scene", "svg", "svg_of", "tikz", "tikz_of"]

FONT = "Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif"
INK, GREY = "#3b3b3b", "#c9c9c9"
MAX_WIDTH = 450.0  # points: the LaTeX text block of A4 with 2.5 cm margins is 455 pt wide
MAX_HEIGHT = 620.0  # 0.9 of the A4 text block's height, where the LaTeX notes cap a picture
SVG_SCALE = 1.48  # pixels per point in the SVG's own size: 450 pt is 666 px, inside a 42 rem column
NAME, VALUE, TEXT = 9.0, 8.0, 7.0  # font sizes (pt): node names; values inside nodes; labels beside them
TITLE = 10.0
BOLD = 1.1  # bold text is about this much wider
NAME_BASE, VALUE_BASE = -2.5, 8.5  # baselines of a node's name and value below its centre (pt)
# Okabe & Ito's colours for colour-blind readers (yellow left out: too pale on white), and a dash per
# path so that paths differ in more than colour. SVG dasharray; TikZ writes the same as on/off pairs.
PATH_COLORS = ("#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
PATH_DASHES = ("", "4.5 2", "1.2 1.6", "6 2 1.5 2", "2.5 2.5", "9 2.5")
STROKE, STROKE_GAP = 1.5, 2.3  # a path's line width, and the distance between paths sharing an edge
SCALES = (1.0, 1.3, 1.7, 2.2, 3.0)  # spacings tried in turn until every label has room


@dataclass(frozen=True)
class _Style:
    """What differs between the full picture and a compact path highlight."""

    compact: bool
    values: bool  # node values, loss value and target
    spacing: Spacing
    vertical_spacing: Spacing
    text: float = 1.0  # every font size, and the nodes holding text, this many times the notes' own
    page: tuple[float, float] = (MAX_WIDTH, MAX_HEIGHT)  # the room a picture is fitted to (points)
    title: bool = True  # the network's title above the full picture


FULL = _Style(False, True, Spacing(layer=88, row=80, loss=46, top=30), Spacing(layer=64, row=96, loss=54, top=30))
COMPACT = _Style(True, False, Spacing(layer=62, row=40, loss=48, top=16), Spacing(layer=50, row=70, loss=44, top=16))
# Slides (derive.render.slides): a 16:9 frame at 14 pt is 398 pt wide, and the network's frame leaves
# its picture 0.78 of the 252 pt text height. The slide pictures set their text SLIDE_TEXT times the
# notes' sizes with the notes' gaps (widened by the search where labels crowd) and are fitted to the
# room that, scaled by SLIDE_SCALE onto the frame, sets names at 9 × 1.6 × 0.72 ≈ 10.4 pt and labels
# at 7 × 1.6 × 0.72 ≈ 8.1 pt. No title: the frame has its own.
SLIDE_TEXT, SLIDE_SCALE = 1.6, 0.72
SLIDE_PAGE = (398.0 / SLIDE_SCALE, 0.78 * 252.0 / SLIDE_SCALE)
# A path's frame leaves its picture 0.4 of the text height (derive.render.slides.PICTURE_HEIGHT).
SLIDE_PATH_PAGE = (398.0 / SLIDE_SCALE, 0.4 * 252.0 / SLIDE_SCALE)
SLIDE = replace(
    FULL, spacing=Spacing(layer=110, row=58, loss=52, top=30), text=SLIDE_TEXT, page=SLIDE_PAGE, title=False
)
SLIDE_COMPACT = replace(COMPACT, text=SLIDE_TEXT, page=SLIDE_PATH_PAGE, title=False)
# Other gaps a path's slide picture tries (layer, row), keeping the one its frame shows largest: the
# room a path's frame leaves is wide and low, so longer layers and closer rows can leave a picture
# larger once fitted (softmax_3class's w1: names 8.7 pt on the frame instead of 7.8). The full
# picture tries none: no example gained more than 0.6 pt, and its search takes twice as long each time.
SLIDE_GAPS = ((80.0, 34.0), (100.0, 34.0))


def svg(net: Network, fwd: Forward | None = None, highlight: str | None = None, show_values: bool = True) -> str:
    """A standalone <svg> (no external fonts or references) of the network, its weights and the loss L."""
    return svg_of(scene(net, fwd, highlight, show_values))


def tikz(net: Network, fwd: Forward | None = None, highlight: str | None = None, show_values: bool = True) -> str:
    """The same picture as a `tikzpicture` environment (needs only \\usepackage{tikz})."""
    return tikz_of(scene(net, fwd, highlight, show_values))


def svg_of(s: dict) -> str:
    """The SVG of a scene (see `scene`)."""
    return _environment("svg").get_template("diagram/network.svg.j2").render(s=s)


def tikz_of(s: dict) -> str:
    """The tikzpicture of a scene: the same positions as `svg_of`."""
    return _environment("tex").get_template("diagram/network.tikz.j2").render(s=s)


def _environment(kind: str) -> jinja2.Environment:
    return environment(kind, filters={"tex_escape": tex_escape, "dash": _tikz_dash} if kind == "tex" else None)


def _tikz_dash(pattern: str) -> str:
    """SVG's `4.5 2` as TikZ's `dash pattern=on 4.5pt off 2pt`."""
    if not pattern:
        return ""
    parts = pattern.split()
    return "dash pattern=" + " ".join(f"{'on' if i % 2 == 0 else 'off'} {p}pt" for i, p in enumerate(parts))


# -- the scene: everything both templates draw ----------------------------------------------------
def scene(
    net: Network,
    fwd: Forward | None = None,
    highlight: str | None = None,
    show_values: bool = True,
    slide: bool = False,
) -> dict:
    """Every shape, position (points, y down), colour and label of the picture, for the templates.

    `labels` lists every placed label (weights, biases, the loss target) with its box: centre,
    width, height, angle and corners, and a leader when it sits beside its edge; each node's
    `texts` are the lines inside it, with their boxes. Labels that find no free place even at the
    widest spacing are listed in `key` under the picture; `table` lists the values when the edges
    carry only names (or nothing, in a network too dense to label).

    `slide`: the picture for a 16:9 Beamer frame instead of the A4 notes: its text SLIDE_TEXT times
    as large against the same gaps, fitted to SLIDE_PAGE, and no title (the frame has one)."""
    paths = paths_to(net, highlight) if highlight else None  # an unknown name is an error even when big
    if is_big(net):
        return _summary(net, layout(net))
    styles = (SLIDE_COMPACT, SLIDE) if slide else (COMPACT, FULL)
    style = styles[0] if paths is not None else styles[1]
    values = style.values and fwd is not None and show_values
    params = fwd.params if fwd is not None else {k: Num(v) for k, v in net.parameters.items()}
    ctx = _Ctx(net, fwd, params, paths, min(net.show, 5), show_values, values, style)
    shapes = _shapes(ctx)
    extent = {k: (2 * v["r"], 2 * v["r"]) if v["shape"] == "circle" else (v["w"], v["h"]) for k, v in shapes.items()}
    ctx.edge_labels = paths is not None or net.edge_count() <= DENSE_EDGES
    vertical = _vertical(net, style, extent)
    best = _best_of(ctx, shapes, extent, vertical)
    if slide and style.compact and not vertical:
        best = _largest_on_slide(ctx, shapes, extent, best)
    if _fit(best) < 1:  # grew too big for the page after all: the direction that shrinks it least
        other = _best_of(ctx, shapes, extent, not vertical)
        if (_fit(other), -_score(other)[2]) > (_fit(best), -_score(best)[2]):
            best = other
    return _frame(ctx, best)


def _largest_on_slide(ctx: _Ctx, shapes: dict, extent: dict, best: dict) -> dict:
    """The arrangement among `best` and those at the SLIDE_GAPS that, every label on it, comes out
    largest when framed (legend, table below) and fitted to the style's page."""
    style = ctx.style

    def shown(attempt: dict) -> float:
        framed = _frame(ctx, copy.deepcopy(attempt))
        return min(style.page[0] / framed["width"], style.page[1] / framed["height"])

    for layer, row in SLIDE_GAPS:
        sp = style.spacing
        ctx.style = replace(style, spacing=Spacing(layer, row, sp.loss, sp.margin, sp.top, sp.skip))
        other = _best_of(ctx, shapes, extent, False)
        if not other["key"] and (best["key"] or shown(other) > shown(best) + 1e-9):
            best = other
    ctx.style = style
    return best


def route_factors(paths: PathSet, k: int) -> list[tuple[str, ...]]:
    """What each chain-rule factor of path `k` (0-based, the notes' order) is about, from the loss
    end: an edge (source, target) for each step along the route (∂L/∂O31 is the edge O31 → L, ∂O31/∂O21
    the edge O21 → O31, ∂O11/∂w1 w1's own edge x1 → O11), then (neuron,) when the parameter is that
    neuron's bias (∂O/∂b has no edge of its own)."""
    route = paths.routes[k]
    out: list[tuple[str, ...]] = list(reversed(route))
    start = route[0][0]
    if start in paths.bias_of and route[0] not in paths.own:
        out.append((start,))
    return out


def one_path(s: dict, paths: PathSet, k: int, focus: Sequence[str] = (), legend: bool = True) -> dict:
    """The compact picture `s` of `paths.param` (`scene(…, highlight=param)`) with its k-th path alone
    lit (0-based, the notes' order), in the colour and dash the legend of `s` gives that path; the
    other paths' edges, nodes and weights faint, and the legend naming that path only. Every position
    is the one in `s`, so a picture stays still from one path to the next.

    `focus` (one Beamer overlay specification per factor, as `route_factors` lists them, e.g. "2-3")
    marks what each factor is about on the steps it is shown: a band of the path's colour under its
    edge, or a ring around the neuron of a bias. A summary picture (a network too big to draw edge by
    edge) comes back as it is. Without `legend` (a slide, whose title names the path) the legend's
    band is cut off the top: every position moves up by the same amount, still from path to path."""
    if s.get("big") or not paths.routes:
        return s
    if focus and len(focus) != len(route_factors(paths, k)):
        raise ValueError(f"path {k + 1} to {paths.param} has {len(route_factors(paths, k))} factors, not {len(focus)}")
    out = copy.deepcopy(s)
    route = set(paths.routes[k])
    nodes = {name for edge in route for name in edge}
    steps = dict(zip(route_factors(paths, k), focus, strict=False))
    color, dash = _path_paint(k)
    for e in out["edges"]:
        pair = (e["source"], e["target"])
        trunk, _ = shorten_end(e["points"])
        if pair in route:
            e["strokes"] = [{"points": _round(trunk), "color": color, "dash": dash, "width": STROKE}]
            e["arrow_color"], e["state"] = color, "on-path"
            if pair in steps:
                e["focus"] = steps[pair]
        elif e["state"] == "on-path":
            e["strokes"] = [{"points": _round(trunk), "color": GREY, "dash": "", "width": 0.6}]
            e["arrow_color"], e["state"] = GREY, "off-path"
    out["edges"].sort(key=lambda e: DRAW_ORDER[e["state"]])
    for sh in out["nodes"]:
        if sh["state"] == "on-path" and sh["name"] not in nodes:
            sh["state"] = "off-path"
        if (sh["name"],) in steps:
            sh["focus"], sh["focus_color"] = steps[(sh["name"],)], color
    for lab in out["labels"]:
        if lab["kind"] == "weight" and lab["owner"] not in route:
            lab["faint"] = True
    items = [item for i, item in enumerate(out["legend"]) if i == k]
    rows = max((item["row"] for item in out["legend"]), default=-1) + 1
    text = s["sizes"]["text"] / TEXT  # the picture's text scale (a slide's is larger)
    for item in items:
        shift = 8.0 - item["x"]
        item.update(x=8.0, x2=item["x2"] + shift, text_x=item["text_x"] + shift, row=0, y=round(4 + 5 * text, 2))
    out["legend"] = items
    if not legend and rows:
        _drop_legend(out, 11.0 * text * rows)
    return out


def _drop_legend(s: dict, band: float) -> None:
    """A compact picture without its legend and the `band` its rows took above the picture (`_frame`
    leaves 11 pt of the picture's text scale per row)."""
    s["legend"] = []
    _move({"shapes": {n["name"]: n for n in s["nodes"]}, "edges": s["edges"], "labels": s["labels"]}, 0, -band)
    for line in s["key"]:
        line["baseline"] = round(line["baseline"] - band, 2)
    s["height"] = round(s["height"] - band, 2)


def _fit(attempt: dict) -> float:
    """The scale at which a picture fits the LaTeX text block (1 if it fits as drawn)."""
    x0, y0, x1, y1 = _content_box(attempt)
    page_w, page_h = attempt["page"]
    return min(1.0, page_w / (x1 - x0 + 2 * MARGIN), page_h / (y1 - y0 + 40))


DENSE_EDGES = 60  # past this many edges the full picture labels none: every value is in its table


def _best_of(ctx: _Ctx, shapes: dict, extent: dict, vertical: bool) -> dict:
    """The best arrangement in one direction: values on the edges if they fit, else names there and
    the values in a table below the picture."""
    spacing = ctx.style.vertical_spacing if vertical else ctx.style.spacing
    labels = ctx.edge_labels
    ctx.edge_values = labels
    best = _search(ctx, shapes, extent, vertical, spacing if labels else BARE)
    limit = ctx.style.page[0]
    if ctx.values and labels and (best["key"] or _width(best) > limit):
        ctx.edge_values = False
        plain = _search(ctx, shapes, extent, vertical, spacing)
        if _score(plain)[:3] < _score(best)[:3] or _width(plain) < 0.8 * _width(best):
            best = plain
    if ctx.values and labels and _width(best) > limit:  # still too wide: no labels, all in the table
        ctx.edge_labels = ctx.edge_values = False
        bare = _search(ctx, shapes, extent, vertical, BARE)
        if _width(bare) < 0.8 * _width(best) or _width(bare) <= limit:
            best = bare
        ctx.edge_labels = labels
    return best


BARE = Spacing(layer=72, row=50, loss=46, top=30)  # a full picture with no labels on its edges


def _search(ctx: _Ctx, shapes: dict, extent: dict, vertical: bool, spacing: Spacing) -> dict:
    """The best arrangement found: gaps with crowded labels widened a step at a time while the picture
    fits the text width, then everything spaced wider, until every label is on the picture."""
    best: dict | None = None
    for k in SCALES:
        stretch: dict[int, float] = {}
        stale = 0  # widenings in a row that placed no more labels
        for _ in range(STRETCHES):
            lay = layout(ctx.net, spacing.scaled(k), extent, vertical, stretch)
            attempt = _arrange(ctx, lay, shapes)
            stale = stale + 1 if best is not None and len(attempt["key"]) >= len(best["key"]) else 0
            if best is None or _score(attempt) < _score(best):
                best = attempt
            crowded = _crowded(attempt)
            if not crowded or _width(attempt) > ctx.style.page[0] or (best["key"] and stale >= PLATEAU):
                break
            most = max(crowded.values())
            for c, n in crowded.items():  # the gaps with most crowded labels, a little at a time
                if 2 * n >= most:
                    stretch[c] = stretch.get(c, 1.0) + 0.07
        if best is not None and not best["key"]:  # wider spacing would only make it wider
            break
    assert best is not None
    return best


STRETCHES = 12  # times the gaps with a crowded label are widened before everything is
PLATEAU = 4  # widenings in a row that leave as many labels off the picture: widen everything instead


def _score(attempt: dict) -> tuple:
    """Better first: every label on the picture; within the text width (else narrowest); fewest
    leaders; narrowest."""
    key = len(attempt["key"])
    leaders = sum(1 for lab in attempt["labels"] if lab["leader"])
    width = _width(attempt)
    over = width > attempt["page"][0]
    return (key > 0, over, key, width if over else 0.0, leaders, width)


def _crowded(attempt: dict) -> Counter:
    """How many labels that needed a leader or found no room lie in each gap (by the column after it)."""
    lay = attempt["layout"]
    owners = [lab["owner"] for lab in attempt["labels"] if lab["leader"]] + [k["owner"] for k in attempt["key"]]
    out: Counter = Counter()
    for owner in owners:
        if isinstance(owner, tuple):
            source, target = owner
            out.update(range(lay.column[source] + 1, lay.column[target] + 1))
        else:  # a bias or the target: the gaps on either side of its node
            c = lay.column[owner]
            out.update(x for x in (c, c + 1) if 0 < x < len(lay.columns))
    return out


def _vertical(net: Network, style: _Style, extent: dict) -> bool:
    """Layers run down the page when across they would be wider than the text block and down they fit."""
    page_w, page_h = style.page
    across = layout(net, style.spacing, extent, False)
    if across.width <= page_w:
        return False
    down = layout(net, style.vertical_spacing, extent, True)
    return down.width <= page_w and down.height <= page_h


@dataclass
class _Ctx:
    net: Network
    fwd: Forward | None
    params: dict
    paths: PathSet | None
    digits: int
    show_values: bool
    values: bool
    style: _Style
    edge_values: bool = True  # values on the edges ("w4 = 0.02"), else names there and values in a table
    edge_labels: bool = True  # any label on the edges and beside the neurons (else all in the table)

    @property
    def values_on_edges(self) -> bool:
        return self.show_values and not self.style.compact and self.edge_values

    def on(self, source: str, target: str) -> bool:
        return self.paths is not None and (source, target) in self.paths.edges


# -- nodes ------------------------------------------------------------------------------------------
def _line(runs: list, size: float, x: float, baseline: float) -> Box:
    """The box a line of text centred at x on a baseline occupies (ascender 0.72, descender 0.22 em)."""
    w = text_width(runs, size)
    return Box(x, baseline - 0.25 * size, w, 0.94 * size)


def _shapes(ctx: _Ctx) -> dict[str, dict]:
    """Every node's shape and size (positions come later): input boxes, neuron circles, the loss box."""
    net = ctx.net
    k = ctx.style.text
    name_size, value_size, text_size = NAME * k, VALUE * k, TEXT * k
    out: dict[str, dict[str, Any]] = {}
    for name, label in net.inputs.items():
        runs = name_runs(name)
        shown = "" if ctx.style.compact or label == name else (label if len(label) <= 20 else label[:19] + "…")
        w = max(text_width(runs, name_size), text_width([(shown, False)], text_size)) + 8 * k
        out[name] = {"name": name, "runs": runs, "tex": tex_name(name), "label": shown, "shape": "box"}
        out[name].update(w=max(w, 28.0 * k), h=(28.0 if shown else 19.0) * k)
    for n in net.neurons:
        value = _minus(_value(ctx.fwd.neurons[n.name].O, ctx.digits)) if ctx.values and ctx.fwd else ""
        runs = name_runs(n.name)
        lines = [_line(runs, name_size, 0, (NAME_BASE if value else 0.25 * NAME) * k)]
        if value:
            lines.append(_line([(value, False)], value_size, 0, VALUE_BASE * k))
        r = max(max(_reach(b) for b in lines) + 1.5 * k, (11.0 if ctx.style.compact else 15.0) * k)
        out[n.name] = {
            "name": n.name,
            "runs": runs,
            "tex": tex_name(n.name),
            "value": value,
            "tex_value": number(value.replace("\u2212", "-")),
            "shape": "circle",
            "r": round(r, 2),
        }
    value = _value(ctx.fwd.loss, ctx.digits) if ctx.values and ctx.fwd else ""
    w = max(text_width([(value, False)], value_size), 12.0 * k) + 10 * k
    out[LOSS] = {"name": LOSS, "shape": "box", "value": _minus(value), "tex_value": number(value)}
    out[LOSS].update(w=round(w, 2), h=(28.0 if value else 19.0) * k)
    return out


def _reach(b: Box) -> float:
    """How far the farthest corner of a box is from the origin (its node's centre)."""
    return max((x * x + y * y) ** 0.5 for x, y in b.corners())


def _node_texts(sh: dict, k: float = 1.0) -> list[dict]:
    """The lines of text inside a node, each with its box (for the geometric tests); `k` scales the
    notes' font sizes (a slide's picture)."""
    x, y = sh["x"], sh["y"]
    second = sh["label"] if sh["shape"] == "box" and sh["name"] != LOSS else sh["value"]
    first_runs = [("L", False)] if sh["name"] == LOSS else sh["runs"]
    lines = [(first_runs, NAME, NAME_BASE if second else 0.25 * NAME)]
    if second:
        lines.append(([(second, False)], TEXT if sh["shape"] == "box" and sh["name"] != LOSS else VALUE, VALUE_BASE))
    out = []
    for runs, size0, base0 in lines:
        size, base = size0 * k, base0 * k
        b = _line(runs, size, x, y + base)
        out.append({"box": b, "baseline": round(y + base, 2)})
    return out


# -- one attempt at a spacing -------------------------------------------------------------------------
def _arrange(ctx: _Ctx, lay: Layout, proto: dict[str, dict]) -> dict:
    """Positions, edges and labels at one spacing; labels with no room are returned in `key`."""
    shapes = {}
    for name, sh in proto.items():
        x, y = lay.pos[name]
        shapes[name] = {**sh, "x": round(x, 2), "y": round(y, 2)}
        shapes[name]["texts"] = _node_texts(shapes[name], ctx.style.text)
    obstacles = Obstacles()
    for sh in shapes.values():
        obstacles.add_node(sh)
    net = ctx.net
    edges: list[dict] = []
    for col in lay.columns[1:-1]:
        for n in map(net.neuron, col):
            edges += [_edge(ctx, lay, shapes, x.source, n.name, x.weight) for x in n.edges]
    edges += [_edge(ctx, lay, shapes, o, LOSS, None) for o in net.outputs]
    for e in edges:
        for st in e["strokes"]:  # the lines as drawn (stopped inside the arrowhead), and the arrowhead
            obstacles.add_edge((e["source"], e["target"]), polyline(st["points"]))
        obstacles.add_edge((e["source"], e["target"]), [*e["arrow"], e["arrow"][0]])
    labels: list[dict] = []
    key: list[dict] = []
    k = ctx.style.text
    for n in net.neurons:  # biases first: they have one natural place, below their neuron
        if n.bias is None or not ctx.edge_labels or not _labelled(ctx, n.name, bias=True):
            continue
        runs, tex = _weight_label(n.bias, ctx.params, ctx.digits, ctx.values_on_edges, "+")
        sh = shapes[n.name]
        w, h = text_width(runs, TEXT * k) + 3 * k, 0.94 * TEXT * k + 2 * k
        down = (90, 270, 60, 120, 240, 300, 30, 150, 0, 180) if not lay.vertical else (0, 180, 30, 330, 150, 210)
        box = place(obstacles, ring_spots(sh["x"], sh["y"], sh["r"], w, h, down))
        on = ctx.paths is not None and n.name in ctx.paths.bias_of
        item = _label("bias", n.name, runs, tex, on, ctx)
        (labels if box else key).append({**item, **_box(box, k)} if box else {**item, "where": f"bias of {n.name}"})
    loss = shapes[LOSS]
    target = _target(ctx)
    if target is not None:
        runs, tex = target
        w, h = text_width(runs, TEXT * k) + 3 * k, 0.94 * TEXT * k + 2 * k
        reach = loss["h"] / 2 if not lay.vertical else loss["w"] / 2
        box = place(obstacles, ring_spots(loss["x"], loss["y"], reach, w, h, (90, 270, 0, 180)))
        item = _label("target", LOSS, runs, tex, False, ctx)
        (labels if box else key).append({**item, **_box(box, k)} if box else {**item, "where": "target"})
    pending = []
    for e in edges:  # on their own edges first, then, for those with no room there, beside them
        if (
            e["target"] == LOSS
            or not ctx.edge_labels
            or not _labelled(ctx, e["target"], edge=(e["source"], e["target"]))
        ):
            continue
        runs, tex = _weight_label(e["weight_value"], ctx.params, ctx.digits, ctx.values_on_edges)
        w, h = text_width(runs, TEXT * k) + 3 * k, 0.94 * TEXT * k + 2 * k
        owner = (e["source"], e["target"])
        line = polyline(e["points"])
        item = _label("weight", owner, runs, tex, e["own"], ctx)
        box = place(obstacles, edge_spots(line, w, h), owner)
        if box is not None:
            labels.append({**item, **_box(box, k)})
        else:
            pending.append((item, line, w, h, owner))
    for item, line, w, h, owner in pending:
        found = place_with_leader(obstacles, leader_spots(line, w, h), owner)
        if found is not None:
            labels.append({**item, **_box(found[0], k), "leader": _round(found[1])})
        else:
            key.append({**item, "where": f"{owner[0]} → {owner[1]}"})
    return {
        "layout": lay,
        "shapes": shapes,
        "edges": edges,
        "labels": labels,
        "key": key,
        "edge_values": ctx.edge_values,
        "edge_labels": ctx.edge_labels,
        "page": ctx.style.page,
    }


LIT_LABELS = 12  # a highlight lighting more edges than this labels the parameter's own edges only


def _labelled(ctx: _Ctx, neuron: str, bias: bool = False, edge: tuple | None = None) -> bool:
    """The full picture labels every weight and bias; a highlight those on the paths, or, when its
    routes light more than LIT_LABELS edges (a dense network: the labels would crowd the lit fan and
    its numbers are in the text beside it), the parameter's own edges only."""
    if ctx.paths is None:
        return True
    if bias:
        return neuron in ctx.paths.bias_of
    return edge in (ctx.paths.own if len(ctx.paths.edges) > LIT_LABELS else ctx.paths.edges)


def _label(kind: str, owner: object, runs: list, tex: str, strong: bool, ctx: _Ctx) -> dict:
    return {
        "kind": kind,
        "owner": owner,
        "runs": runs,
        "tex": tex,
        "bold": strong and ctx.paths is not None,
        "leader": None,
    }


def _box(box: Box | None, k: float = 1.0) -> dict:
    if box is None:
        return {}
    corners = [(round(x, 2), round(y, 2)) for x, y in box.corners()]
    return {
        "x": round(box.x, 2),
        "y": round(box.y, 2),
        "w": round(box.w, 2),
        "h": round(box.h, 2),
        "angle": box.angle,
        "corners": corners,
        "baseline": round(0.25 * TEXT * k, 2),  # from the box's centre, in its own turned frame
    }


def _target(ctx: _Ctx) -> tuple[list, str] | None:
    if not ctx.values or ctx.fwd is None:
        return None
    targets = [_value(t, ctx.digits) for t in ctx.fwd.targets()]
    if not targets:
        return None
    ys = ", ".join(targets)
    text = "y = " + (ys if len(targets) == 1 else f"({ys})")
    tex = (f"$y = {ys if len(targets) == 1 else f'({ys})'}$").replace(", ", ",\\,")
    return [(_minus(text), False)], tex


# -- edges --------------------------------------------------------------------------------------------
def _bend(lay: Layout, source: str, target: str) -> float:
    """Skip connections (more than one column) curve away from the middle of the picture."""
    span = lay.span(source, target)
    if span <= 1:
        return 0.0
    upper = (lay.across(source) + lay.across(target)) / 2 <= lay.middle + 1e-6
    angle = min(20 + 8 * span, 40)
    if lay.vertical:  # travelling down the page, "left" on the page is the right of the direction
        return -angle if upper else angle
    return angle if upper else -angle


def _edge(ctx: _Ctx, lay: Layout, shapes: dict, source: str, target: str, weight) -> dict:
    points = curve(shapes[source], shapes[target], _bend(lay, source, target))
    paths = ctx.paths
    on = ctx.on(source, target) or (target == LOSS and paths is not None and source in paths.outputs)
    own = paths is not None and (source, target) in paths.own
    state = "" if paths is None else ("on-path" if on else "off-path")
    trunk, tip = shorten_end(points)
    strokes: list[dict[str, Any]] = []
    if paths is not None and on:
        which = [i for i, r in enumerate(paths.routes) if (source, target) in r] if paths.routes else [None]
        for j, i in enumerate(which):
            shift = (j - (len(which) - 1) / 2) * STROKE_GAP
            color, dash = _path_paint(i)
            strokes.append({"points": _round(offset(trunk, shift)), "color": color, "dash": dash, "width": STROKE})
        color = strokes[0]["color"]
    elif paths is not None:
        strokes.append({"points": _round(trunk), "color": GREY, "dash": "", "width": 0.6})
        color = GREY
    else:
        loss_edge = target == LOSS
        strokes.append({"points": _round(trunk), "color": INK, "dash": "3 2" if loss_edge else "", "width": 0.7})
        color = INK
    return {
        "source": source,
        "target": target,
        "weight": weight if isinstance(weight, str) else "",
        "weight_value": weight,
        "state": state,
        "own": own,
        "points": _round(points),
        "strokes": strokes,
        "arrow": _round(tip),
        "arrow_color": color,
    }


def _path_paint(i: int | None) -> tuple[str, str]:
    if i is None:  # more paths than are drawn one by one: all in the first colour
        return PATH_COLORS[0], ""
    return PATH_COLORS[i % len(PATH_COLORS)], PATH_DASHES[i % len(PATH_DASHES)]


def _round(points) -> list[tuple[float, float]]:
    return [(round(x, 2), round(y, 2)) for x, y in points]


# -- the frame: title, legend, key, size ----------------------------------------------------------------
def _frame(ctx: _Ctx, arranged: dict) -> dict:
    lay: Layout = arranged["layout"]
    net, paths = ctx.net, ctx.paths
    k = ctx.style.text
    title_lines: list[dict] = []
    if paths is None and ctx.style.title:
        for i, line in enumerate(_wrap(net.title, TITLE * BOLD, MAX_WIDTH - 2 * MARGIN)):
            title_lines.append({"text": line, "x": MARGIN, "baseline": 13.0 + 13 * i})
    x0, y0, x1, y1 = _content_box(arranged)
    width = x1 - x0 + 2 * MARGIN
    if title_lines:
        width = max(width, 2 * MARGIN + max(text_width([(t["text"], False)], TITLE * BOLD) for t in title_lines))
    legend = _legend(ctx, max(width, 200.0)) if paths is not None else []
    if legend:
        width = max(width, max(i["text_x"] + i["w"] for i in legend) + MARGIN)
    rows = max((i["row"] for i in legend), default=0 if paths is not None and not paths.count else -1) + 1
    band = (13.0 * len(title_lines) + 6) if title_lines else 11.0 * k * rows + 4
    _move(arranged, MARGIN - x0, band + 4 - y0)
    height = band + 4 + (y1 - y0) + MARGIN
    for item in legend:
        item["y"] = round(4 + 11 * k * item["row"] + 5 * k, 2)
    caption = None
    if paths is not None and not paths.count:
        caption = [("No path from L reaches ", False), *name_runs(paths.param)]
    key = arranged["key"]
    key_lines: list[dict[str, Any]] = []
    if key:
        key_lines.append({"text": "No room on the picture for these labels:", "runs": None, "tex": None, "where": ""})
        for item in key:
            runs = [*item["runs"], (f"   ({item['where']})", False)]
            key_lines.append({"text": "", "runs": runs, "tex": item["tex"], "where": item["where"]})
        for i, entry in enumerate(key_lines):
            entry["baseline"] = round(height + 6 + 11 * k * i, 2)
        height += 11 * k * len(key_lines) + 6
    table: list[dict[str, Any]] = []
    ctx.edge_values, ctx.edge_labels = arranged["edge_values"], arranged["edge_labels"]
    if ctx.show_values and not ctx.style.compact and not ctx.edge_values:
        entries = [_weight_label(p, ctx.params, ctx.digits, True) for p in net.parameters]
        if not ctx.edge_labels:  # nothing on the edges: each entry says where its parameter sits
            where = _places(net)
            entries = [
                ([*runs, (f" ({where[p]})", False)], tex + f" ({tex_escape(where[p])})")
                for p, (runs, tex) in zip(net.parameters, entries, strict=True)
            ]
        cell = max(text_width(runs, TEXT * k) for runs, _ in entries) + 12 * k
        width = max(width, min(ctx.style.page[0], 2 * MARGIN + cell * len(entries)))  # the table may widen it
        per_row = max(1, int((width - 2 * MARGIN + 12 * k) // cell))
        top = height + 4
        for i, (runs, tex) in enumerate(entries):
            row, col = divmod(i, per_row)
            table.append(
                {
                    "runs": runs,
                    "tex": tex,
                    "x": round(MARGIN + col * cell, 2),
                    "baseline": round(top + 8 * k + 10 * k * row, 2),
                }
            )
        height = top + 10 * k * ((len(entries) + per_row - 1) // per_row) + 4
    edges = arranged["edges"]
    s: dict[str, Any] = {
        "table": table,
        "big": False,
        "compact": paths is not None,
        "font": FONT,
        "width": round(width, 2),
        "height": round(height, 2),
        "px_width": round(width * SVG_SCALE),
        "px_height": round(height * SVG_SCALE),
        "vertical": lay.vertical,
        "title_lines": title_lines,
        "plain_title": _plain_title(net, paths),
        "caption": caption,
        "tex_caption": (f"No path from $L$ reaches ${tex_name(paths.param)}$" if caption and paths else None),
        "legend": legend,
        "key": key_lines,
        "edges": sorted(edges, key=lambda e: DRAW_ORDER[e["state"]]),
        "labels": arranged["labels"],
        "nodes": list(arranged["shapes"].values()),
        "inputs": [arranged["shapes"][x] for x in net.inputs],
        "neurons": [arranged["shapes"][n.name] for n in net.neurons],
        "loss": arranged["shapes"][LOSS],
        "sizes": {"name": round(NAME * k, 2), "value": round(VALUE * k, 2), "text": round(TEXT * k, 2), "title": TITLE},
        "scale": SVG_SCALE,
        "colors": {"ink": INK},
    }
    for sh in s["nodes"]:
        on = paths is not None and (sh["name"] in paths.nodes or (sh["name"] == LOSS and bool(paths.outputs)))
        sh["state"] = "" if paths is None else ("on-path" if on else "off-path")
    return s


DRAW_ORDER = {"off-path": 0, "": 1, "on-path": 2}


def _plain_title(net: Network, paths: PathSet | None) -> str:
    if paths is None:
        return net.title
    n = paths.count
    if not n:
        return f"{net.title}: no path from L reaches {paths.param}"
    which = "the chain-rule path" if n == 1 else f"the {n} chain-rule paths"
    return f"{net.title}: {which} from L back to {paths.param}"


def _legend(ctx: _Ctx, width: float) -> list[dict]:
    """One item per path in the notes' order: a sample of its line and "Path k"; rows wrap at the width."""
    paths = ctx.paths
    assert paths is not None
    if not paths.count:
        return []
    if not paths.routes:
        names = [f"the {paths.count} paths to {paths.param}"]
    elif paths.count == 1:
        names = [f"the path to {paths.param}"]
    else:
        names = [f"Path {i + 1}" for i in range(len(paths.routes))]
    items, x, row = [], 8.0, 0
    size = TEXT * ctx.style.text
    for i, name in enumerate(names):
        w = 20 + 3 + text_width([(name, False)], size) + 10
        if x + w > width - 8 and x > 8:
            x, row = 8.0, row + 1
        color, dash = _path_paint(i if paths.routes else None)
        text_w = text_width([(name, False)], size)
        items.append(
            {
                "x": x,
                "x2": x + 20,
                "text_x": x + 23,
                "text": name,
                "color": color,
                "dash": dash,
                "row": row,
                "w": text_w,
            }
        )
        x += w
    return items


def _places(net: Network) -> dict[str, str]:
    """Where each parameter first sits: `x1→O11`, or `bias of O11`."""
    out: dict[str, str] = {}
    for n in net.neurons:
        for e in n.edges:
            if isinstance(e.weight, str):
                out.setdefault(e.weight, f"{e.source}→{n.name}")
        if isinstance(n.bias, str):
            out.setdefault(n.bias, f"bias of {n.name}")
    return out


def _content_box(arranged: dict) -> tuple[float, float, float, float]:
    """The extent (x0, y0, x1, y1) of everything placed: nodes, edges, labels and leaders."""
    xs: list[float] = []
    ys: list[float] = []
    for sh in arranged["shapes"].values():
        hw, hh = (sh["r"], sh["r"]) if sh["shape"] == "circle" else (sh["w"] / 2, sh["h"] / 2)
        xs += [sh["x"] - hw, sh["x"] + hw]
        ys += [sh["y"] - hh, sh["y"] + hh]
    for e in arranged["edges"]:
        for st in e["strokes"]:
            for x, y in polyline(st["points"]):
                xs.append(x)
                ys.append(y)
    for lab in arranged["labels"]:
        for x, y in lab["corners"] + (lab["leader"] or []):
            xs.append(x)
            ys.append(y)
    return min(xs), min(ys), max(xs), max(ys)


def _width(arranged: dict) -> float:
    if "width" not in arranged:  # kept: an arrangement is measured several times while searching
        x0, _, x1, _ = _content_box(arranged)
        arranged["width"] = x1 - x0 + 2 * MARGIN
    return arranged["width"]


MARGIN = 8.0


def _move(arranged: dict, dx: float, dy: float) -> None:
    """Everything placed moved by (dx, dy)."""

    def moved(points):
        return [(round(x + dx, 2), round(y + dy, 2)) for x, y in points]

    for sh in arranged["shapes"].values():
        sh["x"], sh["y"] = round(sh["x"] + dx, 2), round(sh["y"] + dy, 2)
        for t in sh["texts"]:
            t["box"] = Box(t["box"].x + dx, t["box"].y + dy, t["box"].w, t["box"].h)
            t["baseline"] = round(t["baseline"] + dy, 2)
    for e in arranged["edges"]:
        e["points"], e["arrow"] = moved(e["points"]), moved(e["arrow"])
        for st in e["strokes"]:
            st["points"] = moved(st["points"])
    for lab in arranged["labels"]:
        lab["x"], lab["y"] = round(lab["x"] + dx, 2), round(lab["y"] + dy, 2)
        lab["corners"] = moved(lab["corners"])
        if lab["leader"]:
            lab["leader"] = moved(lab["leader"])


def _wrap(text: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and text_width([(lines[-1] + " " + word, False)], size) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _value(num: Num, digits: int) -> str:
    return show(num, digits)[0]


def _minus(text: str) -> str:
    """A typographic minus for the SVG (TeX makes its own from `-` in maths)."""
    return text.replace("-", "\u2212")


def _weight_label(w, params, digits, show_values, prefix="") -> tuple[list, str]:
    """(SVG runs, TeX) of a weight or bias: `w4 = 0.02`, or the number of a fixed one."""
    if not isinstance(w, str):
        text = _value(Num(w), digits)
        sign = "" if text.startswith("-") else prefix  # a fixed bias of −0.5 reads "−0.5", not "+−0.5"
        return [(_minus(sign + text), False)], f"${sign}{number(text)}$"
    runs = [(prefix, False)] if prefix else []
    runs += name_runs(w)
    tex = prefix + tex_name(w)
    if show_values:
        text = _value(params[w], digits)
        runs.append((f" = {_minus(text)}", False))
        tex += f" = {number(text)}"
    return runs, f"${tex}$"


# -- big networks: one box per layer ---------------------------------------------------------------
def _summary(net: Network, lay: Layout) -> dict:
    gap, w, h, y = 112, 84, 50, 62
    last = len(lay.columns) - 1
    boxes: list[dict[str, Any]] = []
    for c, members in enumerate(lay.columns):
        x = 8 + w / 2 + c * gap
        if c == 0:
            lines = ["inputs", f"{len(members):,} values"]
        elif c == last:
            lines = ["loss L", net.loss.replace("_", " ")]
        else:
            lines = [
                f"layer {c}",
                f"{len(members):,} neuron{'s' if len(members) != 1 else ''}",
                f"{lay.sizes.get(c, 0):,} edges in",
            ]
        kind = "input" if c == 0 else "loss" if c == last else "layer"
        top = y - 5.5 * (len(lines) - 1) + 3
        boxes.append(
            {
                "x": x,
                "y": y,
                "w": w,
                "h": h,
                "lines": [
                    {"text": t, "tex": tex_escape(t), "baseline": round(top + 11 * i, 2)} for i, t in enumerate(lines)
                ],
                **SUMMARY_PAINT[kind],
            }
        )
    arrows = []
    for a, b in pairwise(boxes):
        x0, x1 = a["x"] + w / 2, b["x"] - w / 2
        trunk, tip = shorten_end([(x0 + (x1 - x0) * k / 3, y) for k in range(4)])
        arrows.append({"points": trunk, "arrow": tip})
    note = (
        f"{len(net.neurons):,} neurons and {net.edge_count():,} edges are too many to draw one by one "
        f"(the limit is {BIG_NEURONS} neurons or {BIG_EDGES} edges): one box per layer."
    )
    width = max(16 + len(boxes) * gap - (gap - w), 16 + text_width([(net.title, False)], TITLE * BOLD))
    width = min(max(width, 200.0), max(MAX_WIDTH, 16 + len(boxes) * gap - (gap - w)))
    note_lines = _wrap(note, TEXT, width - 16)
    height = y + h / 2 + 12 + 10 * len(note_lines)
    return {
        "big": True,
        "title_lines": [
            {"text": t, "x": 8.0, "baseline": 13.0 + 13 * i} for i, t in enumerate(_wrap(net.title, TITLE, width - 16))
        ],
        "plain_title": f"{net.title} — layer summary: {note}",
        "note": [
            {"text": t, "tex": tex_escape(t), "baseline": round(y + h / 2 + 16 + 10 * i, 2)}
            for i, t in enumerate(note_lines)
        ],
        "boxes": boxes,
        "arrows": arrows,
        "font": FONT,
        "colors": {"ink": INK},
        "width": round(width, 2),
        "height": round(height, 2),
        "px_width": round(width * SVG_SCALE),
        "px_height": round(height * SVG_SCALE),
        "sizes": {"name": NAME, "value": VALUE, "text": TEXT, "title": TITLE},
    }


SUMMARY_PAINT = {  # fill and stroke of each kind of summary box
    "input": {"fill": "#fff6e0", "stroke": "#b08a2e"},
    "layer": {"fill": "#eaf1fb", "stroke": "#2f5d8a"},
    "loss": {"fill": "#f2f2f2", "stroke": "#444444"},
}
