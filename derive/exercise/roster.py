"""The class: a roster CSV (`id,name`, header required) or `--count N` (ids s001 … sN). An id names the
student's folder, so it is checked to be a safe folder name; every problem is reported at once."""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass

from derive.errors import Problem, SpecError
from derive.spec.source import read_text

ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")  # no dot: never `..`, never a class-level file name
MAX_STUDENTS = 10_000
MAX_NAME = 200


@dataclass(frozen=True)
class Student:
    id: str
    name: str


def counted(count: int) -> list[Student]:
    """Students s001 … sN (more digits when N needs them)."""
    if not 1 <= count <= MAX_STUDENTS:
        raise SpecError([Problem("--count", None, None, "", f"--count {count}: give 1 to {MAX_STUDENTS} students")])
    width = max(3, len(str(count)))
    return [Student(f"s{i:0{width}d}", f"Student {i}") for i in range(1, count + 1)]


def read_roster(path: str) -> list[Student]:
    """The students of a roster CSV, in file order."""
    rows = list(csv.reader(read_text(path).splitlines()))
    problems = []
    header = [h.strip().lower() for h in rows[0]] if rows else []
    if "id" not in header:
        hint = "the first line names the columns, e.g. `id,name`; ids are folder names such as s001 or jdoe"
        raise SpecError([Problem(path, 1, 1, "", "the roster has no `id` column in its header line", hint)])
    col_id, col_name = header.index("id"), header.index("name") if "name" in header else None
    students = []
    seen: dict[str, int] = {}  # lower-case id -> its line
    for line, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue  # blank lines are harmless
        student, problem = _student(path, line, row, col_id, col_name)
        if problem is None and student.id.lower() in seen:
            problem = Problem(
                path,
                line,
                1,
                "",
                f"the id `{student.id}` is already on line {seen[student.id.lower()]}",
                "ids must differ (ignoring case): each names a folder",
            )
        if problem is not None:
            problems.append(problem)
            continue
        seen[student.id.lower()] = line
        students.append(student)
    if not students and not problems:
        problems.append(Problem(path, 1, 1, "", "the roster lists no students", "add one `id,name` line per student"))
    if len(students) > MAX_STUDENTS:
        problems.append(Problem(path, 1, 1, "", f"{len(students)} students: at most {MAX_STUDENTS}", ""))
    if problems:
        raise SpecError(problems)
    return students


def _student(path: str, line: int, row: list[str], col_id: int, col_name: int | None):
    ident = row[col_id].strip() if col_id < len(row) else ""
    name = row[col_name].strip() if col_name is not None and col_name < len(row) else ""
    if not ID.fullmatch(ident):
        shown = ident[:30] or "(empty)"
        return None, Problem(
            path,
            line,
            1,
            "",
            f"the id `{shown}` is not a usable folder name",
            "an id is 1 to 64 ASCII letters, digits, _ or -, starting with a letter or digit",
        )
    if len(name) > MAX_NAME or any(unicodedata.category(ch) == "Cc" for ch in name):
        return None, Problem(
            path,
            line,
            1,
            "",
            f"the name of `{ident}` is too long or holds control characters",
            f"at most {MAX_NAME} printable characters",
        )
    return Student(ident, name or ident), None
