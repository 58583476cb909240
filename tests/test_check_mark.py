"""Marking: numbers to the digits written, follow-through, formulas and chain-rule structure. The
expected numbers come from the lecture's formulas computed here with mpmath, not from derive."""
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import mpmath
import pytest
from mpmath import mp, mpf

from derive import load_network
from derive.check import check_answers
from tests.helpers import ROOT

NET = load_network(str(ROOT / "examples" / "pass_fail.yaml"))
TWO = load_network(str(ROOT / "examples" / "two_paths.yaml"))


def lecture():
    """The seed network worked by hand: z1, O1, z2, O2, L and the chain rule, at 50 digits."""
    with mp.workdps(50):
        sig = lambda z: 1 / (1 + mpmath.exp(-z))  # noqa: E731
        x1, x2, x3 = 95, 4, 4
        w1, w2, w3, w4, b1, b2 = (mpf(v) for v in ("0.01", "0.02", "0.03", "0.02", "0.001", "0.03"))
        z1 = w1 * x1 + w2 * x2 + w3 * x3 + b1
        o1 = sig(z1)
        z2 = w4 * o1 + b2
        o2 = sig(z2)
        head, s2, s1 = 2 * (o2 - 1), o2 * (1 - o2), o1 * (1 - o1)
        v = {"z(O1)": z1, "O1": o1, "z(O2)": z2, "O2": o2, "L": (1 - o2) ** 2, "error": 1 - o2,
             "dL/dO2": head, "dO2/dO1": s2 * w4, "dO1/dw1": s1 * x1, "dL/dw4": head * s2 * o1,
             "dL/dw1": head * s2 * w4 * s1 * x1, "dL/dw2": head * s2 * w4 * s1 * x2, "dL/db2": head * s2}
        v["new(w4)"] = w4 - mpf("0.1") * v["dL/dw4"]
        return v


TRUE = lecture()


def places(value, n: int, rounding=ROUND_HALF_UP) -> str:
    with mp.workdps(50):
        return str(Decimal(mpmath.nstr(value, 45, strip_zeros=False)).quantize(Decimal(1).scaleb(-n), rounding=rounding))


def mark(yaml_answers: str, net=NET):
    report = check_answers(net, "answers.yaml", text="answers:\n" + yaml_answers)
    return {line.key: line for line in report.lines}


def quoted(text: str) -> str:
    """Text as a YAML single-quoted scalar (backslashes stay as they are)."""
    return "'" + text.replace("'", "''") + "'"


def causes(line) -> str:
    return " | ".join(c for p in line.parts for c in p.causes)


def notes(line) -> str:
    return " | ".join(p.note for p in line.parts)


# -- numbers ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["z(O1)", "O1", "z(O2)", "O2", "L", "error", "dL/dO2", "dL/dw4", "dL/dw1", "dL/db2",
                                 "new(w4)"])
@pytest.mark.parametrize("n", [2, 4, 7])
def test_a_number_rounded_to_any_digits_is_right(key, n):
    line = mark(f"  {key}: {places(TRUE[key], n)}\n")[key]
    assert line.status == "right", (key, n, places(TRUE[key], n), notes(line))


def test_truncation_is_credited_and_says_what_rounding_gives():
    line = mark("  O1: 0.759\n")["O1"]
    assert places(TRUE["O1"], 3, ROUND_DOWN) == "0.759" and places(TRUE["O1"], 3) == "0.760"
    assert line.status == "truncated"
    assert "rounding gives 0.760" in notes(line) and "0.75969" in notes(line)


def test_scientific_notation_uses_its_significant_digits():
    mantissa = places(TRUE["dO2/dO1"] * 1000, 4)  # 5 significant digits
    assert mark(f"  dO2/dO1: {mantissa}e-3\n")["dO2/dO1"].status == "right"
    off = f"{Decimal(mantissa) + Decimal('0.0003')}e-3"
    assert mark(f"  dO2/dO1: {off}\n")["dO2/dO1"].status == "wrong"


def test_a_wrong_number_shows_the_expected_value_the_difference_and_the_worked_step():
    line = mark("  O2: 0.52\n")["O2"]
    assert line.status == "wrong"
    assert line.parts[0].expected.startswith(places(TRUE["O2"], 2))
    assert line.parts[0].difference.startswith("+0.0087")
    assert line.worked and line.worked[0].startswith("O2 = sigmoid(z(O2)) = sigmoid(0.045194)")


def test_the_seed_lecture_is_marked_with_truncation_and_follow_through():
    text = (ROOT / "examples" / "seed_answers.yaml").read_text()
    report = check_answers(NET, "examples/seed_answers.yaml", text=text)
    lines = {x.key: x for x in report.lines}
    assert [lines[k].status for k in ("z(O1)", "O1", "z(O2)", "O2", "error")] == \
        ["right", "truncated", "carried", "carried", "right"]
    assert "rounding gives 0.760" in notes(lines["O1"])
    assert lines["O1"].carried_into == ["z(O2)", "O2"]
    true_z2 = mpmath.nstr(TRUE["z(O2)"], 5)
    assert notes(lines["z(O2)"]) == f"correct given your O1 = 0.759 (the true value is {true_z2})"
    assert "correct given your O1 = 0.759" in notes(lines["O2"])
    assert report.all_right


def test_follow_through_runs_on_into_the_backward_pass():
    lines = mark("  O2: 0.6\n  dL/dO2: -0.8\n  dL/dw4: -0.2\n  new(w4): 0.0400\n")
    assert lines["O2"].status == "wrong"
    assert lines["dL/dO2"].status == "carried" and "given your O2 = 0.6" in notes(lines["dL/dO2"])
    assert lines["O2"].carried_into == ["dL/dO2"]
    assert lines["new(w4)"].status == "carried" and "dL/dw4 = -0.2" in notes(lines["new(w4)"])


@pytest.mark.parametrize("answer, cause", [
    (lambda: -TRUE["dL/dw4"], "sign"),
    (lambda: TRUE["dL/dw4"] / 2, "a factor of 2"),
])
def test_a_wrong_number_gets_its_likely_cause(answer, cause):
    line = mark(f"  dL/dw4: {places(answer(), 5)}\n")["dL/dw4"]
    assert line.status == "wrong" and causes(line).startswith(cause)


def test_update_slips_are_named():
    climbs = places(mpf("0.02") + mpf("0.1") * TRUE["dL/dw4"], 6)
    assert "adds the gradient" in causes(mark(f"  new(w4): {climbs}\n")["new(w4)"])
    no_eta = places(mpf("0.02") - TRUE["dL/dw4"], 5)
    assert "learning rate η is missing" in causes(mark(f"  new(w4): {no_eta}\n")["new(w4)"])


# -- formulas ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("key, formula", [
    ("dL/dw4", "2*(O2 - y) * O2*(1 - O2) * O1"),
    ("dL/dw4", "-2*(y - O2) * O2 * (1 - O2) * O1"),
    ("dL/dw4", "2*(sigmoid(z_2) - y) * sigmoid(z_2)*(1 - sigmoid(z_2)) * O1"),
    ("dL/dw4", r"\frac{\partial L}{\partial O_2} \cdot O_2 (1 - O_2) \cdot O_1"),
    ("dL/dw4", r"\frac{\partial L}{\partial w_4} = 2(O_2 - y) O_2(1-O_2) O_1"),
    ("dL/dw1", "dL/dO2 * O2*(1 - O2) * w4 * O1*(1 - O1) * x1"),
    ("dL/dw2", r"2(O_2 - y) \cdot \sigma'(z_2) \cdot w_4 \cdot O_1(1-O_1) x_2"),
    ("dO2/dO1", "O2*(1-O2)*w4"),
    ("O2", "1/(1 + e^{-z_2})"),
    ("z(O2)", "w4*O1 + b2"),
    ("L", "(y - O2)^2"),
    ("new(w4)", "w4 - eta*dL/dw4"),
])
def test_equal_formulas_are_right(key, formula):
    line = mark(f"  {key}: {quoted(formula)}\n")[key]
    assert line.status == "right", causes(line)


def test_the_report_says_how_a_formula_was_found_equal():
    lines = mark("  dL/dw4: '2*(O2 - y) * O2*(1 - O2) * O1'\n  dL/db2: '2*(sigmoid(z_2) - y)*sigmoid(z_2)*(1-sigmoid(z_2))'\n")
    assert lines["dL/dw4"].parts[0].method == "identical after simplifying"
    assert lines["dL/db2"].parts[0].method == "equal at the data point and 5 random points"


@pytest.mark.parametrize("key, formula, cause", [
    ("dL/dw4", "2*(y - O2) * O2*(1 - O2) * O1", "sign"),
    ("dL/dw4", "(O2 - y) * O2*(1 - O2) * O1", "a factor of 2 from the loss convention"),
    ("dL/dw1", "2*(O2 - y) * O2*(1 - O2) * w4 * x1", "a missing activation derivative of O1"),
    ("dL/dw4", "2*(O2 - y) * O1", "a missing activation derivative of O2"),
    ("dL/dw4", "2*(O2 - y) * O2*(1 - O2)", "a missing factor O1"),
    ("dL/dw4", "2*(O2 - y) * O2*(1 - O2) * O1 * w4", "an extra factor w4"),
    ("dL/dw2", "2*(O2 - y) * O2*(1 - O2) * w4 * O1*(1 - O1) * x1", "x1 where x2 belongs"),
])
def test_a_wrong_formula_gets_a_point_where_it_differs_and_its_likely_cause(key, formula, cause):
    line = mark(f"  {key}: {quoted(formula)}\n")[key]
    assert line.status == "wrong"
    assert causes(line).startswith(cause), causes(line)
    where = line.parts[0].point
    assert where[0].startswith("at the data point") and where[1].startswith("yours = ")
    with mp.workdps(30):
        assert mpmath.nstr(TRUE[key], 6) in where[1]


# -- chain-rule structure (the lecture's two-path network) ------------------------------------------------
P1 = "dL/dO31 * dO31/dO21 * dO21/dO11 * dO11/dw1"
P2 = "dL/dO31 * dO31/dO22 * dO22/dO11 * dO11/dw1"


@pytest.mark.parametrize("chain", [
    f"{P1} + {P2}",
    "dL/dO31 * (dO31/dO21 * dO21/dO11 + dO31/dO22 * dO22/dO11) * dO11/dw1",
    "dL/dO11 * dO11/dw1",
    "dL/dz(O11) * dz(O11)/dw1",
    "dL/dO31 * dO31/dz(O31) * dz(O31)/dO21 * dO21/dO11 * dO11/dw1 + " + P2,
    r"\frac{\partial L}{\partial O_{21}} \frac{\partial O_{21}}{\partial O_{11}} \frac{\partial O_{11}}{\partial w_1} + dL/dO22 * dO22/dO11 * dO11/dw1",
])
def test_a_chain_that_covers_every_path_once_is_right(chain):
    line = mark(f"  dL/dw1: {quoted(chain)}\n", TWO)["dL/dw1"]
    assert line.kind == "chain" and line.status == "right", causes(line)


@pytest.mark.parametrize("chain, cause", [
    (P1, "missing path L → O31 → O22 → O11 → w1 (dL/dO31 * dO31/dO22 * dO22/dO11 * dO11/dw1)"),
    (f"{P1} + {P2} + dL/dO31 * dO31/dO21 * dO21/dO12 * dO12/dw1",
     "wrong factor dO12/dw1: w1 does not feed O12, so no path runs through O12"),
    ("dL/dO31 * dO21/dO31 * dO21/dO11 * dO11/dw1 + " + P2,
     "wrong factor dO21/dO31: O21 feeds O31, not the other way round: the factor is dO31/dO21"),
    ("dL/dO31 * dO31/dO11 * dO11/dw1",
     "wrong factor dO31/dO11: O31 does not take O11 directly (the paths go through O21 or O22)"),
    (f"{P1} + {P1} + {P2}", "the path L → O31 → O21 → O11 → w1 appears 2 times"),
    ("dL/dO31 * dO31/dO21 * dO21/dO11", "your chain (dL/dO31 * dO31/dO21 * dO21/dO11): the chain ends at O11, not at w1"),
    ("dL/dw1", "your answer restates the question"),
])
def test_a_wrong_chain_names_what_is_wrong(chain, cause):
    line = mark(f"  dL/dw1: {quoted(chain)}\n", TWO)["dL/dw1"]
    assert line.status == "wrong"
    assert any(c.startswith(cause) for c in line.parts[0].causes), line.parts[0].causes


def test_a_formula_with_one_path_missing_names_the_path():
    one_path = "(O31 - y) * O31*(1 - O31)*w9 * O21*(1 - O21)*w5 * O11*(1 - O11)*x1"
    line = mark(f"  dL/dw1: {quoted(one_path)}\n", TWO)["dL/dw1"]
    assert line.status == "wrong"
    assert causes(line) == "a missing path: L → O31 → O22 → O11 → w1 is not in your sum"
