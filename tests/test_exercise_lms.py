"""`derive exercise --lms moodle --lms qti`: a class of five as a Moodle XML question bank and a QTI 1.2
package. Both are parsed here and every question's answer and tolerance are checked against each
student's numbers worked out independently (mpmath, by the textbook formulas, from their
network.yaml: tests/exercise_helpers.lecture_numbers), and against what Moodle does with a numerical
question: a response is right when |response − answer| ≤ tolerance."""
import zipfile
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from xml.etree import ElementTree as ET

import mpmath
import pytest

from tests.exercise_helpers import HOMEWORK, QUESTIONS, lecture_numbers, roster, run_exercise

IDS = ["ann", "bob", "col", "dan", "eva"]
NUMBERS = [q for q in QUESTIONS if not q.startswith("chain")]  # the 8 numbers asked (the chain is a formula)


@pytest.fixture(scope="module")
def lms(tmp_path_factory):
    base = tmp_path_factory.mktemp("lms")
    out = base / "class"
    r = run_exercise(HOMEWORK, "--students", roster(base, IDS), "-o", out, "--formats", "md", "--jobs", 1,
                     "--lms", "moodle", "--lms", "qti")
    assert r.exit_code == 0, r.stderr
    true = {i: lecture_numbers(out / "sheets" / i / "network.yaml") for i in IDS}
    return out, true


def to_digits(x, digits: int, rounding) -> Decimal:
    """x cut to `digits` significant digits, by rounding or by truncation, as a student writes it."""
    d = Decimal(mpmath.nstr(x, 40))
    return d.quantize(Decimal(1).scaleb(d.adjusted() - digits + 1), rounding=rounding)


def accepted(response: Decimal, answer: Decimal, tol: Decimal) -> bool:
    return abs(response - answer) <= tol


def test_the_moodle_bank_has_a_category_and_a_numerical_question_per_number_for_each_student(lms):
    out, _ = lms
    quiz = ET.parse(out / "lms" / "moodle.xml").getroot()
    assert quiz.tag == "quiz"
    questions = list(quiz)
    categories = [q.find("category/text").text for q in questions if q.get("type") == "category"]
    assert [c.rsplit("/", 1)[1] for c in categories] == IDS and all(c.startswith("$course$/") for c in categories)
    numerical = [q for q in questions if q.get("type") == "numerical"]
    assert len(numerical) == len(IDS) * len(NUMBERS)
    ids = [q.find("idnumber").text for q in numerical]
    assert len(set(ids)) == len(ids)
    for q in numerical:
        assert q.find("defaultgrade").text == "1"
        assert len(q.findall("answer")) == 1 and q.find("answer").get("fraction") == "100"
        assert "Give at least 4 significant digits" in q.find("questiontext/text").text


def test_every_moodle_answer_is_the_key_within_the_policy_s_tolerance(lms):
    out, true = lms
    quiz = ET.parse(out / "lms" / "moodle.xml").getroot()
    numerical = [q for q in quiz if q.get("type") == "numerical"]
    for q in numerical:
        student, label = q.find("name/text").text.split(" ", 1)
        label = label.split(". ", 1)[1]
        exact = true[student][label]
        answer = Decimal(q.find("answer/text").text)
        tol = Decimal(q.find("answer/tolerance").text)
        # the answer is the true value (to 19+ digits), and the tolerance at most a unit in the 4th digit
        assert abs(answer - Decimal(mpmath.nstr(exact, 40))) <= Decimal("1e-18") * max(1, abs(answer)), (student, label)
        assert tol <= Decimal(1).scaleb(answer.adjusted() - 3)
        # rounding and truncation to the 4 asked digits are accepted, as derive check accepts them
        for rounding in (ROUND_HALF_UP, ROUND_DOWN):
            assert accepted(to_digits(exact, 4, rounding), answer, tol), (student, label, rounding)
        # one significant digit never is (unless the value has one digit exactly)
        one = to_digits(exact, 1, ROUND_HALF_UP)
        assert not accepted(one, answer, tol) or one == answer, (student, label)


def test_the_qti_package_lists_each_student_s_assessment_with_the_same_answers(lms):
    out, true = lms
    with zipfile.ZipFile(out / "lms" / "qti.zip") as z:
        names = set(z.namelist())
        manifest = ET.fromstring(z.read("imsmanifest.xml"))
        ns = {"m": "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"}
        resources = manifest.findall("m:resources/m:resource", ns)
        assert [r.get("type") for r in resources] == ["imsqti_xmlv1p2"] * len(IDS)
        for r, student in zip(resources, IDS, strict=True):
            assert r.get("href") in names and r.find("m:file", ns).get("href") == r.get("href")
            root = ET.fromstring(z.read(r.get("href")))
            assert root.tag == "questestinterop"
            items = root.findall("assessment/section/item")
            assert len(items) == len(NUMBERS)
            for item, label in zip(items, NUMBERS, strict=True):
                fields = {f.findtext("fieldlabel"): f.findtext("fieldentry")
                          for f in item.findall("itemmetadata/qtimetadata/qtimetadatafield")}
                assert fields == {"question_type": "numerical_question", "points_possible": "1"}
                low = Decimal(item.findtext(".//vargte"))
                high = Decimal(item.findtext(".//varlte"))
                exact = Decimal(mpmath.nstr(true[student][label], 40))
                assert low <= exact <= high, (student, label)
                assert high - low <= 2 * Decimal(1).scaleb(exact.adjusted() - 3)


def test_the_lms_files_are_the_lecturer_s_not_in_sheets(lms):
    out, _ = lms
    assert not [p for p in (out / "sheets").rglob("*") if p.suffix in (".xml", ".zip")]
    assert (out / "lms" / "moodle.xml").is_file() and (out / "lms" / "qti.zip").is_file()


def test_the_same_class_gives_the_same_lms_bytes(lms, tmp_path):
    out, _ = lms
    again = tmp_path / "again"
    r = run_exercise(HOMEWORK, "--students", roster(tmp_path, IDS), "-o", again, "--formats", "md", "--jobs", 2,
                     "--lms", "moodle", "--lms", "qti")
    assert r.exit_code == 0, r.stderr
    for name in ("moodle.xml", "qti.zip"):
        assert (again / "lms" / name).read_bytes() == (out / "lms" / name).read_bytes(), name
