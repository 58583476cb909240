"""The perceptron learning rule: AND converges with the number of updates a hand run predicts, XOR
never converges (and the notes say why), and gradient training refuses what it cannot train."""
from fractions import Fraction

import pytest

from derive import DeriveError, load_network
from derive.train.perceptron import boundary_z, midpoint_proof, train
from derive.train.run import run, settings_for
from tests.helpers import ROOT

AND = (ROOT / "examples" / "and_perceptron.yaml").read_text()
XOR = (ROOT / "examples" / "xor_perceptron.yaml").read_text()


def hand_run(points, w, b, eta, epochs):
    """The rule as a person runs it: class 1 when w·x + b ≥ 0 (sigmoid ≥ 0.5, tanh ≥ 0), exact fractions."""
    updates = 0
    for epoch in range(1, epochs + 1):
        mistakes = 0
        for x, y in points:
            predicted = 1 if sum(wi * xi for wi, xi in zip(w, x)) + b >= 0 else 0
            if predicted != y:
                mistakes += 1
                w = [wi + eta * (y - predicted) * xi for wi, xi in zip(w, x)]
                b += eta * (y - predicted)
        updates += mistakes
        if mistakes == 0:
            return epoch, updates, w, b
    return None, updates, w, b


F = Fraction
AND_POINTS = [((0, 0), 0), ((0, 1), 0), ((1, 0), 0), ((1, 1), 1)]
XOR_POINTS = [((0, 0), 0), ((0, 1), 1), ((1, 0), 1), ((1, 1), 0)]


def test_and_converges_with_the_hand_run_number_of_updates():
    epoch, updates, w, b = hand_run(AND_POINTS, [F(3, 10), F(-1, 10)], F(2, 10), F(1, 10), 20)
    p = train(load_network(text=AND))
    assert (p.converged, p.updates) == (epoch, updates) == (7, 13)
    assert [p.final["w1"], p.final["w2"], p.final["b"]] == w + [b]
    assert p.mistakes[-1] == 0 and all(m > 0 for m in p.mistakes[:-1])
    assert p.proof is None


@pytest.mark.parametrize("w1,w2,b,eta", [(0, 0, 0, 1), (1, 1, 1, Fraction(1, 2)), (-2, 3, 1, Fraction(1, 4))])
def test_and_from_other_starts(w1, w2, b, eta):
    text = AND.replace("{w1: 0.3, w2: -0.1, b: 0.2}", f"{{w1: {w1}, w2: {w2}, b: {b}}}")
    epoch, updates, _, _ = hand_run(AND_POINTS, [F(w1), F(w2)], F(b), F(eta), 50)
    p = train(load_network(text=text), eta=F(eta), epochs=50)
    assert epoch is not None and (p.converged, p.updates) == (epoch, updates)


def test_xor_never_converges_within_the_epoch_limit():
    epoch, _, _, _ = hand_run(XOR_POINTS, [F(3, 10), F(-1, 10)], F(2, 10), F(1, 10), 200)
    assert epoch is None
    p = train(load_network(text=XOR), epochs=200)
    assert p.converged is None and all(m > 0 for m in p.mistakes)
    assert p.cycle is not None  # the weights repeat, so it never will
    assert p.proof == {"ones": (1, 2), "zeros": (0, 3), "sum": {"x1": 1, "x2": 1}}


def test_step_activation_trains_with_the_rule_and_its_threshold_is_z_zero():
    text = AND.replace("activation: sigmoid, threshold: 0.5", "activation: step")
    p = train(load_network(text=text))
    assert (p.converged, p.updates) == (7, 13)
    assert boundary_z("step", Fraction(1, 2)).exact == 0
    assert abs(float(boundary_z("sigmoid", Fraction(9, 10)).mp) - 2.1972245773) < 1e-9  # ln 9


def test_gradient_training_of_a_step_unit_is_refused_with_the_reason():
    text = AND.replace("activation: sigmoid, threshold: 0.5", "activation: step").replace("optimizer: perceptron\n", "")
    net = load_network(text=text)
    with pytest.raises(DeriveError, match="step activation.*perceptron"):
        run(net, settings_for(net))


def test_training_on_the_error_loss_is_refused():
    text = (ROOT / "examples" / "pass_fail.yaml").read_text().replace("loss: squared_error", "loss: error")
    net = load_network(text=text)
    with pytest.raises(DeriveError, match="derivative is −1"):
        run(net, settings_for(net))


def test_perceptron_refuses_what_is_not_one():
    two = (ROOT / "examples" / "pass_fail.yaml").read_text()
    with pytest.raises(DeriveError, match="single neuron"):
        train(load_network(text=two))
    with pytest.raises(DeriveError, match="0 or 1"):
        train(load_network(text=AND.replace("- {x1: 1, x2: 1, y: 1}", "- {x1: 1, x2: 1, y: 0.5}")))


def test_frozen_bias_is_honoured():
    p = train(load_network(text=AND + "freeze: [b]\n"))
    assert all(s.after["b"] == Fraction(1, 5) for s in p.steps)


def test_midpoint_proof_finds_nothing_in_separable_data():
    assert midpoint_proof(load_network(text=AND)) is None
