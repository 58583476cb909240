"""The perceptron learning rule for one thresholded neuron: a linear classifier trained point by point,
w ← w + η (y − ŷ) x, until an epoch passes without a mistake, or proof that it never will.

Only the class ŷ (0 or 1) matters, never a gradient, so a step activation trains as well as a
thresholded sigmoid or tanh. Values stay exact (fractions) throughout, which makes a repeated state,
and so a run that cycles forever, exactly detectable."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from itertools import combinations_with_replacement

import mpmath

from derive.calculus.graph import forward
from derive.errors import DeriveError
from derive.numbers import Num
from derive.spec.model import Network

# The class is 1 when O ≥ threshold; when none is written, the middle of the activation's range (step: 0.5).
DEFAULT_THRESHOLD = {"sigmoid": Fraction(1, 2), "tanh": Fraction(0), "step": Fraction(1, 2), "linear": Fraction(0)}
RANGE = {"sigmoid": (0, 1), "tanh": (-1, 1), "step": (0, 1)}  # open ends, except step's upper (O is 0 or 1)
MAX_POINTS_FOR_PROOF = 60


@dataclass
class PStep:
    number: int
    epoch: int
    point: int  # 0-based
    before: dict[str, Fraction]
    z: Num
    out: Num
    predicted: int
    target: int
    after: dict[str, Fraction]

    @property
    def error(self) -> int:
        return self.target - self.predicted


@dataclass
class PRun:
    net: Network
    neuron: str
    eta: Fraction
    threshold: Fraction
    z_star: Num  # the z where the output meets the threshold: the boundary is w·x + b = z*
    limit: int  # epochs allowed
    trainable: list[str]
    initial: dict[str, Fraction]
    steps: list[PStep] = field(default_factory=list)
    mistakes: list[int] = field(default_factory=list)  # per epoch
    converged: int | None = None  # the epoch that passed without a mistake
    cycle: tuple[int, int] | None = None  # (earlier epoch, epoch) that started from the same weights
    proof: dict | None = None  # four points no straight line separates, when the data hold them

    @property
    def updates(self) -> int:
        return sum(self.mistakes)

    @property
    def final(self) -> dict[str, Fraction]:
        return self.steps[-1].after if self.steps else self.initial


def check(net: Network) -> tuple[str, Fraction]:
    """The neuron and its threshold, or why this network is not a perceptron."""
    if len(net.neurons) != 1:
        raise DeriveError(
            f"the perceptron rule trains a single neuron fed by the inputs; {net.source} has "
            f"{len(net.neurons)} neurons (train it with a gradient optimizer such as sgd)"
        )
    n = net.neurons[0]
    act = n.activation.name
    if act not in DEFAULT_THRESHOLD:
        raise DeriveError(f"the perceptron rule needs a step, sigmoid, tanh or linear neuron; {n.name} is {act}")
    t = n.threshold if n.threshold is not None else DEFAULT_THRESHOLD[act]
    low, high = RANGE.get(act, (None, None))
    if low is not None and high is not None and not (low < t < high or (act == "step" and t == high)):
        raise DeriveError(
            f"the threshold {t} is outside what {act} outputs ({low} to {high}), so the class never changes"
        )
    bad = [p.targets for p in net.data if len(p.targets) != 1 or p.targets[0] not in (0, 1)]
    if bad:
        raise DeriveError("the perceptron rule learns classes: every target y must be 0 or 1")
    return n.name, t


def boundary_z(act: str, t: Fraction) -> Num:
    """z* with f(z*) = t: the output crosses the threshold exactly where z crosses z*."""
    if act == "step" or (act == "sigmoid" and t == Fraction(1, 2)) or (act == "tanh" and t == 0):
        return Num(Fraction(0))
    if act == "linear":
        return Num(t)
    with mpmath.workdps(50):
        tm = mpmath.mpf(t.numerator) / t.denominator
        return Num(None, mpmath.log(tm / (1 - tm)) if act == "sigmoid" else mpmath.atanh(tm))


def train(net: Network, eta: Fraction | None = None, epochs: int | None = None) -> PRun:
    """Present the points in order, epoch after epoch, updating on every mistake, until an epoch has none,
    the weights at the start of an epoch repeat (a cycle: it never converges), or `epochs` run out."""
    name, t = check(net)
    neuron = net.neurons[0]
    trainable = [p for p in net.parameters if p not in net.freeze]
    result = PRun(
        net,
        name,
        net.learning_rate if eta is None else eta,
        t,
        boundary_z(neuron.activation.name, t),
        epochs or net.training.epochs,
        trainable,
        dict(net.parameters),
    )
    params = dict(net.parameters)
    seen: dict[tuple[Fraction, ...], int] = {}
    for epoch in range(1, result.limit + 1):
        key = tuple(params[p] for p in trainable)
        if key in seen:
            result.cycle = (seen[key], epoch)
            break
        seen[key] = epoch
        mistakes = 0
        for i in range(len(net.data)):
            step = _present(net, result, params, epoch, i)
            result.steps.append(step)
            mistakes += step.error != 0
            params = step.after
        result.mistakes.append(mistakes)
        if mistakes == 0:
            result.converged = epoch
            break
    if result.converged is None:
        result.proof = midpoint_proof(net)
    return result


def _present(net: Network, result: PRun, params: dict[str, Fraction], epoch: int, i: int) -> PStep:
    point = net.data[i]
    fwd = forward(net, point, params=params)
    v = fwd.neurons[result.neuron]
    predicted = 1 if (v.O - result.threshold).sign() >= 0 else 0
    target = int(point.targets[0])
    after = dict(params)
    if target != predicted:
        change = result.eta * (target - predicted)
        neuron = net.neurons[0]
        for e in neuron.edges:
            if isinstance(e.weight, str) and e.weight in result.trainable:
                after[e.weight] += change * point.inputs[e.source]
        if isinstance(neuron.bias, str) and neuron.bias in result.trainable:
            after[neuron.bias] += change
    return PStep(len(result.steps) + 1, epoch, i, params, v.z, v.O, predicted, target, after)


def midpoint_proof(net: Network) -> dict | None:
    """Two points of class 1 and two of class 0 with the same sum (a + b = c + d): z is linear, so
    z(a) + z(b) = z(c) + z(d), yet the first must be ≥ 2z* and the second < 2z*. No weights classify
    all four, the data are not linearly separable, and the perceptron can never stop making mistakes.
    XOR is the classic case: (0,1) + (1,0) = (0,0) + (1,1)."""
    if len(net.data) > MAX_POINTS_FOR_PROOF:
        return None
    names = list(net.inputs)
    by_class = {c: [i for i, p in enumerate(net.data) if p.targets[0] == c] for c in (0, 1)}

    def total(i, j):
        return tuple(net.data[i].inputs[n] + net.data[j].inputs[n] for n in names)

    ones = {total(i, j): (i, j) for i, j in combinations_with_replacement(by_class[1], 2)}
    for k, m in combinations_with_replacement(by_class[0], 2):
        pair = ones.get(total(k, m))
        if pair is not None:
            return {"ones": pair, "zeros": (k, m), "sum": dict(zip(names, total(k, m), strict=True))}
    return None
