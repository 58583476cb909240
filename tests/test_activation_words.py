"""What an activation or a loss says about itself (the notes ask it rather than compare names), and the
TeX built from parts instead of edited afterwards. Expected strings and numbers are written by hand."""
from fractions import Fraction

import mpmath
import pytest

from derive import losses
from derive.activations import NAMES, Activation
from derive.latex import delta_names, z_names
from derive.numbers import Num
from derive.steps.study import _signed_sum
from derive.texnum import TexNumbers

TN = TexNumbers(5)


def test_delta_names_take_the_subscripts_of_z_names():
    names = ["O1", "O21", "h"]
    assert z_names(names) == {"O1": "z_{1}", "O21": "z_{21}", "h": "z_{h}"}
    assert delta_names(names) == {"O1": r"\delta_{1}", "O21": r"\delta_{21}", "h": r"\delta_{h}"}
    # a1 and b1 would both be 1: every neuron then goes by its full name, z and δ alike
    assert z_names(["a1", "b1"]) == {"a1": "z_{a_{1}}", "b1": "z_{b_{1}}"}
    assert delta_names(["a1", "b1"]) == {"a1": r"\delta_{a_{1}}", "b1": r"\delta_{b_{1}}"}


def test_sigmoid_written_out_keeps_one_sign_in_the_exponent():
    sigmoid = Activation("sigmoid")
    below = sigmoid.tex_forward("z_{1}", Num(Fraction(-1, 2)), TN.text, explicit=True)
    assert below == r"\sigma\left(-0.5\right) = \frac{1}{1 + e^{0.5}}"
    above = sigmoid.tex_forward("z_{1}", Num(Fraction(3, 4)), TN.text, explicit=True)
    assert above == r"\sigma\left(0.75\right) = \frac{1}{1 + e^{-0.75}}"
    assert sigmoid.tex_forward("z_{1}", Num(Fraction(3, 4)), TN.text) == r"\sigma\left(0.75\right)"


def test_softmax_is_written_over_its_group_in_symbols():
    got = Activation("softmax").tex_forward("z_{3}", Num(Fraction(2)), TN.text, explicit=True)
    assert got == r"\frac{e^{z_{3}}}{\sum_j e^{z_j}}"


@pytest.mark.parametrize("name", NAMES)
def test_what_an_activation_says_of_itself(name):
    act = Activation(name)
    assert act.couples_outputs == (name == "softmax")
    assert act.differentiable == (name != "step")
    assert act.derivative_is_one == (name == "linear")
    assert act.outputs_class == (name == "step")
    assert bool(act.convention) == (name in ("relu", "leaky_relu", "step"))


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "linear"])
def test_derivative_bound_is_the_largest_slope(name):
    """The bound the depth table shows, against slopes by central differences of f itself."""
    act = Activation(name)
    h = mpmath.mpf("1e-12")
    with mpmath.workdps(40):
        slopes = []
        for k in range(-40, 41):
            z = mpmath.mpf(k) / 8 + mpmath.mpf("0.01")  # off 0, where ReLU's kink is
            up, down = act.value(Num(None, z + h)).mp, act.value(Num(None, z - h)).mp
            slopes.append(abs(up - down) / (2 * h))
        top = max(slopes)
    assert abs(top - mpmath.mpf(act.derivative_bound)) < mpmath.mpf("0.001")


def test_softmax_shortcut_needs_cross_entropy_and_targets_adding_to_one():
    cce = losses.of("categorical_cross_entropy")
    assert cce.pairs_with_softmax and not cce.needs_probabilities
    assert cce.softmax_shortcut([Fraction(1, 4), Fraction(3, 4)])
    assert not cce.softmax_shortcut([Fraction(1, 4), Fraction(1, 2)])
    assert not losses.of("squared_error").softmax_shortcut([Fraction(1), Fraction(0)])
    assert losses.of("binary_cross_entropy").needs_probabilities
    assert not losses.of("error").minimisable and losses.of("mse").minimisable
    with pytest.raises(ValueError):
        losses.of("hinge")


def test_plain_gradient_of_the_mean_squared_error():
    assert losses.of("mse").plain_gradient("{O3}", "y_1", 2) == "2/2*({O3} - y_1)"
    assert losses.of("mse").plain_gradient("{O3}", "y", 1) == "2*({O3} - y)"


def test_a_boundary_with_negative_coefficients_reads_as_subtractions():
    terms = [(Num(Fraction(2)), r"\,x_{1}"), (Num(Fraction(-1, 2)), r"\,x_{2}"), (Num(Fraction(-3)), "")]
    assert _signed_sum(terms, TN) == r"2\,x_{1} - 0.5\,x_{2} - 3"
    assert _signed_sum([(Num(Fraction(-1)), r"\,x_{1}")], TN) == r"-1\,x_{1}"
    assert _signed_sum([], TN) == "0"
