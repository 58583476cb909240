"""What each quantity is worth: at full precision, at random points, and "given your earlier answers"
(a forward pass with the person's own values put in, and the chain rule run on from there)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

import mpmath

from derive import losses
from derive.calculus.grad import ZERO, Backward, backward, successors, uses
from derive.calculus.graph import Forward, forward
from derive.check.names import L_NODE, Node, Quantity
from derive.errors import DeriveError, NotDifferentiable
from derive.numbers import Carry, Num
from derive.spec.model import DataPoint, Network

EXACT = Carry()  # marking compares with full precision, whatever the network file carries


class LinkError(DeriveError):
    """A derivative that is not one step of any chain-rule path; the message says why."""


@dataclass
class State:
    """One forward and backward pass; `where` says which point it is, for messages."""

    fwd: Forward
    back: Backward | None
    where: str


def state(net: Network, point: DataPoint, where: str, params=None, overrides=None, carry: Carry = EXACT) -> State:
    fwd = forward(net, point, carry, params=params, overrides=overrides)
    try:
        back = backward(fwd)
    except NotDifferentiable:
        back = None
    return State(fwd, back, where)


def random_states(
    net: Network, count: int, seed: int = 20240, keep: frozenset[str] = frozenset(), at: DataPoint | None = None
) -> list[State]:
    """Forward passes at random parameters, inputs and targets: where two formulas are compared. `keep`
    holds what stays as it is at the data point `at` (and the network's own parameters): "targets",
    "inputs" and/or "parameters" (where a formula with y = 1 written in is compared)."""
    rng = random.Random(seed)
    found: list[State] = []
    for _ in range(count * 3):
        params = {p: _rand(rng, 1) for p in net.parameters}
        inputs = {x: _rand(rng, 2) for x in net.inputs}
        targets = _targets(rng, net)
        if at is not None:
            params = dict(net.parameters) if "parameters" in keep else params
            inputs = dict(at.inputs) if "inputs" in keep else inputs
            targets = tuple(at.targets) if "targets" in keep else targets
        point = DataPoint(inputs, targets)
        try:
            found.append(state(net, point, f"random point {len(found) + 1}", params=params))
        except DeriveError:
            continue  # e.g. a cross-entropy that is infinite there: try another point
        if len(found) == count:
            break
    return found


def _rand(rng: random.Random, scale: int) -> Fraction:
    value = 0
    while value == 0:
        value = rng.randint(-100 * scale, 100 * scale)
    return Fraction(value, 100)


def _targets(rng: random.Random, net: Network) -> tuple[Fraction, ...]:
    """Targets the loss accepts: in (0, 1) for cross-entropy, summing to 1 for the categorical one (as
    the textbook ∂L/∂z = O − y assumes)."""
    loss = losses.of(net.loss)
    if loss.pairs_with_softmax:
        weights = [rng.randint(1, 20) for _ in net.outputs]
        return tuple(Fraction(w, sum(weights)) for w in weights)
    if loss.needs_probabilities:
        return tuple(Fraction(rng.randint(5, 95), 100) for _ in net.outputs)
    return tuple(_rand(rng, 1) for _ in net.outputs)


# -- the derivative graph ----------------------------------------------------------------------------
def feeds(net: Network) -> dict[str, set[str]]:
    """Every neuron → the names (neurons, inputs, parameters) its output depends on."""
    found: dict[str, set[str]] = {}
    for n in net.neurons:
        names = set()
        for e in n.edges:
            names |= {e.source} | found.get(e.source, set())
            if isinstance(e.weight, str):
                names.add(e.weight)
        if isinstance(n.bias, str):
            names.add(n.bias)
        found[n.name] = names
    return found


def step(net: Network, top: Node, bottom: Node) -> list[Node] | None:
    """The nodes one factor d(top)/d(bottom) passes through, when it is a single chain-rule step
    (O_m → z_m → source, or a part of that); None when it is not."""
    if top[0] not in ("O", "z"):
        return None
    m = net.neuron(top[1])
    if m.activation.couples_outputs:
        return None
    inner = [top] if top[0] == "z" else [top, ("z", m.name)]
    if bottom == ("z", m.name) and top[0] == "O":
        return [top, bottom]
    if bottom[0] == "z" and bottom[1] in _sources(m) and not net.neuron(bottom[1]).activation.couples_outputs:
        return [*inner, ("O", bottom[1]), bottom]
    if bottom[0] in ("O", "x") and bottom[1] in _sources(m):
        return [*inner, bottom]
    if bottom[0] == "p" and bottom[1] in _params(m):
        return [*inner, bottom]
    return None


def _sources(neuron) -> set[str]:
    return {e.source for e in neuron.edges}


def _params(neuron) -> set[str]:
    names = {e.weight for e in neuron.edges if isinstance(e.weight, str)}
    return names | ({neuron.bias} if isinstance(neuron.bias, str) else set())


def link(net: Network, top: Node, bottom: Node) -> list[Node]:
    """The fine path of a step that must exist (a pair along a path of the network)."""
    found = step(net, top, bottom)
    if found is None:
        raise LinkError(why_not(net, top, bottom))
    return found


def why_not(net: Network, top: Node, bottom: Node) -> str:
    """Why d(top)/d(bottom) is not a step of a path, in words."""
    from derive.check.names import label

    t, b = label(top), label(bottom)
    if top[0] in ("p", "x"):
        what = "parameter" if top[0] == "p" else "input"
        return f"{t} is a {what}: nothing is differentiated with respect to it on the way down"
    if top[0] == "L":
        return f"L does not depend on {b}"
    depends = feeds(net)
    n = top[1]
    if bottom[0] in ("O", "z") and n in depends.get(bottom[1], set()):
        return f"{t} feeds {b}, not the other way round: the factor is d{b}/d{t}"
    if bottom[1] not in depends[n] and bottom[1] != n:
        return f"{b} does not feed {n}, so no path runs through {n}"
    if net.neuron(n).activation.couples_outputs:
        return f"{n} is a softmax output: its factors couple all outputs and are not checked one by one"
    between = [e.source for e in net.neuron(n).edges if bottom[1] in depends.get(e.source, set())]
    via = f" (the paths go through {' or '.join(between)})" if between else ""
    return f"{t} does not take {b} directly{via}: the factor spans more than one step; write one factor per neuron"


# -- values -----------------------------------------------------------------------------------------
def node_value(s: State, node: Node) -> Num:
    kind, name = node[0], node[1] if len(node) > 1 else ""
    if kind == "O":
        return s.fwd.neurons[name].O
    if kind == "z":
        return s.fwd.neurons[name].z
    if kind == "p":
        return s.fwd.params[name]
    if kind == "x":
        return s.fwd.inputs[name]
    return s.fwd.loss


def local(net: Network, s: State, top: Node, bottom: Node) -> Num:
    """The value of one chain-rule step d(top)/d(bottom)."""
    if step(net, top, bottom) is None:
        raise LinkError(why_not(net, top, bottom))
    back = _back(s)
    m = net.neuron(top[1])
    f = back.fprime[m.name] if top[0] == "O" else Num(Fraction(1))
    if bottom == ("z", m.name):
        return f
    if bottom[0] == "p":
        total = ZERO
        for e in m.edges:
            if e.weight == bottom[1]:
                total = total + s.fwd.value(e.source)
        return f * (total + (1 if m.bias == bottom[1] else 0))
    w = sum((s.fwd.weight(e.weight) for e in m.edges if e.source == bottom[1]), ZERO)
    if bottom[0] == "z":
        return f * w * back.fprime[bottom[1]]
    return f * w


def total(net: Network, s: State, bottom: Node) -> Num:
    """dL/d(bottom) through every path."""
    back = _back(s)
    kind, name = bottom[0], bottom[1] if len(bottom) > 1 else ""
    if kind == "O":
        return back.dL_dO[name]
    if kind == "z":
        return back.delta[name]
    if kind == "p":
        return back.gradients[name]
    if kind == "x":
        return sum((back.delta[m] * s.fwd.weight(w) for m, w in successors(net)[name]), ZERO)
    return Num(Fraction(1))


def value(net: Network, s: State, q: Quantity) -> Num:
    """The value of quantity `q` in state `s`."""
    with mpmath.workdps(s.fwd.dps):
        if q.kind in ("z", "O"):
            return node_value(s, (q.kind, q.name))
        if q.kind == "L":
            return s.fwd.loss
        if q.kind == "error":
            return s.fwd.error[net.outputs.index(q.name) if q.name else 0]
        if q.kind == "new":
            return updated(net, s, q.name, total(net, s, ("p", q.name)))
        if q.top == L_NODE:
            return total(net, s, q.bottom)
        return local(net, s, q.top, q.bottom)


def updated(net: Network, s: State, p: str, gradient: Num) -> Num:
    old = s.fwd.params[p]
    return old if p in net.freeze else old - gradient * net.learning_rate


def _back(s: State) -> Backward:
    if s.back is None:
        from derive.calculus.grad import check_differentiable

        check_differentiable(s.fwd.net)  # raises the reason there is no backward pass
    assert s.back is not None
    return s.back


# -- given the person's own answers -------------------------------------------------------------------
def given(net: Network, point: DataPoint, q: Quantity, earlier: dict[Quantity, Fraction]) -> tuple[Num, set[Quantity]]:
    """The value of `q` computed from the person's `earlier` answers where they gave one, and the
    answers that were used."""
    overrides = {(e.kind, e.name): v for e, v in earlier.items() if e.kind in ("z", "O")}
    s = state(net, point, "your values", overrides=overrides)
    used = {e for e in earlier if e.kind in ("z", "O")}
    if q.kind in ("z", "O", "L", "error"):
        return value(net, s, q), used
    if any(n.activation.couples_outputs for n in net.neurons):
        return value(net, s, q), used
    back = _Replay(net, s, {e: v for e, v in earlier.items() if e.kind in ("d", "new")})
    with mpmath.workdps(s.fwd.dps):
        result = back.quantity(q)
    # Only the forward values the replay read count: an answer given for ∂L/∂w4 hides how O2 was found.
    depends = feeds(net)
    read = back.touched | {m for n in back.touched for m in depends[n]}
    return result, {e for e in used if e.name in read} | back.used


class _Replay:
    """Back-propagation that takes the person's own ∂L/∂O, δ, factors and gradients where given."""

    def __init__(self, net: Network, s: State, answers: dict[Quantity, Fraction]):
        self.net, self.s, self.answers = net, s, answers
        self.succ, self.uses = successors(net), uses(net)
        self.memo: dict[Quantity, Num] = {}
        self.used: set[Quantity] = set()
        self.touched: set[str] = set()  # neurons whose forward values were read

    def answer(self, top: Node, bottom: Node) -> Num | None:
        q = Quantity("d", top=top, bottom=bottom)
        if q in self.answers:
            self.used.add(q)
            return Num(self.answers[q])
        return None

    def quantity(self, q: Quantity) -> Num:
        if q.kind == "new":
            g = self.answer(L_NODE, ("p", q.name))
            return updated(self.net, self.s, q.name, g if g is not None else self.total(("p", q.name)))
        if q.top == L_NODE:
            return self.total(q.bottom)
        return self.local(q.top, q.bottom)

    def local(self, top: Node, bottom: Node) -> Num:
        m = self.net.neuron(top[1])
        self.touched |= {top[1]} | {
            e.source for e in m.edges if e.source in self.succ and e.source not in self.net.inputs
        }
        return local(self.net, self.s, top, bottom)

    def step_value(self, top: Node, bottom: Node) -> Num:
        mine = self.answer(top, bottom)
        return mine if mine is not None else self.local(top, bottom)

    def total(self, node: Node) -> Num:
        mine = self.answer(L_NODE, node)
        if mine is not None:
            return mine
        key = Quantity("d", top=L_NODE, bottom=node)
        if key not in self.memo:
            self.memo[key] = self._total(node)
        return self.memo[key]

    def _total(self, node: Node) -> Num:
        kind, name = node
        if kind == "z":
            return self.total(("O", name)) * self.step_value(("O", name), node)
        if kind == "p":
            return sum((self._through(m, node) for m in dict.fromkeys(u.neuron for u in self.uses[name])), ZERO)
        s = self.s
        head = ZERO
        if kind == "O" and name in self.net.outputs:
            self.touched |= set(self.net.outputs)
            i = self.net.outputs.index(name)
            head = losses.gradient(self.net.loss, s.fwd.outputs(), s.fwd.targets())[i]
        return head + sum((self._through(m, node) for m, _ in self.succ[name]), ZERO)

    def _through(self, m: str, node: Node) -> Num:
        """The part of dL/d(node) that passes through neuron m (node is one of m's sources or parameters)."""
        if self.answer(("O", m), node) is not None or Quantity("d", top=L_NODE, bottom=("z", m)) not in self.answers:
            return self.total(("O", m)) * self.step_value(("O", m), node)
        return self.total(("z", m)) * self.local(("z", m), node)
