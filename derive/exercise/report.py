"""A class's marks as a person reads them (Markdown, and that Markdown laid out for a terminal by
derive.render.text_writer) and as a spreadsheet reads them (CSV: one row per student, one column per
question)."""

from __future__ import annotations

import csv
import io
from fractions import Fraction
from typing import Any

from derive.check.numeric import CARRIED, RIGHT, TOO_FEW, TRUNCATED, WRONG
from derive.check.report import SHORT, as_format, environment
from derive.exercise.generate import cell, fraction_text
from derive.exercise.marking import ClassMarks, Result

NOT_ANSWERED_MARK = "·"
STATUSES = (RIGHT, TRUNCATED, CARRIED, TOO_FEW, WRONG)


def points(x: Fraction) -> str:
    """Points as a gradebook takes them: 2, 0.5, or 0.333 for a third (three decimals at most)."""
    text = fraction_text(x)
    return text if "/" not in text else f"{float(x):.3f}"


def short(status: str | None) -> str:
    return NOT_ANSWERED_MARK if status is None else SHORT[status]


def table_data(cm: ClassMarks) -> dict:
    """Rows per student and per question."""
    students: list[dict[str, Any]] = [
        {
            "id": r.student.id,
            "name": r.student.name,
            "status": r.status,
            "message": r.message,
            "right": r.count(True),
            "wrong": r.count(False),
            "marks": [short(r.verdicts[q].status) if q in r.verdicts else NOT_ANSWERED_MARK for q in cm.questions],
            "points": [points(r.verdicts[q].points) if q in r.verdicts else "0" for q in cm.questions],
            "score": points(r.score),
        }
        for r in cm.results
    ]
    questions = []
    for q in cm.questions:
        got = [r.verdicts[q].status for r in cm.results if q in r.verdicts]
        questions.append(
            {
                "question": q,
                **{s: got.count(s) for s in STATUSES},
                "too_few": got.count(TOO_FEW),
                "missing": len(cm.results) - sum(1 for g in got if g is not None),
                "points": points(cm.points.get(q, Fraction(1))),
            }
        )
    return {
        "title": cm.title,
        "total": points(cm.total),
        "asked": cm.questions,
        "students": students,
        "questions": questions,
        "problems": cm.problems,
    }


def render(cm: ClassMarks, fmt: str) -> str:
    """The class's marks as `text` (terminal) or `md`."""
    return as_format(environment().get_template("exercise/marks.md.j2").render(t=table_data(cm)), fmt)


def marks_csv(cm: ClassMarks) -> str:
    """One row per student of the class: one column of marks per question (✓ right, ✓t truncated, ✓c
    carried forward, ✗d too few digits, ✗ wrong, empty when not answered), then one of points per
    question (`points <question> (of N)`), the total, and the counts."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    point_heads = [f"points {q} (of {points(cm.points.get(q, Fraction(1)))})" for q in cm.questions]
    w.writerow(
        [
            "id",
            "name",
            "file",
            "status",
            *cm.questions,
            *point_heads,
            f"total (of {points(cm.total)})",
            "right",
            "wrong",
            "not answered",
            "questions",
            "note",
        ]
    )
    for r in cm.results:
        marks = [SHORT[status] if q in r.verdicts and (status := r.verdicts[q].status) else "" for q in cm.questions]
        earned = [points(r.verdicts[q].points) if q in r.verdicts else "0" for q in cm.questions]
        right, wrong = r.count(True), r.count(False)
        w.writerow(
            [
                r.student.id,
                cell(r.student.name),
                cell(r.file or ""),
                r.status,
                *marks,
                *earned,
                points(r.score),
                right,
                wrong,
                len(cm.questions) - right - wrong,
                len(cm.questions),
                cell(_first_line(r)),
            ]
        )
    return out.getvalue()


def _first_line(r: Result) -> str:
    """Why a file was not marked, on one line (a spreadsheet cell)."""
    text = " ".join(r.message.split())
    return text if len(text) <= 300 else text[:299] + "…"
