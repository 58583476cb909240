"""An exercise's precision policy and points: stated on the sheet, applied by exercise-mark (one
significant figure is never full marks), with partial credit as the exercise file sets it and a total.

Each student's true values are worked out here with mpmath from their own network.yaml by the
textbook formulas (tests/exercise_helpers.lecture_numbers), not by derive."""
import csv
import json
from decimal import Decimal

import mpmath
import pytest

from tests.exercise_helpers import fill, lecture_numbers, roster, run_exercise, run_mark
from tests.helpers import ROOT

EXERCISE = f"""network: {ROOT / 'examples' / 'pass_fail.yaml'}
title: Points and precision
random:
  parameters: {{all: {{low: -0.05, high: 0.05, decimals: 2}}, w4: {{low: -1, high: 1, decimals: 2}}}}
  inputs: {{x1: {{low: 80, high: 120, decimals: 0}}}}
  targets: {{y: [0, 1]}}
precision: {{digits: 4}}
credit: {{too_few_digits: 0.5, structure_only: 0.25}}
questions:
  - z(O1)
  - {{question: O1, points: 2}}
  - {{question: dL/dw1, points: 3, digits: 3}}
  - chain dL/dw1
"""
LABELS = ["z(O1)", "O1", "dL/dw1", "chain dL/dw1"]


def digits(x, n: int) -> str:
    """x rounded to n significant digits, in e-notation when that is shorter (1 digit: 2e+0)."""
    return format(Decimal(mpmath.nstr(x, 30)), f".{n - 1}e")


@pytest.fixture(scope="module")
def marked(tmp_path_factory):
    base = tmp_path_factory.mktemp("policy")
    exercise = base / "points.yaml"
    exercise.write_text(EXERCISE, encoding="utf-8")
    out, subs = base / "class", base / "handed_in"
    r = run_exercise(exercise, "--students", roster(base, ["ann", "bob", "col"]), "-o", out, "--formats", "md",
                     "--jobs", 1)
    assert r.exit_code == 0, r.stderr
    subs.mkdir()
    true = {i: lecture_numbers(out / "sheets" / i / "network.yaml") for i in ("ann", "bob", "col")}
    blank = {i: (out / "sheets" / i / "answers.yaml").read_text(encoding="utf-8") for i in ("ann", "bob", "col")}
    structure = "dL/dO2 * dO2/dO1 * dO1/dw1"  # the one path from L to w1 in this network
    # ann: every number to one significant digit (right to that digit, but too few)
    (subs / "ann.yaml").write_text(fill(blank["ann"], {
        "z(O1)": digits(true["ann"]["z(O1)"], 1), "O1": digits(true["ann"]["O1"], 1),
        "dL/dw1": f"{structure} = {digits(true['ann']['dL/dw1'], 1)}"}))
    # bob: 4 digits for z(O1) and O1; dL/dw1 to 3 digits (its own policy asks for 3)
    (subs / "bob.yaml").write_text(fill(blank["bob"], {
        "z(O1)": digits(true["bob"]["z(O1)"], 4), "O1": digits(true["bob"]["O1"], 4),
        "dL/dw1": f"{structure} = {digits(true['bob']['dL/dw1'], 3)}"}))
    # col: the structure right but its value off by a factor of 2; O1 written with ≈ and a decimal comma
    o1 = digits(true["col"]["O1"], 5).replace(".", ",")
    (subs / "col.yaml").write_text(fill(blank["col"], {
        "O1": f"≈ {o1}", "dL/dw1": f"{structure} = {digits(2 * true['col']['dL/dw1'], 5)}"}))
    result = run_mark(out, subs)
    rows = {r["id"]: r for r in csv.DictReader((out / "marks.csv").read_text(encoding="utf-8").splitlines())}
    return out, result, rows, true


def test_the_sheet_states_the_policy_and_the_points(marked):
    out = marked[0]
    sheet = (out / "sheets" / "ann" / "sheet.md").read_text(encoding="utf-8")
    assert "Give at least 4 significant digits" in sheet
    assert "(7 points in all)" in sheet  # 1 + 2 + 3 + 1
    assert "(3 points; at least 3 significant digits)" in sheet and "(2 points)" in sheet
    assert "An answer with too few digits earns 0.5 of its question's points." in sheet


def test_one_significant_figure_is_never_full_marks(marked):
    _, result, rows, true = marked
    assert result.exit_code == 0, result.stderr
    ann = rows["ann"]
    assert [ann[q] for q in LABELS] == ["✗d", "✗d", "✗d", "✓"]
    # too few digits earns half: z(O1) 0.5 of 1, O1 1 of 2, dL/dw1 1.5 of 3; the structure 1 of 1
    assert [ann[f"points {q} (of {p})"] for q, p in zip(LABELS, [1, 2, 3, 1])] == ["0.5", "1", "1.5", "1"]
    assert ann["total (of 7)"] == "4" and ann["right"] == "1" and ann["wrong"] == "3"


def test_the_asked_digits_are_right_and_a_question_may_ask_fewer(marked):
    bob = marked[2]["bob"]
    assert [bob[q] for q in LABELS][1:] == ["✓", "✓", "✓"]  # 4, 3 (its own policy) and the structure
    assert bob["z(O1)"] in ("✓", "✓t")
    assert bob["total (of 7)"] == "7"


def test_a_right_structure_with_a_wrong_value_earns_its_share(marked):
    col = marked[2]["col"]
    assert col["O1"] == "✓"  # "≈ 0,84774" read as 0.84774
    assert col["dL/dw1"] == "✗" and col["chain dL/dw1"] == "✓"
    assert col["points dL/dw1 (of 3)"] == "0.75"  # 0.25 of 3 for the structure on the line
    assert col["total (of 7)"] == "3.75"  # O1 2 + dL/dw1 0.75 + the structure 1; z(O1) not answered


def test_the_manifest_carries_the_policy_and_the_points(marked):
    manifest = json.loads((marked[0] / "exercise.json").read_text(encoding="utf-8"))
    assert [(q["points"], q["digits"]) for q in manifest["questions"]] == [("1", 4), ("2", 4), ("3", 3), ("1", 4)]
    assert manifest["credit"] == {"too_few_digits": "0.5", "structure_only": "0.25"}


@pytest.mark.parametrize("change, words", [
    ("precision: {digits: 4}", "precision: {digits: 99}", ),
    ("credit: {too_few_digits: 0.5, structure_only: 0.25}", "credit: {too_few_digits: 2}"),
    ("  - {question: O1, points: 2}", "  - {points: 2}"),
    ("  - {question: O1, points: 2}", "  - {question: O1, points: 2, colour: red}"),
])
def test_a_bad_policy_is_one_clear_error(tmp_path, change, words):
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXERCISE.replace(change, words), encoding="utf-8")
    r = run_exercise(bad, "--count", 1, "-o", tmp_path / "out", "--formats", "md", "--jobs", 1)
    assert r.exit_code == 2 and "Traceback" not in r.stderr
    assert str(bad) in r.stderr


def test_without_tex_the_message_names_the_formats_that_need_none(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no pdflatex anywhere on it
    r = run_exercise(ROOT / "examples" / "exercises" / "pass_fail_homework.yaml", "--count", 1,
                     "-o", tmp_path / "out", "--jobs", 1)  # the default formats: md,pdf
    assert r.exit_code == 2 and "Traceback" not in r.stderr
    assert "need pdflatex, which is not installed" in r.stderr and "--formats md,html" in r.stderr
    assert not (tmp_path / "out").exists()


def test_md_html_writes_the_sheet_as_one_page_without_the_key(tmp_path):
    r = run_exercise(ROOT / "examples" / "exercises" / "pass_fail_homework.yaml", "--count", 1,
                     "-o", tmp_path / "out", "--formats", "md,html", "--jobs", 1)
    assert r.exit_code == 0, r.stderr
    page = (tmp_path / "out" / "sheets" / "s001" / "sheet.html").read_text(encoding="utf-8")
    assert "data:image/svg+xml" in page and "Give at least 4 significant digits" in page
    key = json.loads((tmp_path / "out" / "keys" / "s001" / "key.json").read_text(encoding="utf-8"))["exercise"]
    assert not [v for v in key["answers"].values() if v in page]
    assert (tmp_path / "out" / "keys" / "s001" / "key.html").is_file()


def test_one_unreadable_answer_is_that_question_s_cross_and_the_rest_is_marked(tmp_path):
    out, subs = tmp_path / "class", tmp_path / "handed_in"
    r = run_exercise(ROOT / "examples" / "exercises" / "pass_fail_homework.yaml", "--count", 1, "-o", out,
                     "--formats", "md", "--jobs", 1)
    assert r.exit_code == 0, r.stderr
    true = lecture_numbers(out / "sheets" / "s001" / "network.yaml")
    subs.mkdir()
    blank = (out / "sheets" / "s001" / "answers.yaml").read_text(encoding="utf-8")
    (subs / "s001.yaml").write_text(fill(blank, {"z(O1)": digits(true["z(O1)"], 5), "O1": "about 0.8",
                                                 "L": digits(true["L"], 5)}))
    result = run_mark(out, subs)
    assert result.exit_code == 0, result.stderr  # the file is marked: exit 0, as for wrong answers
    row = next(csv.DictReader((out / "marks.csv").read_text(encoding="utf-8").splitlines()))
    assert row["status"] == "marked"
    assert (row["z(O1)"], row["O1"], row["L"]) == ("✓", "✗", "✓")
    feedback = (out / "feedback" / "s001" / "marked.md").read_text(encoding="utf-8")
    assert "unreadable: line" in feedback and "write the number alone" in feedback
