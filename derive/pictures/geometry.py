"""Plane geometry for the network picture: edges as cubic curves clipped to their nodes, arrowheads,
and edge labels placed where they collide with nothing already drawn."""

from __future__ import annotations

import math

TIKZ_LOOSENESS = 0.3915  # TikZ's `bend` control-point length, as a fraction of the distance
ARROW = (10.0, 4.5)  # arrowhead length and half-width


def text_width(runs, size: float) -> float:
    """An estimate of the width of text runs [(text, is_subscript)] in a sans-serif face."""
    return sum(len(t) * size * (0.42 if sub else 0.57) for t, sub in runs)


def _unit(dx: float, dy: float) -> tuple[float, float]:
    d = math.hypot(dx, dy) or 1.0
    return dx / d, dy / d


def border(shape: dict, toward: tuple[float, float]) -> tuple[float, float]:
    """Where the ray from a node's centre toward a point leaves the node (circle or box)."""
    x, y = shape["x"], shape["y"]
    ux, uy = _unit(toward[0] - x, toward[1] - y)
    if shape["shape"] == "circle":
        return x + shape["r"] * ux, y + shape["r"] * uy
    hw, hh = shape["w"] / 2, shape["h"] / 2
    s = min(hw / abs(ux) if ux else math.inf, hh / abs(uy) if uy else math.inf)
    return x + s * ux, y + s * uy


def curve(a: dict, b: dict, bend: float) -> list[tuple[float, float]]:
    """Cubic Bézier points from node a to node b, clipped to both; `bend` in degrees is TikZ's
    `bend left` (positive: to the left of the direction of travel, as seen on the page)."""
    p, q = (a["x"], a["y"]), (b["x"], b["y"])
    if not bend:
        s, e = border(a, q), border(b, p)
        return [s, _lerp(s, e, 1 / 3), _lerp(s, e, 2 / 3), e]
    angle, t = math.atan2(q[1] - p[1], q[0] - p[0]), math.radians(bend)
    reach = TIKZ_LOOSENESS * math.dist(p, q)
    c1 = (p[0] + reach * math.cos(angle - t), p[1] + reach * math.sin(angle - t))
    c2 = (q[0] + reach * math.cos(angle + math.pi + t), q[1] + reach * math.sin(angle + math.pi + t))
    return [border(a, c1), c1, c2, border(b, c2)]


def _lerp(p, q, t):
    return p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t


def at(points, t: float) -> tuple[float, float]:
    """The point at parameter t of a cubic Bézier."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
    u = 1 - t
    return (
        u**3 * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t**3 * x3,
        u**3 * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t**3 * y3,
    )


def path_and_arrow(points, shorten: float = 6.0) -> tuple[str, str]:
    """SVG path data (stopping inside the arrowhead) and the arrowhead's polygon points."""
    (sx, sy), c1, c2, (ex, ey) = points
    ux, uy = _unit(ex - c2[0], ey - c2[1])
    length, half = ARROW
    bx, by = ex - length * ux, ey - length * uy
    tip = f"{ex:.1f},{ey:.1f} {bx - half * uy:.1f},{by + half * ux:.1f} {bx + half * uy:.1f},{by - half * ux:.1f}"
    lx, ly = ex - shorten * ux, ey - shorten * uy
    d = f"M{sx:.1f},{sy:.1f} C{c1[0]:.1f},{c1[1]:.1f} {c2[0]:.1f},{c2[1]:.1f} {lx:.1f},{ly:.1f}"
    return d, tip


def box_of(shape: dict, pad: float = 2.0) -> tuple:
    """An obstacle for labels: a box (x0, y0, x1, y1), or a circle (x, y, r)."""
    if shape["shape"] == "circle":
        return shape["x"], shape["y"], shape["r"] + pad
    hw, hh = shape["w"] / 2, shape["h"] / 2
    return shape["x"] - hw - pad, shape["y"] - hh - pad, shape["x"] + hw + pad, shape["y"] + hh + pad


def _overlap(a, b) -> bool:
    """Does box a meet obstacle b (a box, or a circle)?"""
    if len(b) == 3:
        nx, ny = min(max(b[0], a[0]), a[2]), min(max(b[1], a[1]), a[3])  # the box's point nearest the centre
        return math.hypot(nx - b[0], ny - b[1]) < b[2]
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_labels(edges: list[dict], obstacles: list[tuple], px_per_cm: float) -> None:
    """Give each edge label a position `t` along its edge: the first of its preferred spots that
    collides with no node and no label placed before it (else its first choice); also in cm for TikZ."""
    placed = list(obstacles)
    for e in edges:
        lab = e["label"]
        choice = None
        for t in e["prefs"]:
            x, y = at(e["points"], t)
            box = (x - lab["w"] / 2, y - lab["h"] / 2, x + lab["w"] / 2, y + lab["h"] / 2)
            if not any(_overlap(box, b) for b in placed):
                choice = (t, x, y, box)
                break
        if choice is None:
            t = e["prefs"][0]
            x, y = at(e["points"], t)
            choice = (t, x, y, (x - lab["w"] / 2, y - lab["h"] / 2, x + lab["w"] / 2, y + lab["h"] / 2))
        e["pos"], lab["x"], lab["y"] = round(choice[0], 2), choice[1], choice[2]
        lab["cx"], lab["cy"] = round(choice[1] / px_per_cm, 3), round(-choice[2] / px_per_cm, 3)
        placed.append(choice[3])
