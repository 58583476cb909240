"""Where each node of a network picture goes: layered columns, rows centred, and which edges lie on
the chain-rule paths from the loss back to one parameter."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

from derive.calculus.grad import param_path_count, path_counts, routes, successors, uses
from derive.calculus.graph import columns_of
from derive.latex import _INDEXED  # the rule tex_name uses: letters, then digits become the subscript
from derive.spec.model import Network

BIG_NEURONS, BIG_EDGES = 60, 400  # past either, a picture shows one box per layer
LOSS = "L"  # reserved by the loader, so it never clashes with a user's name


@dataclass(frozen=True)
class Spacing:
    """Distances in points: between layers, between neighbours in a layer, from the last layer to the
    loss, around the picture, the band above it for the heading, and the room for skip curves."""

    layer: float = 100.0
    row: float = 58.0
    loss: float = 72.0
    margin: float = 8.0
    top: float = 30.0
    skip: float = 26.0

    def scaled(self, k: float) -> Spacing:
        return Spacing(self.layer * k, self.row * k, self.loss * k, self.margin, self.top, self.skip * k)


@dataclass(frozen=True)
class Layout:
    """Every node's column and centre (points, y down); column 0 holds the inputs, the last the loss L.
    `vertical`: layers run down the page (a deep network that would be too wide across)."""

    columns: tuple[tuple[str, ...], ...]
    column: dict[str, int]
    pos: dict[str, tuple[float, float]]
    width: float
    height: float
    big: bool = False
    sizes: dict = field(default_factory=dict)  # summary only: edges into each column
    vertical: bool = False

    def span(self, source: str, target: str) -> int:
        return self.column[target] - self.column[source]

    def across(self, name: str) -> float:
        """A node's position across the layers (y when layers run across the page, x when down)."""
        return self.pos[name][0 if self.vertical else 1]

    @property
    def middle(self) -> float:
        """The middle of the picture across the layers."""
        return (self.pos_min + self.pos_max) / 2

    @property
    def pos_min(self) -> float:
        return min(self.across(n) for col in self.columns for n in col)

    @property
    def pos_max(self) -> float:
        return max(self.across(n) for col in self.columns for n in col)


def is_big(net: Network) -> bool:
    return len(net.neurons) > BIG_NEURONS or net.edge_count() > BIG_EDGES


def order(net: Network) -> tuple[list[list[str]], dict[str, int]]:
    """The columns, each in drawing order. Within a column neurons are ordered by the mean rank of
    their sources (ties keep the written order), which removes the crossings a written order would add."""
    column = columns_of(net)
    last = max(column.values(), default=0) + 1
    column[LOSS] = last
    cols: list[list[str]] = [[] for _ in range(last + 1)]
    cols[0] = list(net.inputs)
    cols[last] = [LOSS]
    rank = {x: i - (len(cols[0]) - 1) / 2 for i, x in enumerate(cols[0])}
    written = {n.name: i for i, n in enumerate(net.neurons)}
    for c in range(1, last):
        members = [n for n in net.neurons if column[n.name] == c]
        members.sort(key=lambda n: (_mean(rank[e.source] for e in n.edges), written[n.name]))
        cols[c] = [n.name for n in members]
        for i, name in enumerate(cols[c]):
            rank[name] = i - (len(cols[c]) - 1) / 2
    return cols, column


def layout(
    net: Network,
    spacing: Spacing | None = None,
    extent: dict[str, tuple[float, float]] | None = None,
    vertical: bool = False,
    stretch: dict[int, float] | None = None,
) -> Layout:
    """Layered positions: columns `spacing.layer` apart (the loss `spacing.loss` after the last), the
    members of a column `spacing.row` apart and centred. `extent` gives each node's (width, height),
    so that wide input boxes push the columns apart; layers run down the page when `vertical`.
    `stretch` widens single gaps: {c: k} makes the gap before column c k times as long."""
    sp = spacing or Spacing()
    cols, column = order(net)
    extent = extent or {}

    def along(name: str) -> float:  # a node's size in the direction the layers advance
        w, h = extent.get(name, (36.0, 36.0))
        return h if vertical else w

    def across(name: str) -> float:
        w, h = extent.get(name, (36.0, 36.0))
        return w if vertical else h

    skips = any(column[n.name] - column[e.source] > 1 for n in net.neurons for e in n.edges)
    pad = sp.skip if skips else 0.0
    # across: each column's members centred on 0, neighbours a row gap apart (or their sizes, if more)
    offsets: dict[str, float] = {}
    for col in cols:
        steps = [max(sp.row, (across(a) + across(b)) / 2 + 10) for a, b in pairwise(col)]
        total = sum(steps)
        at = -total / 2
        for i, name in enumerate(col):
            offsets[name] = at
            if i < len(steps):
                at += steps[i]
    low = min(offsets[n] - across(n) / 2 for n in offsets)
    high = max(offsets[n] + across(n) / 2 for n in offsets)
    # along: column c at a running distance; a wide column (input boxes) pushes the next one away
    first = max(along(n) for n in cols[0]) / 2 if cols[0] else 0.0
    where = [sp.margin + first]
    for c in range(1, len(cols)):
        gap = (sp.loss if c == len(cols) - 1 else sp.layer) * (stretch or {}).get(c, 1.0)
        before = max((along(n) for n in cols[c - 1]), default=0.0) / 2
        here = max((along(n) for n in cols[c]), default=0.0) / 2
        where.append(where[-1] + max(gap, before + here + 24))
    last_half = max(along(n) for n in cols[-1]) / 2
    length = where[-1] + last_half + sp.margin
    breadth = high - low + 2 * sp.margin + 2 * pad
    shift = sp.margin + pad - low
    pos: dict[str, tuple[float, float]] = {}
    for c, col in enumerate(cols):
        for name in col:
            a, b = where[c], offsets[name] + shift
            pos[name] = (b, a + sp.top) if vertical else (a, b + sp.top)
    outs = [offsets[o] for o in net.outputs if o in offsets]
    if outs and not vertical:  # the loss level with the outputs' middle
        pos[LOSS] = (pos[LOSS][0], _mean(outs) + shift + sp.top)
    elif outs:
        pos[LOSS] = (_mean(outs) + shift, pos[LOSS][1])
    width, height = (breadth, length + sp.top) if vertical else (length, breadth + sp.top)
    sizes = _edges_into(net, column) if is_big(net) else {}
    return Layout(tuple(tuple(c) for c in cols), column, pos, width, height, is_big(net), sizes, vertical)


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def _edges_into(net: Network, column: dict[str, int]) -> dict[int, int]:
    into: dict[int, int] = {}
    for n in net.neurons:
        into[column[n.name]] = into.get(column[n.name], 0) + len(n.edges)
    return into


# -- names ----------------------------------------------------------------------------------------
def name_runs(name: str) -> list[tuple[str, bool]]:
    """`w4` → [("w", False), ("4", True)]: the subscript split of latex.tex_name."""
    m = _INDEXED.match(name)
    return [(m.group(1), False), (m.group(2), True)] if m else [(name, False)]


# -- the chain-rule paths to one parameter ---------------------------------------------------------
@dataclass(frozen=True)
class PathSet:
    """The edges (source, target) on some route from the loss back to a parameter, its own edges,
    the nodes those routes pass, the outputs whose edge to L they use, and how many routes there are."""

    param: str
    edges: frozenset
    own: frozenset
    nodes: frozenset
    outputs: frozenset
    count: int
    bias_of: frozenset  # neurons whose bias is the parameter
    routes: tuple = ()  # each path's edges, parameter end first, ending at (output, L): the notes' order


PATH_LIMIT = 12  # paths drawn one by one, each in its own colour and dash; past it, all in one


def paths_to(net: Network, param: str) -> PathSet:
    """Linear in the edges: the downstream of each use, cut to what still reaches an output."""
    found = uses(net)
    if param not in found:
        raise ValueError(f"`{param}` is not a parameter of this network (parameters: {', '.join(net.parameters)})")
    succ = successors(net)
    reach = set(net.outputs)
    for n in reversed(net.neurons):
        if any(m in reach for m, _ in succ[n.name]):
            reach.add(n.name)
    down, stack = set(), [u.neuron for u in found[param]]
    while stack:
        node = stack.pop()
        if node not in down:
            down.add(node)
            stack.extend(m for m, _ in succ[node])
    live = down & reach
    edges = {(e.source, n.name) for n in net.neurons if n.name in live for e in n.edges if e.source in live}
    own = {(u.source, u.neuron) for u in found[param] if u.source is not None and u.neuron in reach}
    counts = path_counts(net)
    count = param_path_count(net, found[param], counts)
    listed: list[tuple] = []
    if count <= PATH_LIMIT:  # the order of derive.steps.backward: each use, then routes depth first
        for u in found[param]:
            for route in routes(net, u.neuron, count, succ, counts):
                trail = list(reversed(route))  # [start, ..., output]
                head = [(u.source, u.neuron)] if u.source is not None else []
                listed.append(tuple(head + list(pairwise(trail)) + [(route[0], LOSS)]))
    return PathSet(
        param,
        frozenset(edges | own),
        frozenset(own),
        frozenset(live | {s for s, _ in own}),
        frozenset(o for o in net.outputs if o in live),
        count,
        frozenset(u.neuron for u in found[param] if u.source is None),
        tuple(listed),
    )
