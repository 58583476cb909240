"""The expected formula of every quantity in plain maths (the same notation answers use), and the
worked step with the numbers put in. A formula is a template: `{O2}*(1 - {O2})` is shown with the
names or with the values of a state."""

from __future__ import annotations

import itertools
import re

import mpmath

from derive import losses
from derive.calculus.grad import routes, uses
from derive.check.names import L_NODE, Node, Quantity, label
from derive.check.truth import State, local, node_value, total, value
from derive.numbers import Num, exact_decimal, show
from derive.spec.model import Network

MAX_PATHS_SHOWN = 8
DIGITS = 5
_SLOT = re.compile(r"\{([^{}]+)\}")


def number(x: Num, digits: int = DIGITS) -> str:
    """A value as shown in reports: the exact decimal when short, else `digits` significant digits."""
    return show(x, digits)[0]


def names_of(template: str) -> str:
    return _SLOT.sub(lambda m: m.group(1).replace("[", "").replace("]", ""), template)


def numbers_of(template: str, s: State) -> str:
    def put(m):
        text = number(slot_value(s, m.group(1)))
        return f"({text})" if text.startswith("-") else text

    return _SLOT.sub(put, template)


def slot_value(s: State, slot: str) -> Num:
    net = s.fwd.net
    if slot == "eta":
        return Num(net.learning_rate)
    if slot == "y" or slot.startswith("y["):
        return s.fwd.targets()[0 if slot == "y" else int(slot[2:-1]) - 1]
    if slot.startswith("z("):
        return s.fwd.neurons[slot[2:-1]].z
    kind = "O" if slot in s.fwd.neurons else "p" if slot in s.fwd.params else "x"
    return node_value(s, (kind, slot))


def _y(net: Network, out: str) -> str:
    return "{y}" if len(net.outputs) == 1 else f"{{y[{net.outputs.index(out) + 1}]}}"


def _fixed(w) -> str:
    """A parameter as a slot, a fixed (untrained) weight as its number."""
    return f"{{{w}}}" if isinstance(w, str) else _decimal(w)


def _decimal(x) -> str:
    text = exact_decimal(x, 12) or f"{x.numerator}/{x.denominator}"
    return f"({text})" if text.startswith("-") or "/" in text else text


# -- forward ------------------------------------------------------------------------------------------
def z_formula(net: Network, n: str) -> str:
    neuron = net.neuron(n)
    terms = [f"{_fixed(e.weight)}*{{{e.source}}}" for e in neuron.edges]
    if neuron.bias is not None:
        terms.append(_fixed(neuron.bias))
    return " + ".join(terms) or "0"


def o_formula(net: Network, n: str) -> str:
    return net.neuron(n).activation.plain_apply(f"{{z({n})}}")


def loss_formula(net: Network) -> str:
    return losses.of(net.loss).plain_formula([(f"{{{o}}}", _y(net, o)) for o in net.outputs])


# -- backward -----------------------------------------------------------------------------------------
def head_formula(net: Network, out: str) -> str:
    """∂L/∂ŷ for one output, directly (not through other neurons)."""
    return losses.of(net.loss).plain_gradient(f"{{{out}}}", _y(net, out), len(net.outputs))


def fprime_formula(net: Network, n: str) -> str:
    return net.neuron(n).activation.plain_derivative(f"{{{n}}}", f"{{z({n})}}")


def step_formula(net: Network, top: Node, bottom: Node) -> str:
    """The formula of one chain-rule step d(top)/d(bottom) (checked to be one by truth.step)."""
    m = net.neuron(top[1])
    f = fprime_formula(net, m.name) if top[0] == "O" else "1"
    if bottom == ("z", m.name):
        return f
    if bottom[0] == "p":
        inner = [f"{{{e.source}}}" for e in m.edges if e.weight == bottom[1]] + (["1"] if m.bias == bottom[1] else [])
        rest = inner[0] if len(inner) == 1 else "(" + " + ".join(inner) + ")"
    else:
        w = [_fixed(e.weight) for e in m.edges if e.source == bottom[1]]
        rest = w[0] + (f"*{fprime_formula(net, bottom[1])}" if bottom[0] == "z" else "")
    return product([f, rest])


def product(factors: list[str]) -> str:
    kept = [f for f in factors if f != "1"]
    return "*".join(kept) if kept else "1"


def paths(net: Network, target: Node, limit: int = 64) -> list[list[Node]]:
    """Every chain-rule path from L to `target`, as [L, output, …, target] (one node per step)."""
    if target[0] in ("O", "z"):
        ends = [(target[1], [target] if target[0] == "z" else [])]
    elif target[0] == "p":
        ends = [(n, [target]) for n in dict.fromkeys(u.neuron for u in uses(net)[target[1]])]
    else:
        ends = [(n.name, [target]) for n in net.neurons if any(e.source == target[1] for e in n.edges)]
    found = []
    for neuron, tail in ends:
        for route in routes(net, neuron, limit):
            found.append([L_NODE] + [("O", r) for r in route] + tail)
    return found[: limit + 1]


def chain(path: list[Node]) -> str:
    return " * ".join(f"d{label(a)}/d{label(b)}" for a, b in itertools.pairwise(path))


def path_formula(net: Network, path: list[Node]) -> str:
    factors = [head_formula(net, path[1][1])] + [step_formula(net, a, b) for a, b in itertools.pairwise(path[1:])]
    return " * ".join(f for f in factors if f != "1") or "1"


def path_value(net: Network, s: State, path: list[Node]) -> Num:
    out = path[1][1]
    head = losses.gradient(net.loss, s.fwd.outputs(), s.fwd.targets())[net.outputs.index(out)]
    result = head
    for a, b in itertools.pairwise(path[1:]):
        result = result * local(net, s, a, b)
    return result


def expected_formula(net: Network, q: Quantity) -> str | None:
    """The expected answer as a template, or None where it is too long to read."""
    if q.kind == "z":
        return z_formula(net, q.name)
    if q.kind == "O":
        return o_formula(net, q.name)
    if q.kind == "L":
        return loss_formula(net)
    if q.kind == "error":
        out = q.name or net.outputs[0]
        return f"{_y(net, out)} - {{{out}}}"
    if q.kind == "new":
        return f"{{{q.name}}}" if q.name in net.freeze else f"{{{q.name}}} - {{eta}}*dL/d{q.name}"
    if q.top != L_NODE:
        return step_formula(net, q.top, q.bottom)
    found = paths(net, q.bottom, MAX_PATHS_SHOWN)
    if not found or len(found) > MAX_PATHS_SHOWN or any(net.neuron(p[1][1]).activation.couples_outputs for p in found):
        return None
    return " + ".join(path_formula(net, p) for p in found)


def worked(net: Network, s: State, q: Quantity) -> list[str]:
    """The step that gives `q`, symbols then numbers, with its value."""
    with mpmath.workdps(s.fwd.dps):
        v = number(value(net, s, q))
        if q.is_derivative and q.top == L_NODE:
            return _worked_total(net, s, q, v)
        if q.kind == "new":
            g = total(net, s, ("p", q.name))
            if q.name in net.freeze:
                return [f"new({q.name}) = {q.name} = {v} ({q.name} is frozen)"]
            return [
                f"new({q.name}) = {q.name} - eta*dL/d{q.name} = {number(Num(net.parameters[q.name]))} - "
                f"{number(Num(net.learning_rate))}*({number(g)}) = {v}"
            ]
        template = expected_formula(net, q)
        assert template is not None  # every quantity but a chain-rule structure has a formula
        return [f"{q.key} = {names_of(template)} = {numbers_of(template, s)} = {v}"]


def _worked_total(net: Network, s: State, q: Quantity, v: str) -> list[str]:
    found = paths(net, q.bottom, MAX_PATHS_SHOWN)
    if not found or len(found) > MAX_PATHS_SHOWN:
        return [f"{q.key} = {v} (by back-propagation: too many paths to list)"]
    if any(net.neuron(p[1][1]).activation.couples_outputs for p in found):
        return [f"{q.key} = {v} (by back-propagation through the softmax outputs, which couple each other)"]
    lines = []
    for p in found:
        template = path_formula(net, p)
        head = f"path {' → '.join(label(n) for n in p)}: " if len(found) > 1 else f"{q.key} = "
        steps = "" if chain(p) == q.key else f"{chain(p)} = "
        lines.append(f"{head}{steps}{names_of(template)} = {numbers_of(template, s)} = {number(path_value(net, s, p))}")
    if len(found) > 1:
        lines.append(f"{q.key} = sum of the {len(found)} paths = {v}")
    return lines
