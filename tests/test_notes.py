"""What the Markdown notes say, checked against numbers computed here independently."""
import json
import random
import re

import pytest
from mpmath import mp, mpf

from derive import explain
from tests import oracle
from tests.helpers import ROOT


def _sigma(z):
    return 1 / (1 + mp.exp(-z))


def test_deep_sigmoid_table_shows_each_factor_under_the_bound(high_precision):
    md = explain(str(ROOT / "examples" / "deep_sigmoid.yaml")).text
    section = md.split("### How the gradient shrinks with depth")[1].split("**Checked.**")[0]
    assert r"$0.25^{4} = 0.00390625$" in section  # 4 links between 5 sigmoid neurons: 0.25⁴ = 1/256
    # Independent forward pass of the chain: z1 = 0.5·1 + 0.1, z_k = 0.5·O_{k−1} + 0.1.
    o, primes = mpf(1), []
    for _ in range(5):
        o = _sigma(mpf("0.5") * o + mpf("0.1"))
        primes.append(o * (1 - o))
    rows = re.findall(r"\| \$O_\{(\d)1\}\$ \| \$\\sigma'\(z_\{\d1\}\) \\approx ([0-9.]+)\$ \| 0\.25 \|", section)
    assert [r[0] for r in rows] == ["5", "4", "3", "2", "1"]
    for (layer, shown), prime in zip(rows, reversed(primes)):
        assert prime <= mpf("0.25")
        assert abs(mpf(shown) - prime) < mpf("0.000005"), (layer, shown, prime)


def test_softmax_cross_entropy_derives_o_minus_y(high_precision):
    text = oracle.random_network(random.Random(3), shape="softmax")
    md = explain(text=text).text
    assert r"= -y_k + O_k \sum_j y_j = O_k - y_k" in md
    data = json.loads(explain(text=text, fmt="json").text)
    net = oracle.load(text)
    fwd = oracle.forward(net, net["data"][0])
    ys = oracle.targets(net, net["data"][0])
    # The head factor of each path is ∂L/∂z_k = O_k − y_k (targets add to 1 here).
    for p, g in data["gradients"].items():
        for path in g["paths"]:
            out = path["route"][1]
            k = net["outputs"].index(out)
            assert abs(mpf(path["factors"][0]["value"]) - (fwd[out]["O"] - ys[k])) < mpf(10) ** -17


def test_step_activation_is_explained_not_differentiated():
    text = """
inputs: {x1: a, x2: b}
neurons:
  O1: {from: {x1: w1, x2: w2}, bias: b1, activation: step}
parameters: {w1: 0.5, w2: -0.25, b1: 0.1}
loss: squared_error
data: [{x1: 1, x2: 2, y: 1}]
"""
    md = explain(text=text).text
    # z = 1·0.5 + 2·(−0.25) + 0.1 = 0.5 − 0.5 + 0.1 = 0.1 ≥ 0, so step(z) = 1
    assert r"z_{1} &= 1 \cdot 0.5 + 2 \cdot \left(-0.25\right) + 0.1 = 0.1" in md
    assert r"\operatorname{step}\left(0.1\right) = 1" in md
    assert "No gradients here" in md and "step activation" in md
    data = json.loads(explain(text=text, fmt="json").text)
    assert "gradients" not in data and "step" in data["gradients_unavailable"]


def test_error_loss_is_shown_but_training_on_it_is_refused():
    text = (ROOT / "examples" / "pass_fail.yaml").read_text().replace("loss: squared_error", "loss: error")
    md = explain(text=text).text
    assert "not a loss to minimise" in md
    assert "y - O_{2} = 1 - 0.51129 = 0.48871" in md


def test_threshold_gives_the_class():
    md = explain(str(ROOT / "examples" / "perceptron.yaml")).text
    # z = 95·0.01 + 4·0.02 + 4·(−0.3) − 1 = 0.95 + 0.08 − 1.2 − 1 = −1.17; σ(−1.17) ≈ 0.2369 < 0.5 → class 0
    assert "= -1.17" in md
    assert "O_{1} < 0.5$, so the predicted class is **0**" in md


def test_frozen_parameter_keeps_its_value(high_precision):
    text = (ROOT / "examples" / "pass_fail.yaml").read_text() + "freeze: [b1]\n"
    data = json.loads(explain(text=text, fmt="json").text)
    assert mpf(data["updated"]["b1"]) == mpf("0.001")
    assert mpf(data["gradients"]["b1"]["value"]) != 0  # the gradient is still computed and shown
    assert "$b_{1}$ is frozen, so it keeps its value" in explain(text=text).text


def test_fixed_weights_are_numbers_not_parameters(high_precision):
    text = """
inputs: {x1: a}
neurons:
  h: {from: {x1: 2}, bias: 0.5, activation: relu}
  O1: {from: {h: w1}, activation: linear}
parameters: {w1: 0.25}
loss: half_squared_error
data: [{x1: 1.5, y: 1}]
"""
    data = json.loads(explain(text=text, fmt="json").text)
    # h = relu(1.5·2 + 0.5) = 3.5; O1 = 0.25·3.5 = 0.875; ∂L/∂w1 = (O1 − y)·h = −0.125·3.5 = −0.4375
    assert set(data["gradients"]) == {"w1"}
    assert data["gradients"]["w1"]["exact"] == "-7/16"


@pytest.mark.parametrize("example", sorted((ROOT / "output").glob("*.md")), ids=lambda p: p.name)
def test_markdown_maths_is_balanced(example):
    text = example.read_text()
    assert text.count("$$") % 2 == 0
    outside = re.sub(r"\$\$.*?\$\$", "", text, flags=re.S)
    for line in outside.splitlines():
        assert line.count("$") % 2 == 0, line
    assert "\\begin{aligned}" not in outside


def test_tables_print_real_minus_signs():
    """A negative number in a table reads as minus, not as a hyphen: U+2212, as in the maths (the
    exponent of e-notation keeps its ASCII sign, which the LaTeX writer reads as a number)."""
    from derive.render.notes import MARKDOWN_FILTERS

    num = MARKDOWN_FILTERS["num"]
    assert num("-0.18537") == "\u22120.18537" and num("0.5") == "0.5" and num("-.5") == "\u2212.5"
    assert num("1.5e-7") == "1.5e-7" and num("-1.5e-7") == "\u22121.5e-7" and num("n/a") == "n/a"
    md = explain(str(ROOT / "examples" / "pass_fail.yaml")).text
    update = md[md.index("## 5. The update") :]
    assert "| $w_{4}$ | 0.02 | \u22120.18537 | 0.038537 |" in update  # ∂L/∂w4 by hand, as in test_seed
    assert not re.search(r"\| -[0-9]", md)


def test_notes_name_an_absolute_input_relative_to_where_they_ran(tmp_path, monkeypatch):
    """No absolute path (a home folder) in a handout: run from tmp_path, an absolute input path is
    printed relative to it; a relative one as it was given."""
    import os

    path = ROOT / "examples" / "pass_fail.yaml"
    monkeypatch.chdir(tmp_path)
    md = explain(str(path)).text
    rel = os.path.relpath(path, tmp_path)
    assert str(path) not in md and rel.replace("_", "\\_") in md
    monkeypatch.chdir(ROOT)
    assert "from examples/pass\\_fail.yaml." in explain("examples/pass_fail.yaml").text


def test_a_difference_times_an_input_keeps_its_brackets():
    """tanh′(z) = 1 − O², so ∂O11/∂w1 = (1 − O11²)·x1; written without brackets, 1 − O11²·x1 would be
    another number (softmax_3class: O11 = tanh(z11), x1 = 1). The sigmoid's O(1 − O) is one product
    and needs none."""
    md = explain(str(ROOT / "examples" / "softmax_3class.yaml")).text
    assert r"\tanh'(z_{11}) \cdot x_{1} = \left(1 - O_{11}^{2}\right) \cdot x_{1}" in md
    assert r"1 - O_{11}^{2} \cdot" not in md
    seed = explain(str(ROOT / "examples" / "pass_fail.yaml")).text
    assert r"= O_{2}\,(1 - O_{2}) \cdot O_{1} = 0.51129\,(1 - 0.51129) \cdot 0.759" in seed
