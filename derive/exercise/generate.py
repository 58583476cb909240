"""Generating a class: every student's folder (sheet, blank answers, key), spread over processes, then
the instructor's summary. A student's files depend only on the exercise, the seed and their id, so
the result is the same whatever the number of processes or the order they finish in."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import multiprocessing
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from derive.check.numeric import Policy, policy_problem
from derive.errors import DeriveError
from derive.exercise.draw import Draw, draw_student
from derive.exercise.keys import key_files
from derive.exercise.lms import MOODLE_FILE, QTI_FILE, moodle_xml, qti_zip
from derive.exercise.roster import ID, Student
from derive.exercise.sheets import DIAGRAM, blank_answers, context, decimal, sheet_markdown, sheet_svg, sheet_tex
from derive.exercise.spec import DIGITS, Exercise
from derive.numbers import parse_number
from derive.output import write
from derive.render.html import render_html
from derive.render.notes import markdown_environment
from derive.render.tex import compile_pdf

MANIFEST = "exercise.json"  # what `derive exercise-mark` reads: the questions and the students
MAX_ERRORS = 20
PARTIAL_PREFIX = ".partial-"  # a student's folder while it is written (a student id never starts with a dot)
WORKER_GRACE = 3.0  # seconds a worker has to tidy up after SIGTERM before it is killed


@dataclass(frozen=True)
class Job:
    """What every student's folder is made from; sent once to each worker process."""

    ex: Exercise
    seed: int
    formats: frozenset
    out: str
    lms: frozenset = frozenset()  # moodle and/or qti: the class's questions for the course's LMS


LMS_DIR = "lms"  # the LMS files hold every answer: the lecturer's, like keys/
SHEETS, KEYS = "sheets", "keys"  # what students get, and what the lecturer keeps: two separate trees


def student_files(job: Job, student: Student) -> tuple[dict[str, str | bytes], dict[str, str | bytes], Draw]:
    """The files of a student's sheet folder (sheets/<id>/: what the student gets, nothing of the key)
    and of their key folder (keys/<id>/: the key, and the network it was worked from), each by its path
    in the folder; and their draw."""
    d = draw_student(job.ex, job.seed, student.id)
    ctx = context(job.ex, student, d)
    sheet = sheet_markdown(ctx)
    handed: dict[str, str | bytes] = {
        "network.yaml": d.text,
        "sheet.md": sheet,
        DIAGRAM: sheet_svg(d.network),
        "answers.yaml": blank_answers(job.ex, student),
    }
    if "html" in job.formats:  # one page, the diagram embedded: the sheet to hand out without TeX
        handed["sheet.html"] = render_html(sheet, job.ex.title, files={DIAGRAM: handed[DIAGRAM]})
    if job.formats & {"tex", "pdf"}:
        tex = sheet_tex(sheet, job.ex.title, d.network)
        if "tex" in job.formats:
            handed["sheet.tex"] = tex
        if "pdf" in job.formats:
            handed["sheet.pdf"] = compile_pdf(tex)
    kept: dict[str, str | bytes] = {"network.yaml": d.text, **key_files(job.ex, student, d, set(job.formats))}
    return handed, kept, d


def build_student(job: Job, student: Student) -> dict:
    """Write one student's sheet folder and key folder; their row of the instructor's summary. The
    files go into a hidden folder first, each half renamed into place when complete (the key first, and
    removed again if the sheet does not follow), so an interrupted run leaves no half-written student
    (folders from an earlier run are replaced whole)."""
    handed, kept, d = student_files(job, student)
    partial = Path(job.out) / f"{PARTIAL_PREFIX}{student.id}.{os.getpid()}"
    placed: list[Path] = []
    try:
        for tree, files in ((KEYS, kept), (SHEETS, handed)):
            for name, content in files.items():
                write(content, str(partial / tree / name))
        for tree in (KEYS, SHEETS):
            (Path(job.out) / tree).mkdir(parents=True, exist_ok=True)
            _into_place(partial / tree, Path(job.out) / tree / student.id)
            placed.append(Path(job.out) / tree / student.id)
    except BaseException:
        if len(placed) == 1:  # stopped between the two renames: no key without its sheet
            shutil.rmtree(placed[0], ignore_errors=True)
        raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return {
        "id": student.id,
        "name": student.name,
        "tries": d.tries,
        "drawn": {k: decimal(v) for k, v in d.drawn.items()},
        "answers": d.answers,
        "full": dict(d.full),  # each number asked at full precision (20 digits), for the LMS export
    }


def _into_place(partial: Path, folder: Path) -> None:
    """Rename the complete `partial` folder to `folder`; an old `folder` is moved aside, then removed."""
    old = None
    if folder.is_dir() and not folder.is_symlink():
        old = folder.with_name(f"{PARTIAL_PREFIX}{folder.name}.{os.getpid()}.old")
        os.replace(folder, old)
    try:
        os.replace(partial, folder)
    except OSError as exc:
        if old is not None:
            os.replace(old, folder)
        raise DeriveError(f"cannot write {folder}: {exc.strerror or exc}") from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def remove_partial(out: str) -> None:
    """Remove the hidden folders of students that were being written when a run was stopped (in the
    class folder, and an earlier run's folders set aside in sheets/ and keys/)."""
    for folder in (out, str(Path(out) / SHEETS), str(Path(out) / KEYS)):
        with contextlib.suppress(OSError):
            for entry in os.scandir(folder):
                if entry.name.startswith(PARTIAL_PREFIX) and entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)


class Interrupted(BaseException):
    """The run was stopped by a signal (SIGTERM or SIGINT): every worker has been ended and no
    half-written student folder is left. `done` students were complete."""

    def __init__(self, signum: int, done: int, total: int):
        super().__init__(signum, done, total)
        self.signum, self.done, self.total = signum, done, total


def _raise_terminated(signum, frame):
    raise KeyboardInterrupt(signum)


@contextlib.contextmanager
def _signals_interrupt():
    """SIGTERM raises in the main process as SIGINT does (KeyboardInterrupt), so a stopped run can end
    its workers and tidy up; the previous handler comes back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _attempt(job: Job, student: Student) -> tuple[str, dict | str]:
    """("ok", row), or ("error", message): a worker returns a user's error rather than raising it, so
    it reaches the parent as plain text (SpecError does not survive pickling)."""
    try:
        return "ok", build_student(job, student)
    except DeriveError as exc:
        return "error", str(exc)


_JOB: Job | None = None  # each worker process's job, set once by _init


def _init(job: Job) -> None:
    """A worker: SIGINT is the parent's to handle (a terminal sends it to the whole group); SIGTERM,
    which the parent sends to end it, unwinds the student being written, so their hidden folder and
    any LaTeX folder are removed before the worker exits."""
    global _JOB
    _JOB = job
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_worker)


def _exit_worker(signum, frame):
    raise SystemExit(128 + signum)


def _work(student: Student) -> tuple[str, dict | str]:
    if _JOB is None:
        raise RuntimeError("a worker runs only after _init has given it the job")
    try:
        return _attempt(_JOB, student)
    except SystemExit as exc:  # SIGTERM: the student's folder is tidied up; end here, not at the next task
        os._exit(exc.code if isinstance(exc.code, int) else 1)


def run(job: Job, students: list[Student], jobs: int, progress: Callable[[int], None] | None = None) -> list[dict]:
    """Every student's folder, with `jobs` processes; rows in roster order. The first error cancels
    the students not yet started, and every error so far is raised together."""
    results: dict[str, tuple] = {}
    tick = progress or (lambda n: None)
    try:
        with _signals_interrupt():
            if jobs <= 1 or len(students) <= 1:
                for s in students:
                    results[s.id] = _attempt(job, s)
                    tick(1)
                    if results[s.id][0] == "error":
                        break
            else:
                _in_pool(job, students, jobs, results, tick)
    except KeyboardInterrupt as exc:
        remove_partial(job.out)
        signum = exc.args[0] if exc.args and isinstance(exc.args[0], int) else signal.SIGINT
        done = sum(1 for r in results.values() if r[0] == "ok")
        raise Interrupted(signum, done, len(students)) from None
    errors = [r[1] for r in results.values() if r[0] == "error"]
    if errors:
        more = f"\n... and {len(errors) - MAX_ERRORS} more" if len(errors) > MAX_ERRORS else ""
        raise DeriveError("\n".join(errors[:MAX_ERRORS]) + more)
    return [results[s.id][1] for s in students]


def _in_pool(job: Job, students: list[Student], jobs: int, results: dict, tick) -> None:
    """The students spread over `jobs` processes. The first error cancels the students not yet
    started; a signal (KeyboardInterrupt here) cancels them and ends the running workers at once."""
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(students)), initializer=_init, initargs=(job,))
    try:
        futures = {pool.submit(_work, s): s for s in students}
        for done in as_completed(futures):
            if done.cancelled():
                continue
            results[futures[done].id] = done.result()
            tick(1)
            if results[futures[done].id][0] == "error":
                for f in futures:
                    f.cancel()
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        _end_workers()
        raise
    pool.shutdown(wait=True)


def _end_workers() -> None:
    """SIGTERM to every worker process of this process (they remove what they were writing), then
    SIGKILL to any still there after a few seconds."""
    workers = multiprocessing.active_children()
    for w in workers:
        w.terminate()
    deadline = time.monotonic() + WORKER_GRACE
    for w in workers:
        w.join(max(deadline - time.monotonic(), 0.01))
    for w in workers:
        if w.is_alive():
            w.kill()
            w.join(1)


def generate(
    ex: Exercise,
    students: list[Student],
    seed: int,
    out: str,
    formats: set[str],
    jobs: int,
    progress: Callable[[int], None] | None = None,
    lms: frozenset[str] = frozenset(),
) -> list[dict]:
    """Every student's folder under `out`, then summary.md, summary.csv and exercise.json (and the LMS
    files asked for in lms/)."""
    job = Job(ex, seed, frozenset(formats), out, frozenset(lms))
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
        "questions": [
            {
                "label": q.label,
                "key": q.key,
                "points": fraction_text(q.points),
                "digits": q.policy.digits,
                "rel_tol": None if q.policy.rel_tol is None else fraction_text(q.policy.rel_tol),
            }
            for q in ex.questions
        ],
        "credit": {k: fraction_text(v) for k, v in dataclasses.asdict(ex.credit).items()},
        "students": [{"id": r["id"], "name": r["name"]} for r in rows],
    }
    write(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", str(out / MANIFEST))
    if "moodle" in job.lms:
        write(moodle_xml(ex, rows), str(out / LMS_DIR / MOODLE_FILE))
    if "qti" in job.lms:
        write(qti_zip(ex, rows), str(out / LMS_DIR / QTI_FILE))


def fraction_text(x: Fraction) -> str:
    """An exact number for the manifest: a decimal when it has one (0.5, 2), else a ratio (1/3)."""
    return decimal(x) if x.denominator in (2**a * 5**b for a in range(8) for b in range(8)) else str(x)


def manifest_problem(manifest) -> str | None:
    """What is wrong with a manifest read back from disk (`derive exercise-mark`), or None when it has
    the shape write_class gives it: a title, questions with a label and a key, students with an id
    (a roster id, so it is a safe folder name) and a name."""

    def texts(item, keys: tuple[str, ...], where: str) -> str | None:
        if not isinstance(item, dict):
            return f"{where} is not an object"
        missing = [k for k in keys if not isinstance(item.get(k), str)]
        return f"{where} has no text `{missing[0]}`" if missing else None

    if not isinstance(manifest, dict):
        return "the file is not a JSON object"
    if not isinstance(manifest.get("title"), str):
        return "no text `title`"
    for part in ("questions", "students"):
        if not isinstance(manifest.get(part), list):
            return f"no list `{part}`"
    for i, q in enumerate(manifest["questions"]):
        if (problem := texts(q, ("label", "key"), f"questions[{i}]")) is not None:
            return problem
        if (problem := _marking_problem(q, f"questions[{i}]")) is not None:
            return problem
    credit = manifest.get("credit", {})
    if not isinstance(credit, dict) or any(
        _share(credit.get(k, "0")) is None for k in ("too_few_digits", "structure_only")
    ):
        return "`credit` is not shares from 0 to 1"
    for i, s in enumerate(manifest["students"]):
        if (problem := texts(s, ("id", "name"), f"students[{i}]")) is not None:
            return problem
        if not ID.fullmatch(s["id"]):
            return f"students[{i}].id is not a student id (letters, digits, _ and -)"
    return None


def _share(text) -> Fraction | None:
    """A number from 0 to 1 written as text, or None."""
    try:
        value = parse_number(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return value if value is not None and 0 <= value <= 1 else None


def _marking_problem(q: dict, where: str) -> str | None:
    """What is wrong with a question's points and precision (each optional: older manifests lack them)."""
    try:
        points = parse_number(q.get("points", "1")) if isinstance(q.get("points", "1"), str) else None
        tol = q.get("rel_tol")
        tol_value = parse_number(tol) if isinstance(tol, str) else None if tol is None else Fraction(-1)
    except ValueError:
        return f"{where} has points or rel_tol that are not numbers"
    digits = q.get("digits", 0)
    if points is None or points < 0:
        return f"{where}.points is not a number of points"
    if not isinstance(digits, int) or isinstance(digits, bool) or policy_problem(digits, tol_value) is not None:
        return f"{where} has a precision that makes no sense"
    return None


def question_policy(q: dict) -> tuple[Policy, Fraction]:
    """A manifest question's precision and points (checked by manifest_problem; defaults for old files)."""
    tol = q.get("rel_tol")
    return Policy(q.get("digits", DIGITS), parse_number(tol) if tol else None), parse_number(q.get("points", "1"))


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
