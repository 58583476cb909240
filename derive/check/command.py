"""The `derive check` command: marks answers files against a network and exits 0 (all right),
1 (something wrong) or 2 (a file could not be read)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from derive import defaults
from derive.cli_common import CONTEXT, format_option, output_option, refuse_overwrite, warn
from derive.errors import DeriveError

# Only click and derive's bottom modules at import time: `derive check --help` loads nothing else.
# The marking code (SymPy, lark, Jinja2) is imported when the command runs.
FORMATS = defaults.REPORT_FORMATS
CHECK_DIGITS = defaults.CHECK_DIGITS


@click.command("check", context_settings=CONTEXT)
@click.argument("network", type=click.Path(dir_okay=False))
@click.argument("answers", nargs=-1, required=True, type=click.Path())
@format_option(FORMATS, "A report for the terminal, Markdown, or JSON.", default=defaults.REPORT_FORMAT)
@click.option("--summary", is_flag=True, help="One table per student and per question instead of each report.")
@click.option(
    "--csv",
    "csv_path",
    default=None,
    metavar="PATH",
    help="Also write every student's marks as CSV ('-' for standard output).",
)
@click.option(
    "--digits",
    type=int,
    default=CHECK_DIGITS,
    show_default=True,
    help="The fewest significant digits a number may have to be right (0.8 has 1); 0 for no minimum.",
)
@click.option(
    "--rel-tol",
    "rel_tol",
    default=None,
    metavar="X",
    help="Also accept a number within this relative distance of the true value (0.001 is 0.1%).",
)
@output_option("Where to write the report; '-' is standard output.", default="-")
def check(network, answers, fmt, summary, csv_path, digits, rel_tol, output):
    """Mark the answers in ANSWERS (YAML files, or folders of them) against NETWORK.

    Numbers are judged to the digits written, with at least --digits significant digits, and with
    follow-through: an answer that is wrong only because it used your own earlier value is "correct
    given your O1 = 0.759". Formulas are compared by SymPy, chain-rule products path by path. An
    answer that cannot be read is its own line; empty answers are not answered.

    \b
    Exit codes: 0 all right, 1 something wrong or unreadable, 2 a file that is not an answers file.
    """
    from derive.check import check_answers
    from derive.check.report import render, to_csv
    from derive.output import write
    from derive.spec.loader import load
    from derive.spec.source import read_text

    policy = _policy(digits, rel_tol)
    net = load(read_text(network), network)
    warn(net.warnings)
    files = _answer_files(answers)
    refuse_overwrite([network, *files], [output, csv_path])
    reports, failed = [], []
    for path in files:
        try:
            reports.append(check_answers(net, path, policy=policy))
        except DeriveError as exc:  # a file that is not an answers file: said, and a row of the summary
            click.echo(f"derive: error: {exc}", err=True)
            failed.append((path, str(exc)))
    if reports or (failed and (summary or csv_path)):
        write(render(reports, fmt, summary, failed), output)
        if csv_path:
            write(to_csv(reports, failed), csv_path)
    sys.exit(2 if failed else 0 if all(r.all_right for r in reports) else 1)


def _policy(digits: int, rel_tol: str | None):
    from derive.check.numeric import Policy, policy_problem
    from derive.numbers import parse_number

    tol = None
    if rel_tol is not None:
        try:
            tol = parse_number(rel_tol)
        except ValueError as exc:
            raise click.BadParameter(f"{rel_tol!r} {exc}", param_hint="--rel-tol") from None
    problem = policy_problem(digits, tol)
    if problem:
        raise click.BadParameter(problem, param_hint="--rel-tol" if "tolerance" in problem else "--digits")
    return Policy(digits, tol)


def _answer_files(paths) -> list[str]:
    """The files named, with each folder standing for the .yaml files in it."""
    found = []
    for p in paths:
        if Path(p).is_dir():
            inside = sorted(str(f) for f in Path(p).iterdir() if f.suffix in (".yaml", ".yml") and f.is_file())
            if not inside:
                raise DeriveError(f"{p}: the folder holds no .yaml answers files")
            found += inside
        elif not Path(p).exists():
            raise DeriveError(f"{p}: no such answers file")
        else:
            found.append(p)
    return found
