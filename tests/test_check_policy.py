"""derive check's precision policy (a minimum of significant digits, a relative tolerance) and what
students actually write around a number (≈, a decimal comma, ×10^{-3}, units, \\sigma^{\\prime}): each
answer read as meant or marked unreadable on its own line, never the whole file refused.

The true values are the seed lecture's (examples/pass_fail.yaml), worked out here with mpmath from
the textbook formulas, not by derive:
  z1 = 0.01·95 + 0.02·4 + 0.03·4 + 0.001 = 1.151 (exact), O1 = σ(1.151) = 0.759690…,
  z2 = 0.02·O1 + 0.03 = 0.0451938…, O2 = σ(z2) = 0.511297…,
  dL/dw4 = 2(O2 − y)·O2(1 − O2)·O1 = −0.185543… (y = 1)."""

import json
from fractions import Fraction

import mpmath
import pytest
from click.testing import CliRunner

from derive.check import Policy, check_answers
from derive.cli import main
from derive.spec.loader import load
from derive.spec.source import read_text
from tests.helpers import ROOT

NETWORK = str(ROOT / "examples" / "pass_fail.yaml")
NET = load(read_text(NETWORK), NETWORK)

with mpmath.workdps(40):
    O1 = 1 / (1 + mpmath.exp(-mpmath.mpf("1.151")))
    Z2 = mpmath.mpf("0.02") * O1 + mpmath.mpf("0.03")
    O2 = 1 / (1 + mpmath.exp(-Z2))
    DW4 = 2 * (O2 - 1) * O2 * (1 - O2) * O1


def test_the_true_values_here_are_the_lecture_s():
    assert mpmath.nstr(O1, 5) == "0.75969" and mpmath.nstr(O2, 5) == "0.5113"  # the lecture: 0.759, 0.51129
    assert mpmath.nstr(DW4, 5) == "-0.18554"


def marked(body: str, policy: Policy = Policy()) -> dict:
    """Each line of the report of an answers file with `body` under `answers:`, by key."""
    report = check_answers(NET, "a.yaml", text="answers:\n" + body, policy=policy)
    return {x.key: x for x in report.lines}


def note(line) -> str:
    return "; ".join(p.note for p in line.parts if p.note)


# -- 1. the precision policy -------------------------------------------------------------------------


@pytest.mark.parametrize("digits", [2, 4])
def test_one_significant_figure_is_never_right(digits):
    # 0.8 is σ(1.151) = 0.7597 rounded to one digit; -0.2 is dL/dw4 = -0.18554 rounded to one digit
    lines = marked("  O1: 0.8\n  dL/dw4: -0.2\n", Policy(digits))
    assert lines["O1"].status == "too few digits" and not lines["O1"].right
    assert f"0.8 has 1 significant digit; {digits} are asked" in note(lines["O1"])
    assert lines["dL/dw4"].status == "too few digits"


def test_the_lecture_s_three_digits_are_too_few_when_four_are_asked_but_still_carry_forward():
    # O1 = 0.759 has 3 significant digits; z(O2) = 0.02·0.759 + 0.03 = 0.04518 exactly, so z(O2) is
    # right given O1 = 0.759 (carried forward) and has 4 digits
    lines = marked("  O1: 0.759\n  z(O2): 0.04518\n", Policy(4))
    assert lines["O1"].status == "too few digits"
    assert "0.759 has 3 significant digits; 4 are asked" in note(lines["O1"])
    assert lines["z(O2)"].status == "carried" and lines["z(O2)"].right


def test_rounded_and_truncated_to_the_asked_digits_stay_right():
    lines = marked("  O1: 0.7597\n  z(O2): 0.04519\n  O2: 0.5112\n", Policy(4))
    assert lines["O1"].status == "right"  # 0.759690 rounded
    assert lines["z(O2)"].status == "right"  # 0.0451938 rounded
    assert lines["O2"].status == "truncated"  # 0.511297 truncated (rounding gives 0.5113)


def test_an_exact_value_needs_no_more_digits_than_it_has():
    # z1 = 1.151 exactly (a sum of products of short decimals): no trailing zeros are needed
    assert marked("  z(O1): 1.151\n", Policy(6))["z(O1)"].status == "right"
    assert marked("  z(O1): 1.15\n", Policy(6))["z(O1)"].status == "too few digits"  # truncated, 3 digits


def test_a_relative_tolerance_accepts_a_close_value():
    # |0.7591 − 0.759690| / 0.759690 = 7.8e-4: inside 0.1%, outside 0.05%; neither the rounding (0.7597)
    # nor the truncation (0.7596) of the true value, nor the lecture's hand value 0.759 (truncated to 3
    # decimals, which 0.7590 would be)
    assert marked("  O1: 0.7591\n", Policy(4))["O1"].status == "wrong"
    line = marked("  O1: 0.7591\n", Policy(4, Fraction(1, 1000)))["O1"]
    assert line.status == "right" and "within 0.1% of the true value" in note(line)
    # 0.05% of the hand value 0.759 (|0.7591 − 0.759| / 0.759 = 1.3e-4) is credited as the hand calculation
    assert marked("  O1: 0.7591\n", Policy(4, Fraction(5, 10000)))["O1"].status == "carried"
    # within 0.01% of neither the true value nor the hand value (|0.7591 − 0.759| / 0.759 = 1.3e-4)
    assert marked("  O1: 0.7591\n", Policy(4, Fraction(1, 10000)))["O1"].status == "wrong"


def run_check(*args):
    return CliRunner().invoke(main, ["check", NETWORK, *map(str, args)])


def test_check_digits_and_rel_tol_options(tmp_path):
    answers = tmp_path / "a.yaml"
    answers.write_text("answers:\n  O1: 0.759\n", encoding="utf-8")
    assert run_check(answers).exit_code == 0  # derive check asks for 2 digits by default: 0.759 is the truncation
    r = run_check(answers, "--digits", "4", "-f", "json")
    assert r.exit_code == 1 and json.loads(r.stdout)["answers"][0]["status"] == "too few digits"
    assert run_check(answers, "--digits", "-1").exit_code == 2
    assert run_check(answers, "--rel-tol", "2").exit_code == 2
    assert run_check(answers, "--rel-tol", "abc").exit_code == 2


# -- 2. what students write: read as meant, or one unreadable line ----------------------------------


@pytest.mark.parametrize(
    "key, text",
    [
        ("O1", "≈ 0.7597"),
        ("O1", "~0.7597"),
        ("O1", "\\approx 0.7597"),
        ("O1", "0,7597"),
        ("O1", "0.7597 (approx)"),
        ("O1", "$0.7597$"),
        ("O1", "7.597 × 10^{-1}"),
        ("O1", "7.597\\times10^{-1}"),
        ("O1", "7.597*10^-1"),
        ("dL/dw4", "−0.18554"),  # a unicode minus
        ("dL/dw4", "-0,18554"),
        ("dL/dw4", "-1.8554 · 10^(-1)"),
        ("z(O1)", "1.151 units"),
        ("dO2/dO1", "\\sigma^{\\prime}(z_2) \\cdot w_4"),
        ("dO2/dO1", "\\sigma^\\prime(z_2) w_4"),
        ("dL/dw4", "2(O2 - y) \\cdot O2 (1 - O2) \\cdot O1"),
    ],
)
def test_what_students_write_is_read_as_meant(key, text):
    line = marked(f"  {key}: {json.dumps(text)}\n", Policy(4))[key]
    assert line.status == "right", (text, note(line))


def test_a_decimal_comma_that_could_be_a_thousands_separator_is_unreadable_with_a_hint():
    line = marked('  z(O1): "1,151"\n')["z(O1)"]
    assert line.kind == "unreadable" and line.status == "wrong"
    assert "write 1.234 for a decimal" in note(line)


def test_one_unreadable_answer_is_its_own_line_and_the_others_are_marked():
    lines = marked('  z(O1): 1.151\n  O1: "0.76 0.77"\n  O2: "@0.5"\n  z(O2): 0.04519\n', Policy(4))
    assert lines["z(O1)"].status == "right" and lines["z(O2)"].status == "right"
    assert lines["O1"].kind == "unreadable" and "line 3:" in note(lines["O1"])
    assert lines["O2"].kind == "unreadable" and "line 4:" in note(lines["O2"])


def test_an_empty_answer_is_not_answered_in_check_as_in_exercise_mark(tmp_path):
    answers = tmp_path / "a.yaml"
    answers.write_text("answers:\n  z(O1): 1.151\n  O1:\n  O2: ''\n", encoding="utf-8")
    r = run_check(answers, "-f", "md")
    assert r.exit_code == 0, r.output  # the one answer given is right; empty lines are not wrong
    assert "Not answered (left empty): `O1`, `O2`." in r.stdout
    assert "1 answer: 1 right" in r.stdout


def test_aliases_of_one_quantity_are_one_column_of_the_summary(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "a.yaml").write_text("student: A\nanswers:\n  z1: 1.151\n  loss: 0.2388\n  w4_new: 0.03855\n")
    (folder / "b.yaml").write_text("student: B\nanswers:\n  z(O1): 1.151\n  L: 0.2388\n  new(w4): 0.03855\n")
    data = json.loads(run_check(folder, "--summary", "-f", "json").stdout)["summary"]
    assert data["asked"] == ["z(O1)", "L", "new(w4)"]
    assert [q["right"] for q in data["questions"]] == [2, 2, 2]


# -- 3. formulas with the data point written in; the lecture's own carried numbers ------------------


@pytest.mark.parametrize("key, text, written_in", [
    ("dL/dw4", "-2(1-O2)O2(1-O2)O1", "y = 1"),  # 2(O2 − y)·O2(1 − O2)·O1 with y = 1
    ("L", "(1-O2)^2", "y = 1"),  # (y − O2)² with y = 1
    ("dL/dw1", "2*(O2 - 1) * O2*(1 - O2) * 0.02 * O1*(1 - O1) * 95", "y = 1, x1 = 95, w4 = 0.02"),
])
def test_a_formula_with_the_data_point_written_in_is_right_and_says_so(key, text, written_in):
    line = marked(f"  {key}: {json.dumps(text)}\n")[key]
    assert line.status == "right", note(line)
    assert f"right (with {written_in} substituted)" in note(line)


@pytest.mark.parametrize("key, text", [
    ("dL/dO2", "2*(O2 - 2)"),  # y = 2 is not this data point's target (y = 1)
    ("dL/dw4", "-2(2-O2)O2(1-O2)O1"),
    ("dL/dw1", "2*(O2 - 1) * O2*(1 - O2) * 0.03 * O1*(1 - O1) * 95"),  # w4 is 0.02, not 0.03
])
def test_a_formula_with_wrong_numbers_written_in_stays_wrong(key, text):
    assert marked(f"  {key}: {json.dumps(text)}\n")[key].status == "wrong"


def test_the_lecture_s_carried_numbers_are_credited_without_the_intermediate_values():
    # By hand with the lecture's carried O1 = 0.759 and O2 = 0.51129 (δ = 2(O2 − 1)·O2(1 − O2)):
    #   dL/dw4 = δ·O1 = −0.1853709, dL/dw1 = δ·w4·O1(1 − O1)·x1 = δ·0.02·0.759·0.241·95 = −0.0848813
    # (full precision: −0.18554 and −0.084713), what derive's own notes print for pass_fail.yaml
    with mpmath.workdps(30):
        o1, o2 = mpmath.mpf("0.759"), mpmath.mpf("0.51129")
        delta = 2 * (o2 - 1) * o2 * (1 - o2)
        assert mpmath.nstr(delta * o1, 5) == "-0.18537"
        assert mpmath.nstr(delta * mpmath.mpf("0.02") * o1 * (1 - o1) * 95, 5) == "-0.084881"
    lines = marked("  dL/dw4: -0.18537\n  dL/dw1: -0.084881\n")
    for key in ("dL/dw4", "dL/dw1"):
        assert lines[key].status == "carried"
        assert "hand calculation carries numbers (truncated to 3 decimals" in note(lines[key])
    assert marked("  dL/dw4: -0.18537\n", Policy(6))["dL/dw4"].status == "too few digits"


def test_words_around_a_number_get_a_hint_to_write_the_number_alone():
    line = marked('  new(w4): "about 0.0386"\n')["new(w4)"]
    assert line.kind == "unreadable"
    assert "write the number alone, such as 0.0386, without words around it" in note(line)


@pytest.mark.parametrize("key, text, cause", [
    ("dO2/dz(O2)", "sigma'(O2)", "O2 where z(O2) belongs"),  # σ′(z2) = O2(1 − O2), not σ′(O2)
    ("dL/dw4", "2*(O2 - y) * O2*(1 - O2) * z(O1)", "z(O1) where O1 belongs"),  # ∂z2/∂w4 = O1
])
def test_an_o_for_a_z_is_named_as_the_cause(key, text, cause):
    line = marked(f"  {key}: {json.dumps(text)}\n")[key]
    assert line.status == "wrong"
    assert any(cause in c for p in line.parts for c in p.causes)
