"""Generating a class: every student's folder (sheet, blank answers, key), spread over processes, then
the instructor's summary. A student's files depend only on the exercise, the seed and their id, so
the result is the same whatever the number of processes or the order they finish in."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from derive.errors import DeriveError
from derive.exercise.draw import Draw, draw_student
from derive.exercise.keys import key_files
from derive.exercise.roster import Student
from derive.exercise.sheets import DIAGRAM, blank_answers, context, decimal, sheet_markdown, sheet_svg, sheet_tex
from derive.exercise.spec import Exercise
from derive.output import write
from derive.render.notes import markdown_environment
from derive.render.tex import compile_pdf

FORMATS = ("md", "html", "tex", "pdf")  # md (with key.json and answers.yaml) is always written
MANIFEST = "exercise.json"  # what `derive exercise-mark` reads: the questions and the students
MAX_ERRORS = 20


@dataclass(frozen=True)
class Job:
    """What every student's folder is made from; sent once to each worker process."""

    ex: Exercise
    seed: int
    formats: frozenset
    out: str


def student_files(job: Job, student: Student) -> tuple[dict[str, str | bytes], Draw]:
    """Each file of a student's folder by its path in the folder, and their draw."""
    d = draw_student(job.ex, job.seed, student.id)
    ctx = context(job.ex, student, d)
    sheet = sheet_markdown(ctx)
    files: dict[str, str | bytes] = {
        "network.yaml": d.text,
        "sheet.md": sheet,
        DIAGRAM: sheet_svg(d.network),
        "answers.yaml": blank_answers(job.ex, student),
    }
    if job.formats & {"tex", "pdf"}:
        tex = sheet_tex(sheet, job.ex.title, d.network)
        if "tex" in job.formats:
            files["sheet.tex"] = tex
        if "pdf" in job.formats:
            files["sheet.pdf"] = compile_pdf(tex)
    files.update(key_files(job.ex, student, d, set(job.formats)))
    return files, d


def build_student(job: Job, student: Student) -> dict:
    """Write one student's folder; their row of the instructor's summary."""
    files, d = student_files(job, student)
    folder = Path(job.out) / student.id
    for name, content in files.items():
        write(content, str(folder / name))
    return {
        "id": student.id,
        "name": student.name,
        "tries": d.tries,
        "drawn": {k: decimal(v) for k, v in d.drawn.items()},
        "answers": d.answers,
    }


def _attempt(job: Job, student: Student) -> tuple[str, dict | str]:
    """("ok", row), or ("error", message): a worker returns a user's error rather than raising it, so
    it reaches the parent as plain text (SpecError does not survive pickling)."""
    try:
        return "ok", build_student(job, student)
    except DeriveError as exc:
        return "error", str(exc)


_JOB: Job | None = None  # each worker process's job, set once by _init


def _init(job: Job) -> None:
    global _JOB
    _JOB = job


def _work(student: Student) -> tuple[str, dict | str]:
    if _JOB is None:
        raise RuntimeError("a worker runs only after _init has given it the job")
    return _attempt(_JOB, student)


def run(job: Job, students: list[Student], jobs: int, progress: Callable[[int], None] | None = None) -> list[dict]:
    """Every student's folder, with `jobs` processes; rows in roster order. The first error cancels
    the students not yet started, and every error so far is raised together."""
    results: dict[str, tuple] = {}
    tick = progress or (lambda n: None)
    if jobs <= 1 or len(students) <= 1:
        for s in students:
            results[s.id] = _attempt(job, s)
            tick(1)
            if results[s.id][0] == "error":
                break
    else:
        with ProcessPoolExecutor(max_workers=min(jobs, len(students)), initializer=_init, initargs=(job,)) as pool:
            futures = {pool.submit(_work, s): s for s in students}
            for done in as_completed(futures):
                if done.cancelled():
                    continue
                results[futures[done].id] = done.result()
                tick(1)
                if results[futures[done].id][0] == "error":
                    for f in futures:
                        f.cancel()
    errors = [r[1] for r in results.values() if r[0] == "error"]
    if errors:
        more = f"\n... and {len(errors) - MAX_ERRORS} more" if len(errors) > MAX_ERRORS else ""
        raise DeriveError("\n".join(errors[:MAX_ERRORS]) + more)
    return [results[s.id][1] for s in students]


def generate(
    ex: Exercise,
    students: list[Student],
    seed: int,
    out: str,
    formats: set[str],
    jobs: int,
    progress: Callable[[int], None] | None = None,
) -> list[dict]:
    """Every student's folder under `out`, then summary.md, summary.csv and exercise.json."""
    job = Job(ex, seed, frozenset(formats), out)
    rows = run(job, students, jobs, progress)
    write_class(job, rows)
    return rows


def write_class(job: Job, rows: list[dict]) -> None:
    ex, out = job.ex, Path(job.out)
    drawn = list(dict.fromkeys(k for r in rows for k in r["drawn"]))
    labels = [q.label for q in ex.questions]
    env = markdown_environment()
    summary = env.get_template("exercise/summary.md.j2").render(
        title=ex.title,
        source=ex.source,
        network=ex.network_file,
        seed=job.seed,
        rows=rows,
        drawn=drawn,
        questions=labels,
        formats=sorted(job.formats | {"md"}),
    )
    write(summary, str(out / "summary.md"))
    write(summary_csv(rows, drawn, labels), str(out / "summary.csv"))
    manifest = {
        "title": ex.title,
        "exercise": ex.source,
        "network": ex.network_file,
        "seed": job.seed,
        "questions": [{"label": q.label, "key": q.key} for q in ex.questions],
        "students": [{"id": r["id"], "name": r["name"]} for r in rows],
    }
    write(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", str(out / MANIFEST))


def summary_csv(rows: list[dict], drawn: list[str], labels: list[str]) -> str:
    """One row per student: the numbers drawn for them and the key's answers."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["id", "name", "draws", *drawn, *labels])
    for r in rows:
        w.writerow(
            [
                r["id"],
                cell(r["name"]),
                r["tries"],
                *(r["drawn"].get(k, "") for k in drawn),
                *(r["answers"][q] for q in labels),
            ]
        )
    return out.getvalue()


def cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text: a leading = + - @ would make user text a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
