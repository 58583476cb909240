"""`derive check` as a student, an instructor or a grading script runs it: reports, exit codes, the
seed's own numbers, hostile answers files and a class summary with CSV."""
import csv
import json
import time
from pathlib import Path

import mpmath
import pytest
from click.testing import CliRunner

from derive.cli import main
from tests.helpers import ROOT

NETWORK = str(ROOT / "examples" / "pass_fail.yaml")
SEED = str(ROOT / "examples" / "seed_answers.yaml")


def runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click < 8.2 keeps stderr apart only when asked
    except TypeError:
        return CliRunner()


def check(*args):
    return runner().invoke(main, ["check", *map(str, args)])


def lecture_z2() -> str:
    """z2 = w4·σ(z1) + b2 at full precision, by the lecture's formula."""
    with mpmath.workdps(40):
        o1 = 1 / (1 + mpmath.exp(-mpmath.mpf("1.151")))
        return mpmath.nstr(mpmath.mpf("0.02") * o1 + mpmath.mpf("0.03"), 5)


def write(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


def test_the_seed_answers_pass_with_truncation_and_follow_through():
    r = check(NETWORK, SEED)
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert any(line.split()[:2] == ["✓", "z(O1)"] for line in lines)
    o1 = next(line for line in lines if " O1 " in line and "truncated" in line)
    assert "0.75969… truncated (rounding gives 0.760)" in o1
    z2 = next(line for line in lines if "z(O2)" in line and "carried forward" in line)
    assert f"correct given your O1 = 0.759 (the true value is {lecture_z2()})" in z2
    assert lecture_z2() == "0.045194"
    assert any("✓ carried forward" in line and " O2 " in line for line in lines)
    assert "5 answers: 5 right (1 truncated, 2 carried forward), 0 wrong" in r.stdout


def test_markdown_and_json_reports():
    md = check(NETWORK, SEED, "--format", "md")
    assert md.exit_code == 0 and md.stdout.startswith("## a hand calculation")
    assert "| ✓ carried forward | `z(O2)` | `0.04518` |" in md.stdout
    data = json.loads(check(NETWORK, SEED, "--format", "json").stdout)
    assert [a["status"] for a in data["answers"]] == ["right", "truncated", "carried", "carried", "right"]
    assert data["answers"][2]["given"] == ["O1 = 0.759"]
    assert data["answers"][1]["true_value"].startswith("0.7596935236")


def test_a_wrong_answer_exits_1_and_is_worked_out(tmp_path):
    answers = write(tmp_path, "a.yaml", "answers:\n  O1: 0.76\n  dL/dw4: '(O2 - y) * O2*(1 - O2) * O1'\n")
    r = check(NETWORK, answers)
    assert r.exit_code == 1
    assert any(line.split()[:2] == ["✗", "dL/dw4"] for line in r.stdout.splitlines())
    section = r.stdout.split("What the wrong answers should have been")[1]
    # The text is the Markdown report laid out by derive.render.text_writer: one `- label: value`
    # item per line of the worked-out answer.
    assert "- expected: 2*(O2 - y) * O2*(1 - O2)*O1\n" in section
    assert "- likely cause: a factor of 2 from the loss convention" in section
    assert "- worked step: dL/dw4 = dL/dO2 * dO2/dw4 = 2*(O2 - y) * O2*(1 - O2)*O1 = " in section


def test_report_to_a_file(tmp_path):
    out = tmp_path / "report.md"
    r = check(NETWORK, SEED, "-f", "md", "-o", out)
    assert r.exit_code == 0 and r.stdout == ""
    assert "a hand calculation" in out.read_text()


@pytest.mark.parametrize("body, words", [
    ("answers:\n  O1: [0.5]\n", "a.yaml:2:7: $.answers.O1: the answer for O1 must be a single value"),
    ("answers:\n  O1: yes\n", "YAML reads `yes` as true/false"),
    ("answers:\n  O1: 0.5\n  O1: 0.6\n", "duplicate key `O1`"),
    ("answers:\n  L: 0.5\n  loss: 0.6\n", "`loss` is the same quantity as `L`"),
    ("answer:\n  O1: 0.5\n", "unknown key `answer` in the answers file"),
    ("answers:\n  O1: 0.5\npoint: 7\n", "point `7` is not a data point of the network"),
])
def test_bad_answers_files_exit_2_with_file_line_column(tmp_path, body, words):
    # A file that is not an answers file is refused whole; an answer whose key names nothing or whose
    # value cannot be read is that answer's own line (below, and tests/test_check_policy.py).
    r = check(NETWORK, write(tmp_path, "a.yaml", body))
    assert r.exit_code == 2
    assert r.stderr.startswith("derive: error: ")
    assert words in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


HOSTILE = {
    "import": "__import__('os').system('touch /tmp/pwned_check')",
    "power tower": "9**9**9**9",
    "attribute": "x1.__class__",
    "lambda": "lambda: x1",
    "100 KB": "a" * 100_000,
    "10,000 brackets": "(" * 10_000 + "O1" + ")" * 10_000,
    "huge number": "9" * 80,
    "deep": "exp(" * 40 + "O1" + ")" * 40,
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_answers_get_a_clear_error_in_under_a_second_and_nothing_runs(tmp_path, name):
    marker = Path("/tmp/pwned_check")
    marker.unlink(missing_ok=True)
    answers = write(tmp_path, "evil.yaml", "answers:\n  dL/dw4: " + json.dumps(HOSTILE[name]) + "\n")
    start = time.perf_counter()
    r = check(NETWORK, answers)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"{name} took {elapsed:.2f} s"
    assert not marker.exists()
    assert "Traceback" not in r.stdout + r.stderr
    if name == "deep":  # a legal formula, just a wrong one: marked, with its reason
        assert r.exit_code == 1 and "✗" in r.stdout
    else:  # an answer that cannot be read is marked unreadable on its own line; the file is still marked
        assert r.exit_code == 1
        assert "unreadable: line 2:" in r.stdout


@pytest.mark.parametrize("body, words", [
    ("answers:\n  O7: 0.5\n", "line 2: `O7` does not name a quantity"),
    ("answers:\n  w4: 0.5\n", "line 2: `w4` is a parameter the network gives; answer new(w4)"),
    ("answers:\n  dO2/dw1: 0.5\n", "line 2: dO2/dw1 is not one step of a chain-rule path"),
])
def test_a_key_that_names_nothing_is_its_own_unreadable_line(tmp_path, body, words):
    r = check(NETWORK, write(tmp_path, "a.yaml", body + "  z(O1): 1.151\n"), "-f", "json")
    assert r.exit_code == 1, r.stderr
    lines = {a["key"]: a for a in json.loads(r.stdout)["answers"]}
    assert lines["z(O1)"]["status"] == "right"
    bad = next(a for k, a in lines.items() if k != "z(O1)")
    assert bad["kind"] == "unreadable" and words in bad["note"]


def test_hostile_keys_and_values_are_never_run(tmp_path):
    body = ("answers:\n  \"__import__('os').system('touch /tmp/pwned_check')\": 1\n"
            "  O1: \"__import__('os').system('touch /tmp/pwned_check')\"\n")
    Path("/tmp/pwned_check").unlink(missing_ok=True)
    r = check(NETWORK, write(tmp_path, "evil.yaml", body), "-f", "json")
    assert r.exit_code == 1 and not Path("/tmp/pwned_check").exists()
    # the key names nothing, and the value is not maths: two unreadable lines, nothing run
    assert [a["kind"] for a in json.loads(r.stdout)["answers"]] == ["unreadable", "unreadable"]


CLASS = {
    "ada.yaml": "student: Ada\nanswers:\n  O1: 0.760\n  O2: 0.5113\n  dL/dw4: '2*(O2 - y)*O2*(1 - O2)*O1'\n",
    "ben.yaml": "student: Ben\nanswers:\n  O1: 0.74\n  O2: 0.5113\n  dL/dw4: '(O2 - y)*O2*(1 - O2)*O1'\n",
    "cy.yaml": "student: Cy\nanswers:\n  O1: 0.759\n  z(O2): 0.04518\n  O2: 0.51129\n",
}


@pytest.fixture
def class_folder(tmp_path):
    folder = tmp_path / "answers"
    folder.mkdir()
    for name, body in CLASS.items():
        write(folder, name, body)
    return folder


def test_summary_of_a_class_per_student_and_per_question(class_folder, tmp_path):
    r = check(NETWORK, class_folder, "--summary", "--csv", tmp_path / "marks.csv")
    assert r.exit_code == 1, r.stderr
    rows = {line.split()[0]: line.split() for line in r.stdout.splitlines() if line.split()}
    assert rows["Ada"][1:7] == ["3", "0", "3", "✓", "✓", "✓"]
    assert rows["Ben"][1:7] == ["1", "2", "3", "✗", "✓", "✗"]
    assert rows["Cy"][1:8] == ["3", "0", "3", "✓t", "✓c", "·", "✓c"]
    # right, truncated, carried, too few digits, wrong, not answered
    assert rows["z(O2)"][1:] == ["0", "0", "1", "0", "0", "2"]
    assert rows["dL/dw4"][1:] == ["1", "0", "0", "0", "1", "1"]
    with open(tmp_path / "marks.csv", newline="", encoding="utf-8") as handle:
        marks = list(csv.DictReader(handle))
    assert len(marks) == 9
    assert {(m["student"], m["question"], m["verdict"]) for m in marks} >= {
        ("Ada", "O1", "right"), ("Ben", "O1", "wrong"), ("Cy", "O1", "truncated"), ("Cy", "O2", "carried")}
    assert next(m for m in marks if m["student"] == "Ben" and m["question"] == "dL/dw4")["expected"] == \
        "2*(O2 - y) * O2*(1 - O2)*O1"


def test_summary_as_markdown_and_json(class_folder):
    md = check(NETWORK, class_folder, "--summary", "-f", "md")
    assert "| Cy | 3 | 0 | 3 | ✓t | ✓c | · | ✓c |" in md.stdout
    data = json.loads(check(NETWORK, class_folder, "--summary", "-f", "json").stdout)
    assert [s["student"] for s in data["summary"]["students"]] == ["Ada", "Ben", "Cy"]


def test_one_unreadable_answer_is_its_own_line_and_the_student_stays_in_the_summary(class_folder):
    write(class_folder, "dan.yaml", "student: Dan\nanswers:\n  O1: 0.7.5\n  z(O1): 1.151\n")
    r = check(NETWORK, class_folder, "--summary")
    assert r.exit_code == 1, r.stderr
    rows = {line.split()[0]: line.split() for line in r.stdout.splitlines() if line.split()}
    assert rows["Dan"][1:4] == ["1", "1", "2"]  # z(O1) right, O1 unreadable (wrong), 2 answered


def test_a_file_that_is_not_an_answers_file_is_a_row_of_the_summary_and_exits_2(class_folder, tmp_path):
    write(class_folder, "dan.yaml", "- this is a list, not answers\n")
    r = check(NETWORK, class_folder, "--summary", "-f", "md", "--csv", tmp_path / "marks.csv")
    assert r.exit_code == 2
    assert "dan.yaml:1:" in r.stderr
    assert "| dan | 0 | 0 | 0 |" in r.stdout and "dan.yaml`: unreadable:" in r.stdout
    rows = list(csv.DictReader((tmp_path / "marks.csv").read_text(encoding="utf-8").splitlines()))
    assert {r["student"] for r in rows} == {"Ada", "Ben", "Cy", "dan"}
    assert next(r for r in rows if r["student"] == "dan")["verdict"] == "unreadable"


def test_missing_files_exit_2():
    assert check(NETWORK, "no_such_answers.yaml").exit_code == 2
    r = check("no_such_network.yaml", SEED)
    assert r.exit_code == 2 and "derive: error:" in r.stderr
