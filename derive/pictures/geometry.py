"""Plane geometry for the network picture, in points (1/72.27 in; y grows downward, as in SVG): text
widths, edges as cubic curves clipped to their nodes, arrowheads, and label boxes (rectangles that may
be turned along an edge) placed so that they meet no node, no other label and no edge but their own.

One placement serves both pictures: the SVG's viewBox and the TikZ picture use these coordinates."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

Point = tuple[float, float]
ARROW = (5.5, 2.4)  # arrowhead length and half-width

# Widths of characters in em: DejaVu Sans, the widest face an SVG viewer may fall back to (Helvetica,
# Arial and TeX's Computer Modern labels are narrower), so a box measured with them holds the text.
_EM = {
    0.28: "'ijl",
    0.3: "IJ",
    0.32: ",. ",
    0.34: "/:;\\|",
    0.36: "f-",
    0.4: "t()[]!r",
    0.5: '"*_`',
    0.54: "sz?",
    0.58: "cLkF",
    0.6: "vxyP",
    0.62: "aoTYe",
    0.64: "bdghnpquES0123456789${}",
    0.7: "KAVBRXZC",
    0.77: "UHNDG&",
    0.8: "OQ",
    0.84: "w#+<=>^~\u2212\u2192",
    0.88: "M",
    1.0: "%m@W\u2026",
}
_WIDTH = {ch: w for w, chars in _EM.items() for ch in chars}
SUB = 0.75  # a subscript's size relative to its text


def text_width(runs: Iterable[tuple[str, bool]], size: float) -> float:
    """The width in points of text runs [(text, is_subscript)] set at `size` points."""
    total = 0.0
    for text, sub in runs:
        scale = size * (SUB if sub else 1.0)
        total += scale * sum(_WIDTH.get(ch, 0.8 if ch.isupper() else 0.64) for ch in text)
    return total


def _unit(dx: float, dy: float) -> Point:
    d = math.hypot(dx, dy) or 1.0
    return dx / d, dy / d


def border(shape: dict, toward: Point) -> Point:
    """Where the ray from a node's centre toward a point leaves the node (circle or box)."""
    x, y = shape["x"], shape["y"]
    ux, uy = _unit(toward[0] - x, toward[1] - y)
    if shape["shape"] == "circle":
        return x + shape["r"] * ux, y + shape["r"] * uy
    hw, hh = shape["w"] / 2, shape["h"] / 2
    s = min(hw / abs(ux) if ux else math.inf, hh / abs(uy) if uy else math.inf)
    return x + s * ux, y + s * uy


def curve(a: dict, b: dict, bend: float) -> list[Point]:
    """Cubic Bézier points from node a to node b, clipped to both; `bend` in degrees turns the curve to
    the left of the direction of travel as seen on the page (positive) or to the right."""
    p, q = (a["x"], a["y"]), (b["x"], b["y"])
    if not bend:
        s, e = border(a, q), border(b, p)
        return [s, _lerp(s, e, 1 / 3), _lerp(s, e, 2 / 3), e]
    angle, t = math.atan2(q[1] - p[1], q[0] - p[0]), math.radians(bend)
    reach = 0.39 * math.dist(p, q)
    c1 = (p[0] + reach * math.cos(angle - t), p[1] + reach * math.sin(angle - t))
    c2 = (q[0] + reach * math.cos(angle + math.pi + t), q[1] + reach * math.sin(angle + math.pi + t))
    return [border(a, c1), c1, c2, border(b, c2)]


def _lerp(p: Point, q: Point, t: float) -> Point:
    return p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t


def at(points: Sequence[Point], t: float) -> Point:
    """The point at parameter t of a cubic Bézier."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
    u = 1 - t
    return (
        u**3 * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t**3 * x3,
        u**3 * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t**3 * y3,
    )


def polyline(points: Sequence[Point], n: int = 24) -> list[Point]:
    """The curve as n straight pieces (a straight edge stays two points)."""
    if _straight(points):
        return [points[0], points[3]]
    return [at(points, k / n) for k in range(n + 1)]


def _straight(points: Sequence[Point]) -> bool:
    (x0, y0), _, _, (x3, y3) = points
    return all(abs((x3 - x0) * (y - y0) - (y3 - y0) * (x - x0)) < 1e-6 for x, y in points[1:3])


def offset(points: Sequence[Point], d: float) -> list[Point]:
    """The curve moved sideways by d (to the right of the direction of travel on the page)."""
    ux, uy = _unit(points[3][0] - points[0][0], points[3][1] - points[0][1])
    nx, ny = -uy, ux
    return [(x + d * nx, y + d * ny) for x, y in points]


def shorten_end(points: Sequence[Point]) -> tuple[list[Point], list[Point]]:
    """The curve stopped inside its arrowhead, and the arrowhead's three corners (tip first)."""
    (ex, ey), c2 = points[3], points[2]
    ux, uy = _unit(ex - c2[0], ey - c2[1])
    length, half = ARROW
    bx, by = ex - length * ux, ey - length * uy
    tip = [(ex, ey), (bx - half * uy, by + half * ux), (bx + half * uy, by - half * ux)]
    lx, ly = ex - 0.7 * length * ux, ey - 0.7 * length * uy
    return [points[0], points[1], points[2], (lx, ly)], tip


# -- boxes ----------------------------------------------------------------------------------------
@dataclass
class Box:
    """A label's rectangle: centre, width, height and the angle (degrees, clockwise on the page, as
    SVG's rotate) its long side makes with the horizontal."""

    x: float
    y: float
    w: float
    h: float
    angle: float = 0.0

    def corners(self) -> list[Point]:
        c, s = math.cos(math.radians(self.angle)), math.sin(math.radians(self.angle))
        hw, hh = self.w / 2, self.h / 2
        return [
            (self.x + c * dx - s * dy, self.y + s * dx + c * dy)
            for dx, dy in ((-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh))
        ]

    def grown(self, pad: float) -> Box:
        return Box(self.x, self.y, self.w + 2 * pad, self.h + 2 * pad, self.angle)


def _axes(poly: Sequence[Point]) -> list[Point]:
    out = []
    for (x0, y0), (x1, y1) in zip(poly, [*poly[1:], poly[0]], strict=True):
        out.append((-(y1 - y0), x1 - x0))
    return out


def _project(poly: Sequence[Point], axis: Point) -> tuple[float, float]:
    values = [x * axis[0] + y * axis[1] for x, y in poly]
    return min(values), max(values)


def convex_overlap(a: Sequence[Point], b: Sequence[Point]) -> bool:
    """Do two convex polygons (or a polygon and a segment) share interior points? Separating axes."""
    axes = (_axes(a) if len(a) > 2 else []) + (_axes(b) if len(b) > 2 else [])
    if len(a) == 2:
        axes += _axes(a)[:1]
    if len(b) == 2:
        axes += _axes(b)[:1]
    for axis in axes:
        if axis == (0, 0):
            continue
        a0, a1 = _project(a, axis)
        b0, b1 = _project(b, axis)
        if a1 <= b0 + 1e-9 or b1 <= a0 + 1e-9:
            return False
    return True


def circle_overlap(poly: Sequence[Point], cx: float, cy: float, r: float) -> bool:
    """Does a convex polygon come closer than r to a point?"""
    if _inside(poly, (cx, cy)):
        return True
    return any(_dist_to_segment((cx, cy), p, q) < r for p, q in zip(poly, [*poly[1:], poly[0]], strict=True))


def _inside(poly: Sequence[Point], pt: Point) -> bool:
    signs = set()
    for (x0, y0), (x1, y1) in zip(poly, [*poly[1:], poly[0]], strict=True):
        cross = (x1 - x0) * (pt[1] - y0) - (y1 - y0) * (pt[0] - x0)
        if abs(cross) > 1e-12:
            signs.add(cross > 0)
    return len(signs) <= 1


def _dist_to_segment(p: Point, a: Point, b: Point) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    t = 0.0 if not length2 else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2))
    return math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy)


# -- what labels must keep clear of ------------------------------------------------------------------
Extent = tuple[float, float, float, float]


def _extent(points: Sequence[Point]) -> Extent:
    xs, ys = zip(*points, strict=True)
    return min(xs), min(ys), max(xs), max(ys)


def _meet(a: Extent, b: Extent) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@dataclass
class Obstacles:
    """Nodes (circles and boxes), edges (cut into segments, each with its edge as owner) and the label
    boxes placed so far, filed in a grid of square cells so that a query meets only its neighbours."""

    cell: float = 32.0
    items: list[tuple[str, object, tuple, Extent]] = field(default_factory=list)
    grid: dict[tuple[int, int], list[int]] = field(default_factory=dict)

    def _add(self, kind: str, owner: object, data: tuple, extent: Extent) -> None:
        index = len(self.items)
        self.items.append((kind, owner, data, extent))
        for key in self._cells(extent):
            self.grid.setdefault(key, []).append(index)

    def _cells(self, e: Extent):
        c = self.cell
        for i in range(math.floor(e[0] / c), math.floor(e[2] / c) + 1):
            for j in range(math.floor(e[1] / c), math.floor(e[3] / c) + 1):
                yield i, j

    def _near(self, e: Extent) -> list[tuple[str, object, tuple, Extent]]:
        seen: set[int] = set()
        for key in self._cells(e):
            seen.update(self.grid.get(key, ()))
        x0, y0, x1, y1 = e
        out = []
        for i in seen:  # every caller asks only whether something is there: order does not matter
            item = self.items[i]
            a = item[3]
            if a[0] < x1 and x0 < a[2] and a[1] < y1 and y0 < a[3]:
                out.append(item)
        return out

    def add_node(self, shape: dict) -> None:
        x, y = shape["x"], shape["y"]
        if shape["shape"] == "circle":
            r = shape["r"]
            self._add("circle", None, (x, y, r), (x - r, y - r, x + r, y + r))
        else:
            corners = Box(x, y, shape["w"], shape["h"]).corners()
            self._add("rect", None, tuple(corners), _extent(corners))

    def add_edge(self, owner: object, line: list[Point]) -> None:
        """An edge, cut into pieces no longer than a cell (so that each is filed in few cells)."""
        for p, q in pairwise(line):
            pieces = max(1, math.ceil(math.dist(p, q) / self.cell))
            for k in range(pieces):
                a, b = _lerp(p, q, k / pieces), _lerp(p, q, (k + 1) / pieces)
                self._add("seg", owner, (a, b), _extent([a, b]))

    def add_box(self, box: Box) -> None:
        corners = box.corners()
        self._add("box", None, tuple(corners), _extent(corners))

    def free(self, box: Box, owner: object = None, gap: float = 1.2, node_gap: float = 2.5) -> bool:
        """Is the box clear of every node (by node_gap), every placed box (by gap) and every edge not
        owned by `owner`?"""
        poly = box.grown(gap).corners()
        clear = box.grown(node_gap).corners()
        near = _extent(clear)
        tight = _extent(poly)
        for kind, who, data, extent in self._near(near):
            if kind == "circle":
                if circle_overlap(clear, *data):
                    return False
            elif kind == "rect":
                if convex_overlap(clear, data):
                    return False
            elif not _meet(extent, tight) or (kind == "seg" and who == owner):
                continue
            elif convex_overlap(poly, data):
                return False
        return True

    def near_edge(self, pt: Point, owner: object, d: float) -> bool:
        """Is a point closer than d to an edge not owned by `owner` (a crossing, say)?"""
        for kind, who, data, _ in self._near((pt[0] - d, pt[1] - d, pt[0] + d, pt[1] + d)):
            if kind == "seg" and who != owner and _dist_to_segment(pt, *data) < d:
                return True
        return False

    def free_line(self, seg: list[Point], owner: object) -> bool:
        """Does a leader (a segment) keep clear of nodes and boxes, and cross no edge but its own?"""
        a, b = seg
        for kind, who, data, _ in self._near(_extent(seg)):
            if kind == "circle":
                if _dist_to_segment(data[:2], a, b) < data[2] + 0.5:
                    return False
            elif kind in ("rect", "box"):
                if convex_overlap(data, seg):
                    return False
            elif who != owner and _segments_cross(a, b, *data):
                return False
        return True


def _segments_cross(a: Point, b: Point, c: Point, d: Point) -> bool:
    def side(p: Point, q: Point, r: Point) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    return side(a, b, c) * side(a, b, d) < 0 and side(c, d, a) * side(c, d, b) < 0


def along(line: list[Point], ends: tuple[float, float], step: float) -> list[tuple[Point, float]]:
    """Points (and the direction there, in degrees) every `step` along a polyline, skipping `ends[0]`
    at its start and `ends[1]` at its end; nearest the start first."""
    lengths = [math.dist(p, q) for p, q in pairwise(line)]
    total = sum(lengths)
    out = []
    s = ends[0]
    while s <= total - ends[1] + 1e-9:
        rest, i = s, 0
        while i < len(lengths) - 1 and rest > lengths[i]:
            rest -= lengths[i]
            i += 1
        (x0, y0), (x1, y1) = line[i], line[i + 1]
        t = rest / lengths[i] if lengths[i] else 0.0
        out.append(((x0 + (x1 - x0) * t, y0 + (y1 - y0) * t), math.degrees(math.atan2(y1 - y0, x1 - x0))))
        s += step
    return out


def readable(angle: float) -> float:
    """An edge's direction turned so that text along it reads left to right (never upside down)."""
    while angle > 90:
        angle -= 180
    while angle <= -90:
        angle += 180
    return angle


def edge_spots(line: list[Point], w: float, h: float, step: float = 2.5) -> list[Box]:
    """Where a label may sit on its own edge, nearest the source first: turned along the edge when
    the edge is no steeper than 60°, else upright."""
    spots = []
    for (x, y), direction in along(line, (w / 2 + 4.0, w / 2 + ARROW[0] + 2.0), step):
        angle = readable(direction)
        spots.append(Box(x, y, w, h, round(angle, 2) if abs(angle) <= 60 else 0.0))
    if not spots:  # an edge shorter than its label: its middle, upright
        mid = line[len(line) // 2] if len(line) > 2 else _lerp(line[0], line[1], 0.5)
        spots.append(Box(mid[0], mid[1], w, h))
    return spots


def ring_spots(x: float, y: float, reach: float, w: float, h: float, prefer: Sequence[float]) -> list[Box]:
    """Upright boxes around a point, just clear of a node whose reach from its centre is `reach`,
    tried in the preferred directions (degrees, 90 = below) and then one and two steps farther out."""
    spots = []
    for extra in (0.0, 6.0, 14.0):
        for deg in prefer:
            ux, uy = math.cos(math.radians(deg)), math.sin(math.radians(deg))
            # the distance at which a w × h box centred on the ray just clears a circle of radius reach
            d = reach + extra + 3.0 + (abs(ux) * w / 2 + abs(uy) * h / 2)
            spots.append(Box(x + d * ux, y + d * uy, w, h))
    return spots


def leader_spots(line: list[Point], w: float, h: float, step: float = 6.0) -> list[tuple[Box, list[Point]]]:
    """Upright boxes beside an edge, each with a leader: the short line from the box to the point of
    the edge it names; nearest the source first, then farther out."""
    out = []
    for gap in (8.0, 12.0, 18.0):
        for (x, y), direction in along(line, (6.0, ARROW[0] + 8.0), step):
            for side in (-1, 1):
                nx, ny = -math.sin(math.radians(direction)) * side, math.cos(math.radians(direction)) * side
                d = gap + abs(nx) * w / 2 + abs(ny) * h / 2
                box = Box(x + d * nx, y + d * ny, w, h)
                near = (
                    x + (d - abs(nx) * w / 2 - abs(ny) * h / 2) * nx,
                    y + (d - abs(nx) * w / 2 - abs(ny) * h / 2) * ny,
                )
                out.append((box, [(x, y), near]))
    return out


def place(obstacles: Obstacles, spots: list[Box], owner: object = None) -> Box | None:
    """The first spot clear of everything; it then becomes an obstacle itself."""
    for box in spots:
        if obstacles.free(box, owner):
            obstacles.add_box(box)
            return box
    return None


def place_with_leader(
    obstacles: Obstacles, spots: list[tuple[Box, list[Point]]], owner: object
) -> tuple[Box, list[Point]] | None:
    """The first box beside its edge that is clear of everything, edges included (its own too), whose
    leader crosses no other edge, node or label; box and leader then become obstacles."""
    for box, leader in spots:
        if obstacles.near_edge(leader[0], owner, 6.0) or not obstacles.free(box, None):
            continue
        if not obstacles.free_line(leader, owner):
            continue
        obstacles.add_box(box)
        obstacles.add_edge(("leader", owner), leader)
        return box, leader
    return None
