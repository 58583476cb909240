"""The typed pieces of a worked example: what one forward step, one chain-rule factor, one path, one
parameter's derivation and one update say. Every field is shown text (TeX or plain) or a flag, so
templates read them as attributes exactly as they would read dict keys (`p.tex`). Frozen: a piece is
built once and only read after."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from derive.calculus.symbolic import Check
    from derive.numbers import Num


@dataclass(frozen=True)
class Carried:
    """A value written down (cut or rounded) before it is used again."""

    value: str
    how: str
    is_output: bool


@dataclass(frozen=True)
class Threshold:
    """A threshold on a neuron's output, and the class it gives: 1 when O ≥ threshold."""

    value: str
    predicted: int
    relation: str  # \ge or <


@dataclass(frozen=True)
class ForwardStep:
    """One neuron of the forward pass: its weighted sum and its activation, numbers substituted."""

    neuron: str
    tex: str
    z_line: str
    O_line: str
    activation: str
    carried: Carried | None = None
    threshold: Threshold | None = None


@dataclass(frozen=True)
class Factor:
    """One chain-rule factor as shown: symbol = formula = numbers substituted ≈ value."""

    symbol: str
    formula: str
    substituted: str  # "" when it would only repeat the formula or the value
    value: str
    eq: str  # "= v" or "≈ v"
    on: tuple[str, ...] = ()  # what it concerns in the diagram: edges "source>target", nodes by name


@dataclass(frozen=True)
class Path:
    """One route from the loss back to a parameter, and the product of its factors."""

    route: str
    chain: str
    factors: tuple[Factor, ...]
    product_line: str
    product: str
    on: tuple[str, ...] = ()  # the edges and nodes of the route, as in Factor.on


@dataclass(frozen=True)
class UseTex:
    """Where a parameter enters, in TeX: the neuron it feeds and the source it multiplies (None: a bias)."""

    neuron: str
    source: str | None


@dataclass(frozen=True)
class DeltaUse:
    """One term of a gradient written from δ when the paths are too many to list."""

    line: str


@dataclass(frozen=True)
class AlikeRow:
    """A parameter whose derivation is a shown one's with another last input: its gradient, the
    shared ∂L/∂z times that input."""

    tex: str
    source: str  # the input it multiplies, in TeX ("1" for a bias)
    line: str  # ∂L/∂z · input = numbers ≈ value
    value: str
    new: str
    frozen: bool
    zero: bool


@dataclass(frozen=True)
class Alike:
    """The parameters that enter the same neuron as a shown one, so their chain-rule products are
    the shown one's with the last input changed (the lecture's "same breakdown")."""

    neuron: str  # TeX of the neuron they feed
    source: str  # what the shown parameter multiplies, in TeX ("1" for a bias)
    shared: str  # ∂L/∂z_n, in TeX
    shared_value: str  # with its "= v" or "≈ v"
    path_count: int
    rows: tuple[AlikeRow, ...]


@dataclass(frozen=True)
class Derivation:
    """One parameter: its gradient (by paths, or from δ when the paths are too many), and its update.
    `full`: derived in the notes; `row`: a row of the update table."""

    name: str
    tex: str
    kind: str  # weight | bias
    uses: tuple[UseTex, ...]
    path_count: int
    value: str
    eq: str
    full_value: str  # the gradient at full precision, for the hand-calculation comparison
    frozen: bool
    tied: bool
    full: bool
    row: bool
    update_line: str
    old: str
    new: str
    paths: tuple[Path, ...] | None = None
    sum_line: str | None = None
    delta_uses: tuple[DeltaUse, ...] | None = None
    alike: Alike | None = None  # parameters with the same breakdown, said after this one
    zero: bool = False  # the gradient is exactly 0: the update leaves the parameter where it is
    like: str | None = None  # written briefly: the same shape as this (TeX) parameter's derivation


@dataclass(frozen=True)
class DeltaRow:
    """One neuron of the δ sweep: δ_n (and z_n, its symbol's root) = f′(z_n)·(the sum of what it feeds)."""

    neuron: str
    delta: str
    z: str
    sum: str
    prime: str  # "" where f′ is not written (linear, softmax)
    value: str
    eq: str
    softmax: bool


@dataclass(frozen=True)
class BackwardSection:
    """The backward half of a document. Without gradients (a step activation, the plain error) only
    `reason` says why; JSON needs the gradients, the check and the updated values; the notes also
    the derivations (`params`: the chosen ones and the update table's rows), the δ sweep, the depth
    table and, for a big network, the layer-by-layer view."""

    available: bool
    reason: str = ""
    check: Check | None = None
    json: dict[str, dict] = field(default_factory=dict)  # per parameter: value, exact form, paths
    updated_exact: dict[str, Num] = field(default_factory=dict)
    carried: dict[str, dict] = field(
        default_factory=dict
    )  # in a carry mode: gradients and updates from the carried values
    param_count: int = 0
    params: tuple[Derivation, ...] = ()  # the update table's order (nearest the loss first)
    derived: tuple[Derivation, ...] = ()  # the ones derived in full, in the order the notes give them
    alike_count: int = 0  # parameters summarised after a derivation of the same shape
    hidden_rows: int = 0  # parameters past the update table's rows
    explained: int = 0  # parameters derived in full
    deltas: tuple[DeltaRow, ...] = ()
    hidden_deltas: int = 0
    depth: dict | None = None
    layers: dict | None = None


@dataclass(frozen=True)
class Update:
    """One parameter's update in a training step: the optimizer's lines, or none when frozen."""

    tex: str
    frozen: bool
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Combined:
    """One parameter's gradient over a batch: the per-point gradients summed or averaged."""

    tex: str
    line: str


@dataclass(frozen=True)
class PointStep:
    """One data point of a training step: forward pass, loss, δ sweep and gradients, as display lines."""

    index: int
    forward: tuple[str, ...]
    loss: str
    deltas: tuple[str, ...]
    grads: tuple[str, ...]


@dataclass(frozen=True)
class PerceptronStep:
    """One point of the perceptron's first epoch: z and O, the class, and the updates when it was wrong."""

    number: int
    point: int
    lines: tuple[str, ...]
    predicted: int
    target: int
    class_line: str
    updates: tuple[str, ...]  # rows of an aligned block (aligned on the arrow); none when right


@dataclass(frozen=True)
class TrainStep:
    """One optimizer step written out in full."""

    number: int
    epoch: int
    points: tuple[PointStep, ...]
    batch: tuple[int, ...]
    combine: tuple[Combined, ...]
    loss_line: str
    norm_line: str
    updates: tuple[Update, ...]
    size: int
