"""Pictures of a network for the notes: a standalone SVG, or the same picture as a TikZ environment.

Python decides every position, colour and label (see `scene`); the templates in templates/diagram/
only write markup. With `highlight="w1"` every chain-rule path from the loss back to w1 is drawn in
a strong colour and the rest is greyed: the seed lecture's "two paths to w1".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import jinja2

from derive.calculus.graph import Forward
from derive.escape import tex_escape
from derive.latex import number, tex_name
from derive.numbers import Num, show
from derive.pictures.geometry import box_of, curve, path_and_arrow, place_labels, text_width
from derive.pictures.layout import BIG_EDGES, BIG_NEURONS, LOSS, Layout, PathSet, layout, name_runs, paths_to
from derive.spec.model import Network
from derive.templating import environment

__all__ = ["Layout", "layout", "scene", "svg", "tikz"]

FONT = "Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif"
INK, GREY, STRONG, PALE = "#3b3b3b", "#c9c9c9", "#d1495b", "#a9a9a9"
IN_BOX = (130, 50)  # input box: width, height
LOSS_BOX = (70, 50)
LABEL_SIZE, SMALL = 13, 12  # font sizes of edge labels and of biases, values and input labels
PX_PER_CM = 60  # TikZ: 240 px between columns is 4 cm


def svg(net: Network, fwd: Forward | None = None, highlight: str | None = None, show_values: bool = True) -> str:
    """A standalone <svg> (no external fonts or references) of the network, its weights and the loss L."""
    return _environment("svg").get_template("diagram/network.svg.j2").render(s=scene(net, fwd, highlight, show_values))


def tikz(net: Network, fwd: Forward | None = None, highlight: str | None = None, show_values: bool = True) -> str:
    """The same picture as a `tikzpicture` environment (needs only \\usepackage{tikz})."""
    return _environment("tex").get_template("diagram/network.tikz.j2").render(s=scene(net, fwd, highlight, show_values))


def _environment(kind: str) -> jinja2.Environment:
    return environment(kind, filters={"tex_escape": tex_escape} if kind == "tex" else None)


# -- the scene: everything both templates draw ----------------------------------------------------
def scene(net: Network, fwd: Forward | None = None, highlight: str | None = None, show_values: bool = True) -> dict:
    """Every shape, position (SVG pixels, TikZ cm), colour and label of the picture, for the templates."""
    lay = layout(net)
    paths = paths_to(net, highlight) if highlight else None  # an unknown name is an error even when big
    if lay.big:
        return _summary(net, lay)
    digits = min(net.show, 5)
    params = fwd.params if fwd is not None else {k: Num(v) for k, v in net.parameters.items()}
    s: dict[str, Any] = {
        "title": net.title,
        "width": lay.width,
        "height": lay.height,
        "font": FONT,
        "big": False,
        "caption": _caption(paths),
        "tikz_caption": _tikz_caption(paths),
        "caption_cy": round(-48 / PX_PER_CM, 3),
        "colors": _colors(),
    }
    s["inputs"] = [_input(net, x, lay, paths) for x in lay.columns[0]]
    s["neurons"] = [
        _neuron(net.neuron(n), lay, fwd, params, paths, digits, show_values) for col in lay.columns[1:-1] for n in col
    ]
    s["loss"] = _loss(net, lay, fwd, digits, paths)
    shapes = {**{i["name"]: i for i in s["inputs"]}, **{n["name"]: n for n in s["neurons"]}, LOSS: s["loss"]}
    fan_out = Counter(e.source for n in net.neurons for e in n.edges)
    ctx = _Ctx(lay, shapes, params, paths, digits, show_values, fan_out)
    edges = [_edge(e, n, ctx) for col in lay.columns[1:-1] for n in map(net.neuron, col) for e in n.edges]
    place_labels(edges, [box_of(sh) for sh in shapes.values()] + [_bias_box(n) for n in s["neurons"]], PX_PER_CM)
    s["edges"] = sorted(edges, key=lambda e: DRAW_ORDER[e["state"]])  # the highlighted paths on top
    s["loss_edges"] = [_loss_edge(o, ctx) for o in net.outputs]
    s["width"] = max(s["width"], 60 + 8.5 * len(net.title))
    s["plain_title"] = net.title + (" — " + "".join(t for t, _ in s["caption"]) if s["caption"] else "")
    return s


DRAW_ORDER = {"off-path": 0, "": 1, "on-path": 2}


@dataclass(frozen=True)
class _Ctx:
    lay: Layout
    shapes: dict
    params: dict
    paths: PathSet | None
    digits: int
    show_values: bool
    fan_out: Counter


def _paint(state: str, own: bool = False) -> dict:
    """Colour and line width of an edge by its place in the highlight."""
    if state == "on-path":
        return {"color": STRONG, "stroke": 4.2 if own else 3.0, "text": STRONG, "font_weight": "bold"}
    if state == "off-path":
        return {"color": GREY, "stroke": 1.2, "text": PALE, "font_weight": "normal"}
    return {"color": INK, "stroke": 1.4, "text": "#222222", "font_weight": "normal"}


def _bend(ctx: _Ctx, source: str, target: str) -> float:
    """Skip connections (more than one column) curve away from the middle of the picture."""
    span = ctx.lay.span(source, target)
    if span <= 1:
        return 0.0
    middle = ctx.lay.height / 2
    upper = (ctx.lay.pos[source][1] + ctx.lay.pos[target][1]) / 2 <= middle + 1e-6
    angle = min(20 + 8 * span, 40)
    return angle if upper else -angle


def _edge(e, n, ctx: _Ctx) -> dict:
    bend = _bend(ctx, e.source, n.name)
    points = curve(ctx.shapes[e.source], ctx.shapes[n.name], bend)
    d, arrow = path_and_arrow(points)
    runs, tex = _weight_label(e.weight, ctx.params, ctx.digits, ctx.show_values)
    paths = ctx.paths
    on = paths is not None and (e.source, n.name) in paths.edges
    own = paths is not None and (e.source, n.name) in paths.own
    near_source = len(n.edges) >= ctx.fan_out[e.source]
    prefs = [0.25, 0.4, 0.15, 0.55, 0.7, 0.8] if near_source else [0.75, 0.6, 0.85, 0.45, 0.3, 0.2]
    return {
        "source": e.source,
        "target": n.name,
        "weight": e.weight if isinstance(e.weight, str) else "",
        "state": _state(on, paths),
        "own": own,
        "d": d,
        "arrow": arrow,
        "points": points,
        "prefs": prefs,
        "label": {"runs": runs, "w": text_width(runs, LABEL_SIZE) * 1.1 + 10, "h": LABEL_SIZE + 6},
        "tex_label": tex,
        "bend": _tikz_bend(bend),
        **_paint(_state(on, paths), own),
    }


def _loss_edge(output: str, ctx: _Ctx) -> dict:
    bend = _bend(ctx, output, LOSS)
    d, arrow = path_and_arrow(curve(ctx.shapes[output], ctx.shapes[LOSS], bend))
    on = ctx.paths is not None and output in ctx.paths.outputs
    state = _state(on, ctx.paths)
    return {
        "source": output,
        "target": LOSS,
        "state": state,
        "d": d,
        "arrow": arrow,
        "bend": _tikz_bend(bend),
        **_paint(state),
    }


def _tikz_bend(bend: float) -> str:
    if not bend:
        return ""
    return f"bend {'left' if bend > 0 else 'right'}={abs(bend):g}"


def _bias_box(n: dict) -> tuple:
    b = n["bias"]
    if b is None:
        return (0, 0, 0, 0)
    w = text_width(b["runs"], SMALL) + 4
    return (b["x"] - w / 2, b["y"] - SMALL, b["x"] + w / 2, b["y"] + 4)


def _colors() -> dict:
    return {"strong": STRONG, "ink": INK, "grey": GREY, "pale": PALE}


def _state(on: bool, paths: PathSet | None) -> str:
    return "" if paths is None else ("on-path" if on else "off-path")


def _caption(paths: PathSet | None) -> list | None:
    if paths is None:
        return None
    n = paths.count
    return [
        (f"The {n} chain-rule path{'s' if n != 1 else ''} from L back to " if n else "No path from L reaches ", False),
        *name_runs(paths.param),
    ]


def _tikz_caption(paths: PathSet | None) -> str | None:
    if paths is None:
        return None
    n = paths.count
    head = f"The {n} chain-rule path{'s' if n != 1 else ''} from $L$ back to " if n else "No path from $L$ reaches "
    return head + f"${tex_name(paths.param)}$"


def _value(num: Num, digits: int) -> str:
    return show(num, digits)[0]


def _minus(text: str) -> str:
    """A typographic minus for the SVG (TeX makes its own from `-` in maths)."""
    return text.replace("-", "\u2212")


def _input(net, name, lay, paths) -> dict:
    x, y = lay.pos[name]
    label = net.inputs[name]
    shown = label if len(label) <= 20 else label[:19] + "…"
    on = paths is not None and name in paths.nodes
    return {
        "name": name,
        "runs": name_runs(name),
        "label": shown if shown != name else "",
        "x": x,
        "y": y,
        "w": IN_BOX[0],
        "h": IN_BOX[1],
        "shape": "box",
        "state": _state(on, paths),
        "tex": tex_name(name),
        **_tikz_xy(x, y),
    }


def _neuron(n, lay, fwd, params, paths, digits, show_values) -> dict:
    x, y = lay.pos[n.name]
    value = _minus(_value(fwd.neurons[n.name].O, digits)) if fwd is not None and show_values else ""
    r = max(32, 6 + 3.6 * len(value))
    on = paths is not None and n.name in paths.nodes
    d = {
        "name": n.name,
        "runs": name_runs(n.name),
        "value": value,
        "x": x,
        "y": y,
        "r": r,
        "shape": "circle",
        "state": _state(on, paths),
        "tex": tex_name(n.name),
        "tex_value": number(value.replace("\u2212", "-")),
        **_tikz_xy(x, y),
        "tikz_r": round(2 * r / PX_PER_CM, 2),
        "bias": None,
    }
    if n.bias is not None:
        runs, tex = _weight_label(n.bias, params, digits, show_values, prefix="+")
        bias_on = paths is not None and n.name in paths.bias_of
        d["bias"] = {
            "runs": runs,
            "tex": tex,
            "x": x,
            "y": y + r + 17,
            "state": _state(bias_on, paths),
            **_tikz_xy(x, y + r + 17),
        }
    return d


def _loss(net, lay, fwd, digits, paths) -> dict:
    x, y = lay.pos[LOSS]
    value = _value(fwd.loss, digits) if fwd is not None else ""
    targets = [_value(t, digits) for t in fwd.targets()] if fwd is not None else []
    ys = ", ".join(targets)
    target = ("y = " + (ys if len(targets) == 1 else f"({ys})")) if targets else ""
    tex_target = (f"$y = {ys if len(targets) == 1 else f'({ys})'}$").replace(", ", ",\\,") if targets else ""
    on = paths is not None and bool(paths.outputs)
    return {
        "name": LOSS,
        "x": x,
        "y": y,
        "w": max(LOSS_BOX[0], 16 + 7.5 * len(value)),
        "h": LOSS_BOX[1],
        "shape": "box",
        "value": _minus(value),
        "tex_value": number(value),
        "target": _minus(target),
        "tex_target": tex_target,
        "state": _state(on, paths),
        **_tikz_xy(x, y),
    }


def _tikz_xy(x: float, y: float) -> dict:
    return {"cx": round(x / PX_PER_CM, 3), "cy": round(-y / PX_PER_CM, 3)}


def _weight_label(w, params, digits, show_values, prefix="") -> tuple[list, str]:
    """(SVG runs, TeX) of a weight or bias: `w4 = 0.02`, or the number of a fixed one."""
    if not isinstance(w, str):
        text = _value(Num(w), digits)
        return [(_minus(prefix + text), False)], f"${prefix}{number(text)}$"
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
    gap, w, h, y = 200, 150, 84, 140
    last = len(lay.columns) - 1
    boxes = []
    for c, members in enumerate(lay.columns):
        x = MARGIN_X + w / 2 + c * gap
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
        boxes.append(
            {
                "x": x,
                "y": y,
                "w": w,
                "h": h,
                "lines": lines,
                "tex_lines": [tex_escape(t) for t in lines],
                **SUMMARY_PAINT[kind],
                **_tikz_xy(x, y),
            }
        )
    arrows = []
    for a, b in pairwise(boxes):
        x0, x1 = a["x"] + w / 2, b["x"] - w / 2
        d, tip = path_and_arrow([(x0 + (x1 - x0) * k / 3, y) for k in range(4)])
        arrows.append({"d": d, "arrow": tip})
    note = (
        f"{len(net.neurons):,} neurons and {net.edge_count():,} edges are too many to draw one by one "
        f"(the limit is {BIG_NEURONS} neurons or {BIG_EDGES} edges): one box per layer."
    )
    return {
        "big": True,
        "title": net.title,
        "plain_title": f"{net.title} — layer summary: {note}",
        "note": note,
        "boxes": boxes,
        "arrows": arrows,
        "font": FONT,
        "colors": _colors(),
        "width": max(2 * MARGIN_X + len(boxes) * gap - (gap - w), 60 + 8.5 * len(net.title), 7 * len(note) + 60),
        "height": y + h / 2 + 60,
        "note_width": round(len(boxes) * gap / PX_PER_CM - 1, 1),
        "note_cy": round(-(y + h / 2 + 20) / PX_PER_CM, 3),
    }


MARGIN_X = 36
SUMMARY_PAINT = {  # SVG fill and stroke, and the TikZ colours, of each kind of summary box
    "input": {"fill": "#fff6e0", "stroke": "#b08a2e", "tikz": "draw=deriveinput, fill=deriveinputfill"},
    "layer": {"fill": "#eaf1fb", "stroke": "#2f5d8a", "tikz": "draw=deriveneuron, fill=deriveneuronfill"},
    "loss": {"fill": "#f2f2f2", "stroke": "#444444", "tikz": "draw=black!75, fill=black!5"},
}
