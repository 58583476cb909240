"""The charts of derive/train_figures.py as TikZ, so the PDF notes hold the same plots as the Markdown
and HTML ones without reading any file (derive compiles LaTeX in an empty, sandboxed folder).
Only plain TikZ is used: no pgfplots, which not every TeX installation has."""

from __future__ import annotations

import math
import re

from derive.escape import tex_escape

WIDTH, HEIGHT = 11.0, 6.0  # cm
MAX_POINTS = 400  # per series; longer ones are thinned evenly (the ends are kept)
_MATH = re.compile(r"(\$[^$]*\$)")


def text(label: str) -> str:
    """A label with $…$ maths (as matplotlib reads it) for LaTeX: the maths kept, the rest escaped."""
    return "".join(
        part if part.startswith("$") and part.endswith("$") and len(part) > 1 else tex_escape(part)
        for part in _MATH.split(label)
    )


def color(hex_color: str) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"{{rgb,255:red,{r};green,{g};blue,{b}}}"


def ticks(low: float, high: float, most: int = 7, whole: bool = False) -> list[float]:
    """Round tick values covering [low, high]: steps of 1, 2 or 5 times a power of ten."""
    span = max(high - low, 1e-12)
    raw = span / most
    base = 10 ** math.floor(math.log10(raw))
    step = next(m * base for m in (1, 2, 5, 10) if m * base >= raw)
    if whole:
        step = max(1.0, round(step))
    first = math.ceil(low / step - 1e-9) * step
    return [first + k * step for k in range(int((high - first) / step + 1e-9) + 1)]


def _fmt(v: float) -> str:
    return f"{v:.4g}".replace("-", "$-$") if abs(v) < 1e5 else f"${v:.2g}$"


def tikz(chart: dict) -> str:
    if "panels" in chart:
        return "\n\n\\medskip\n\n".join(tikz(panel) for panel in chart["panels"])
    return _boundary(chart) if "points" in chart else _lines(chart)


def _lines(chart: dict) -> str:
    pts = [
        (x, y)
        for s in chart["series"]
        for x, y in zip(s["x"], s["y"], strict=True)
        if y is not None and math.isfinite(y)
    ]
    if not pts:
        return ""
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
    if x1 == x0:
        x1 = x0 + 1
    pad = (y1 - y0) * 0.05 or 0.5
    y0, y1 = chart.get("ylim") or (y0 - pad, y1 + pad)
    sx, sy = WIDTH / (x1 - x0), HEIGHT / (y1 - y0)
    out = [r"\begin{tikzpicture}[x=1cm,y=1cm,font=\small]", rf"\draw[gray!60] (0,0) rectangle ({WIDTH},{HEIGHT});"]
    for t in ticks(x0, x1, whole=True):
        out.append(rf"\draw ({(t - x0) * sx:.3f},0) -- ++(0,-0.1) node[below] {{{_fmt(t)}}};")
    for t in ticks(y0, y1, whole=chart["log"]):
        label = f"$10^{{{round(t)}}}$" if chart["log"] else _fmt(t)
        out.append(rf"\draw ({0},{(t - y0) * sy:.3f}) -- ++(-0.1,0) node[left] {{{label}}};")
    out.append(rf"\node[below] at ({WIDTH / 2},-0.55) {{{text(chart['xlabel'])}}};")
    ylabel = text(chart["ylabel"]) + (" (log scale)" if chart["log"] else "")
    out.append(rf"\node[rotate=90,above] at (-1.15,{HEIGHT / 2}) {{{ylabel}}};")
    out.append(
        rf"\node[above,align=center,text width={WIDTH}cm] at ({WIDTH / 2},{HEIGHT + 0.1}) {{{text(chart['title'])}}};"
    )
    out.append(rf"\begin{{scope}}\clip (0,0) rectangle ({WIDTH},{HEIGHT});")
    for s in chart["series"]:
        out.extend(_series(s, x0, y0, sx, sy))
    out.append(r"\end{scope}")
    for i, s in enumerate(x for x in chart["series"] if not x["label"].startswith("_")):
        y = -1.25 - 0.5 * i
        out.append(
            rf"\draw[color={color(s['color'])},{s['dash']},line width=1pt] (0,{y}) -- (0.8,{y}) "
            rf"node[right,black] {{{text(s['label'])}}};"
        )
    out.append(r"\end{tikzpicture}")
    return "\n".join(out)


def _series(s: dict, x0, y0, sx, sy) -> list[str]:
    pts = [
        ((x - x0) * sx, (y - y0) * sy)
        for x, y in zip(s["x"], s["y"], strict=True)
        if y is not None and math.isfinite(y)
    ]
    if len(pts) > MAX_POINTS:
        every = len(pts) / MAX_POINTS
        pts = [pts[int(k * every)] for k in range(MAX_POINTS)] + [pts[-1]]
    style = f"color={color(s['color'])},{s['dash']},line width={s.get('width', 1.6) * 0.6:.2f}pt"
    out = [
        rf"\draw[{style}] plot coordinates {{{' '.join(f'({x:.3f},{y:.3f})' for x, y in run)}}};"
        for run in _inside(pts)
        if len(run) > 1
    ]
    if s["marker"] or len(pts) == 1:
        out += [
            rf"\fill[color={color(s['color'])}] ({x:.3f},{y:.3f}) circle (1.3pt);"
            for x, y in pts[:60]
            if -0.5 <= y <= HEIGHT + 0.5
        ]
    return out


def _inside(pts: list[tuple[float, float]], low: float = -1.0, high: float = HEIGHT + 1) -> list[list]:
    """The polyline cut to the band low ≤ y ≤ high, as runs of points: TeX cannot hold coordinates of
    millions of centimetres, which a diverging run reaches, and the clip would hide them anyway."""
    runs: list[list[tuple[float, float]]] = []
    run: list[tuple[float, float]] = []
    for a, b in zip(pts, [*pts[1:], None], strict=True):
        if b is None:
            if low <= a[1] <= high and not run:
                run.append(a)
            break
        (xa, ya), (xb, yb) = a, b
        t0, t1 = 0.0, 1.0
        for edge in (low, high):
            if ya == yb:
                if not low <= ya <= high:
                    t0, t1 = 1.0, 0.0
                continue
            t = (edge - ya) / (yb - ya)
            if (yb - ya > 0) == (edge == low):
                t0 = max(t0, t)
            else:
                t1 = min(t1, t)
        if t0 > t1:
            runs.append(run)
            run = []
            continue
        start = (xa + t0 * (xb - xa), ya + t0 * (yb - ya))
        end = (xa + t1 * (xb - xa), ya + t1 * (yb - ya))
        if not run or t0 > 0:
            runs.append(run)
            run = [start]
        run.append(end)
        if t1 < 1:
            runs.append(run)
            run = []
    runs.append(run)
    return [r for r in runs if r]


def _boundary(chart: dict) -> str:
    x0, x1, y0, y1 = chart["box"]
    scale = min(8.0 / (x1 - x0), 6.0 / (y1 - y0))
    w, h = (x1 - x0) * scale, (y1 - y0) * scale

    def at(x, y):
        return f"({(x - x0) * scale:.3f},{(y - y0) * scale:.3f})"

    out = [r"\begin{tikzpicture}[font=\small]", rf"\draw[gray!60] (0,0) rectangle ({w:.3f},{h:.3f});"]
    for t in ticks(x0, x1, 6):
        out.append(rf"\draw {at(t, y0)} -- ++(0,-0.1) node[below] {{{_fmt(t)}}};")
    for t in ticks(y0, y1, 6):
        out.append(rf"\draw {at(x0, t)} -- ++(-0.1,0) node[left] {{{_fmt(t)}}};")
    out.append(rf"\node[below] at ({w / 2:.3f},-0.55) {{{text(chart['xlabel'])}}};")
    out.append(rf"\node[left] at (-1.0,{h / 2:.3f}) {{{text(chart['ylabel'])}}};")
    out.append(
        rf"\node[above,align=center,text width={w:.3f}cm] at ({w / 2:.3f},{h + 0.1:.3f}) {{{text(chart['title'])}}};"
    )
    out.append(rf"\begin{{scope}}\clip (0,0) rectangle ({w:.3f},{h:.3f});")
    if len(chart["region"]) >= 3:
        out.append(
            rf"\fill[color={color('#2f5d8a')},opacity=0.1] "
            + " -- ".join(at(x, y) for x, y in chart["region"])
            + " -- cycle;"
        )
    for line in chart["lines"]:
        if line["ends"]:
            (a, b), (c, d) = line["ends"]
            out.append(
                rf"\draw[color={color(line['color'])},{line['dash']},line width=1.2pt] {at(a, b)} -- {at(c, d)};"
            )
    out.append(r"\end{scope}")
    for x, y, cls in chart["points"]:
        shape = "circle (3pt)" if cls == 1 else "++(-3pt,-3pt) rectangle ++(6pt,6pt)"
        fill = color("#2f5d8a") if cls == 1 else color("#d1495b")
        out.append(rf"\fill[color={fill}] {at(x, y)} {shape};")
    legend = [("class 1", "circle (3pt)", "#2f5d8a"), ("class 0", "++(-3pt,-3pt) rectangle ++(6pt,6pt)", "#d1495b")]
    for i, (label, shape, col) in enumerate(legend):
        out.append(rf"\fill[color={color(col)}] ({w + 0.5:.3f},{h - 0.4 - 0.5 * i:.3f}) {shape};")
        out.append(rf"\node[right] at ({w + 0.7:.3f},{h - 0.4 - 0.5 * i:.3f}) {{{label}}};")
    for i, line in enumerate(chart["lines"]):
        y = h - 1.4 - 0.5 * i
        out.append(
            rf"\draw[color={color(line['color'])},{line['dash']},line width=1.2pt] ({w + 0.3:.3f},{y:.3f}) -- "
            rf"++(0.6,0) node[right,black] {{{text(line['label'])}}};"
        )
    out.append(r"\end{tikzpicture}")
    return "\n".join(out)
