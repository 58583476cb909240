"""The `derive exercise` and `derive exercise-mark` commands: arguments in, the library called, errors
printed without a traceback (exit 2 for a bad input)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
from pathlib import Path

import click

from derive import defaults
from derive.cli_common import CONTEXT, format_option, input_files, output_option, refuse_overwrite, warn
from derive.errors import DeriveError
from derive.output import safe_stem, write

# Only click and derive's bottom modules at import time, so `derive exercise --help` loads none of the
# drawing, marking or rendering code (SymPy, lark, Jinja2): those are imported when a command runs.
FORMATS = defaults.EXERCISE_FORMAT_CHOICES
LMS = defaults.LMS_FORMATS

FEEDBACK = "feedback"  # exercise-mark's reports, one folder per student, to hand back


def _formats(text: str) -> set[str]:
    chosen = {f.strip() for f in text.split(",") if f.strip()}
    unknown = chosen - set(FORMATS)
    if unknown or not chosen:
        raise click.BadParameter(f"choose from {', '.join(FORMATS)} (comma-separated), not {text!r}")
    return chosen


@click.command("exercise", context_settings=CONTEXT)
@click.argument("exercise_file", metavar="EXERCISE.yaml", type=click.Path(dir_okay=False))
@click.option(
    "--students",
    "roster",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="ROSTER.csv",
    help="The class: a CSV with a header line and the columns id and name.",
)
@click.option("--count", type=int, default=None, help="Or this many students, with ids s001, s002, …")
@click.option(
    "--seed",
    type=int,
    default=defaults.SEED,
    show_default=True,
    help="Every student's numbers follow from this seed and their id alone.",
)
@output_option("Where to write. Default: output/exercise_<exercise name>/.", metavar="DIR")
@click.option(
    "--formats",
    default=defaults.EXERCISE_FORMATS,
    show_default=True,
    metavar="md,html,tex,pdf",
    help="Sheets and keys to write besides Markdown (key.json and answers.yaml always); "
    "PDFs take a second or two each.",
)
@click.option("--jobs", type=int, default=None, help="Processes to use. Default: every core.")
@click.option(
    "--lms",
    type=click.Choice(LMS),
    multiple=True,
    help="Also write the class's numbers as LMS questions in DIR/lms/: moodle (a Moodle XML question "
    "bank) or qti (a QTI 1.2 package, which Canvas imports); may be given twice.",
)
def exercise(exercise_file, roster, count, seed, output, formats, jobs, lms):
    """One sheet per student: the network in EXERCISE.yaml with the student's own numbers, drawn from
    the exercise's ranges, the questions, a blank answers file and the answer key; then a summary
    for the instructor. Mark the handed-in answers with `derive exercise-mark`.

    \b
    Exit codes: 0 done, 2 a problem with the exercise, the roster or the network.
    """
    from derive.exercise.generate import Interrupted, generate
    from derive.exercise.roster import counted, read_roster
    from derive.exercise.spec import load_exercise
    from derive.render.tex import PACKAGES

    chosen = _formats(formats)
    if "pdf" in chosen and not shutil.which("pdflatex"):
        others = ",".join(f for f in FORMATS if f in chosen - {"pdf"} | {"md", "html"})
        raise DeriveError(
            f"sheet.pdf and key.pdf need pdflatex, which is not installed (the Debian packages {PACKAGES}); "
            f"nothing was written. Without TeX, write the sheets and keys as Markdown and HTML: --formats {others}"
        )
    if (roster is None) == (count is None):
        raise DeriveError("give the class with --students ROSTER.csv or with --count N (one of the two)")
    ex = load_exercise(exercise_file)
    warn(ex.network.warnings)
    students = read_roster(roster) if roster else counted(count)
    out = output or f"output/exercise_{safe_stem(exercise_file)}"
    workers = max(1, jobs if jobs is not None else os.cpu_count() or 1)
    try:
        with _progress(len(students)) as tick:
            generate(ex, students, seed, out, chosen, workers, tick, frozenset(lms))
    except Interrupted as stop:
        name = signal.Signals(stop.signum).name
        click.echo(
            f"derive: stopped by {name}: {stop.done} of {stop.total} student folders were complete in {out}; "
            "the worker processes are ended and no half-written folder is left (run again to finish)",
            err=True,
        )
        sys.exit(128 + stop.signum)
    click.echo(
        f"wrote {len(students)} student folder{'s' if len(students) != 1 else ''}, summary.md and summary.csv in {out}",
        err=True,
    )


@contextlib.contextmanager
def _progress(total: int):
    """A progress bar on stderr when a person watches it (a terminal); otherwise nothing."""
    if not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=total, label="sheets", file=sys.stderr, show_pos=True, show_eta=True) as bar:
        yield bar.update


@click.command("exercise-mark", context_settings=CONTEXT)
@click.argument("exercise_dir", metavar="EXERCISE_OUT_DIR", type=click.Path(file_okay=False))
@click.argument("submissions", metavar="SUBMISSIONS_DIR", type=click.Path(file_okay=False))
@click.option(
    "--csv",
    "csv_path",
    default=None,
    metavar="PATH",
    help="The marks as CSV, one row per student and one column per question "
    "('-' for standard output). Default: EXERCISE_OUT_DIR/marks.csv.",
)
@format_option(
    ["text", "md"],
    "The table on standard output. marks.md is always written next to the CSV.",
    default=defaults.REPORT_FORMAT,
)
@click.option(
    "--feedback/--no-feedback",
    default=True,
    show_default=True,
    help="Write each student's derive check report to EXERCISE_OUT_DIR/feedback/<id>/marked.md.",
)
def exercise_mark(exercise_dir, submissions, csv_path, fmt, feedback):
    """Mark the answers files in SUBMISSIONS_DIR (<id>.yaml or <id>/answers.yaml; the `student:` inside
    a file wins) against each student's own network in EXERCISE_OUT_DIR, with follow-through credit.

    \b
    Exit codes: 0 every file marked, 1 a file could not be read or belongs to nobody in the class
    (the others are still marked), 2 a problem with the folders.
    """
    from derive.exercise.marking import UNREADABLE, mark_class
    from derive.exercise.report import marks_csv, render

    csv_target = csv_path or str(Path(exercise_dir) / "marks.csv")
    beside = Path(csv_target).with_suffix(".md") if csv_target != "-" else Path(exercise_dir) / "marks.md"
    refuse_overwrite(input_files([exercise_dir, submissions], (".yaml", ".yml", ".json")), [csv_target, str(beside)])
    cm = mark_class(exercise_dir, submissions)
    write(marks_csv(cm), csv_target)
    write(render(cm, "md"), str(beside))
    if feedback:
        _feedback(cm, exercise_dir)
    if csv_target != "-":  # the CSV already went to standard output
        write(render(cm, fmt), "-")
    unreadable = [r for r in cm.results if r.status == UNREADABLE]
    for r in unreadable:
        click.echo(f"derive: error: {r.student.id}: {r.message}", err=True)
    for p in cm.problems:
        click.echo(f"derive: warning: {p}", err=True)
    sys.exit(1 if unreadable or cm.problems else 0)


def _feedback(cm, exercise_dir: str) -> None:
    from derive.check.report import render as check_render

    for r in cm.results:
        if r.report is not None:
            write(check_render([r.report], "md"), str(Path(exercise_dir) / FEEDBACK / r.student.id / "marked.md"))
