"""What every derive subcommand shares: the -h/--help spelling, the options of a command that writes a
document (-f/--format, -o/--output, --templates) and the way warnings are printed. Each command keeps
its own list of formats and its own help text; the option's name, type and behaviour are defined here
once. Errors are not handled here: derive's command group (derive.cli) prints every DeriveError.

It also refuses, before any work, an output path that is one of the command's inputs or a place
derive does not write (`refuse_overwrite`): `document_options` does it for a command's `network`,
`--templates` and `-o`, and the other commands call it with their own inputs and outputs.

Imports only click, os and derive.defaults, derive.errors and derive.output, so any command module can
use it without a cycle.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from derive import defaults
from derive.errors import DeriveError
from derive.output import STDOUT_NAMES, check_target

CONTEXT = {"help_option_names": ["-h", "--help"]}

F = TypeVar("F", bound=Callable[..., Any])


def format_option(formats: Sequence[str], help: str, default: str = defaults.NOTES_FORMAT) -> Callable[[F], F]:
    """-f/--format: one of `formats`, passed to the command as `fmt`."""
    return click.option(
        "-f", "--format", "fmt", type=click.Choice(list(formats)), default=default, show_default=True, help=help
    )


def output_option(help: str, default: str | None = None, metavar: str = "PATH") -> Callable[[F], F]:
    """-o/--output: where to write ('-' is standard output where the command allows it)."""
    return click.option("-o", "--output", default=default, show_default=default is not None, metavar=metavar, help=help)


def templates_option() -> Callable[[F], F]:
    """--templates: a folder whose Jinja2 templates override the built-in ones of the same name."""
    return click.option(
        "--templates",
        type=click.Path(file_okay=False, exists=True),
        default=None,
        help="A folder of Jinja2 templates that override the built-in ones.",
    )


def document_options(formats: Sequence[str], format_help: str, output_help: str) -> Callable[[F], F]:
    """-f/--format, -o/--output and --templates, in that order, for a command that writes a document;
    an -o that names the command's `network` or one of its templates (or a place derive does not
    write) is refused at once."""

    def decorate(f: F) -> F:
        @functools.wraps(f)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            templates = input_files([kwargs.get("templates")], (".j2",), depth=3)
            refuse_overwrite([kwargs.get("network"), *templates], [kwargs.get("output")])
            return f(*args, **kwargs)

        g: Any = guarded
        for option in reversed([format_option(formats, format_help), output_option(output_help), templates_option()]):
            g = option(g)
        return g

    return decorate


def input_files(paths: Iterable[str | None], suffixes: Sequence[str] = (".yaml", ".yml"), depth: int = 2) -> list[str]:
    """The files a command reads: each file named, and for each folder named the files with one of
    `suffixes` in it and in its subfolders down to `depth` levels."""
    found: list[str] = []
    for p in paths:
        if p is None:
            continue
        if not os.path.isdir(p):
            found.append(p)
            continue
        root = Path(p)
        for level in range(depth):
            pattern = "/".join(["*"] * (level + 1))
            found += [str(f) for f in sorted(root.glob(pattern)) if f.suffix in suffixes and f.is_file()]
    return found


def _same(a: str, b: str) -> bool:
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
    except OSError:
        return False
    return os.path.realpath(a) == os.path.realpath(b)


def refuse_overwrite(inputs: Iterable[str | None], outputs: Iterable[str | None]) -> None:
    """Raise DeriveError if an output is one of the inputs (compared as the files they are, links and
    other names followed) or a place derive does not write (see derive.output.check_target)."""
    ins = [i for i in inputs if i is not None and i not in STDOUT_NAMES]
    for out in outputs:
        if out is None or out in STDOUT_NAMES:
            continue
        for i in ins:
            if _same(i, out):
                shown = "" if os.path.normpath(i) == os.path.normpath(out) else f" ({i})"
                raise DeriveError(
                    f"{out}: is an input of this command{shown}; writing there would destroy it: "
                    "give another output path"
                )
        check_target(out)


def warn(warnings: Iterable[Any]) -> None:
    """A network's warnings (derive.errors.Problem), one `derive: warning:` line each on standard error."""
    for w in warnings:
        click.echo(f"derive: warning: {w.format()}", err=True)
