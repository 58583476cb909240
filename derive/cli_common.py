"""What every derive subcommand shares: the -h/--help spelling, the options of a command that writes a
document (-f/--format, -o/--output, --templates) and the way warnings are printed. Each command keeps
its own list of formats and its own help text; the option's name, type and behaviour are defined here
once. Errors are not handled here: derive's command group (derive.cli) prints every DeriveError.

Imports only click and derive.defaults, so any command module can use it without a cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import click

from derive import defaults

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
    """-f/--format, -o/--output and --templates, in that order, for a command that writes a document."""

    def decorate(f: F) -> F:
        for option in reversed([format_option(formats, format_help), output_option(output_help), templates_option()]):
            f = option(f)
        return f

    return decorate


def warn(warnings: Iterable[Any]) -> None:
    """A network's warnings (derive.errors.Problem), one `derive: warning:` line each on standard error."""
    for w in warnings:
        click.echo(f"derive: warning: {w.format()}", err=True)
