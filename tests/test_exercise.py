"""`derive exercise`: a class generated from the homework example, its numbers checked independently,
reproducible per student whatever the class and the number of processes."""
import csv
import json
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from derive import load_network
from derive.check.answers import read_answers
from derive.exercise import draw_student, load_exercise
from derive.exercise.marking import drop_blank_answers
from tests.exercise_helpers import HOMEWORK, QUESTIONS, agrees, lecture_numbers, roster, run_exercise
from tests.helpers import ROOT

IDS = ["ada", "ben", "cy"]
SHEET_FILES = ["network.yaml", "sheet.md", "sheet_files/network.svg", "answers.yaml"]  # sheets/<id>/: handed out
KEY_FILES = ["network.yaml", "key.md", "key.json"]  # keys/<id>/: kept by the lecturer


@pytest.fixture(scope="module")
def classes(tmp_path_factory):
    """The class of three with two processes, and the same class plus a fourth student with one."""
    base = tmp_path_factory.mktemp("exercise")
    three, four = base / "three", base / "four"
    r3 = run_exercise(HOMEWORK, "--students", roster(base, IDS, "three.csv"), "--seed", 2026, "-o", three,
                      "--formats", "md", "--jobs", 2)
    assert r3.exit_code == 0, r3.stderr
    r4 = run_exercise(HOMEWORK, "--students", roster(base, IDS + ["dee"], "four.csv"), "--seed", 2026, "-o", four,
                      "--formats", "md", "--jobs", 1)
    assert r4.exit_code == 0, r4.stderr
    return three, four


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_every_student_gets_a_folder_of_files(classes):
    three, _ = classes
    for i in IDS:
        assert sorted(folder_bytes(three / "sheets" / i)) == sorted(SHEET_FILES), f"sheets/{i}"
        for name in KEY_FILES:
            assert (three / "keys" / i / name).is_file(), f"keys/{i}/{name} is missing"
    assert {"summary.md", "summary.csv", "exercise.json", "sheets", "keys"} == {p.name for p in three.iterdir()}


@pytest.mark.slow
def test_a_sheet_depends_only_on_the_seed_and_the_id_whatever_the_processes(classes):
    """ada, ben and cy: once with 2 processes in a class of 3, once with 1 process in a class of 4."""
    three, four = classes
    for i in IDS:
        for tree in ("sheets", "keys"):
            assert folder_bytes(three / tree / i) == folder_bytes(four / tree / i), f"{tree}/{i} changed"


@pytest.mark.slow
def test_students_get_different_numbers_within_the_ranges(classes):
    three, _ = classes
    spec = yaml.safe_load(HOMEWORK.read_text(encoding="utf-8"))["random"]
    seen = set()
    for i in IDS:
        net = yaml.safe_load((three / "sheets" / i / "network.yaml").read_text(encoding="utf-8"))
        point = net["data"][0]
        for name, value in list(net["parameters"].items()) + [(k, point[k]) for k in ("x1", "x2", "x3")]:
            r = spec["parameters"].get(name) or spec["inputs"].get(name) or spec["parameters"]["all"]
            v = Fraction(str(value))
            assert Fraction(str(r["low"])) <= v <= Fraction(str(r["high"])), (i, name, value)
            assert v * 10 ** r["decimals"] == int(v * 10 ** r["decimals"]), (i, name, value)
        assert point["y"] in (0, 1)
        seen.add(tuple(net["parameters"].values()))
    assert len(seen) == len(IDS)


@pytest.mark.slow
def test_the_keys_agree_with_an_independent_computation(classes):
    three, _ = classes
    for i in IDS:
        mine = lecture_numbers(three / "sheets" / i / "network.yaml")
        key = json.loads((three / "keys" / i / "key.json").read_text(encoding="utf-8"))["exercise"]
        assert list(key["answers"]) == QUESTIONS
        for q in QUESTIONS[:-1]:
            assert agrees(key["answers"][q], mine[q]), (i, q, key["answers"][q], mine[q])
        assert key["answers"]["chain dL/dw1"] == "dL/dO2 * dO2/dO1 * dO1/dw1"
        assert abs(mine["z(O1)"]) <= 4 and abs(mine["z(O2)"]) <= 4  # the default `avoid` held
        assert abs(mine["dL/dw1"]) >= 1e-4 and mine["L"] >= 1e-3


@pytest.mark.slow
def test_sheets_show_the_numbers_and_the_questions_but_no_answer(classes):
    three, _ = classes
    for i in IDS:
        sheet = (three / "sheets" / i / "sheet.md").read_text(encoding="utf-8")
        svg = (three / "sheets" / i / "sheet_files" / "network.svg").read_text(encoding="utf-8")
        key = json.loads((three / "keys" / i / "key.json").read_text(encoding="utf-8"))["exercise"]["answers"]
        net = yaml.safe_load((three / "sheets" / i / "network.yaml").read_text(encoding="utf-8"))
        assert f"Student {i.title()}" in sheet and "](sheet_files/network.svg)" in sheet
        for name, value in net["parameters"].items():
            assert f"| ${name[0]}_{{{name[1:]}}}$ | ${value}$ |" in sheet
            assert f"= {value}<".replace("-", "\u2212") in svg
        x1 = net["data"][0]["x1"]
        assert f"| $x_{{1}}$ | IQ | ${x1}$ |" in sheet and f"IQ = {x1}<" in svg
        for number in range(1, len(QUESTIONS) + 1):
            assert f"\n{number}. " in sheet
        for q in QUESTIONS[:-1]:
            assert key[q] not in sheet and key[q] not in svg, f"{i}'s sheet gives away {q}"


@pytest.mark.slow
def test_blank_answers_files_fit_derive_checks_reader(classes):
    """Every line of a blank file is a key derive check reads; filled with anything, the reader takes
    the file as it is and finds exactly the questions' quantities."""
    three, _ = classes
    ex = load_exercise(str(HOMEWORK))
    for i in IDS:
        blank = (three / "sheets" / i / "answers.yaml").read_text(encoding="utf-8")
        kept, left = drop_blank_answers(blank, "answers.yaml")
        assert left == 0 and kept.count("\n") == blank.count("\n")
        net = load_network(str(three / "sheets" / i / "network.yaml"))
        filled = blank.replace(":\n", ": 1\n").replace("answers: 1\n", "answers:\n")
        af = read_answers(str(three / "sheets" / i / "answers.yaml"), net, text=filled)
        assert af.student == i and af.point == 1 and af.network == "network.yaml"
        assert [a.key for a in af.answers] == ex.keys()
        assert {q.quantity for q in ex.questions} == {a.quantity for a in af.answers}


@pytest.mark.slow
def test_the_summary_lists_every_student_with_their_draws_and_key(classes):
    three, four = classes
    rows = list(csv.DictReader((four / "summary.csv").read_text(encoding="utf-8").splitlines()))
    assert [r["id"] for r in rows] == IDS + ["dee"]
    for r in rows:
        net = yaml.safe_load((four / "sheets" / r["id"] / "network.yaml").read_text(encoding="utf-8"))
        assert Fraction(r["w4"]) == Fraction(str(net["parameters"]["w4"]))
        key = json.loads((four / "keys" / r["id"] / "key.json").read_text(encoding="utf-8"))["exercise"]["answers"]
        assert all(r[q] == key[q] for q in QUESTIONS)
    summary = (three / "summary.md").read_text(encoding="utf-8")
    assert "seed 2026" in summary and all(f"`{i}`" in summary for i in IDS)
    manifest = json.loads((three / "exercise.json").read_text(encoding="utf-8"))
    assert [q["label"] for q in manifest["questions"]] == QUESTIONS
    assert [s["id"] for s in manifest["students"]] == IDS


def test_draws_are_reproducible_and_independent_of_the_class():
    ex = load_exercise(str(HOMEWORK))
    first = draw_student(ex, 2026, "ada")
    assert draw_student(ex, 2026, "ada").drawn == first.drawn
    assert draw_student(ex, 2027, "ada").drawn != first.drawn
    assert draw_student(ex, 2026, "ada2").drawn != first.drawn


@pytest.mark.slow
def test_the_keys_answers_file_reads_back_and_fits_the_pdfs_line(tmp_path):
    """A long chain-rule answer is broken over lines in key.md's answers file (a verbatim block in the
    PDF cannot wrap); YAML joins them back into the answer key.json gives."""
    exercise = tmp_path / "ex.yaml"
    exercise.write_text(f"network: {ROOT / 'examples' / 'two_paths_dense.yaml'}\n"
                        "random: {parameters: {all: {low: -1, high: 1, decimals: 2}}}\n"
                        "questions: [dL/dw1, chain dL/dw1]\n", encoding="utf-8")
    r = run_exercise(exercise, "--students", roster(tmp_path, ["ada"]), "-o", tmp_path / "out",
                     "--formats", "md", "--jobs", 1)
    assert r.exit_code == 0, r.stderr
    key_md = (tmp_path / "out" / "keys" / "ada" / "key.md").read_text(encoding="utf-8")
    key = json.loads((tmp_path / "out" / "keys" / "ada" / "key.json").read_text(encoding="utf-8"))["exercise"]
    block = key_md.split("The answers file filled in with these answers:\n\n", 1)[1].split("\n\n", 1)[0]
    lines = [line.removeprefix("    ") for line in block.splitlines()]
    assert len(lines) > 2 and all(len(line) <= 78 for line in lines), block
    # w1 feeds O11, which reaches O31 through O21 and through O22 (layers [2, 2, 2, 1], lecture naming)
    paths = ("dL/dO31 * dO31/dO21 * dO21/dO11 * dO11/dw1 + "
             "dL/dO31 * dO31/dO22 * dO22/dO11 * dO11/dw1")
    assert yaml.safe_load("\n".join(lines)) == {"answers": {"dL/dw1": f"{paths} = {key['answers']['dL/dw1']}"}}
    assert key["answers_file"] == {"dL/dw1": f"{paths} = {key['answers']['dL/dw1']}"}


@pytest.mark.slow
def test_sheets_hold_no_key_value_anywhere(classes):
    """Every file of sheets/ (what students get) is searched for every key answer of every student:
    as the key writes it (6 significant digits) and rounded to 5 and 4, and each chain-rule answer."""
    three, _ = classes
    import mpmath

    wanted = set()
    for i in IDS:
        key = json.loads((three / "keys" / i / "key.json").read_text(encoding="utf-8"))["exercise"]["answers"]
        for q, text in key.items():
            wanted.add(text)
            if not q.startswith("chain"):
                wanted |= {mpmath.nstr(mpmath.mpf(text), d) for d in (4, 5)}
    files = [p for p in (three / "sheets").rglob("*") if p.is_file()]
    assert len(files) == len(IDS) * len(SHEET_FILES)
    for p in files:
        text = p.read_text(encoding="utf-8")
        found = sorted(w for w in wanted if w in text)
        assert not found, f"{p.relative_to(three)} holds key values {found}"
