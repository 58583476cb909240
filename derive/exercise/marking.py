"""Marking a class: each handed-in answers file against that student's own network, by derive check
(so with its follow-through credit), then one verdict per question of the exercise."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import yaml

from derive.check.answers import AnswerFile, parse_key, read_answers
from derive.check.mark import Report, mark
from derive.check.names import Names, Quantity
from derive.check.numeric import ORDER, TOO_FEW, WRONG, Policy, credited
from derive.check.structure import is_chain
from derive.errors import DeriveError, SpecError, clean
from derive.exercise.generate import KEYS, MANIFEST, manifest_problem, question_policy
from derive.exercise.roster import Student
from derive.spec.loader import load
from derive.spec.source import MAX_BYTES, compose, read_text

NOT_ANSWERED = None
MARKED, BLANK, MISSING, UNREADABLE = "marked", "blank", "not handed in", "unreadable"


@dataclass
class Verdict:
    status: str | None  # right | truncated | carried | too few digits | wrong, or None: not answered
    note: str = ""
    points: Fraction = Fraction(0)  # earned


@dataclass
class Result:
    """One student of the class: how their file fared and the verdict on each question (by label)."""

    student: Student
    file: str | None
    status: str
    message: str = ""
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    report: Report | None = None

    def count(self, right: bool) -> int:
        return sum(1 for v in self.verdicts.values() if v.status is not None and credited(v.status) == right)

    @property
    def score(self) -> Fraction:
        return sum((v.points for v in self.verdicts.values()), Fraction(0))


@dataclass
class ClassMarks:
    title: str
    questions: list[str]
    results: list[Result]
    problems: list[str]  # files that belong to nobody in the class, or a second file for one student
    points: dict[str, Fraction] = field(default_factory=dict)  # each question's points, by label

    @property
    def total(self) -> Fraction:
        return sum(self.points.values(), Fraction(0))


@dataclass(frozen=True)
class Asked:
    label: str
    quantity: Quantity
    chain: bool
    policy: Policy
    points: Fraction


def key_folder(out_dir: str, student: str) -> Path:
    """A student's key folder: keys/<id>/ (a class written before sheets and keys were separate
    trees has one folder per student, <id>/)."""
    folder = Path(out_dir) / KEYS / student
    return folder if folder.is_dir() or not (Path(out_dir) / student).is_dir() else Path(out_dir) / student


def read_manifest(out_dir: str) -> dict:
    path = Path(out_dir) / MANIFEST
    if not path.is_file():
        raise DeriveError(f"{out_dir}: no {MANIFEST} here; give the folder `derive exercise` wrote (-o)")
    try:
        manifest = json.loads(read_text(str(path)))
    except (ValueError, KeyError, RecursionError) as exc:
        raise DeriveError(f"{path}: not the manifest derive exercise writes ({exc})") from None
    if (problem := manifest_problem(manifest)) is not None:
        raise DeriveError(f"{path}: not the manifest derive exercise writes ({problem}); run `derive exercise` again")
    return manifest


def find_submissions(folder: str) -> list[Path]:
    """`<id>.yaml` files and `<id>/answers.yaml` folders, in name order. Symbolic links are listed
    too (never followed: marking refuses them, so a link cannot bring another file's text in)."""
    root = Path(folder)
    if not root.is_dir():
        raise DeriveError(f"{folder}: no such folder of answers files")
    found = []
    for p in root.iterdir():
        if p.is_symlink():
            found += [p] if p.suffix in (".yaml", ".yml") or p.is_dir() else []
        elif p.is_dir():
            found += [
                p / name for name in ("answers.yaml", "answers.yml") if (p / name).is_symlink() or (p / name).exists()
            ]
        elif p.suffix in (".yaml", ".yml"):
            found.append(p)
    if not found:
        raise DeriveError(f"{folder}: holds no answers files (<id>.yaml, or <id>/answers.yaml)")
    return sorted(found)


def named_for(path: Path) -> str:
    """The student a file's name says: `s001.yaml`, or `s001/answers.yaml` (a link to a folder: `s001`)."""
    return path.parent.name if path.name in ("answers.yaml", "answers.yml") else path.stem


def read_submission(path: Path) -> str:
    """The text of a handed-in file, or a DeriveError that says in a few words why it cannot be marked."""
    for p in (path, path.parent) if path.name in ("answers.yaml", "answers.yml") else (path,):
        if p.is_symlink():
            raise DeriveError(f"{p}: a symbolic link, not followed: hand in the file itself")
    with contextlib.suppress(OSError):  # read_text says why a file cannot be looked at
        if path.stat().st_size > MAX_BYTES:
            raise DeriveError(f"{path}: larger than {MAX_BYTES // 1000} kB: an answers file is a few lines")
    try:
        return read_text(str(path))
    except SpecError as exc:  # read_text's only SpecError: bytes that are not UTF-8 text
        first = exc.problems[0]
        raise DeriveError(
            f"{path}:{first.line}:{first.column}: not UTF-8 text: {first.message}; save the answers as UTF-8 text"
        ) from None


def student_of(path: Path, text: str) -> str:
    """The student a file belongs to: its `student:` when it has one, else the file (or folder) name."""
    fallback = path.parent.name if path.stem == "answers" else path.stem
    try:
        root = compose(text, str(path))
    except DeriveError:
        return fallback  # marking reports the syntax error itself
    if isinstance(root, yaml.MappingNode):
        for k, v in root.value:
            if isinstance(k, yaml.ScalarNode) and k.value == "student" and isinstance(v, yaml.ScalarNode) and v.value:
                return v.value.strip()
    return fallback


def drop_blank_answers(text: str, name: str) -> tuple[str, int]:
    """The text with every answer left empty blanked out (with spaces, so the lines and columns of the
    rest stay put for messages), and how many answers are left; derive check refuses empty answers."""
    root = compose(text, name)
    answers = None
    if isinstance(root, yaml.MappingNode):
        answers = next((v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "answers"), None)
    if not isinstance(answers, yaml.MappingNode):
        return text, -1  # not the expected shape: derive check's reader says what is wrong
    chars, left = list(text), 0
    for k, v in answers.value:
        if not (isinstance(v, yaml.ScalarNode) and not v.value.strip()):
            left += 1
            continue
        end = max(v.end_mark.index, text.find(":", k.end_mark.index) + 1)
        while end < len(text) and text[end] in " \t":
            end += 1
        end += 1 if end < len(text) and text[end] == "," else 0  # in a flow mapping {a: , b: 1}
        for i in range(k.start_mark.index, end):
            chars[i] = chars[i] if chars[i] == "\n" else " "
    return "".join(chars), left


def mark_class(out_dir: str, submissions: str) -> ClassMarks:
    """Every student of the class (in roster order), marked against their own network. A file that
    cannot be read, whose name and `student:` name two students, or that is one of two files for one
    student is reported in that student's row; only a file that belongs to nobody is a class problem."""
    manifest = read_manifest(out_dir)
    students = [Student(s["id"], s["name"]) for s in manifest["students"]]
    by_id = {s.id: s for s in students}
    handed: dict[str, list[Path]] = {}
    texts: dict[Path, str] = {}
    refused: dict[Path, str] = {}  # why a file is not marked, for its student's row
    problems: list[str] = []
    for path in find_submissions(submissions):
        named = named_for(path)
        try:
            texts[path] = read_submission(path)
        except DeriveError as exc:
            if named in by_id:
                handed.setdefault(named, []).append(path)
                refused[path] = str(exc)
            else:
                problems.append(f"{clean(str(exc), False)}; its name matches no student of the class; not marked")
            continue
        ident = student_of(path, texts[path])
        if ident != named and named in by_id:
            handed.setdefault(named, []).append(path)
            refused[path] = (
                f"{path} is named for {named} but says `student: {clean(ident[:40])}`; not marked "
                "(rename the file or correct its student: line)"
            )
        elif ident not in by_id:
            where = clean(str(path), False)  # a file name is the student's text too
            problems.append(f"{where}: student `{clean(ident[:40])}` is not in the class of {out_dir}; not marked")
        else:
            handed.setdefault(ident, []).append(path)
    results = []
    for s in students:
        paths = handed.get(s.id, [])
        if not paths:
            results.append(Result(s, None, MISSING))
        elif len(paths) > 1:
            shown = ", ".join(str(p) for p in paths)
            results.append(
                Result(
                    s, shown, UNREADABLE, f"{len(paths)} answers files for {s.id} ({shown}); none is marked: keep one"
                )
            )
        elif paths[0] in refused:
            results.append(Result(s, str(paths[0]), UNREADABLE, refused[paths[0]]))
        else:
            results.append(mark_student(out_dir, manifest, s, paths[0], texts[paths[0]]))
    points = {q["label"]: question_policy(q)[1] for q in manifest["questions"]}
    return ClassMarks(manifest["title"], list(points), results, problems, points)


def mark_student(out_dir: str, manifest: dict, student: Student, path: Path, text: str) -> Result:
    """One student's file against their own network.yaml; a file derive check cannot read is reported."""
    try:
        own = str(key_folder(out_dir, student.id) / "network.yaml")
        net = load(read_text(own), own)
        names = Names(net)
        asked = [_asked(q, net, names) for q in manifest["questions"]]
        kept, left = drop_blank_answers(text, str(path))
        if left == 0:
            return Result(student, str(path), BLANK, "nothing answered", {a.label: Verdict(None) for a in asked})
        # what check_answers does, keeping the parsed answers to split `structure = value` lines
        af = read_answers(str(path), net, names, text=kept)
        policies = {a.quantity: a.policy for a in asked if not a.chain}
        report = mark(net, af, policies=policies)
    except DeriveError as exc:
        return Result(student, str(path), UNREADABLE, str(exc))
    credit = {k: Fraction(v) for k, v in manifest.get("credit", {}).items()}
    return Result(student, str(path), MARKED, "", verdicts(asked, af, report, names, credit), report)


def _asked(q: dict, net, names: Names) -> Asked:
    quantity, problem = parse_key(q["key"], net, names)
    if quantity is None:  # then `problem` says why
        raise DeriveError(f"the exercise's question {q['label']} does not fit this network: {problem}")
    policy, points = question_policy(q)
    return Asked(q["label"], quantity, q["label"].startswith("chain "), policy, points)


def verdicts(
    asked: list[Asked], af: AnswerFile, report: Report, names: Names, credit: dict[str, Fraction] | None = None
) -> dict[str, Verdict]:
    """The verdict on each question, with its points. derive check judges every side of `structure =
    value`; a chain question takes the structure's verdict, a value question the last number's. A
    value right to its digits but with too few earns the `too_few_digits` share of the points, a wrong
    value whose structure or formula on the same line is right the `structure_only` share."""
    credit = credit or {}
    lines = {a.quantity: (a, line) for a, line in zip(af.answers, report.lines, strict=True)}
    found = {}
    for q in asked:
        if q.quantity not in lines:
            found[q.label] = Verdict(NOT_ANSWERED)
            continue
        answer, line = lines[q.quantity]
        if answer.problem:  # an answer that cannot be read is that question's ✗, never the file's
            found[q.label] = Verdict(WRONG, line.parts[0].note)
            continue
        parts = answer.parts[len(answer.parts) - len(line.parts) :]  # derive check drops a restated `dL/dw =`
        judged = list(zip(parts, line.parts, strict=True))
        if q.chain:
            picks = [j for p, j in judged if is_chain(names, q.quantity, p.expr)]
            missing = "no chain-rule structure given"
        else:
            picks = [j for p, j in judged if p.number is not None or not p.expr.free_symbols][-1:]
            missing = "a number was asked for"
        others = [j for p, j in judged if not (p.number is not None or not p.expr.free_symbols)]
        structure_right = not q.chain and any(credited(j.status) for j in others)
        if not picks:
            share = credit.get("structure_only", Fraction(0)) if structure_right else Fraction(0)
            found[q.label] = Verdict(WRONG, missing, q.points * share)
            continue
        worst = max(picks, key=lambda j: ORDER[j.status])
        if credited(worst.status):
            share = Fraction(1)
        elif worst.status == TOO_FEW:
            share = credit.get("too_few_digits", Fraction(0))
        else:
            share = credit.get("structure_only", Fraction(0)) if structure_right else Fraction(0)
        note = worst.note or "; ".join(worst.causes)
        if structure_right and not credited(worst.status):
            note = "the structure on this line is right; " + note if note else "the structure on this line is right"
        found[q.label] = Verdict(worst.status, note, q.points * share)
    return found
