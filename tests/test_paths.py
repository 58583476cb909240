"""Chain-rule paths: how many there are, and that their sum is SymPy's derivative of the composed
loss, symbolically."""
import json

import pytest
import sympy

from derive import explain
from derive.spec.loader import load
from tests.helpers import ROOT


class sig(sympy.Function):
    """σ with the textbook derivative; SymPy's own diff applies the chain rule through it."""

    def fdiff(self, argindex=1):
        return sig(self.args[0]) * (1 - sig(self.args[0]))


ACT = {"sigmoid": (sig, lambda z: sig(z) * (1 - sig(z))), "tanh": (sympy.tanh, lambda z: 1 - sympy.tanh(z) ** 2),
       "linear": (lambda z: z, lambda z: sympy.Integer(1))}


def _symbolic_paths_match(path_or_text):
    text = path_or_text if "\n" in path_or_text else (ROOT / path_or_text).read_text()
    net = load(text)
    data = json.loads(explain(text=text, fmt="json", verify=False).text)
    S = {n: sympy.Symbol(n) for n in list(net.inputs) + list(net.parameters)}
    z, O = {}, dict(S)
    weights = {}
    for n in net.neurons:
        f = ACT[n.activation.name][0]
        z[n.name] = sum(S[e.weight] * O[e.source] for e in n.edges) + (S[n.bias] if n.bias else 0)
        O[n.name] = f(z[n.name])
        for e in n.edges:
            weights[(e.source, n.name)] = S[e.weight]
    (out,) = net.outputs
    yhat, y = sympy.Symbol("yhat"), sympy.Symbol("y")
    loss_of = {"squared_error": (y - yhat) ** 2, "half_squared_error": (y - yhat) ** 2 / 2}[net.loss]
    L = loss_of.subs(yhat, O[out])
    fprime = {n.name: ACT[n.activation.name][1](z[n.name]) for n in net.neurons}
    for p, g in data["gradients"].items():
        total = 0
        for path in g["paths"]:
            route = path["route"][1:-1]  # neurons from the output down to where p enters
            term = sympy.diff(loss_of, yhat).subs(yhat, O[out])
            for m, k in zip(route, route[1:]):
                term *= fprime[m] * weights[(k, m)]
            n = route[-1]
            sources = [e.source for e in net.neuron(n).edges if e.weight == p]
            term *= fprime[n] * (O[sources[0]] if sources else 1)
            total += term
        assert sympy.expand(total - sympy.diff(L, S[p])) == 0, p
    return data


def test_two_paths_w1_has_exactly_two_paths_and_they_sum_to_the_derivative():
    data = _symbolic_paths_match("examples/two_paths.yaml")
    g = data["gradients"]["w1"]
    assert g["path_count"] == 2
    assert [p["route"] for p in g["paths"]] == [["L", "O31", "O21", "O11", "w1"], ["L", "O31", "O22", "O11", "w1"]]


@pytest.mark.parametrize("example", ["examples/pass_fail.yaml", "examples/deep_sigmoid.yaml"])
def test_path_sums_equal_sympy_derivative(example):
    _symbolic_paths_match(example)


def test_skip_connections_and_tied_weights():
    text = """
inputs: {x1: a, x2: b}
neurons:
  h1: {from: {x1: w1, x2: w2}, bias: b1, activation: tanh}
  h2: {from: {x1: w1, h1: w3}, bias: b2, activation: sigmoid}
  O1: {from: {h1: w4, h2: w5, x2: w6}, bias: b1, activation: linear}
outputs: [O1]
parameters: {w1: 0.3, w2: -0.2, w3: 0.7, w4: 0.5, w5: -0.4, w6: 0.1, b1: 0.05, b2: -0.1}
loss: half_squared_error
data: [{x1: 1.5, x2: -0.5, y: 0.2}]
"""
    data = _symbolic_paths_match(text)
    # w1 enters h1 (paths h1→O1, h1→h2→O1) and h2 (path h2→O1): 3 paths; b1 enters h1 (2) and O1 (1).
    assert data["gradients"]["w1"]["path_count"] == 3
    assert data["gradients"]["b1"]["path_count"] == 3


@pytest.mark.parametrize("a,b,c", [(2, 2, 2), (3, 4, 5), (2, 3, 9), (1, 6, 7)])
def test_first_layer_weight_of_a_dense_net_has_c_paths(a, b, c):
    text = f"""
layers: [{a}, {b}, {c}, 1]
activation: sigmoid
parameters: {{random: {{seed: 1, low: -1, high: 1, decimals: 2}}}}
data: [{{x: [{", ".join(["0.5"] * a)}], y: 1}}]
"""
    data = json.loads(explain(text=text, fmt="json", verify=False).text)
    assert data["gradients"]["w1"]["path_count"] == c
    # w1 feeds O11 only; from O11 one route through each of the c second-layer neurons.
    assert len(data["gradients"]["w1"]["paths"]) == c
    last = f"w{a * b + b * c + 1}"  # the first weight into the output neuron: one path
    assert data["gradients"][last]["path_count"] == 1


def test_too_many_paths_switch_to_the_delta_recursion():
    text = """
layers: [2, 3, 9, 1]
activation: sigmoid
parameters: {random: {seed: 1, low: -1, high: 1, decimals: 2}}
data: [{x: [0.5, 0.5], y: 1}]
"""
    md = explain(text=text, verify=False).text
    section = md.split("### The gradient of $w_{1}$")[1].split("###")[0]
    assert "reaches the loss along 9 paths: too many to list" in section
    assert r"\delta_{11} \cdot x_{1}" in section
    assert "**Path 1**" not in section
    md_all = explain(text=text, verify=False, max_paths=9).text
    assert "**Path 9**" in md_all.split("### The gradient of $w_{1}$")[1].split("###")[0]
