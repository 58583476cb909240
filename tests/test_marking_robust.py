"""Answers that used to crash the marker, and class submissions that used to abort or fool
`exercise-mark` (issue 13): every numeric or constant answer is marked or refused with a reason, one
student's bad file is reported in that student's row only, and no file is marked for someone else.

Expected values come from the seed lecture's network worked by hand: z(O1) = 0.01·95 + 0.02·4 +
0.03·4 + 0.001 = 1.151 exactly, and O1, dL/dw1 by the textbook formulas in mpmath
(tests.exercise_helpers.lecture_numbers, which reads the YAML itself)."""

from __future__ import annotations

import csv
import json
import os

import mpmath
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derive.check import check_answers
from derive.check.numeric import ORDER
from derive.cli import main
from derive.errors import DeriveError
from derive.exercise.marking import find_submissions, named_for, read_submission
from derive.spec.loader import load
from derive.spec.source import read_text
from tests.exercise_helpers import HOMEWORK, lecture_numbers, roster, run_exercise, run_mark
from tests.helpers import ROOT

NETWORK = ROOT / "examples" / "pass_fail.yaml"
NET = load(read_text(str(NETWORK)), str(NETWORK))
TRUE = lecture_numbers(NETWORK)


def answer(key: str, text: str):
    """The one marked line of an answers file holding `key: 'text'`."""
    quoted = text.replace("'", "''")
    report = check_answers(NET, "robust.yaml", text=f"answers:\n  {key}: '{quoted}'\n")
    assert len(report.lines) == 1
    return report.lines[0]


# -- 1. numbers and constants that crashed ---------------------------------------------------------


def test_the_true_values_used_here_are_the_hand_calculation():
    with mpmath.workdps(40):
        assert abs(TRUE["z(O1)"] - mpmath.mpf("1.151")) < mpmath.mpf(10) ** -35
    assert mpmath.nstr(TRUE["O1"], 6) == "0.759694"


# (answer for z(O1) = 1.151, status, expected value shown; "" when none is shown because the answer
# is exact and the full value is enough)
Z_CASES = [
    # tiny: judged to the place written (1e-30), so the expected value has 30 places; scientific as written
    ("1e-30", "wrong", "1.15100000000000000000000000000e+0"),
    # the right value with 40 places: judged to 30 significant digits at most, and right
    ("1.151" + "0" * 40, "right", None),
    # wrong only in the 32nd significant digit: past the 30 judged, so right
    ("1.1510000000000000000000000000001", "right", None),
    # wrong in the 30th significant digit (29 places): wrong, shown to 29 places
    ("1.15100000000000000000000000001", "wrong", "1.151" + "0" * 26),
    # exp(36) = 4.31e15: 30 significant digits put its last one at 10^-14
    ("exp(36)", "wrong", "1.151" + "0" * 11),
    # exact powers and reciprocals of big powers are exact ratios: compared exactly
    ("10^16", "wrong", None),
    ("1/10^61", "wrong", None),
    ("(1/10)^61", "wrong", None),
    ("2^-100", "wrong", None),
    ("10^100", "wrong", None),
    # an exact ratio of more than 4,300 digits (Python refuses to print such an int)
    ("*".join(["9^100"] * 46), "wrong", None),
    # products of tiny decimals, tiny powers of a decimal
    ("1e-30*1e-30", "wrong", None),
    ("0.1^100", "wrong", None),
    # exponents far out, with zeros
    ("0e-999", "wrong", "1.15100000000000000000000000000e+0"),
    ("1e-999", "wrong", "1.15100000000000000000000000000e+0"),
    # 1e15 is the largest literal: one significant digit at 10^15, so 1.151 rounds to 0 there
    ("1e15", "wrong", "0e+15"),
    # exp of big, exp of very small, a sum of huge and tiny
    ("exp(1000)", "wrong", "0"),
    ("exp(-36)", "wrong", None),
    ("exp(40) - exp(40) + 1.151", "right", None),
    # the right value from a constant formula: 1.151 written as a product of decimals
    ("0.1151*10", "right", None),
    # negative zero, and the sign written as a Unicode minus
    ("-0", "wrong", "1"),
    ("−0.0", "wrong", "1.2"),
    ("−1.151", "wrong", None),
    # a zero made of decimals: judged to the finest place written (0.01), where 1.151 is 1.15
    ("0.25 - 0.25 + 0.00", "wrong", "1.15"),
]


@pytest.mark.parametrize("text, status, expected", Z_CASES, ids=[c[0][:30] for c in Z_CASES])
def test_every_number_or_constant_is_marked(text, status, expected):
    line = answer("z(O1)", text)
    assert line.status == status, (line.status, line.parts)
    assert line.kind == "number"
    if expected is not None:
        assert line.parts[-1].expected.split(" (")[0] == expected


def test_a_unicode_minus_answer_names_the_sign_slip():
    line = answer("z(O1)", "−1.151")
    assert any(c.startswith("sign:") for c in line.parts[0].causes)


@pytest.mark.parametrize(
    "text, cause",
    [
        ("exp(-1e15)", "exp overflows"),  # no value: wrong, with the reason
        ("sigmoid(1e15)", "exp overflows"),
        ("2^0.5^3*exp(99999)^3", "overflows"),
    ],
)
def test_a_constant_with_no_value_is_wrong_with_the_reason(text, cause):
    line = answer("O1", text)
    assert line.status == "wrong"
    assert any(cause in c for c in line.parts[0].causes), line.parts[0].causes


def test_the_right_o1_with_many_places_is_right_and_one_slip_in_them_is_wrong():
    with mpmath.workdps(60):
        right = mpmath.nstr(TRUE["O1"], 28, strip_zeros=False)  # 28 significant digits, rounded
    assert answer("O1", right).status == "right"
    last = int(right[-1])
    slipped = right[:-1] + str((last + 2) % 10)  # two units off in the last of 28 digits
    assert answer("O1", slipped).status == "wrong"


@pytest.mark.parametrize(
    "text, words",
    [
        ("1e16", "too large"),  # a literal above 10^15 is refused, as in a network file
        ("0." + "1" * 70, "too long"),  # a literal of more than 60 characters
        ("9^100^100", "too large"),
    ],
)
def test_a_refused_number_is_a_clean_error_at_its_place(text, words):
    # the answer's own line says why (with the line of the file); the rest of the file is still marked
    line = answer("O1", text)
    assert line.kind == "unreadable" and line.status == "wrong"
    assert words in line.parts[0].note and "line 2:" in line.parts[0].note


def test_the_crashing_answers_through_the_command(tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "answers:\n  z(O1): '1e-30'\n  O1: 'exp(36)'\n  z(O2): '10^16'\n  O2: '1/10^61'\n"
        f"  L: '0.{'3' * 40}'\n  dL/dw1: '-0.0'\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", str(NETWORK), str(answers), "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1, result.output  # wrong answers, every one marked
    assert "Traceback" not in result.output
    doc = json.loads(result.stdout)
    statuses = {line["key"]: line["status"] for line in doc["answers"]}
    # -0.0 for dL/dw1 = -0.0847: to one place the truncation of -0.08 is -0.0 (rounding gives -0.1), but it
    # has one significant digit and derive check asks for at least two
    assert statuses == {"z(O1)": "wrong", "O1": "wrong", "z(O2)": "wrong", "O2": "wrong", "L": "wrong",
                        "dL/dw1": "too few digits"}


def test_a_refused_literal_through_the_command_is_its_own_wrong_line(tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text("answers:\n  O1: '1e400'\n  z(O1): 1.151\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(NETWORK), str(answers), "-f", "json"])
    assert result.exit_code == 1
    lines = {a["key"]: a for a in json.loads(result.stdout)["answers"]}
    assert lines["z(O1)"]["status"] == "right"  # the other answer is still marked
    assert lines["O1"]["kind"] == "unreadable" and "line 2:" in lines["O1"]["note"] and "too large" in lines["O1"]["note"]
    assert "Traceback" not in result.stderr


# -- 4. random numbers and formulas: marked, or a clean DeriveError -----------------------------------

KEYS = ["z(O1)", "O1", "O2", "L", "dL/dw1", "dL/dO2", "new(w4)", "dO2/dO1"]
SIGNS = st.sampled_from(["", "-", "+", "−", "--", "- "])
NUMBERS = st.builds(
    lambda sign, whole, places, exp: f"{sign}{whole}{places}{exp}",
    SIGNS,
    st.sampled_from(["", "0", "1", "7"]) | st.integers(0, 10**20).map(str),
    st.just("") | st.integers(0, 60).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n).map("." .__add__)),
    st.just("") | st.builds(lambda e, s, d: f"{e}{s}{d}", st.sampled_from("eE"), st.sampled_from(["", "+", "-"]),
                            st.integers(0, 1200).map(str)),
).filter(lambda s: any(ch.isdigit() for ch in s))
NAMES = st.sampled_from(["x1", "x2", "w1", "w4", "b2", "O1", "O2", "z(O1)", "z(O2)", "y", "L", "eta",
                         "dL/dO2", "dO2/dO1", "dO1/dw1", "\\partial L/\\partial w_4", "O_2", "w_{4}"])
LEAVES = NAMES | NUMBERS | st.sampled_from(["0", "1", "2", "0.5", "1e-30", "10"])


def _formulas(children):
    return (
        st.builds(lambda a, op, b: f"{a} {op} {b}", children, st.sampled_from(["+", "-", "*", "/", "·", "×"]), children)
        | st.builds(lambda a, b: f"({a})^{b}", children, st.sampled_from(["2", "-1", "0.5", "3", "-2", "16", "61"]))
        | st.builds(lambda f, a: f"{f}({a})", st.sampled_from(["exp", "log", "sigma", "σ", "tanh", "sigmoid", "ln",
                                                              "σ'"]), children)
        | st.builds(lambda a, b: f"\\frac{{{a}}}{{{b}}}", children, children)
        | st.builds(lambda a: f"-({a})", children)
    )


FORMULAS = st.recursive(LEAVES, _formulas, max_leaves=6)


def _marked_or_refused(key: str, text: str) -> None:
    try:
        line = answer(key, text)
    except DeriveError as exc:
        assert str(exc).strip(), "a refusal says why"
        return
    assert line.status in ORDER
    assert line.kind in ("number", "formula", "chain", "unreadable")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(KEYS), text=NUMBERS)
def test_random_numbers_are_marked_or_refused(key, text):
    _marked_or_refused(key, text)


@pytest.mark.slow  # about a second
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(KEYS), text=FORMULAS)
def test_random_formulas_are_marked_or_refused(key, text):
    _marked_or_refused(key, text)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(KEYS), text=FORMULAS)
def test_a_few_random_formulas_in_the_fast_tier(key, text):
    _marked_or_refused(key, text)


@pytest.mark.parametrize("text", ["1e-30", "exp(36) * O1", "−0.0"])
def test_the_command_never_prints_a_traceback(text, tmp_path):
    answers = tmp_path / "a.yaml"
    answers.write_text(f"answers:\n  dL/dw1: '{text}'\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(NETWORK), str(answers)])
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# -- 2 and 3. one student's bad file is that student's problem ------------------------------------


def test_find_submissions_lists_links_but_reading_refuses_them(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("answers:\n  O1: 0.5\n", encoding="utf-8")
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "s001.yaml").write_text("answers:\n  O1: 0.5\n", encoding="utf-8")
    os.symlink(secret, subs / "s002.yaml")
    (subs / "s003").mkdir()
    os.symlink(secret, subs / "s003" / "answers.yaml")
    os.symlink(subs / "s003", subs / "s004")
    found = find_submissions(str(subs))
    assert [named_for(p) for p in found] == ["s001", "s002", "s003", "s004"]
    assert read_submission(found[0]).startswith("answers:")
    for path in found[1:]:
        with pytest.raises(DeriveError, match="symbolic link, not followed"):
            read_submission(path)


@pytest.mark.parametrize(
    "data, words",
    [
        ("answers:\n  O1: 0.5\n".encode("utf-16"), "not UTF-8 text: the file is UTF-16"),
        ("# é\nanswers:\n".encode("latin-1"), "not UTF-8 text: byte 0xe9"),
        (b"\x7fELF\x00\x00binary", "not UTF-8 text: the file contains NUL bytes"),
        (b"answers:\n" + b"#" * 1_000_001, "larger than 1000 kB"),
    ],
    ids=["utf16", "latin1", "binary", "huge"],
)
def test_an_unreadable_submission_says_why(data, words, tmp_path):
    path = tmp_path / "s001.yaml"
    path.write_bytes(data)
    with pytest.raises(DeriveError) as info:
        read_submission(path)
    assert words in str(info.value) and str(path) in str(info.value)


IDS = [f"s{i:03d}" for i in range(1, 12)]
SECRET = "TOP SECRET: the exam paper"


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    """Eleven students: s001 with the answers that crashed the marker, s002 with their own file and
    an earlier-sorting file that claims to be theirs, s003–s006 unreadable (UTF-16, Latin-1, binary,
    over 1 MB), s007 a link to a secret file, s008 a linked folder, s009 a file that claims s010,
    s010 right, s011 absent (a UTF-16 file upload_9.yaml may be theirs, but cannot be read to say so)."""
    base = tmp_path_factory.mktemp("hostile")
    out, subs = base / "class", base / "handed_in"
    made = run_exercise(HOMEWORK, "--students", roster(base, IDS), "-o", out, "--formats", "md", "--jobs", 1)
    assert made.exit_code == 0, made.stderr
    subs.mkdir()
    z = {i: mpmath.nstr(lecture_numbers(out / "sheets" / i / "network.yaml")["z(O1)"], 12) for i in ("s001", "s002", "s010")}
    (subs / "s001.yaml").write_text(
        f"answers:\n  z(O1): '{z['s001']}'\n  O1: '1e-30'\n  z(O2): 'exp(36)'\n  O2: '1/10^61'\n  L: '10^16'\n",
        encoding="utf-8",
    )
    (subs / "s002.yaml").write_text(f"answers:\n  z(O1): '{z['s002']}'\n", encoding="utf-8")
    (subs / "0_first.yaml").write_text("student: s002\nanswers:\n  z(O1): '1'\n", encoding="utf-8")
    (subs / "s003.yaml").write_bytes("answers:\n  z(O1): '1'\n".encode("utf-16"))
    (subs / "s004.yaml").write_bytes("# é\nanswers:\n  z(O1): '1'\n".encode("latin-1"))
    (subs / "s005.yaml").write_bytes(b"\x00\x01\x02binary")
    (subs / "s006.yaml").write_text("answers:\n  z(O1): '1'\n" + "#" * 1_100_000 + "\n", encoding="utf-8")
    secret = base / "secret.yaml"
    secret.write_text(f"# {SECRET}\nanswers:\n  z(O1): '1'\n", encoding="utf-8")
    os.symlink(secret, subs / "s007.yaml")
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "answers.yaml").write_text(f"# {SECRET}\nanswers:\n  z(O1): '1'\n", encoding="utf-8")
    os.symlink(elsewhere, subs / "s008")
    (subs / "s009.yaml").write_text("student: s010\nanswers:\n  z(O1): '1'\n", encoding="utf-8")
    (subs / "s010.yaml").write_text(f"answers:\n  z(O1): '{z['s010']}'\n", encoding="utf-8")
    (subs / "upload_9.yaml").write_bytes("student: s011\n".encode("utf-16"))  # unreadable, and nobody's by name
    result = run_mark(out, subs, "--csv", base / "marks.csv")
    text = (base / "marks.csv").read_text(encoding="utf-8")
    rows = {r["id"]: r for r in csv.DictReader(text.splitlines())}
    return base, result, rows


@pytest.mark.slow
def test_bad_files_do_not_stop_the_class(hostile_class):
    _, result, rows = hostile_class
    assert result.exit_code == 1, result.stderr  # files not marked: 1, as documented; never 2
    assert "Traceback" not in result.stderr
    assert isinstance(result.exception, SystemExit)  # the command's own exit, not a crash
    assert list(rows) == IDS


@pytest.mark.slow
def test_the_crashing_answers_are_marked_in_the_students_row(hostile_class):
    _, _, rows = hostile_class
    s001 = rows["s001"]
    assert s001["status"] == "marked"
    assert [s001[q] for q in ("z(O1)", "O1", "z(O2)", "O2", "L")] == ["✓", "✗", "✗", "✗", "✗"]
    assert rows["s010"]["status"] == "marked" and rows["s010"]["z(O1)"] == "✓"
    assert rows["s011"]["status"] == "not handed in"


@pytest.mark.slow
@pytest.mark.parametrize(
    "ident, words",
    [
        ("s003", "s003.yaml:1:1: not UTF-8 text: the file is UTF-16 text"),
        ("s004", "s004.yaml:1:3: not UTF-8 text: byte 0xe9"),
        ("s005", "not UTF-8 text: the file contains NUL bytes"),
        ("s006", "larger than 1000 kB"),
        ("s007", "s007.yaml: a symbolic link, not followed"),
        ("s008", "s008: a symbolic link, not followed"),
    ],
)
def test_an_unreadable_file_is_reported_in_its_row(hostile_class, ident, words):
    _, result, rows = hostile_class
    assert rows[ident]["status"] == "unreadable"
    assert words in rows[ident]["note"]
    assert f"derive: error: {ident}: " in result.stderr


@pytest.mark.slow
def test_an_unreadable_file_named_for_nobody_is_a_class_problem(hostile_class):
    base, result, rows = hostile_class
    assert "upload_9.yaml:1:1: not UTF-8 text" in result.stderr and "matches no student" in result.stderr
    assert "upload\\_9.yaml" in (base / "marks.md").read_text(encoding="utf-8")  # Markdown escapes _
    assert rows["s011"]["status"] == "not handed in"


@pytest.mark.slow
def test_a_linked_file_is_never_echoed(hostile_class):
    base, result, _ = hostile_class
    for text in (result.stdout, result.stderr, (base / "marks.csv").read_text(encoding="utf-8"),
                 (base / "marks.md").read_text(encoding="utf-8")):
        assert SECRET not in text


@pytest.mark.slow
def test_a_second_file_claiming_a_student_is_a_conflict_not_a_replacement(hostile_class):
    _, _, rows = hostile_class
    s002 = rows["s002"]
    assert s002["status"] == "unreadable"
    assert "2 answers files for s002" in s002["note"]
    assert "0_first.yaml" in s002["note"] and "s002.yaml" in s002["note"]
    assert s002["z(O1)"] == ""  # neither file's answer is taken


@pytest.mark.slow
def test_a_file_named_for_one_student_cannot_answer_for_another(hostile_class):
    _, _, rows = hostile_class
    assert rows["s009"]["status"] == "unreadable"
    assert "named for s009 but says `student: s010`" in rows["s009"]["note"]
    assert rows["s010"]["status"] == "marked" and rows["s010"]["file"].endswith("s010.yaml")


@pytest.mark.slow
def test_a_class_whose_only_trouble_is_the_crashing_answers_exits_as_for_wrong_answers(tmp_path):
    out, subs = tmp_path / "class", tmp_path / "handed_in"
    made = run_exercise(HOMEWORK, "--students", roster(tmp_path, ["s001", "s002"]), "-o", out, "--formats", "md",
                        "--jobs", 1)
    assert made.exit_code == 0, made.stderr
    subs.mkdir()
    z2 = mpmath.nstr(lecture_numbers(out / "sheets" / "s002" / "network.yaml")["z(O1)"], 12)
    many = "0." + "7" * 40
    (subs / "s001.yaml").write_text(f"answers:\n  O1: '1e-30'\n  L: 'exp(36)'\n  z(O1): '{many}'\n", encoding="utf-8")
    (subs / "s002.yaml").write_text(f"answers:\n  z(O1): '{z2}'\n", encoding="utf-8")
    result = run_mark(out, subs, "--csv", tmp_path / "marks.csv")
    assert result.exit_code == 0, result.stderr  # wrong answers are marks, not errors
    rows = {r["id"]: r for r in csv.DictReader((tmp_path / "marks.csv").read_text(encoding="utf-8").splitlines())}
    assert [rows["s001"][q] for q in ("z(O1)", "O1", "L")] == ["✗", "✗", "✗"]
    assert rows["s002"]["z(O1)"] == "✓"
