"""Reports a person reads: one line per answer, then what each wrong one should have been; and for a
class, tables per student and per question. The words are written once, in the Markdown templates
(templates/check/*.md.j2); the terminal's text is that Markdown laid out by
derive.render.text_writer. JSON and CSV are data."""

from __future__ import annotations

import csv
import io
import json
import re
from functools import partial
from pathlib import Path

import jinja2

from derive import templating
from derive.check.mark import Report
from derive.check.numeric import CARRIED, RIGHT, TOO_FEW, TRUNCATED, WRONG
from derive.escape import md_code, md_escape
from derive.render import text_writer, tree

MARKS = {RIGHT: "✓", TRUNCATED: "✓ truncated", CARRIED: "✓ carried forward", TOO_FEW: "✗ too few digits", WRONG: "✗"}
SHORT = {RIGHT: "✓", TRUNCATED: "✓t", CARRIED: "✓c", TOO_FEW: "✗d", WRONG: "✗"}
STATUSES = (RIGHT, TRUNCATED, CARRIED, TOO_FEW, WRONG)
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def environment() -> jinja2.Environment:
    return templating.environment(
        "md", filters={"md": md_escape, "code": partial(md_code, in_table=True), "clip": _clip}
    )


def as_format(markdown: str, fmt: str) -> str:
    """A report's Markdown as `md` (itself) or `text` (laid out for a terminal)."""
    return text_writer.write(tree.parse(markdown)) if fmt == "text" else markdown


def data(r: Report) -> dict:
    """Everything a report says, as plain data (the JSON output and what templates read)."""
    answers = []
    for x in r.lines:
        notes = ["read: " + ", ".join(x.read_as)] if x.read_as else []
        notes += [p.note for p in x.parts if p.note]
        if x.carried_into:
            notes.append("carried into " + ", ".join(x.carried_into))
        answers.append(
            {
                "key": x.key,
                "question": x.quantity.key,
                "answer": x.answer,
                "kind": x.kind,
                "status": x.status,
                "mark": MARKS[x.status],
                "true_value": x.value,
                "line": x.line,
                "note": "; ".join(notes),
                "carried_into": x.carried_into,
                "method": "; ".join(p.method for p in x.parts if p.method),
                "expected": next((p.expected for p in x.parts if p.expected), ""),
                "difference": next((p.difference for p in x.parts if p.difference), ""),
                "where": [w for p in x.parts for w in p.point],
                "causes": [c for p in x.parts for c in p.causes],
                "given": [g for p in x.parts for g in p.given],
                "worked": x.worked,
            }
        )
    counts = {s: r.count(s) for s in STATUSES}
    return {
        "student": r.student,
        "answers_file": r.source,
        "network": r.network,
        "data_point": r.point,
        "all_right": r.all_right,
        "counts": counts,
        "answered": len(r.lines),
        "unanswered": r.unanswered,
        "right": sum(1 for x in r.lines if x.right),
        "too_few": counts[TOO_FEW],
        "answers": answers,
    }


def render(reports: list[Report], fmt: str, summary: bool = False, failed: list[tuple[str, str]] | None = None) -> str:
    """The reports (and, with `summary`, the class tables) as text, Markdown or JSON. `failed`: the
    files that could not be read as answers files at all, (path, why): each is a row of the summary,
    so no student given is left out of it."""
    failed = failed or []
    items = [data(r) for r in reports]
    table = summary_data(reports, failed) if summary or len(reports) + len(failed) > 1 else None
    if fmt == "json":
        body = items[0] if len(items) == 1 and table is None else {"reports": items, "summary": table}
        return json.dumps(body, indent=2, ensure_ascii=False) + "\n"
    env = environment()
    parts = [] if summary else [env.get_template("check/report.md.j2").render(r=item) for item in items]
    if table is not None:
        parts.append(env.get_template("check/summary.md.j2").render(t=table))
    return as_format("\n".join(parts), fmt)


def summary_data(reports: list[Report], failed: list[tuple[str, str]] | None = None) -> dict:
    """Per student: counts of each verdict; per question: how the class did. A question is one column
    whatever name each student gave it (z1, z(O1) and z_{1} are z(O1)); an unreadable file is a row."""
    questions = list(dict.fromkeys(x.quantity for r in reports for x in r.lines))
    students = []
    for r in reports:
        by_key = {x.quantity: x.status for x in r.lines}
        students.append(
            {
                "student": r.student,
                "file": r.source,
                "problem": "",
                "answered": len(r.lines),
                "right": sum(1 for x in r.lines if x.right),
                "wrong": r.count(WRONG) + r.count(TOO_FEW),
                "too_few": r.count(TOO_FEW),
                "carried": r.count(CARRIED),
                "truncated": r.count(TRUNCATED),
                "marks": [SHORT[by_key[k]] if k in by_key else "·" for k in questions],
            }
        )
    for path, why in failed or []:
        students.append(
            {
                "student": Path(path).stem,
                "file": path,
                "problem": "unreadable: " + " ".join(why.split()),
                "answered": 0,
                "right": 0,
                "wrong": 0,
                "too_few": 0,
                "carried": 0,
                "truncated": 0,
                "marks": ["·" for _ in questions],
            }
        )
    per_question = []
    for k in questions:
        got = [x.status for r in reports for x in r.lines if x.quantity == k]
        per_question.append(
            {
                "question": k.key,
                "answered": len(got),
                "missing": len(students) - len(got),
                "too_few": got.count(TOO_FEW),
                **{s: got.count(s) for s in STATUSES},
            }
        )
    return {"students": students, "questions": per_question, "asked": [k.key for k in questions]}


def to_csv(reports: list[Report], failed: list[tuple[str, str]] | None = None) -> str:
    """One row per student and answer: the marks a spreadsheet needs (the question by its one name,
    z(O1) for z1); a file that could not be read is one row with the verdict `unreadable`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "file", "question", "answer", "verdict", "expected", "note"])
    for path, why in failed or []:
        writer.writerow([_cell(Path(path).stem), _cell(path), "", "", "unreadable", "", _cell(" ".join(why.split()))])
    for r in reports:
        for a in data(r)["answers"]:
            writer.writerow(
                [
                    _cell(r.student),
                    _cell(r.source),
                    _cell(a["question"]),
                    _cell(a["answer"]),
                    a["status"],
                    _cell(a["expected"]),
                    _cell(a["note"] or "; ".join(a["causes"])),
                ]
            )
    return out.getvalue()


def _cell(text: str) -> str:
    """A cell a spreadsheet shows as text: a leading = + - @ would make it a formula (numbers stay)."""
    text = str(text)
    if text[:1] in ("=", "+", "-", "@") and not _NUMBER.fullmatch(text):
        return "'" + text
    return text
