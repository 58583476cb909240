"""Big networks: the work grows with the edges (counted, not timed), paths are counted by dynamic
programming and listed only within a budget, the numbers agree with independent computations, and
the notes of a big network are summarised layer by layer."""
import json
from fractions import Fraction
from io import StringIO

import mpmath
import numpy as np
import pytest

import derive.calculus.grad as grad_module
import derive.calculus.graph as graph_module
import derive.numbers as numbers_module
from derive import explain, load_network, progress
from derive.calculus.grad import param_path_count, path_counts, routes, uses
from derive.steps.backward import path_budget


def dense(sizes, y=1, activation="sigmoid"):
    xs = ", ".join(f"{(i % 7 - 3) / 10:g}" for i in range(sizes[0]))
    return (f"title: dense {sizes}\nlayers: {sizes}\nactivation: {activation}\nparameters:\n"
            f"  random: {{seed: 7, low: -1, high: 1, decimals: 2}}\ndata:\n  - {{x: [{xs}], y: {y}}}\n")


CHAIN_64 = dense([2] * 65 + [1])  # 64 layers of two neurons, then the output


@pytest.fixture
def counted(monkeypatch):
    """Counts the terms every weighted sum and δ sum takes in, and every arithmetic operation."""
    counts = {"terms": 0, "ops": 0}
    real_dot = numbers_module.dot

    def dot(pairs, start=None):
        def each():
            for pair in pairs:
                counts["terms"] += 1
                yield pair
        return real_dot(each(), start)

    monkeypatch.setattr(graph_module, "dot", dot)
    monkeypatch.setattr(grad_module, "dot", dot)
    for name in ("__add__", "__sub__", "__mul__", "__truediv__"):
        real = getattr(numbers_module.Num, name)

        def op(self, other, real=real):
            counts["ops"] += 1
            return real(self, other)
        monkeypatch.setattr(numbers_module.Num, name, op)
    return counts


@pytest.mark.parametrize("fmt", ["json", "md"])
@pytest.mark.parametrize("family", [[[6, 6, 6, 1], [12, 12, 12, 1], [24, 24, 24, 1]],
                                    [[2] * 9 + [1], [2] * 17 + [1], [2] * 33 + [1], [2] * 65 + [1]]])
def test_work_is_proportional_to_the_edges(counted, family, fmt):
    """Terms summed and operations done per edge do not grow with the network, in width or in depth
    (where the number of paths doubles with every layer); a fixed few go to the sample derivations."""
    per_edge = []
    for sizes in family:
        counted.update(terms=0, ops=0)
        notes = explain(text=dense(sizes), fmt=fmt, verify=False)
        size = notes.network.edge_count() + len(notes.network.parameters)
        assert counted["terms"] <= 2 * size  # each edge once forward, once in δ, once in its gradient
        assert counted["ops"] <= 12 * size + 3000  # and a constant: the paths listed in JSON are capped
        per_edge.append(counted["ops"] / notes.network.edge_count())
    assert all(b <= 1.2 * a for a, b in zip(per_edge, per_edge[1:])), per_edge  # never more per edge


def test_a_chain_of_64_layers_counts_its_paths_without_listing_them():
    net = load_network(text=CHAIN_64)
    counts = path_counts(net)
    assert param_path_count(net, uses(net)["w1"], counts) == 2 ** 63  # exact integer, by DP
    assert len(routes(net, net.neurons[0].name, 100)) == 101  # stops past the limit among 2^63 routes
    data = json.loads(explain(text=CHAIN_64, fmt="json").text)
    assert data["gradients"]["w1"]["path_count"] == 2 ** 63
    assert data["gradients"]["w1"]["paths"] is None
    listed = sum(len(g["paths"] or []) for g in data["gradients"].values())
    assert listed <= path_budget(net.edge_count()) == 129  # one per two edges
    md = explain(text=CHAIN_64, derive_in_full=["w1"]).text
    assert r"9\,223\,372\,036\,854\,775\,808" in md  # the count, stated
    assert "reaches the loss along 9223372036854775808 paths: too many to list" in md
    assert r"\delta^{(1)} &= \sigma'(z^{(1)}) \odot \left(W^{(2)}\right)^{\mathsf T} \delta^{(2)}" in md


def _numpy_backprop(net):
    """Independent float64 back-propagation in matrix form, squared error, sigmoid layers."""
    layers, names = [], {}
    for n in net.neurons:
        names.setdefault(n.name[:n.name.index("_")], []).append(n)
    x = np.array([float(v) for v in net.data[0].inputs.values()])
    acts, zs, Ws, bs = [x], [], [], []
    for group in names.values():
        W = np.array([[float(net.parameters[e.weight]) for e in n.edges] for n in group])
        b = np.array([float(net.parameters[n.bias]) for n in group])
        z = W @ acts[-1] + b
        Ws.append(W), bs.append(b), zs.append(z), acts.append(1 / (1 + np.exp(-z)))
        layers.append(group)
    y = np.array([float(t) for t in net.data[0].targets])
    delta = -2 * (y - acts[-1]) * acts[-1] * (1 - acts[-1])
    grads = {}
    for i in range(len(layers) - 1, -1, -1):
        gW = np.outer(delta, acts[i])
        for r, n in enumerate(layers[i]):
            grads[n.bias] = delta[r]
            for c, e in enumerate(n.edges):
                grads[e.weight] = gW[r, c]
        delta = (Ws[i].T @ delta) * acts[i] * (1 - acts[i]) if i else None
    return grads


def test_gradients_of_32_32_32_1_match_an_independent_numpy_backprop():
    text = dense([32, 32, 32, 1])
    data = json.loads(explain(text=text, fmt="json").text)["gradients"]
    theirs = _numpy_backprop(load_network(text=text))
    scale = max(abs(v) for v in theirs.values())
    assert len(data) == len(theirs) == 2145
    for p, v in theirs.items():
        assert abs(float(data[p]["value"]) - v) <= 1e-12 * max(abs(v), scale * 1e-3), p


SATURATED = """
inputs: {x1: a, x2: b}
neurons:
  h: {from: {x1: w1, x2: w2}, bias: b1, activation: sigmoid}
  O: {from: {h: w3}, bias: b2, activation: sigmoid}
parameters: {w1: 6, w2: -3, w3: -2, b1: 1, b2: 5}
data: [{x1: 3, x2: 1, y: 1}]
"""


def test_a_saturated_unit_is_right_to_17_digits_where_float64_is_not():
    """z_h = 6·3 − 3·1 + 1 = 16, h = σ(16) ≈ 0.99999989: σ(1 − σ) in float64 keeps ~10 digits."""
    data = json.loads(explain(text=SATURATED, fmt="json").text)
    with mpmath.workdps(80):
        s = lambda z: 1 / (1 + mpmath.exp(-z))  # noqa: E731
        h = s(mpmath.mpf(16))
        O = s(-2 * h + 5)
        dO = -2 * (1 - O) * O * (1 - O)
        want = {"w1": dO * -2 * h * (1 - h) * 3, "w3": dO * h, "b1": dO * -2 * h * (1 - h)}
        for p, v in want.items():
            got = mpmath.mpf(data["gradients"][p]["value"])
            assert abs(got - v) <= abs(v) * mpmath.mpf(10) ** -17, p
        new_w1 = 6 - mpmath.mpf("0.1") * want["w1"]  # the update, at the same precision
        assert abs(mpmath.mpf(data["updated"]["w1"]) - new_w1) <= abs(new_w1) * mpmath.mpf(10) ** -19
        assert mpmath.nstr(h, 8) == "0.99999989"
        hf = 1 / (1 + np.exp(-16.0))
        assert abs(hf * (1 - hf) - h * (1 - h)) / (h * (1 - h)) > 1e-12  # float64 has lost digits here


def test_big_notes_are_summarised_layer_by_layer():
    text = dense([24, 24, 24, 1])
    md = explain(text=text).text
    # the sample: the weight nearest the loss, the input weight with the most paths (the lecture's
    # w1), and the six parameters nearest the inputs
    assert "This network has 1225 parameters. Derivations are written out for 8 of them" in md
    assert "the neurons stand in 3 layers: 24 → 24 → 24 → 1" in md
    assert "| layer | neurons | weights | mean $\\lvert\\delta\\rvert$" in md
    assert r"z^{(2)} &= W^{(2)}\,O^{(1)} + b^{(2)}" in md
    assert r"\delta^{(2)} &= \sigma'(z^{(2)}) \odot \left(W^{(3)}\right)^{\mathsf T} \delta^{(3)}" in md
    assert r"\mathbb{R}^{24 \times 24}" in md
    assert "| … | | | 1025 more in the JSON (`--format json`) |" in md  # the update table stops at 200 rows
    assert md.count("**Neuron $") == 3  # one worked neuron per layer, not 73
    tex = explain(text=text, fmt="tex").text
    assert r"\subsection*{Paths and layers}" in tex and r"\odot" in tex


def test_the_progress_bar_draws_only_on_request_and_clears_its_line():
    stream = StringIO()
    with progress.shown(stream, after=0, enabled=True):
        explain(text=dense([4, 4, 1]), fmt="json")
    assert "derive: gradients" in stream.getvalue() and stream.getvalue().endswith("\r")
    quiet = StringIO()
    with progress.shown(quiet):  # not a terminal: nothing
        explain(text=dense([4, 4, 1]), fmt="json")
    assert quiet.getvalue() == ""


def test_exact_values_stay_exact_through_a_wide_linear_layer():
    data = json.loads(explain(text=dense([40, 40, 1], activation="linear"), fmt="json").text)
    assert all(g["exact"] is not None for g in data["gradients"].values())
    assert all(Fraction(g["exact"]) == Fraction(g["value"]) for g in data["gradients"].values()
               if len(g["value"].replace("-", "").replace(".", "").strip("0")) < 20)
