"""Two studies the seed lecture states in words: the learning rate (too small, right, too large, far too
large) and the vanishing or exploding gradient along a chain of neurons, for sigmoid, tanh and ReLU."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise

import mpmath

from derive import defaults
from derive.activations import Activation
from derive.calculus.depth import longest_chain
from derive.calculus.grad import backward, uses
from derive.calculus.graph import forward
from derive.errors import DeriveError
from derive.numbers import WORK_DIGITS, Num
from derive.spec.model import Edge, Network
from derive.train.run import Run, run, settings_for

CONVERGED = Fraction(1, 100)  # the gradient has fallen to 1% of where it started
MAX_RATES = 8
DEPTH_ACTIVATIONS = ("sigmoid", "tanh", "relu")
BOUND = {
    "sigmoid": Fraction(1, 4),
    "tanh": Fraction(1),
    "relu": Fraction(1),
    "leaky_relu": Fraction(1),
    "linear": Fraction(1),
    "softmax": Fraction(1, 4),
}
KEEP_FOR_LOSS = {"binary_cross_entropy": "sigmoid", "categorical_cross_entropy": "softmax"}
RULES = {
    "diverging": "the loss ended higher than it started, or the weights blew up",
    "oscillating": "in at least half of the epochs the update pointed against the one before: the weights jump "
    "back and forth across the minimum",
    "good": f"the gradient fell to {CONVERGED.numerator}% or less of its size at the start, without oscillating",
    "slow": "the loss fell, but the gradient has not come down to 1% of its start: more epochs are needed",
}


@dataclass
class RateResult:
    rate: Fraction
    run: Run
    verdict: str
    flips: int  # epochs whose update pointed against the previous one
    pairs: int  # consecutive pairs of updates compared


def study_lr(
    net: Network,
    rates: list[Fraction],
    epochs: int,
    optimizer: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[RateResult]:
    """The same network trained with each learning rate, each judged by the rules in RULES."""
    if not rates or len(rates) > MAX_RATES:
        raise DeriveError(f"give between 1 and {MAX_RATES} learning rates, e.g. --rates 0.01,0.1,1,10")
    if any(r <= 0 for r in rates):
        raise DeriveError("every learning rate must be above 0")
    results = []
    for rate in rates:
        settings = settings_for(net, optimizer=optimizer, learning_rate=rate, epochs=epochs)
        if settings.optimizer == "perceptron":
            raise DeriveError("the learning-rate study trains by gradient descent; choose --optimizer sgd (or another)")
        # the study reads each epoch's evaluation and the final weights, never a step's details
        r = run(net, settings, keep=lambda n: False, progress=progress, whole=lambda n: False)
        results.append(RateResult(rate, r, *judge(r)))
    return results


def judge(r: Run) -> tuple[str, int, int]:
    """(verdict, flips, pairs) from the loss, gradient and weights after each epoch."""
    evals = r.epochs
    deltas = [_minus(b.params, a.params, r.trainable) for a, b in pairwise(evals)]
    dots = [_dot(u, v) for u, v in pairwise(deltas)]
    flips = sum(d.sign() < 0 for d in dots)
    pairs = sum(not d.is_zero() for d in dots)
    with mpmath.workdps(WORK_DIGITS):
        if r.stopped or (evals[-1].loss - evals[0].loss).sign() > 0:
            return "diverging", flips, pairs
        if pairs and 2 * flips >= pairs:
            return "oscillating", flips, pairs
        if evals[0].norm.is_zero() or (evals[-1].norm - evals[0].norm * CONVERGED).sign() <= 0:
            return "good", flips, pairs
    return "slow", flips, pairs


def _minus(a: dict, b: dict, names) -> list[Num]:
    with mpmath.workdps(WORK_DIGITS):
        return [a[p] - b[p] for p in names]


def _dot(u: list[Num], v: list[Num]) -> Num:
    with mpmath.workdps(WORK_DIGITS):
        return sum((x * y for x, y in zip(u, v, strict=True)), Num(Fraction(0)))


# -- depth ---------------------------------------------------------------------------------------------
@dataclass
class ChainRow:
    neuron: str
    activation: str
    z: Num
    fprime: Num
    bound: Fraction
    weight: str | Fraction | None  # from the next neuron down the chain (None for the first layer)
    weight_value: Num | None
    link: Num | None  # f'(z) · w
    product: Num | None  # the links from the output down to here, multiplied
    product_bound: Num | None  # bound^k · Π|w| over the same links
    delta: Num


@dataclass
class Variant:
    activation: str
    scale: Fraction
    net: Network
    rows: list[ChainRow]
    first_weight: str | None
    first_gradient: Num | None
    kept_output: str | None  # the output activation the loss needs, kept as it was


def study_depth(net: Network, scale: Fraction = Fraction(8), point: int = 0) -> list[Variant]:
    """The network as written and with every weight × `scale`, each with sigmoid, tanh and ReLU on its
    neurons, and along its longest chain every link f'(z)·w and their running product."""
    chain = longest_chain(net)
    if len(chain) < 2:
        raise DeriveError(f"{net.source} has no chain of two or more neurons, so there is no depth to study")
    if not 0 <= point < len(net.data):
        raise DeriveError(f"there is no data point {point + 1}: {net.source} has {len(net.data)}")
    if scale <= 0:
        raise DeriveError("--scale must be above 0")
    scales = [Fraction(1)] + ([scale] if scale != 1 else [])
    return [_variant(net, chain, act, s, point) for s in scales for act in DEPTH_ACTIVATIONS]


def variant(net: Network, act: str, scale: Fraction) -> tuple[Network, str | None]:
    """`net` with activation `act` on its neurons (outputs keep what the loss needs) and weights × scale."""
    keep = KEEP_FOR_LOSS.get(net.loss)
    weights = {u.param for found in uses(net).values() for u in found if u.source is not None}
    neurons = []
    for n in net.neurons:
        name = n.activation.name if keep and n.name in net.outputs else act
        edges = tuple(Edge(e.source, e.weight if isinstance(e.weight, str) else e.weight * scale) for e in n.edges)
        neurons.append(dataclasses.replace(n, activation=Activation(name), edges=edges, threshold=None))
    params = {p: v * scale if p in weights else v for p, v in net.parameters.items()}
    return dataclasses.replace(net, neurons=tuple(neurons), parameters=params), keep


def _variant(net, chain, act, scale, point) -> Variant:
    v, keep = variant(net, act, scale)
    fwd = forward(v, v.data[point])
    back = backward(fwd)
    rows, product, bound = [], Num(Fraction(1)), Num(Fraction(1))
    with mpmath.workdps(fwd.dps):
        for i, name in enumerate(chain):
            n = v.neuron(name)
            below = chain[i + 1] if i + 1 < len(chain) else None
            w = next((e.weight for e in n.edges if e.source == below), None) if below else None
            wv = fwd.weight(w) if w is not None else None
            fp = _fprime(fwd, back, name)
            link = fp * wv if wv is not None else None
            if link is not None and wv is not None:  # the same test: link is None exactly when wv is
                product, bound = product * link, bound * BOUND[n.activation.name] * abs(wv)
            rows.append(
                ChainRow(
                    name,
                    n.activation.name,
                    fwd.neurons[name].z,
                    fp,
                    BOUND[n.activation.name],
                    w,
                    wv,
                    link,
                    product if link is not None else None,
                    bound if link is not None else None,
                    back.delta[name],
                )
            )
    first = v.neuron(chain[-1])
    w1 = next((e.weight for e in first.edges if isinstance(e.weight, str)), None)
    return Variant(
        act, scale, v, rows, w1, back.gradients[w1] if w1 else None, keep if keep and chain[0] in net.outputs else None
    )


def _fprime(fwd, back, name: str) -> Num:
    """f'(z); for a softmax output, ∂O_k/∂z_k = O_k(1 − O_k), the diagonal of its Jacobian (this path's own)."""
    if name in back.fprime:
        return back.fprime[name]
    o = fwd.neurons[name].O
    return o * (1 - o)


def default_epochs(net: Network) -> int:
    """The file's epochs when it sets them, else enough to tell the four behaviours apart."""
    return net.training.epochs if "epochs" in net.training.given else defaults.STUDY_EPOCHS
