"""Self-checks of the independent oracle in tests/oracle.py.

The oracle is checked (a) against hand calculations written out below, with their reasoning,
and (b) against itself: its micrograd-style reverse mode must agree with its high-precision
central finite differences on many random networks.
"""

import random
from fractions import Fraction

import pytest
from mpmath import mp, mpf

from tests import oracle

LECTURE = """\
title: Will the student pass?
inputs: {x1: IQ, x2: Study hours, x3: Play hours}   # name: label
neurons:      # in any order; z = sum(weight * source) + bias ; O = activation(z)
  O1: {from: {x1: w1, x2: w2, x3: w3}, bias: b1, activation: sigmoid}
  O2: {from: {O1: w4}, bias: b2, activation: sigmoid}
outputs: [O2]
parameters: {w1: 0.01, w2: 0.02, w3: 0.03, w4: 0.02, b1: 0.001, b2: 0.03}
loss: squared_error
learning_rate: 0.1
data:
  - {x1: 95, x2: 4, x3: 4, y: 1}      # y: a number (one output) or a list in the order of `outputs`
"""


@pytest.fixture(autouse=True)
def _high_precision():
    """Literals like mpf("0.1") and arithmetic in the tests need > 15 digits; restored afterwards
    (the oracle itself always works in its own mp.workdps context)."""
    with mp.workdps(80):
        yield


def close(a, b, digits):
    """a and b agree to `digits` significant digits (absolute 10^-(digits+15) near zero)."""
    with mp.workdps(digits + 20):
        a, b = mpf(a), mpf(b)
        return abs(a - b) <= mpf(10) ** (-digits) * max(abs(a), abs(b)) + mpf(10) ** (-(digits + 15))


def net_from(text):
    return oracle.load(text)


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------
def test_load_lecture_is_exact():
    net = oracle.load(LECTURE)
    assert net["title"] == "Will the student pass?"
    assert net["inputs"] == {"x1": "IQ", "x2": "Study hours", "x3": "Play hours"}
    assert net["parameters"] == {
        "w1": Fraction(1, 100), "w2": Fraction(2, 100), "w3": Fraction(3, 100),
        "w4": Fraction(2, 100), "b1": Fraction(1, 1000), "b2": Fraction(3, 100),
    }
    for v in net["parameters"].values():
        assert type(v) is Fraction
    assert net["learning_rate"] == Fraction(1, 10)
    assert net["outputs"] == ["O2"]
    assert net["order"] == ["O1", "O2"]
    assert net["loss"] == "squared_error"
    assert net["neurons"]["O1"]["from"] == {"x1": "w1", "x2": "w2", "x3": "w3"}
    assert net["neurons"]["O1"]["bias"] == "b1"
    assert net["data"] == [{"x1": 95, "x2": 4, "x3": 4, "y": 1}]
    # exactness: 1/100 really is 1/100 (a float would give 0.01000000000000000020816...)
    z1 = sum(net["parameters"][w] * net["data"][0][x] for x, w in net["neurons"]["O1"]["from"].items())
    assert z1 + net["parameters"]["b1"] == Fraction(1151, 1000)


def test_load_fixed_numbers_absent_bias_and_activation_mapping():
    net = oracle.load("""
inputs: {x1: a, x2: b}
neurons:
  O1: {from: {h1: w2, x2: -0.5}, bias: 0.25, activation: {name: leaky_relu, slope: 0.2}}
  h1: {from: {x1: w1}, activation: {name: leaky_relu}}
outputs: [O1]
parameters: {w1: 0.3, w2: -1.5e-1}
loss: mse
learning_rate: 1
data:
  - {x1: 1, x2: 2, y: [0.5]}
""")
    assert net["order"] == ["h1", "O1"]  # listed out of order, sorted topologically
    assert net["neurons"]["O1"]["from"] == {"h1": "w2", "x2": Fraction(-1, 2)}
    assert net["neurons"]["O1"]["bias"] == Fraction(1, 4)
    assert net["neurons"]["h1"]["bias"] is None
    assert net["neurons"]["O1"]["slope"] == Fraction(1, 5)
    assert net["neurons"]["h1"]["slope"] == Fraction(1, 100)  # default slope
    assert net["parameters"]["w2"] == Fraction(-3, 20)
    assert net["data"][0]["y"] == [Fraction(1, 2)]


@pytest.mark.parametrize(
    "bad",
    [
        # cycle
        "inputs: {x1: a}\nneurons:\n  h1: {from: {h2: w1}}\n  h2: {from: {h1: w1}}\n"
        "outputs: [h2]\nparameters: {w1: 1}\nloss: mse\nlearning_rate: 1\ndata: []\n",
        # unknown parameter
        "inputs: {x1: a}\nneurons:\n  O1: {from: {x1: w9}}\n"
        "outputs: [O1]\nparameters: {w1: 1}\nloss: mse\nlearning_rate: 1\ndata: []\n",
        # unknown source
        "inputs: {x1: a}\nneurons:\n  O1: {from: {x7: w1}}\n"
        "outputs: [O1]\nparameters: {w1: 1}\nloss: mse\nlearning_rate: 1\ndata: []\n",
        # unknown activation
        "inputs: {x1: a}\nneurons:\n  O1: {from: {x1: w1}, activation: swish}\n"
        "outputs: [O1]\nparameters: {w1: 1}\nloss: mse\nlearning_rate: 1\ndata: []\n",
        # unknown loss
        "inputs: {x1: a}\nneurons:\n  O1: {from: {x1: w1}}\n"
        "outputs: [O1]\nparameters: {w1: 1}\nloss: hinge\nlearning_rate: 1\ndata: []\n",
    ],
)
def test_load_rejects_invalid(bad):
    with pytest.raises(ValueError):
        oracle.load(bad)


# ---------------------------------------------------------------------------------------------
# The seed lecture
# ---------------------------------------------------------------------------------------------
def test_lecture_forward_numbers():
    net = oracle.load(LECTURE)
    fw = oracle.forward(net, net["data"][0], dps=60)
    # z(O1) = 95*0.01 + 4*0.02 + 4*0.03 + 0.001 = 0.95 + 0.08 + 0.12 + 0.001 = 1.151 exactly
    assert close(fw["O1"]["z"], mpf("1.151"), 55)
    # O1 = 1/(1+e^-1.151)
    assert close(fw["O1"]["O"], mpf("0.75969352362945102699780879598415279056718233042827"), 45)
    # z(O2) = 0.02*O1 + 0.03
    assert close(fw["O2"]["z"], mpf("0.045193870472589020539956175919683055811343646608565"), 45)
    assert close(fw["O2"]["O"], mpf("0.51129654493075904863510438063358771519475915240859"), 45)
    # L = (1 - O2)^2
    assert close(fw["loss"], mpf("0.23883106699661360932381721914337702961200802979889"), 45)
    # digits quoted in the brief
    assert str(fw["O1"]["O"]).startswith("0.75969352362945102699")
    assert str(fw["O2"]["O"]).startswith("0.51129654493075904863")


def test_lecture_gradients_by_hand():
    """Chain rule written out for the lecture network.

    L = (y - O2)^2,  dL/dO2 = 2(O2 - y);  O2 = s(z2), dO2/dz2 = O2(1 - O2)
    delta2 = dL/dz2 = 2(O2 - y) * O2 (1 - O2)
    dL/dw4 = delta2 * O1,  dL/db2 = delta2
    delta1 = dL/dz1 = delta2 * w4 * O1 (1 - O1)
    dL/dw1 = delta1 * 95, dL/dw2 = delta1 * 4, dL/dw3 = delta1 * 4, dL/db1 = delta1
    """
    with mp.workdps(60):
        O1 = mpf("0.75969352362945102699780879598415279056718233042827")
        O2 = mpf("0.51129654493075904863510438063358771519475915240859")
        y = 1
        d2 = 2 * (O2 - y) * O2 * (1 - O2)
        d1 = d2 * mpf("0.02") * O1 * (1 - O1)
        hand = {"w1": d1 * 95, "w2": d1 * 4, "w3": d1 * 4, "w4": d2 * O1, "b1": d1, "b2": d2}
    net = oracle.load(LECTURE)
    pt = net["data"][0]
    fd = oracle.gradients_fd(net, pt)
    rev = oracle.gradients_reverse(net, pt)
    assert set(fd) == set(rev) == set(hand)
    for p in hand:
        assert close(fd[p], hand[p], 40), p
        assert close(rev[p], hand[p], 40), p
    # rounded values, for humans: dL/dw4 ~ -0.18553766924962, dL/db2 ~ -0.24422699875499
    assert close(fd["w4"], mpf("-0.185537669249624"), 14)
    assert close(fd["b2"], mpf("-0.244226998754990"), 14)
    # gradient descent: p_new = p - 0.1 * dL/dp
    new = oracle.updated(net, fd)
    assert close(new["w4"], mpf("0.02") - mpf("0.1") * hand["w4"], 45)
    assert close(new["b2"], mpf("0.03") + mpf("0.0244226998754990"), 14)
    assert close(new["w1"], mpf("0.01") - mpf("0.1") * hand["w1"], 45)


def test_neuron_order_in_yaml_does_not_matter():
    swapped = LECTURE.replace(
        "  O1: {from: {x1: w1, x2: w2, x3: w3}, bias: b1, activation: sigmoid}\n"
        "  O2: {from: {O1: w4}, bias: b2, activation: sigmoid}\n",
        "  O2: {from: {O1: w4}, bias: b2, activation: sigmoid}\n"
        "  O1: {from: {x1: w1, x2: w2, x3: w3}, bias: b1, activation: sigmoid}\n",
    )
    assert swapped != LECTURE
    a, b = oracle.load(LECTURE), oracle.load(swapped)
    fa, fb = oracle.forward(a, a["data"][0]), oracle.forward(b, b["data"][0])
    assert fa["loss"] == fb["loss"]
    assert oracle.gradients_reverse(a, a["data"][0]) == oracle.gradients_reverse(b, b["data"][0])


# ---------------------------------------------------------------------------------------------
# Tiny hand calculations
# ---------------------------------------------------------------------------------------------
def both(net, pt=None):
    pt = net["data"][0] if pt is None else pt
    return oracle.gradients_fd(net, pt), oracle.gradients_reverse(net, pt)


def test_single_linear_neuron_squared_error():
    """z = w x + b, O = z, L = (y - O)^2  =>  dL/dw = 2(O - y) x,  dL/db = 2(O - y).

    x = 2, w = 0.5, b = 0.1, y = 1: O = 1.1, L = 0.01, dL/dw = 2*0.1*2 = 0.4, dL/db = 0.2.
    Update with learning rate 0.1: w = 0.5 - 0.04 = 0.46, b = 0.1 - 0.02 = 0.08.
    """
    net = net_from("""
inputs: {x1: x}
neurons:
  O1: {from: {x1: w1}, bias: b1, activation: linear}
outputs: [O1]
parameters: {w1: 0.5, b1: 0.1}
loss: squared_error
learning_rate: 0.1
data:
  - {x1: 2, y: 1}
""")
    fw = oracle.forward(net, net["data"][0])
    assert close(fw["O1"]["O"], mpf("1.1"), 50)
    assert close(fw["loss"], mpf("0.01"), 50)
    for g in both(net):
        assert close(g["w1"], mpf("0.4"), 50)
        assert close(g["b1"], mpf("0.2"), 50)
    new = oracle.updated(net, both(net)[0])
    assert close(new["w1"], mpf("0.46"), 50)
    assert close(new["b1"], mpf("0.08"), 50)


def test_tied_weight_and_fixed_weight():
    """z = w x1 + w x2 + 0.5 x3 (w tied on two edges, 0.5 fixed), linear, squared error.

    x = (1, 3, 2), w = 0.25, y = 0: z = 0.25 + 0.75 + 1 = 2, L = 4.
    dL/dw = 2(z - y) * (x1 + x2) = 2*2*4 = 16 (the SUM over both uses).  0.5 is not trained.
    """
    net = net_from("""
inputs: {x1: a, x2: b, x3: c}
neurons:
  O1: {from: {x1: w, x2: w, x3: 0.5}, activation: linear}
outputs: [O1]
parameters: {w: 0.25}
loss: squared_error
learning_rate: 0.1
data:
  - {x1: 1, x2: 3, x3: 2, y: 0}
""")
    assert close(oracle.forward(net, net["data"][0])["loss"], 4, 50)
    for g in both(net):
        assert set(g) == {"w"}
        assert close(g["w"], 16, 50)
    assert close(oracle.updated(net, both(net)[0])["w"], mpf("-1.35"), 50)


@pytest.mark.parametrize(
    "act, dw, db",
    [
        # relu'(0) = 0: nothing flows back
        ("relu", 0, 0),
        # leaky'(0) = slope 0.2: dL/dO = 2(O - y) = 2(0 - 1) = -2; dL/dw = -2*0.2*x = -2*0.2*10 = -4
        ("{name: leaky_relu, slope: 0.2}", -4, "-0.4"),
        # default slope 0.01: -2*0.01*10 = -0.2, -2*0.01 = -0.02
        ("leaky_relu", "-0.2", "-0.02"),
    ],
)
def test_kink_conventions(act, dw, db):
    """z = 0.1*10 - 1 = 0 EXACTLY (in binary floating point it is not!), O = 0, y = 1."""
    net = net_from(f"""
inputs: {{x1: x}}
neurons:
  O1: {{from: {{x1: w1}}, bias: b1, activation: {act}}}
outputs: [O1]
parameters: {{w1: 0.1, b1: -1}}
loss: squared_error
learning_rate: 0.1
data:
  - {{x1: 10, y: 1}}
""")
    fw = oracle.forward(net, net["data"][0])
    assert abs(fw["O1"]["O"]) < mpf(10) ** -40
    assert close(fw["loss"], 1, 40)
    for g in both(net):
        assert close(g["w1"], dw, 40)
        assert close(g["b1"], db, 40)


def test_mae_two_outputs_with_one_exact_match():
    """O1 = w1 x, O2 = w2 x (linear), x = 2, w1 = 0.5, w2 = 0.25 => yhat = (1, 0.5); y = (0, 0.5).

    L = (|1 - 0| + |0.5 - 0.5|)/2 = 0.5.  dL/dyhat_k = sign(yhat_k - y_k)/K:
    dL/dw1 = (+1/2) * x = 1;  dL/dw2 = 0 (yhat_2 == y_2, derivative 0 by convention).
    """
    net = net_from("""
inputs: {x1: x}
neurons:
  O1: {from: {x1: w1}, activation: linear}
  O2: {from: {x1: w2}, activation: linear}
outputs: [O1, O2]
parameters: {w1: 0.5, w2: 0.25}
loss: mae
learning_rate: 0.1
data:
  - {x1: 2, y: [0, 0.5]}
""")
    assert close(oracle.forward(net, net["data"][0])["loss"], mpf("0.5"), 50)
    for g in both(net):
        assert close(g["w1"], 1, 50)
        assert close(g["w2"], 0, 50)


def test_softmax_categorical_cross_entropy():
    """z = (0.5 x, -0.5 x) with x = 1; softmax: yhat1 = e^.5/(e^.5 + e^-.5) = s(1) = 0.73105857...

    L = -ln yhat1 (y = [1, 0]);  dL/dz_k = yhat_k - y_k, so
    dL/dw1 = (s(1) - 1) * x = -0.26894142136999512074...,  dL/dw2 = (1 - s(1)) * x = +0.2689414...
    """
    net = net_from("""
inputs: {x1: x}
neurons:
  O1: {from: {x1: w1}, activation: softmax}
  O2: {from: {x1: w2}, activation: softmax}
outputs: [O1, O2]
parameters: {w1: 0.5, w2: -0.5}
loss: categorical_cross_entropy
learning_rate: 0.1
data:
  - {x1: 1, y: [1, 0]}
""")
    s1 = mpf("0.73105857863000487925115924182183627436514464016506")
    fw = oracle.forward(net, net["data"][0])
    assert close(fw["O1"]["O"], s1, 45)
    assert close(fw["O2"]["O"], 1 - s1, 45)
    with mp.workdps(60):
        assert close(fw["loss"], -mp.log(s1), 45)
    for g in both(net):
        assert close(g["w1"], mpf("-0.26894142136999512074884075817816372563485535983494"), 45)
        assert close(g["w2"], mpf("0.26894142136999512074884075817816372563485535983494"), 45)


def test_sigmoid_binary_cross_entropy():
    """z = 0.25 * 2 = 0.5 (bias absent), yhat = s(0.5) = 0.62245933120185456464..., y = 1.

    L = -ln yhat = ln(1 + e^-0.5) = 0.47407698418010668087...; dL/dz = yhat - y, so
    dL/dw = (yhat - 1) * 2 = -0.75508133759629087072...
    """
    net = net_from("""
inputs: {x1: x}
neurons:
  O1: {from: {x1: w1}, activation: sigmoid}
outputs: [O1]
parameters: {w1: 0.25}
loss: binary_cross_entropy
learning_rate: 0.1
data:
  - {x1: 2, y: 1}
""")
    fw = oracle.forward(net, net["data"][0])
    assert close(fw["O1"]["O"], mpf("0.62245933120185456463890056574550847875327936530891"), 45)
    assert close(fw["loss"], mpf("0.47407698418010668087299735508117074975559619466786"), 45)
    for g in both(net):
        assert close(g["w1"], mpf("-0.75508133759629087072219886850898304249344126938218"), 45)


def test_tanh_hidden_half_squared_error_and_fixed_bias():
    """h = tanh(w x) with x = 1, w = 0.5: h = tanh(0.5) = 0.46211715726000975850...
    O = v h + 0.1 (fixed bias), v = 2, linear; L = 1/2 (O - 0)^2.
    dL/dO = O;  dL/dv = O h;  dL/dw = O v (1 - h^2) x.
    """
    net = net_from("""
inputs: {x1: x}
neurons:
  h1: {from: {x1: w}, activation: tanh}
  O1: {from: {h1: v}, bias: 0.1, activation: linear}
outputs: [O1]
parameters: {w: 0.5, v: 2}
loss: half_squared_error
learning_rate: 0.1
data:
  - {x1: 1, y: 0}
""")
    with mp.workdps(60):
        h = mpf("0.46211715726000975850231848364367254873028928033011")
        O = 2 * h + mpf("0.1")
        want = {"v": O * h, "w": O * 2 * (1 - h * h)}
        L = O * O / 2
    assert close(oracle.forward(net, net["data"][0])["loss"], L, 45)
    for g in both(net):
        assert set(g) == {"v", "w"}
        for p in want:
            assert close(g[p], want[p], 45), p


def test_loss_scalings_with_two_outputs():
    """For K = 2 linear outputs: squared_error = 2 * half_squared_error = 2 * mse (gradients too).

    O1 = w1 x, O2 = w2 x, x = 3, w = (0.5, -0.25), y = (1, 0): residuals (0.5, -0.75).
    squared_error: L = 0.25 + 0.5625 = 0.8125; dL/dw1 = 2*0.5*3 = 3; dL/dw2 = 2*(-0.75)*3 = -4.5.
    """
    base = """
inputs: {x1: x}
neurons:
  O1: {from: {x1: w1}, activation: linear}
  O2: {from: {x1: w2}, activation: linear}
outputs: [O1, O2]
parameters: {w1: 0.5, w2: -0.25}
loss: LOSS
learning_rate: 0.1
data:
  - {x1: 3, y: [1, 0]}
"""
    for loss, factor in [("squared_error", 1), ("half_squared_error", mpf("0.5")), ("mse", mpf("0.5"))]:
        net = net_from(base.replace("LOSS", loss))
        assert close(oracle.forward(net, net["data"][0])["loss"], mpf("0.8125") * factor, 50)
        for g in both(net):
            assert close(g["w1"], 3 * factor, 50)
            assert close(g["w2"], mpf("-4.5") * factor, 50)


def test_skip_connection_by_hand():
    """h = relu(w1 x) ; O = w2 h + w3 x (skip edge x -> O), linear; L = (O - y)^2.
    x = 2, w1 = 0.5 (h = 1 > 0), w2 = 3, w3 = -1, y = 0: O = 3 - 2 = 1.
    dL/dO = 2; dL/dw2 = 2 h = 2; dL/dw3 = 2 x = 4; dL/dw1 = 2 w2 relu'(1) x = 2*3*1*2 = 12.
    """
    net = net_from("""
inputs: {x1: x}
neurons:
  O1: {from: {h1: w2, x1: w3}, activation: linear}
  h1: {from: {x1: w1}, activation: relu}
outputs: [O1]
parameters: {w1: 0.5, w2: 3, w3: -1}
loss: squared_error
learning_rate: 0.1
data:
  - {x1: 2, y: 0}
""")
    for g in both(net):
        assert close(g["w1"], 12, 50)
        assert close(g["w2"], 2, 50)
        assert close(g["w3"], 4, 50)


# ---------------------------------------------------------------------------------------------
# Random networks: reverse mode == finite differences
# ---------------------------------------------------------------------------------------------
SEEDS = range(40)


@pytest.mark.parametrize("seed", SEEDS)
def test_reverse_equals_finite_differences(seed):
    text = oracle.random_network(random.Random(seed))
    net = oracle.load(text)
    assert len(net["neurons"]) <= 12
    for pt in net["data"]:
        fd = oracle.gradients_fd(net, pt)
        rev = oracle.gradients_reverse(net, pt)
        assert set(fd) == set(rev) == set(net["parameters"])
        for p in fd:
            assert close(fd[p], rev[p], 25), (seed, p, fd[p], rev[p], text)


@pytest.mark.parametrize("sizes", [[3, 2, 1], [2, 3, 2], [1, 1], [2, 2, 2, 1]])
def test_explicit_layer_sizes(sizes):
    net = oracle.load(oracle.random_network(random.Random(7), shape=sizes))
    assert len(net["inputs"]) == sizes[0]
    assert len(net["outputs"]) == sizes[-1]
    assert len(net["neurons"]) == sum(sizes[1:])


def test_random_networks_are_deterministic_and_cover_everything():
    assert oracle.random_network(random.Random(3)) == oracle.random_network(random.Random(3))
    acts, losses, shapes = set(), set(), set()
    seen = {"tied": False, "fixed_weight": False, "skip": False, "bias_absent": False,
            "bias_fixed": False, "bias_named": False, "slope_mapping": False, "multi_out": False,
            "list_target": False, "prob_target": False}
    for seed in range(120):
        rng = random.Random(seed)
        text = oracle.random_network(rng, shape=oracle.SHAPES[seed % len(oracle.SHAPES)])
        net = oracle.load(text)
        shapes.add(oracle.SHAPES[seed % len(oracle.SHAPES)])
        losses.add(net["loss"])
        uses = {}
        depth = {x: 0 for x in net["inputs"]}
        for n in net["order"]:
            spec = net["neurons"][n]
            depth[n] = 1 + max(depth[s] for s in spec["from"])
            if any(depth[s] < depth[n] - 1 for s in spec["from"]):
                seen["skip"] = True
        for n, spec in net["neurons"].items():
            acts.add(spec["activation"])
            if spec["activation"] == "leaky_relu" and spec["slope"] != Fraction(1, 100):
                seen["slope_mapping"] = True
            for w in spec["from"].values():
                if isinstance(w, str):
                    uses[w] = uses.get(w, 0) + 1
                else:
                    seen["fixed_weight"] = True
            b = spec["bias"]
            seen["bias_absent" if b is None else "bias_named" if isinstance(b, str) else "bias_fixed"] = True
        if any(c >= 2 for c in uses.values()):
            seen["tied"] = True
        if len(net["outputs"]) >= 2:
            seen["multi_out"] = True
        # structural guarantees
        smax = [n for n, s in net["neurons"].items() if s["activation"] == "softmax"]
        if smax:
            assert len(smax) >= 2 and set(smax) <= set(net["outputs"])
        if net["loss"] == "categorical_cross_entropy":
            assert set(smax) == set(net["outputs"])
        if net["loss"] == "binary_cross_entropy":
            assert all(net["neurons"][o]["activation"] == "sigmoid" for o in net["outputs"])
        used = {s for spec in net["neurons"].values() for s in spec["from"]}
        assert set(net["inputs"]) <= used
        assert set(net["neurons"]) - set(net["outputs"]) <= used
        for pt in net["data"]:
            ys = pt["y"] if isinstance(pt["y"], list) else [pt["y"]]
            if isinstance(pt["y"], list):
                seen["list_target"] = True
            if smax and sum(ys) == 1 and any(0 < y < 1 for y in ys):
                seen["prob_target"] = True
            fw = oracle.forward(net, pt, dps=30)
            for n, spec in net["neurons"].items():
                if spec["activation"] in ("relu", "leaky_relu"):
                    assert abs(fw[n]["z"]) >= mpf("0.01")
            if net["loss"] == "mae":
                for o, y in zip(net["outputs"], ys):
                    assert abs(fw[o]["O"] - oracle.to_mpf(y)) >= mpf("0.01")
    assert acts == set(oracle.ACTIVATIONS)
    assert losses == set(oracle.LOSSES)
    assert shapes == set(oracle.SHAPES)
    assert all(seen.values()), seen
