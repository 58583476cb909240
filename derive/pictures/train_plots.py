"""Plots of training: the loss step by step, the loss per learning rate, the perceptron's decision
boundary and the gradient's product along a chain, drawn with matplotlib exactly as derive/figures.py
draws (deterministic SVG, no global state). Each plot is first a plain `chart` dict, which
derive/train_tikz.py also draws, so the PDF shows the same picture.

Log scales are drawn as log10 values computed by mpmath (so 10^-400 or 10^900 can be shown) on a
linear axis labelled 10^k."""

from __future__ import annotations

import math
from collections.abc import Mapping
from itertools import pairwise
from typing import Any

import mpmath

from derive.latex import tex_name
from derive.numbers import Num
from derive.pictures.figures import BLUE, GREEN, GREY, RED, _output, _Plan, to_float
from derive.train.optimizers import in_sentence

LIGHT_BLUE = "#9bb7d4"
COLORS = [BLUE, RED, GREEN, "#e08a00", "#7b4fa0", "#3a9ea5", "#8c564b", GREY]


def log10(x: Num) -> float | None:
    """log10|x| as a float, or None for 0 (which has no place on a log scale)."""
    if x.is_zero():
        return None
    with mpmath.workdps(30):
        return float(mpmath.log10(abs(x.mp)))


def _wide(values: list) -> bool:
    """Whether values span more than two decades (then a log scale shows them better)."""
    logs = [v for v in values if v is not None]
    return bool(logs) and max(logs) - min(logs) > 2


# -- charts (plain data) ---------------------------------------------------------------------------------
def loss_chart(run) -> dict:
    batch = [log10(s.loss) for s in run.steps]
    per_epoch = [log10(e.loss) for e in run.epochs]
    log = _wide(batch + per_epoch) and None not in per_epoch
    spe = len(run.batches)

    def ys(nums, logs):
        return logs if log else [to_float(x) for x in nums]

    series = [
        {
            "label": "loss of each step's batch (before its update)",
            "x": [s.number for s in run.steps],
            "y": ys([s.loss for s in run.steps], batch),
            "color": LIGHT_BLUE,
            "dash": "solid",
            "marker": False,
            "width": 0.8,
        }
    ]
    if spe > 1 or len(run.epochs) > 1:
        series.append(
            {
                "label": "loss over the whole data set, after each epoch",
                "x": [e * spe for e in range(len(run.epochs))],
                "y": ys([e.loss for e in run.epochs], per_epoch),
                "color": RED,
                "dash": "solid",
                "marker": True,
            }
        )
    return {
        "title": f"Training with {in_sentence(run.optimizer.named(len(run.batches[0]), len(run.net.data)))}, $\\eta$ = {_plain(run.settings.eta)}",
        "xlabel": "step",
        "ylabel": "$L$",
        "log": log,
        "series": series,
    }


def lr_chart(results) -> dict:
    """Two panels: the loss per epoch (log scale, a diverging run leaves through the top), and one
    parameter per epoch around where the best run ends, which shows the oscillation across the minimum."""
    losses: list[dict[str, Any]] = []
    params: list[dict[str, Any]] = []
    name = _watched(results)
    best = min(results, key=lambda r: (r.run.stopped is not None, to_float(r.run.epochs[-1].loss)))
    for i, r in enumerate(results):
        tag = {
            "label": f"$\\eta$ = {_plain(r.rate)}: {r.verdict}",
            "x": list(range(len(r.run.epochs))),
            "color": COLORS[i % len(COLORS)],
            "dash": "solid",
            "marker": True,
        }
        losses.append({**tag, "y": [log10(e.loss) for e in r.run.epochs]})
        params.append({**tag, "label": "_nolegend_", "y": [to_float(e.params[name]) for e in r.run.epochs]})
    start = log10(results[0].run.epochs[0].loss)
    low = min(finite(y for s in losses for y in s["y"]), default=-1)
    top = max(finite(y for s in losses for y in s["y"]), default=1)
    target = to_float(best.run.final[name])
    params.append(
        {
            "label": f"where $\\eta$ = {_plain(best.rate)} ends",
            "x": [0, max(len(r.run.epochs) for r in results) - 1],
            "y": [target, target],
            "color": GREY,
            "dash": "dashed",
            "marker": False,
        }
    )
    calm = [y for r, s in zip(results, params, strict=False) if r.verdict != "diverging" for y in s["y"]] + [target]
    spread = (max(calm) - min(calm)) or 1.0
    return {
        "panels": [
            {
                "title": "Loss over the data set",
                "xlabel": "epoch",
                "ylabel": "$L$",
                "log": True,
                "series": losses,
                "ylim": (low - 0.3, min(top, (start or 0) + 4) + 0.3),
            },
            {
                "title": f"${tex_name(name)}$ epoch by epoch",
                "xlabel": "epoch",
                "ylabel": f"${tex_name(name)}$",
                "log": False,
                "series": params,
                "ylim": (min(calm) - 0.15 * spread, max(calm) + 0.15 * spread),
            },
        ]
    }


def _watched(results) -> str:
    """The parameter to follow: the one that turns back most often in the first oscillating run."""
    r = next((r for r in results if r.verdict == "oscillating"), results[0])
    evals, names = r.run.epochs, r.run.trainable

    def turns(p):
        steps = [to_float(b.params[p]) - to_float(a.params[p]) for a, b in pairwise(evals)]
        return sum(u * v < 0 for u, v in pairwise(steps))

    return max(names, key=lambda p: (turns(p), -names.index(p)))


def depth_chart(variants) -> dict:
    series, palette = [], {"sigmoid": BLUE, "tanh": GREEN, "relu": RED}
    for v in variants:
        rows = [r for r in v.rows if r.product is not None]
        name = v.activation + ("" if v.scale == 1 else f", weights × {_plain(v.scale)}")
        series.append(
            {
                "label": name,
                "x": list(range(1, len(rows) + 1)),
                "y": [log10(r.product) for r in rows],
                "color": palette.get(v.activation, GREY),
                "dash": "solid" if v.scale == 1 else "dashed",
                "marker": True,
            }
        )
    sig = next((v for v in variants if v.activation == "sigmoid" and v.scale == 1), None)
    if sig is not None:
        rows = [r for r in sig.rows if r.product_bound is not None]
        series.append(
            {
                "label": "sigmoid's bound $0.25^k\\,\\prod|w|$",
                "x": list(range(1, len(rows) + 1)),
                "y": [log10(r.product_bound) for r in rows],
                "color": GREY,
                "dash": "dotted",
                "marker": False,
            }
        )
    return {
        "title": "The gradient's factor after k links back from the output",
        "xlabel": "links k",
        "ylabel": "$|\\partial O_{out}/\\partial O|$",
        "log": True,
        "series": series,
    }


def boundary_chart(p) -> dict | None:
    """Points by class and the line w·x + b = z* before and after training (two inputs only)."""
    net = p.net
    if len(net.inputs) != 2:
        return None
    a, b = list(net.inputs)
    pts = [(float(d.inputs[a]), float(d.inputs[b]), int(d.targets[0])) for d in net.data]
    xs, ys = [q[0] for q in pts], [q[1] for q in pts]
    pad = max(max(xs) - min(xs), max(ys) - min(ys), 1) * 0.35
    box = (min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad)
    lines = [
        {"label": "before training", "ends": _line(p, p.initial, box, a, b), "color": GREY, "dash": "dashed"},
        {
            "label": "after training" if p.converged else "where training stopped",
            "ends": _line(p, p.final, box, a, b),
            "color": GREEN if p.converged else RED,
            "dash": "solid",
        },
    ]
    if p.converged:
        title = f"Converged after {p.updates} updates"
    elif p.proof:
        title = f"No line separates the classes: still wrong after {len(p.mistakes)} epochs"
    else:
        title = f"Not converged after {len(p.mistakes)} epochs"
    return {
        "title": title,
        "xlabel": f"${tex_name(a)}$",
        "ylabel": f"${tex_name(b)}$",
        "points": pts,
        "box": box,
        "lines": lines,
        "region": _class_one_side(p, p.final, box, a, b),
    }


def _class_one_side(p, params, box, a, b) -> list[tuple[float, float]]:
    """The part of `box` the final weights put in class 1 (z ≥ z*), as a polygon (box clipped by a half-plane)."""
    n = p.net.neurons[0]
    w = {e.source: float(params[e.weight]) if isinstance(e.weight, str) else float(e.weight) for e in n.edges}
    c = 0.0 if n.bias is None else float(params[n.bias]) if isinstance(n.bias, str) else float(n.bias)
    wa, wb, z0 = w.get(a, 0.0), w.get(b, 0.0), to_float(p.z_star)
    x0, x1, y0, y1 = box
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]

    def side(q):
        return wa * q[0] + wb * q[1] + c - z0

    out = []
    for q, r in zip(corners, corners[1:] + corners[:1], strict=True):
        sq, sr = side(q), side(r)
        if sq >= 0:
            out.append(q)
        if (sq >= 0) != (sr >= 0):
            t = sq / (sq - sr)
            out.append((q[0] + t * (r[0] - q[0]), q[1] + t * (r[1] - q[1])))
    return out


def _line(p, params, box, a, b):
    """The two ends of w_a x + w_b y + c = z* inside `box`, or None when it has no line (both weights 0)."""
    n = p.net.neurons[0]
    w = {e.source: float(params[e.weight]) if isinstance(e.weight, str) else float(e.weight) for e in n.edges}
    c = 0.0 if n.bias is None else float(params[n.bias]) if isinstance(n.bias, str) else float(n.bias)
    wa, wb, rhs = w.get(a, 0.0), w.get(b, 0.0), to_float(p.z_star) - c
    x0, x1, y0, y1 = box
    if wb != 0:
        return [(x0, (rhs - wa * x0) / wb), (x1, (rhs - wa * x1) / wb)]
    if wa != 0:
        return [(rhs / wa, y0), (rhs / wa, y1)]
    return None


def _plain(x) -> str:
    from derive.numbers import show

    return show(x if isinstance(x, Num) else Num(x), 5)[0]


# -- drawing with matplotlib -----------------------------------------------------------------------------
def svg(chart: dict) -> Mapping:
    """{"svg", "png", "data"} for a line chart, a boundary chart, or side-by-side panels of them."""
    panels = chart.get("panels", [chart])
    plan = _Plan()  # recorded, then drawn by matplotlib only if no cached drawing of it is found
    fig = plan.figure(figsize=(6.4, 4.2 * len(panels)), layout="constrained")  # stacked: notes are narrow
    axes = fig.subplots(len(panels), 1, squeeze=False)
    for k, panel in enumerate(panels):
        ax = axes[k, 0]
        if "points" in panel:
            _draw_boundary(ax, panel)
        else:
            _draw_lines(plan, ax, panel)
        ax.set_title(panel["title"], fontsize=10)
        ax.set_xlabel(panel["xlabel"])
        ax.set_ylabel(panel["ylabel"] + (" (log scale)" if panel.get("log") else ""))
    return _output(plan, chart)


def _draw_lines(plan: _Plan, ax, chart: dict) -> None:
    for s in chart["series"]:
        xs = [x for x, y in zip(s["x"], s["y"], strict=True) if y is not None]
        ys = [y for y in s["y"] if y is not None]
        ax.plot(
            xs,
            ys,
            color=s["color"],
            lw=s.get("width", 1.6),
            ls=s["dash"],
            marker="o" if s["marker"] else None,
            ms=3.5,
            label=s["label"],
        )
    if chart.get("ylim"):
        ax.set_ylim(*chart["ylim"])
    if chart["log"]:
        ax.yaxis.set_major_locator(plan.ticker.MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(plan.ticker.FuncFormatter(plan.whole_decade_label))
    ax.xaxis.set_major_locator(plan.ticker.MaxNLocator(integer=True))
    ax.legend(loc="best")


def _draw_boundary(ax, chart: dict) -> None:
    x0, x1, y0, y1 = chart["box"]
    if len(chart["region"]) >= 3:
        ax.fill(
            [q[0] for q in chart["region"]],
            [q[1] for q in chart["region"]],
            color=BLUE,
            alpha=0.1,
            lw=0,
            label="where the final weights say class 1",
        )
    for cls, marker, color in ((1, "o", BLUE), (0, "s", RED)):
        pts = [q for q in chart["points"] if q[2] == cls]
        ax.plot([q[0] for q in pts], [q[1] for q in pts], marker, color=color, ms=8, ls="none", label=f"class {cls}")
    for line in chart["lines"]:
        if line["ends"]:
            (ax0, ay0), (ax1, ay1) = line["ends"]
            ax.plot([ax0, ax1], [ay0, ay1], color=line["color"], ls=line["dash"], lw=1.8, label=line["label"])
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8)


def finite(values) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]
