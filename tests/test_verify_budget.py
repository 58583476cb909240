"""The default independent check of the gradients always ends (issue 13): SymPy composes each ReLU-like
neuron as the branch its z takes at the data point, within a time budget, and where SymPy does not
check, central differences of the forward pass do."""

import json
import random
import signal
import threading
from fractions import Fraction

import pytest
from mpmath import mpf

from derive import explain, load_network
from derive.calculus import sym_eval, symbolic
from derive.calculus.symbolic import numeric_check, verify
from derive.numbers import Num
from tests import oracle

# The issue's smallest network that made the check run for minutes: a sigmoid feeding two leaky
# ReLUs, both feeding a ReLU, which feeds two leaky-ReLU outputs. Before, SymPy composed Piecewise of
# Piecewise here and fell back to evalf(subs=…), exponential in depth.
SMALLEST = """
inputs: {x1: a}
neurons:
  O11: {from: {x1: w1}, bias: b1, activation: sigmoid}
  O12: {from: {O11: w2}, bias: b2, activation: leaky_relu}
  O13: {from: {O11: w3}, bias: b3, activation: leaky_relu}
  O21: {from: {O12: w4, O13: w5}, bias: b4, activation: relu}
  O31: {from: {O21: w6}, bias: b5, activation: leaky_relu}
  O32: {from: {O21: w7}, bias: b6, activation: leaky_relu}
outputs: [O31, O32]
parameters: {w1: 0.5, w2: 0.8, w3: -0.6, w4: 0.9, w5: -0.7, w6: 1.1, w7: -0.4, b1: 0.1, b2: 0.2, b3: 0.3,
             b4: 0.25, b5: -0.1, b6: 0.2}
loss: mse
data:
  - {x1: 1.5, y: [0.5, -0.2]}
"""

# h1's z is exactly 0 at the data point: z = w1·x1 + b1 = 0.5·2 − 1 = 0.
KINK = """
inputs: {x1: a}
neurons:
  h1: {from: {x1: w1}, bias: b1, activation: {name: leaky_relu, slope: 0.1}}
  O1: {from: {h1: w2}, bias: b2, activation: linear}
outputs: [O1]
parameters: {w1: 0.5, b1: -1, w2: 3, b2: 0.5}
loss: half_squared_error
data:
  - {x1: 2, y: 1}
"""
# By hand: h1 = LReLU(0) = 0, O1 = 3·0 + 0.5 = 0.5, L = ½(0.5 − 1)² = 0.125, ∂L/∂O1 = O1 − y = −0.5.
# The notes' convention: LReLU′(0) = its slope, 0.1. So
#   ∂L/∂w2 = −0.5·h1 = 0,   ∂L/∂b2 = −0.5,
#   ∂L/∂w1 = −0.5·w2·0.1·x1 = −0.5·3·0.1·2 = −0.3,   ∂L/∂b1 = −0.5·3·0.1 = −0.15.
# Taken from the other side (slope 1) the last two would be −3 and −1.5.
KINK_GRADIENTS = {"w1": Fraction(-3, 10), "b1": Fraction(-15, 100), "w2": Fraction(0), "b2": Fraction(-1, 2)}

# Nothing at a kink, every value exact: x1 = 2, z(h1) = 0.5·2 + 0.25 = 1.25 > 0 so h1 = 1.25,
# O1 = 3·1.25 + 0.5 = 4.25, ∂L/∂O1 = 4.25 − 1 = 3.25; ∂L/∂w2 = 3.25·1.25 = 4.0625, ∂L/∂b2 = 3.25,
# ∂L/∂w1 = 3.25·3·1·2 = 19.5, ∂L/∂b1 = 3.25·3 = 9.75.
EXACT = KINK.replace("b1: -1", "b1: 0.25")
EXACT_GRADIENTS = {"w1": Fraction(39, 2), "b1": Fraction(39, 4), "w2": Fraction(65, 16), "b2": Fraction(13, 4)}


def _check(text: str, **kwargs) -> dict:
    return json.loads(explain(text=text, fmt="json", **kwargs).text)["check"]


def _nums(grads: dict) -> dict[str, Num]:
    return {p: Num(g) if isinstance(g, Fraction) else Num(None, g) for p, g in grads.items()}


def test_smallest_hanging_case_is_checked_by_sympy():
    check = _check(SMALLEST)  # the default budget guarantees it ends; no timing asserted here
    assert check["done"] and check["agreed"], check
    assert check["method"] == "sympy" and check["sympy_skipped"] is None


def test_sympy_composes_the_branch_the_convention_states_at_a_kink():
    net = load_network(text=KINK)
    right = verify(net, net.data[0], _nums(KINK_GRADIENTS))
    assert right.method == "sympy" and right.done and right.agreed, right
    other_side = verify(net, net.data[0], _nums({**KINK_GRADIENTS, "w1": Fraction(-3), "b1": Fraction(-3, 2)}))
    assert other_side.method == "sympy" and other_side.done and not other_side.agreed
    data = json.loads(explain(text=KINK, fmt="json").text)
    for p, want in KINK_GRADIENTS.items():  # and back-propagation takes the same side
        assert Fraction(data["gradients"][p]["exact"]) == want, p


def test_numeric_check_will_not_judge_a_parameter_that_moves_a_kink():
    net = load_network(text=KINK)
    check = verify(net, net.data[0], _nums(KINK_GRADIENTS), budget=0)
    assert check.method == "numeric" and not check.done, check
    # w1 and b1 move h1's z (exactly 0) across its kink; w2 and b2 do not, and agree.
    assert "w1 (h1's z is 0)" in check.reason and "b1 (h1's z is 0)" in check.reason
    assert "for 2 of the 4 parameters" in check.reason and "across 0" in check.reason
    md = explain(text=KINK, verify_budget=0).text
    assert "Check failed" not in md and "could\nnot check every gradient" in md


# ∂L/∂w1 passes three fixed weights of 10^-8: ∂L/∂w1 = (O1 − y)·10^-24·σ′(0.5)·x1, with O1 = 0.5 + 10^-24·σ(0.5)
# and σ′(0.5) = σ(0.5)(1 − σ(0.5)) = 0.622459·0.377541 = 0.235004, is −0.5·0.235004·10^-24 = −1.17502·10^-25
# (−1.18e-25 to 3 digits), while L ≈ ½(0.5 − 1)² = 0.125. A move of h = 10^-12 changes the loss by about 10^-37, and
# 50-digit forward passes leave about 10^-30 of it after dividing by h: not even one digit of the gradient.
VANISHING = """
inputs: {x1: a}
neurons:
  h1: {from: {x1: w1}, activation: sigmoid}
  h2: {from: {h1: 0.00000001}, activation: linear}
  h3: {from: {h2: 0.00000001}, activation: linear}
  O1: {from: {h3: 0.00000001}, bias: b1, activation: linear}
outputs: [O1]
parameters: {w1: 0.5, b1: 0.5}
loss: half_squared_error
data:
  - {x1: 1, y: 1}
"""


def test_a_gradient_too_small_to_resolve_is_named_not_counted():
    assert _check(VANISHING)["method"] == "sympy"  # SymPy has no such limit
    check = _check(VANISHING, verify_budget=0)
    assert check["method"] == "numeric" and not check["done"], check
    assert (
        "for 1 of the 2 parameters" in check["reason"]
        and "w1, whose gradient (-1.18e-25) is too small" in check["reason"]
    )


def test_a_budget_of_zero_skips_sympy_and_central_differences_check():
    check = _check(SMALLEST, verify_budget=0)
    assert check["done"] and check["agreed"] and check["method"] == "numeric", check
    assert "time budget" in check["sympy_skipped"]
    md = explain(text=SMALLEST, verify_budget=0).text
    assert "**Checked numerically.** The SymPy check was skipped: its time budget is 0 s" in md
    assert "central differences" in md and "agree with\nback-propagation for all 13 parameters" in md


def test_the_alarm_stops_sympy_and_is_put_back():
    net = load_network(text=SMALLEST)
    grads = _nums(oracle.gradients_reverse(oracle.load(SMALLEST), oracle.load(SMALLEST)["data"][0]))

    def mine(signum, frame):  # a handler of the caller's, which must survive the check
        raise AssertionError("the caller's handler ran during the check")

    before = signal.signal(signal.SIGALRM, mine)
    try:
        check = verify(net, net.data[0], grads, budget=1e-6)
        assert signal.getsignal(signal.SIGALRM) is mine
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    finally:
        signal.signal(signal.SIGALRM, before)
    assert "did not finish within its time budget of 1e-06 s" in check.skipped, check
    assert check.method == "numeric" and check.done and check.agreed


def test_outside_the_main_thread_the_budget_is_checked_between_steps():
    net = load_network(text=SMALLEST)
    grads = _nums(oracle.gradients_reverse(oracle.load(SMALLEST), oracle.load(SMALLEST)["data"][0]))
    got = []
    worker = threading.Thread(target=lambda: got.append(verify(net, net.data[0], grads, budget=1e-9)))
    worker.start()
    worker.join()
    assert "did not finish within its time budget" in got[0].skipped
    assert got[0].method == "numeric" and got[0].done and got[0].agreed


def test_numeric_check_catches_a_wrong_gradient(high_precision):
    net = load_network(text=EXACT)
    assert numeric_check(net, net.data[0], _nums(EXACT_GRADIENTS)).agreed
    off = numeric_check(
        net, net.data[0], _nums({**EXACT_GRADIENTS, "w1": EXACT_GRADIENTS["w1"] * (1 + Fraction(1, 10**15))})
    )
    assert off.done and not off.agreed and off.worst == "w1", off
    # Through sigmoids (values rounded at 50 digits): the independent reverse mode of tests/oracle.py
    # agrees to 20 digits, and a change in the 15th digit of one gradient is caught.
    net, raw = load_network(text=SMALLEST), oracle.load(SMALLEST)
    right = oracle.gradients_reverse(raw, raw["data"][0])
    assert numeric_check(net, net.data[0], _nums(right)).agreed
    wrong = {**right, "b4": right["b4"] * (1 + mpf(10) ** -15)}
    off = numeric_check(net, net.data[0], _nums(wrong))
    assert off.done and not off.agreed and off.worst == "b4", off


def test_an_unevaluable_derivative_leaves_sympy_not_done_and_the_numeric_check_runs(monkeypatch):
    def refuse(*args, **kwargs):
        raise sym_eval.Unsupported("ITE")

    monkeypatch.setattr(sym_eval, "values", refuse)
    net = load_network(text=EXACT)
    check = verify(net, net.data[0], _nums(EXACT_GRADIENTS))
    assert check.method == "numeric" and check.done and check.agreed
    assert "could not be evaluated as numbers (ITE)" in check.skipped


def test_too_big_for_both_says_so():
    text = (
        "layers: [20, 20, 20, 1]\nactivation: sigmoid\nparameters:\n  random: {seed: 1, low: -1, high: 1, decimals: 2}\n"
        "data:\n  - {x: [" + ", ".join(["0.1"] * 20) + "], y: 1}\n"
    )
    check = _check(text)
    assert not check["done"] and check["method"] is None
    assert "parameters is more than the 60" in check["sympy_skipped"] and "forward passes" in check["reason"]


def _issue_shaped(rng: random.Random) -> str:
    """1–4 inputs, 1–3 hidden layers of 1–4 neurons, skip connections (tests/oracle.py's generator)."""
    shape = rng.choice(["skip", "dag", None])
    if shape is None:
        shape = [rng.randint(1, 4)] + [rng.randint(1, 4) for _ in range(rng.randint(1, 3))] + [rng.randint(1, 3)]
    return oracle.random_network(rng, shape=shape)


@pytest.mark.parametrize("seed", range(10))
def test_random_small_networks_are_all_checked(seed):
    text = _issue_shaped(random.Random(1300 + seed))
    check = _check(text)
    assert check["done"] and check["agreed"] and check["method"] in ("sympy", "numeric"), (check, text)


def test_check_record_fields_reach_the_json():
    assert set(_check(EXACT)) == {"done", "agreed", "digits", "reason", "method", "sympy_skipped"}
    assert symbolic.Check(True).method == ""


def test_a_device_or_pipe_target_is_written_into_not_replaced(tmp_path):
    """`derive NET -o /dev/null` (the benchmark's command) replaced /dev/null with a file and put the
    pictures in /dev; a named pipe stands in for the device here."""
    import os
    import stat

    from derive.cli import _files_beside
    from derive.errors import DeriveError
    from derive.output import write

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(DeriveError, match="not a regular file"):  # /dev/null itself: tests/test_output_safety.py
        write("notes\n", str(pipe))
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)
    assert not _files_beside(str(pipe)) and not _files_beside("-")
    assert _files_beside(str(tmp_path / "notes.md"))


# MAE at a point where the output equals its target: O1 = 0.5·2 + 0 = 1 = y, so L = |1 − 1| = 0 and, by the
# convention the loss states (its derivative is taken as 0 where y = ŷ), ∂L/∂w1 = ∂L/∂b1 = 0.
MAE_AT_TARGET = """
inputs: {x1: a}
neurons:
  O1: {from: {x1: w1}, bias: b1, activation: linear}
outputs: [O1]
parameters: {w1: 0.5, b1: 0}
loss: mae
data:
  - {x1: 2, y: 1}
"""


def test_mae_at_its_kink_sympy_follows_the_convention_and_central_differences_abstain():
    net = load_network(text=MAE_AT_TARGET)
    zero = {"w1": Num(Fraction(0)), "b1": Num(Fraction(0))}
    check = verify(net, net.data[0], zero)
    assert check.method == "sympy" and check.done and check.agreed, check
    assert not verify(net, net.data[0], {**zero, "w1": Num(Fraction(2))}).agreed  # the slope on one side
    numeric = verify(net, net.data[0], zero, budget=0)
    assert numeric.method == "numeric" and not numeric.done
    assert "w1 (the residual O1 − y is 0)" in numeric.reason and numeric.reason.startswith(
        "they cannot judge any parameter: w1"
    )
