"""`derive exercise-mark`: handed-in answers (right, wrong, carried forward, blank, unreadable, from
nobody in the class) marked against each student's own network, with a CSV of marks."""
import csv
import json
import shutil

import mpmath
import pytest

from tests.exercise_helpers import HOMEWORK, QUESTIONS, fill, lecture_numbers, roster, run_exercise, run_mark

IDS = ["ada", "ben", "cy", "dee", "eve", "fay"]


@pytest.fixture(scope="module")
def marked(tmp_path_factory):
    """A class of six: ada right from her key (as a folder), ben with a slip carried forward, cy under
    another file name, dee blank, eve absent, fay unreadable; and a file from zed, who is not in it."""
    base = tmp_path_factory.mktemp("marking")
    out, subs = base / "class", base / "handed_in"
    made = run_exercise(HOMEWORK, "--students", roster(base, IDS), "-o", out, "--formats", "md", "--jobs", 2)
    assert made.exit_code == 0, made.stderr
    subs.mkdir()
    (subs / "ada").mkdir()
    (subs / "ada" / "answers.yaml").write_text(fill(blank(out, "ada"), key(out, "ada")["answers_file"]))
    (subs / "ben.yaml").write_text(fill(blank(out, "ben"), ben_answers(out)))
    (subs / "upload_17.yaml").write_text(fill(blank(out, "cy"), {"L": key(out, "cy")["answers"]["L"]}))
    shutil.copy(out / "sheets" / "dee" / "answers.yaml", subs / "dee.yml")
    (subs / "fay.yaml").write_text("student: fay\nanswers:\n  - 0.5\n")  # not an answers file: a list
    (subs / "zed.yaml").write_text("student: zed\nanswers:\n  L: 0.1\n")
    result = run_mark(out, subs)
    rows = {r["id"]: r for r in csv.DictReader((out / "marks.csv").read_text(encoding="utf-8").splitlines())}
    return out, result, rows


def blank(out, student: str) -> str:
    return (out / "sheets" / student / "answers.yaml").read_text(encoding="utf-8")


def key(out, student: str) -> dict:
    return json.loads((out / "keys" / student / "key.json").read_text(encoding="utf-8"))["exercise"]


def ben_answers(out) -> dict[str, str]:
    """O1 off by 0.05; z(O2) and O2 worked on correctly from it (by the formulas, here); the sign of
    dL/dw4 flipped; the structure of dL/dw1 missing a factor while its value is right."""
    answers = dict(key(out, "ben")["answers_file"])
    true = lecture_numbers(out / "sheets" / "ben" / "network.yaml")
    with mpmath.workdps(40):
        o1 = mpmath.mpf(mpmath.nstr(true["O1"] + mpmath.mpf("0.05"), 4))  # four decimals, as written
        z2 = true["params"]["w4"] * o1 + true["params"]["b2"]  # exact: a sum of short decimals
        o2 = 1 / (1 + mpmath.exp(-z2))
        answers["O1"] = mpmath.nstr(o1, 4)
        answers["z(O2)"] = mpmath.nstr(z2, 12)
        answers["O2"] = mpmath.nstr(o2, 5)
    answers["dL/dw4"] = answers["dL/dw4"][1:] if answers["dL/dw4"].startswith("-") else "-" + answers["dL/dw4"]
    answers["dL/dw1"] = "dL/dO2 * dO1/dw1 = " + key(out, "ben")["answers"]["dL/dw1"]
    return answers


def marks(row: dict) -> list[str]:
    return [row[q] for q in QUESTIONS]


@pytest.mark.slow
def test_answers_filled_from_the_key_are_all_right(marked):
    out, _, rows = marked
    assert rows["ada"]["status"] == "marked" and rows["ada"]["file"].endswith("ada/answers.yaml")
    assert marks(rows["ada"]) == ["✓"] * len(QUESTIONS)
    assert rows["ada"]["right"] == str(len(QUESTIONS)) and rows["ada"]["wrong"] == "0"
    assert "✗" not in (out / "feedback" / "ada" / "marked.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_slip_is_wrong_and_what_follows_from_it_is_carried_forward(marked):
    _, _, rows = marked
    assert marks(rows["ben"]) == ["✓", "✗", "✓c", "✓c", "✓", "✗", "✓", "✓", "✗"]
    assert (rows["ben"]["right"], rows["ben"]["wrong"], rows["ben"]["not answered"]) == ("6", "3", "0")


@pytest.mark.slow
def test_the_student_inside_the_file_wins_and_empty_lines_are_not_answered(marked):
    _, _, rows = marked
    assert rows["cy"]["file"].endswith("upload_17.yaml")
    assert marks(rows["cy"]) == ["", "", "", "", "✓", "", "", "", ""]
    assert rows["cy"]["not answered"] == "8"
    assert rows["dee"]["status"] == "blank" and marks(rows["dee"]) == [""] * len(QUESTIONS)
    assert rows["eve"]["status"] == "not handed in" and rows["eve"]["file"] == ""


@pytest.mark.slow
def test_unreadable_files_and_strangers_are_reported_not_crashed_on(marked):
    _, result, rows = marked
    assert result.exit_code == 1, result.stderr
    assert rows["fay"]["status"] == "unreadable" and "fay.yaml:3" in rows["fay"]["note"]
    assert "fay.yaml:3" in result.stderr
    assert "zed.yaml: student `zed` is not in the class" in result.stderr
    assert "zed" not in rows


@pytest.mark.slow
def test_the_csv_has_a_row_per_student_and_a_column_per_question(marked):
    out, result, rows = marked
    header = (out / "marks.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    points = [f"points {q} (of 1)" for q in QUESTIONS]  # every question is worth 1 point by default
    assert header == ["id", "name", "file", "status", *QUESTIONS, *points, "total (of 9)", "right", "wrong",
                      "not answered", "questions", "note"]
    assert (rows["ada"]["total (of 9)"], rows["ben"]["total (of 9)"], rows["cy"]["total (of 9)"]) == ("9", "6", "1")
    assert list(rows) == IDS
    table = (out / "marks.md").read_text(encoding="utf-8")
    assert "| `ben` | Student Ben | 6 | 6 | 3 |" in table and "zed.yaml" in table
    ben = next(line for line in result.stdout.splitlines() if line.startswith("ben "))
    # The terminal's table is marks.md's table laid out as columns: id, name, points, counts, marks, status.
    assert ben.split() == ["ben", "Student", "Ben", "6", "6", "3", "✓", "✗", "✓c", "✓c", "✓", "✗", "✓", "✓", "✗",
                           "marked"]


def test_a_folder_that_is_not_an_exercise_is_an_error(tmp_path):
    r = run_mark(tmp_path, tmp_path)
    assert r.exit_code == 2 and "no exercise.json" in r.stderr
