"""The forward pass: every neuron's z and O for one data point, exactly or as a hand calculation carries it."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import mpmath

from derive import losses
from derive.numbers import WORK_DIGITS, Carry, Num, digits_for, dot, exact_decimal
from derive.spec.model import DataPoint, Network


@dataclass(frozen=True)
class NeuronValues:
    z: Num
    O: Num  # the value carried downstream
    computed: Num  # f(z) before any cut; equals O in exact mode


@dataclass(frozen=True)
class Forward:
    """Values of one forward pass; `params` and `inputs` are what was substituted."""

    net: Network
    point: DataPoint
    carry: Carry
    inputs: dict[str, Num]
    params: dict[str, Num]
    neurons: dict[str, NeuronValues]
    loss: Num
    error: list[Num]  # y − ŷ per output, the seed's first "loss"
    dps: int = WORK_DIGITS  # working digits: more where a large |z| saturates an activation

    def value(self, name: str) -> Num:
        """The value of an input or a neuron's output."""
        return self.inputs[name] if name in self.inputs else self.neurons[name].O

    def weight(self, w) -> Num:
        return self.params[w] if isinstance(w, str) else Num(w)

    def outputs(self) -> list[Num]:
        return [self.neurons[o].O for o in self.net.outputs]

    def targets(self) -> list[Num]:
        return [Num(t) for t in self.point.targets]


def forward(
    net: Network,
    point: DataPoint,
    carry: Carry | None = None,
    params: dict[str, Fraction] | dict[str, Num] | None = None,
    overrides: dict | None = None,
) -> Forward:
    """One forward pass. With a carry mode, each hidden activation is cut to the carry's decimals and
    each output to `show` significant digits before use, as a person writes them down. `overrides`
    maps ("z" or "O", neuron) to a value used in place of the computed one (a person's own answer)."""
    carry = carry or Carry()
    dps = WORK_DIGITS
    while True:
        fwd = _forward(net, point, carry, params, dps, overrides or {})
        need = digits_for(max((abs(v.z.mp) for v in fwd.neurons.values()), default=0))
        if need <= dps:
            return fwd
        dps = need


def _forward(net, point, carry, params, dps, overrides) -> Forward:
    with mpmath.workdps(dps):
        inputs = {k: Num(v) for k, v in point.inputs.items()}
        pvals = {k: Num.of(v) for k, v in (params or net.parameters).items()}  # a Num as it is (training)
        values: dict[str, Num] = dict(inputs)
        neurons: dict[str, NeuronValues] = {}
        softmax = []
        for n in net.neurons:
            z = _given(overrides, "z", n.name) or _weighted_sum(n, values, pvals)
            if n.activation.couples_outputs:
                softmax.append((n.name, z))
                continue
            computed = n.activation.value(z)
            kept = _given(overrides, "O", n.name) or _carried(carry, computed, n.name in net.outputs, net.show)
            neurons[n.name] = NeuronValues(z, kept, computed)
            values[n.name] = kept
        for name, z, computed in _softmax(softmax):
            kept = _given(overrides, "O", name) or _carried(carry, computed, True, net.show)
            neurons[name] = NeuronValues(z, kept, computed)
        yhat = [neurons[o].O for o in net.outputs]
        y = [Num(t) for t in point.targets]
        loss = losses.value(net.loss, yhat, y)
        error = [t - p for p, t in zip(yhat, y, strict=True)]
    return Forward(net, point, carry, inputs, pvals, neurons, loss, error, dps)


def _given(overrides, kind: str, name: str) -> Num | None:
    value = overrides.get((kind, name))
    return None if value is None else Num.of(value)


def _weighted_sum(n, values, pvals) -> Num:
    """z = Σ w·source + bias: exact while everything is, else rounded once (numbers.dot)."""
    pairs = [(pvals[e.weight] if isinstance(e.weight, str) else Num(e.weight), values[e.source]) for e in n.edges]
    bias = None if n.bias is None else (pvals[n.bias] if isinstance(n.bias, str) else Num(n.bias))
    return dot(pairs, bias)


def _softmax(group):
    if not group:
        return []
    top = max(z.mp for _, z in group)  # shift by the largest z: same result, no overflow
    exps = [mpmath.exp(z.mp - top) for _, z in group]
    total = mpmath.fsum(exps)
    return [(name, z, Num(None, e / total)) for (name, z), e in zip(group, exps, strict=True)]


def _carried(carry: Carry, value: Num, is_output: bool, show: int) -> Num:
    if carry.mode == "exact":
        return value
    if value.exact is not None and exact_decimal(value.exact, max_places=12) is not None:
        return value  # a short exact decimal is written as it is
    return carry.cut_significant(value, show) if is_output else carry.cut_decimals(value)


def columns_of(net: Network) -> dict[str, int]:
    """Inputs in column 0; each neuron in 1 + the longest path from an input (neurons are in forward order)."""
    column = {x: 0 for x in net.inputs}
    for n in net.neurons:
        column[n.name] = 1 + max((column[e.source] for e in n.edges), default=0)
    return column
