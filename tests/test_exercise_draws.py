"""Draws that would make a poor exercise are drawn again (a saturated sigmoid, a gradient of 0, a loss
of 0) or end in an error naming the student; a bad exercise file or roster is refused with its place."""
import re
from pathlib import Path

import pytest

from derive.errors import DeriveError
from derive.exercise import draw_student, load_exercise
from tests.exercise_helpers import run_exercise

ONE_SIGMOID = """\
title: one sigmoid
inputs: {x1: input}
neurons:
  O1: {from: {x1: w1}, bias: b1, activation: sigmoid}
parameters: {w1: 0.1, b1: 0}
data:
  - {x1: 10, y: 1}
"""
ONE_LINEAR = """\
title: one linear neuron
inputs: {x1: input}
neurons:
  O1: {from: {x1: w1}, activation: linear}
parameters: {w1: 2}
data:
  - {x1: 1, y: 1}
"""
RELU_THEN_LINEAR = """\
title: a ReLU then a linear neuron
inputs: {x1: input}
neurons:
  O1: {from: {x1: w1}, activation: relu}
  O2: {from: {O1: w2}, activation: linear}
parameters: {w1: 1, w2: 1}
data:
  - {x1: 1, y: 5}
"""
IDS = [f"p{i:02d}" for i in range(1, 13)]


def exercise_file(folder: Path, network: str, body: str) -> Path:
    (folder / "net.yaml").write_text(network, encoding="utf-8")
    path = folder / "ex.yaml"
    path.write_text("network: net.yaml\n" + body, encoding="utf-8")
    return path


def test_saturated_sigmoids_are_drawn_again(tmp_path):
    """z = 10·w1 with w1 in 0, 0.1, …, 1: only w1 ≤ 0.4 keeps |z| ≤ 4."""
    ex = load_exercise(str(exercise_file(tmp_path, ONE_SIGMOID, """\
random: {parameters: {w1: {low: 0, high: 1, decimals: 1}}}
questions: [O1, L, dL/dw1]
""")))
    draws = [draw_student(ex, 7, i) for i in IDS]
    assert all(10 * d.drawn["w1"] <= 4 for d in draws)
    assert all(d.network.parameters["w1"] == d.drawn["w1"] for d in draws)
    assert max(d.tries for d in draws) > 1  # some first draws were saturated


def test_a_loss_of_zero_is_drawn_again(tmp_path):
    """O1 = w1 with y = 1: w1 = 1 gives L = 0."""
    ex = load_exercise(str(exercise_file(tmp_path, ONE_LINEAR, "random: {parameters: {w1: [1, 2]}}\nquestions: [L]\n")))
    draws = [draw_student(ex, 7, i) for i in IDS]
    assert {d.drawn["w1"] for d in draws} == {2}
    assert max(d.tries for d in draws) > 1


def test_a_vanishing_asked_gradient_is_drawn_again(tmp_path):
    """w1 = −1 puts the ReLU at z = −1, where its derivative, and so dL/dw1, is 0."""
    ex = load_exercise(str(exercise_file(tmp_path, RELU_THEN_LINEAR, """\
random: {parameters: {w1: [-1, 1]}}
questions: [O2, L, dL/dw1]
""")))
    draws = [draw_student(ex, 7, i) for i in IDS]
    assert {d.drawn["w1"] for d in draws} == {1}
    assert max(d.tries for d in draws) > 1


def test_no_acceptable_draw_is_an_error_naming_the_student(tmp_path):
    path = exercise_file(tmp_path, ONE_SIGMOID, """\
random: {parameters: {w1: {low: 0.5, high: 1, decimals: 1}}}
questions: [O1]
avoid: {tries: 5}
""")
    with pytest.raises(DeriveError, match=r"student p01: no acceptable numbers in 5 draws .* saturates the sigmoid"):
        draw_student(load_exercise(str(path)), 7, "p01")
    r = run_exercise(path, "--count", 2, "--jobs", 1, "-o", tmp_path / "out", "--formats", "md")
    assert r.exit_code == 2 and "student s001: no acceptable numbers" in r.stderr
    assert not (tmp_path / "out" / "summary.md").exists()


BAD_EXERCISE = """\
network: net.yaml
titel: Homework
random:
  parameters: {w9: {low: 0, high: 1, decimals: 2}, w1: {low: 1, high: 0, decimals: 2}}
  inputs: {x1: {low: 0, high: 1, decimals: 9}}
questions: [O1, O7, chain O1]
avoid: {saturated: -1}
"""


def test_mistakes_in_the_exercise_file_are_reported_with_their_place(tmp_path):
    path = exercise_file(tmp_path, ONE_SIGMOID, BAD_EXERCISE.split("\n", 1)[1])
    r = run_exercise(path, "--count", 2, "-o", tmp_path / "out")
    assert r.exit_code == 2
    for line, column, where in [(2, 1, "$.titel"), (4, 16, "$.random.parameters.w9"),
                                (4, 56, "$.random.parameters.w1"), (5, 44, "$.random.inputs.x1.decimals"),
                                (6, 17, "$.questions[1]"), (6, 21, "$.questions[2]"), (7, 20, "$.avoid.saturated")]:
        assert f"{path}:{line}:{column}: {where}: " in r.stderr, (where, r.stderr)
    assert "hint: did you mean `title`?" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists()


def test_a_missing_network_and_a_bad_roster_are_reported(tmp_path):
    path = tmp_path / "ex.yaml"
    path.write_text("network: nowhere.yaml\nrandom: {}\nquestions: [L]\n", encoding="utf-8")
    r = run_exercise(path, "--count", 1)
    assert r.exit_code == 2 and f"{path}:1:10: $.network: no network file `nowhere.yaml`" in r.stderr
    good = exercise_file(tmp_path, ONE_SIGMOID, "random: {parameters: {w1: [0.1, 0.2]}}\nquestions: [O1]\n")
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\nada,Ada\n../evil,Eve\nADA,Ada again\n", encoding="utf-8")
    r = run_exercise(good, "--students", roster, "-o", tmp_path / "out")
    assert r.exit_code == 2
    assert f"{roster}:3:1: the id `../evil` is not a usable folder name" in r.stderr
    assert re.search(rf"{re.escape(str(roster))}:4:1: the id `ADA` is already on line 2", r.stderr)
    assert not (tmp_path / "out").exists()
    assert run_exercise(good, "--count", 1, "--students", roster).exit_code == 2  # one or the other
