"""Every number derive prints, against an independent implementation (tests/oracle.py): high-precision
central finite differences and a separate reverse-mode autodiff, on many random networks of every
shape, activation and loss."""
import json
import random

import pytest
from mpmath import mpf

from derive import explain
from tests import oracle

SEEDS = range(60)


def _close(got: str, want, digits=17):
    g = mpf(got)
    return abs(g - want) <= max(abs(want), mpf(10) ** -30) * mpf(10) ** -digits


@pytest.mark.parametrize("seed", SEEDS)
def test_random_network_matches_finite_differences(seed, high_precision):
    text = oracle.random_network(random.Random(seed))
    data = json.loads(explain(text=text, fmt="json", verify=False).text)
    net = oracle.load(text)
    point = net["data"][0]
    fwd = oracle.forward(net, point)
    for name in net["neurons"]:
        assert _close(data["forward"][name]["z"], fwd[name]["z"]), (name, text)
        assert _close(data["forward"][name]["O"], fwd[name]["O"]), (name, text)
    assert _close(data["loss"], fwd["loss"])
    fd = oracle.gradients_fd(net, point)
    for p, want in fd.items():
        assert _close(data["gradients"][p]["value"], want), (p, text)
    for p, want in oracle.updated(net, fd).items():
        assert _close(data["updated"][p], want), (p, text)


@pytest.mark.parametrize("seed", range(100, 112))
def test_symbolic_check_agrees_and_paths_add_up(seed, high_precision):
    """derive's own SymPy cross-check passes, and the path products in the JSON add to the gradient."""
    text = oracle.random_network(random.Random(seed))
    data = json.loads(explain(text=text, fmt="json").text)
    assert data["check"]["done"] and data["check"]["agreed"], data["check"]
    rev = oracle.gradients_reverse(oracle.load(text), oracle.load(text)["data"][0])
    for p, g in data["gradients"].items():
        assert _close(g["value"], rev[p])
        if g["paths"] is not None:
            assert len(g["paths"]) == g["path_count"]
            total = sum((mpf(path["product"]) for path in g["paths"]), mpf(0))
            assert abs(total - rev[p]) <= max(abs(rev[p]), mpf(10) ** -30) * mpf(10) ** -17


SATURATED = """
inputs: {x1: a, x2: b}
neurons:
  h1: {from: {x1: w1, x2: w2}, activation: sigmoid}
  h2: {from: {x1: w3, x2: w4}, activation: sigmoid}
  O1: {from: {h1: w5, h2: w6}, bias: b1, activation: sigmoid}
outputs: [O1]
parameters: {w1: 6, w2: -2, w3: -3, w4: 5, w5: 40, w6: -20, b1: 0.5}
loss: binary_cross_entropy
data: [{x1: 3, x2: 1, y: 1}]
"""


def test_saturated_sigmoids_keep_17_digits(high_precision):
    # h1 = σ(6·3 − 2·1) = σ(16) = 0.99999989; σ′ = σ(1 − σ) ≈ 1.1e−7, where float64 keeps ~10 digits.
    # O1's z ≈ 40 − 20σ(−4) + 0.5 ≈ 40.1, so 1 − O1 ≈ e^−40: the loss itself is ≈ 4e−18.
    data = json.loads(explain(text=SATURATED, fmt="json").text)
    net = oracle.load(SATURATED)
    point = net["data"][0]
    fwd = oracle.forward(net, point, dps=120)
    assert _close(data["forward"]["h1"]["O"], fwd["h1"]["O"])
    assert _close(data["loss"], fwd["loss"])
    for p, want in oracle.gradients_reverse(net, point, dps=120).items():
        assert _close(data["gradients"][p]["value"], want), p
    assert data["check"]["agreed"]


def test_extreme_z_is_exact_to_17_digits(high_precision):
    # z = 2·100 = 200: L = −ln σ(200) = ln(1 + e^−200) and ∂L/∂w1 = (σ(200) − 1)·100 = −100/(1 + e^200).
    text = """
inputs: {x1: a}
neurons:
  O1: {from: {x1: w1}, activation: sigmoid}
parameters: {w1: 2}
loss: binary_cross_entropy
data: [{x1: 100, y: 1}]
"""
    data = json.loads(explain(text=text, fmt="json").text)
    with __import__("mpmath").workdps(200):
        from mpmath import exp, log
        assert _close(data["loss"], log(1 + exp(-200)))
        assert _close(data["gradients"]["w1"]["value"], -100 / (1 + exp(200)))
