"""Gradients by back-propagation (δ recursion, linear in the edges) and the chain-rule paths behind them."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import mpmath

from derive import losses
from derive.calculus.graph import Forward
from derive.errors import NotDifferentiable
from derive.numbers import Num, dot
from derive.spec.model import Network

ZERO = Num(Fraction(0))
ONE = Num(Fraction(1))


@dataclass(frozen=True)
class Use:
    """One place a parameter enters the network: a weight on source→neuron, or a neuron's bias."""

    param: str
    neuron: str
    source: str | None  # None for a bias


@dataclass(frozen=True)
class Backward:
    """δ_n = ∂L/∂z_n and ∂L/∂O_n per neuron, ∂L/∂ŷ per output, and ∂L/∂p per parameter."""

    dL_dyhat: dict[str, Num]
    dL_dO: dict[str, Num]
    delta: dict[str, Num]
    fprime: dict[str, Num]
    gradients: dict[str, Num]


def successors(net: Network) -> dict[str, list[tuple[str, str | Fraction]]]:
    """For every input and neuron, the neurons it feeds and the weight on each edge."""
    succ: dict[str, list] = {n: [] for n in list(net.inputs) + [x.name for x in net.neurons]}
    for n in net.neurons:
        for e in n.edges:
            succ[e.source].append((n.name, e.weight))
    return succ


def uses(net: Network) -> dict[str, list[Use]]:
    """Every use of every parameter, in the order they are written."""
    found: dict[str, list[Use]] = {p: [] for p in net.parameters}
    for n in net.neurons:
        for e in n.edges:
            if isinstance(e.weight, str):
                found[e.weight].append(Use(e.weight, n.name, e.source))
        if isinstance(n.bias, str):
            found[n.bias].append(Use(n.bias, n.name, None))
    return found


def check_differentiable(net: Network) -> None:
    steps = [n.name for n in net.neurons if not n.activation.differentiable]
    if steps:
        raise NotDifferentiable(
            f"{', '.join(steps)} {'uses' if len(steps) == 1 else 'use'} the step activation, which has no useful derivative "
            "(0 everywhere, undefined at the threshold): gradients cannot flow through it"
        )
    if not losses.of(net.loss).minimisable:
        raise NotDifferentiable(
            "the loss `error` (y − ŷ) is a difference, not a loss to minimise: its derivative "
            "is −1 whatever the weights, so it never reaches a minimum"
        )


def backward(fwd: Forward) -> Backward:
    """Back-propagation: one sweep from the outputs to the inputs, each edge visited once (twice in
    all: once for the δ recursion, once for the gradients)."""
    net = fwd.net
    check_differentiable(net)
    succ = successors(net)
    with mpmath.workdps(fwd.dps):
        yhat = losses.gradient(net.loss, fwd.outputs(), fwd.targets())
        dL_dyhat = dict(zip(net.outputs, yhat, strict=True))
        dL_dO: dict[str, Num] = {}
        delta: dict[str, Num] = {}
        fprime: dict[str, Num] = {}
        softmax = [n for n in net.neurons if n.activation.couples_outputs]
        if softmax:
            _softmax_deltas(fwd, softmax, dL_dyhat, dL_dO, delta)
        weights = {w: fwd.weight(w) for w in net.parameters}
        for n in reversed(net.neurons):
            if n.name in delta:
                continue
            total = dot(
                ((delta[m], weights[w] if isinstance(w, str) else Num(w)) for m, w in succ[n.name]),
                dL_dyhat.get(n.name, ZERO),
            )
            v = fwd.neurons[n.name]
            fprime[n.name] = n.activation.derivative(v.z, v.O)
            dL_dO[n.name] = total
            delta[n.name] = total * fprime[n.name]
        grads = {
            p: dot((delta[u.neuron], fwd.value(u.source) if u.source else ONE) for u in found)
            for p, found in uses(net).items()
        }
    return Backward(dL_dyhat, dL_dO, delta, fprime, grads)


def _softmax_deltas(fwd, group, dL_dyhat, dL_dO, delta) -> None:
    """δ_k = Σ_j ∂L/∂O_j · O_j(δ_jk − O_k) = O_k (∂L/∂O_k − Σ_j ∂L/∂O_j O_j)."""
    outs = {n.name: fwd.neurons[n.name].O for n in group}
    mean = sum((dL_dyhat[n] * o for n, o in outs.items()), ZERO)
    for n, o in outs.items():
        dL_dO[n] = dL_dyhat[n]
        delta[n] = o * (dL_dyhat[n] - mean)


def path_counts(net: Network) -> dict[str, int]:
    """How many routes lead from each neuron's output to the loss (outputs count their own)."""
    succ = successors(net)
    counts: dict[str, int] = {}
    for n in reversed(net.neurons):
        counts[n.name] = (1 if n.name in net.outputs else 0) + sum(counts[m] for m, _ in succ[n.name])
    return counts


def param_path_count(net: Network, use_list: list[Use], counts: dict[str, int]) -> int:
    return sum(counts[u.neuron] for u in use_list)


def routes(net: Network, start: str, limit: int, succ=None, counts: dict[str, int] | None = None) -> list[list[str]]:
    """Routes from neuron `start` to an output, as [output, ..., start] (loss side first): all of them
    when there are at most `limit`, else the first limit + 1 (so a caller can tell there are more).
    Depth first without recursion, never entering a neuron from which no route reaches an output,
    so the work is proportional to the routes returned times their length, not to all routes."""
    succ = succ or successors(net)
    counts = counts or path_counts(net)
    outputs = set(net.outputs)
    out: list[list[str]] = []
    if not counts.get(start):
        return out
    stack: list[tuple[str, tuple[str, ...]]] = [(start, (start,))]
    while stack and len(out) <= limit:
        node, trail = stack.pop()
        if node in outputs:
            out.append(list(reversed(trail)))
        live = [m for m, _ in succ[node] if counts[m]]
        stack.extend((m, (*trail, m)) for m in reversed(live))
    return out
