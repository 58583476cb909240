"""Where each node of a network picture goes: layered columns, rows centred, and which edges lie on
the chain-rule paths from the loss back to one parameter."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from derive.calculus.grad import param_path_count, path_counts, successors, uses
from derive.calculus.graph import columns_of
from derive.latex import _INDEXED  # the rule tex_name uses: letters, then digits become the subscript
from derive.spec.model import Network

COL_GAP, ROW_GAP = 240, 130  # pixels between column centres and between rows
LOSS_GAP = 170  # from the last column of neurons to the loss
TOP, MARGIN = 64, 36  # room for the heading; space around the picture
BIG_NEURONS, BIG_EDGES = 60, 400  # past either, a picture shows one box per layer
SKIP_PAD = 60  # room above and below for the curves of skip connections
LOSS = "L"  # reserved by the loader, so it never clashes with a user's name


@dataclass(frozen=True)
class Layout:
    """Every node's column and centre (pixels, y down); column 0 holds the inputs, the last the loss L."""

    columns: tuple[tuple[str, ...], ...]
    column: dict[str, int]
    pos: dict[str, tuple[float, float]]
    width: float
    height: float
    big: bool = False
    sizes: dict = field(default_factory=dict)  # summary only: edges into each column

    def span(self, source: str, target: str) -> int:
        return self.column[target] - self.column[source]


def is_big(net: Network) -> bool:
    return len(net.neurons) > BIG_NEURONS or net.edge_count() > BIG_EDGES


def layout(net: Network) -> Layout:
    """Layered positions. Within a column neurons are ordered by the mean row of their sources (ties
    keep the written order), which removes the crossings a layer-by-layer order would add."""
    column = columns_of(net)
    last = max(column.values(), default=0) + 1
    column[LOSS] = last
    cols: list[list[str]] = [[] for _ in range(last + 1)]
    cols[0] = list(net.inputs)
    cols[last] = [LOSS]
    counts = Counter(column[n.name] for n in net.neurons)
    tallest = max([len(net.inputs), 1, *counts.values()])
    pad = SKIP_PAD if any(column[n.name] - column[e.source] > 1 for n in net.neurons for e in n.edges) else 0
    height = TOP + pad + tallest * ROW_GAP + MARGIN + pad
    pos: dict[str, tuple[float, float]] = {}
    x0 = MARGIN + 75
    _place(cols[0], 0, x0, height, pos)
    order = {n.name: i for i, n in enumerate(net.neurons)}
    for c in range(1, last):
        members = [n for n in net.neurons if column[n.name] == c]
        members.sort(key=lambda n: (_mean(pos[e.source][1] for e in n.edges), order[n.name]))
        cols[c] = [n.name for n in members]
        _place(cols[c], c, x0, height, pos)
    outs = [pos[o][1] for o in net.outputs if o in pos]
    loss_x = x0 + (last - 1) * COL_GAP + LOSS_GAP
    pos[LOSS] = (loss_x, _mean(outs) if outs else (TOP + height - MARGIN) / 2)
    width = loss_x + 60 + MARGIN
    sizes = _edges_into(net, column) if is_big(net) else {}
    return Layout(tuple(tuple(c) for c in cols), column, pos, width, height, is_big(net), sizes)


def _place(names: list[str], c: int, x0: float, height: float, pos: dict) -> None:
    middle = (TOP + height - MARGIN) / 2  # skip padding is symmetric, so the middle is unchanged
    for i, name in enumerate(names):
        pos[name] = (x0 + c * COL_GAP, middle + (i - (len(names) - 1) / 2) * ROW_GAP)


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
    count = param_path_count(net, found[param], path_counts(net))
    return PathSet(
        param,
        frozenset(edges | own),
        frozenset(own),
        frozenset(live | {s for s, _ in own}),
        frozenset(o for o in net.outputs if o in live),
        count,
        frozenset(u.neuron for u in found[param] if u.source is None),
    )
