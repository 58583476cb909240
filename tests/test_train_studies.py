"""The two studies. Learning rate: on L(w) = (1 - w)², one gradient step maps the error e = w - 1 to
(1 - 2η)e, so η = 0.01 creeps (factor 0.98), η = 0.25 halves it every epoch, η = 0.75 flips its sign
(factor -0.5: oscillating) and η = 1.5 doubles it with a flip (diverging). Depth: along a chain of
sigmoids the product of the links σ'(z)·w never exceeds 0.25^k·Π|w|."""
from fractions import Fraction

import mpmath
import numpy as np
import pytest

from derive import DeriveError, load_network
from derive.train.studies import judge, study_depth, study_lr
from tests.helpers import ROOT

BOWL = """
title: a bowl
inputs: {x1: a}
neurons:
  O1: {from: {x1: w}, activation: linear}
parameters: {w: 0}
loss: squared_error
data:
  - {x1: 1, y: 1}
"""


def test_rates_are_classified_as_the_algebra_says():
    rates = [Fraction(1, 100), Fraction(1, 4), Fraction(3, 4), Fraction(3, 2)]
    results = study_lr(load_network(text=BOWL), rates, 20)
    assert [r.verdict for r in results] == ["slow", "good", "oscillating", "diverging"]
    for r in results:  # every epoch's weight is 1 - (1 - 2η)^e: exact after step 1, then to 50 digits
        factor = 1 - 2 * r.rate
        assert r.run.epochs[1].params["w"].exact == 1 - factor
        with mpmath.workdps(60):
            for e, ev in enumerate(r.run.epochs):
                want = 1 - factor ** e
                exact = mpmath.mpf(want.numerator) / want.denominator
                assert abs(ev.params["w"].mp - exact) <= mpmath.mpf(10) ** -45 * max(1, abs(exact))
    assert results[2].flips == results[2].pairs == 19


def test_a_rate_of_exactly_one_half_lands_on_the_minimum():
    """Factor 0: the first step lands on w = 1, the gradient is 0 and stays 0 (good, not oscillating)."""
    (r,) = study_lr(load_network(text=BOWL), [Fraction(1, 2)], 5)
    assert r.verdict == "good" and r.run.epochs[-1].loss.is_zero()


def test_undamped_oscillation_is_oscillating():
    (r,) = study_lr(load_network(text=BOWL), [Fraction(1)], 10)  # factor -1: w jumps 0, 2, 0, 2 ...
    assert r.verdict == "oscillating"


def test_a_blown_up_run_is_stopped_and_diverging():
    (r,) = study_lr(load_network(text=BOWL), [Fraction(100)], 50)
    assert r.run.stopped and r.verdict == "diverging" and len(r.run.epochs) < 51


def test_regression_example_shows_all_four():
    net = load_network(str(ROOT / "examples" / "regression_lr.yaml"))
    results = study_lr(net, [Fraction(1, 100), Fraction(1, 10), Fraction(1), Fraction(10)], 50)
    assert [r.verdict for r in results] == ["slow", "good", "oscillating", "diverging"]


def test_bad_rates_are_refused():
    with pytest.raises(DeriveError):
        study_lr(load_network(text=BOWL), [Fraction(0)], 5)
    with pytest.raises(DeriveError):
        study_lr(load_network(text=BOWL), [], 5)


DEEP = (ROOT / "examples" / "deep_sigmoid.yaml").read_text()


@pytest.mark.parametrize("scale", [Fraction(1), Fraction(8), Fraction(1, 3), Fraction(20)])
def test_sigmoid_product_within_its_bound(scale):
    variants = study_depth(load_network(text=DEEP), scale)
    for v in variants:
        if v.activation != "sigmoid":
            continue
        rows = [r for r in v.rows if r.product is not None]
        for k, r in enumerate(rows, 1):
            weights = np.prod([abs(float(x.weight_value.mp)) for x in rows[:k]])
            assert abs(r.product.mp) <= r.product_bound.mp
            assert float(r.product_bound.mp) == pytest.approx(0.25 ** k * weights, rel=1e-12)


def _sigmoid_chain(ws, bs, x):
    """An independent float64 forward pass along the chain; σ'(z)·w per link, output first."""
    zs, o = [], x
    for w, b in zip(ws, bs):
        z = w * o + b
        zs.append(z)
        o = 1 / (1 + np.exp(-z))
    s = [1 / (1 + np.exp(-z)) for z in zs]
    return [s[i] * (1 - s[i]) * ws[i] for i in range(len(ws) - 1, 0, -1)]


def test_links_match_an_independent_forward_pass():
    variants = study_depth(load_network(text=DEEP), Fraction(1))
    sig = next(v for v in variants if v.activation == "sigmoid")
    links = _sigmoid_chain([0.5] * 5, [0.1] * 5, 1.0)
    got = [float(r.link.mp) for r in sig.rows if r.link is not None]
    assert got == pytest.approx(links, rel=1e-12)
    assert float(sig.rows[-2].product.mp) == pytest.approx(np.prod(links), rel=1e-12)


def test_relu_with_large_weights_explodes_and_tanh_saturates():
    variants = {(v.activation, v.scale): v for v in study_depth(load_network(text=DEEP), Fraction(8))}
    relu = variants[("relu", Fraction(8))]
    assert [r.product.exact for r in relu.rows if r.product is not None] == [4, 16, 64, 256]
    tanh = variants[("tanh", Fraction(8))]
    assert abs(tanh.rows[-2].product.mp) < mpmath.mpf(10) ** -8


def test_depth_needs_a_chain():
    with pytest.raises(DeriveError, match="chain"):
        study_depth(load_network(text=BOWL))


def test_judge_is_exported_for_runs():
    (r,) = study_lr(load_network(text=BOWL), [Fraction(1, 4)], 3)
    assert judge(r.run)[0] in ("good", "slow")
