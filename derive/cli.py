"""Command line: parses arguments, calls the library facade; the group prints errors without a traceback."""

from __future__ import annotations

import gc
import importlib
from pathlib import Path

import click

from derive import DeriveError, defaults, explain, load_network, progress
from derive.cli_common import CONTEXT, document_options, refuse_overwrite, warn
from derive.output import safe_stem, write

EXTENSIONS = {"md": "md", "json": "json", "html": "html", "tex": "tex", "pdf": "pdf"}
# The slides sit beside the notes without replacing their PDF or LaTeX: output/<name>.slides.pdf
EXTENSIONS.update({"slides": "slides.pdf", "slides-tex": "slides.tex"})
DRAWN = ("html", "tex", "pdf", "slides", "slides-tex")  # formats that show the diagrams unless --no-pictures


# Subcommands other than `render`, imported only when run: they pull in SymPy's parser, lark,
# matplotlib and the training code, which `derive FILE` does not need.
LAZY_COMMANDS = {
    "check": "derive.check.command:check",
    "train": "derive.train.command:train",
    "study-lr": "derive.train.command:study_lr",
    "study-depth": "derive.train.command:study_depth",
    "exercise": "derive.exercise.command:exercise",
    "exercise-mark": "derive.exercise.command:exercise_mark",
    "watch": "derive.watch:watch",
}

# What `derive --help` lists for each subcommand: its arguments and what it does. Written here, not
# read from the commands, so listing them imports none of them.
SUMMARIES = {
    "render": ("[NETWORK.yaml]", "notes for a network (the default command)"),
    "check": ("NETWORK.yaml ANSWERS...", "mark a hand derivation"),
    "train": ("NETWORK.yaml", "training over every data point and epoch"),
    "study-lr": ("NETWORK.yaml", "the same training at several learning rates"),
    "study-depth": ("NETWORK.yaml", "gradient size with depth: sigmoid, tanh, ReLU"),
    "exercise": ("EXERCISE.yaml", "a sheet, answers file and key per student"),
    "exercise-mark": ("OUT SUBMISSIONS", "mark a class against each student's own key"),
    "watch": ("NETWORK.yaml", "live notes in the browser, re-rendered on each save"),
}


class DefaultGroup(click.Group):
    """`derive FILE …` (or no arguments) runs `render`; `derive check …` runs its own command."""

    def parse_args(self, ctx, args):
        known = set(self.commands) | set(LAZY_COMMANDS)
        if not args or (args[0] not in known and args[0] not in ("-h", "--help", "--version")):
            args = ["render", *args]
        return super().parse_args(ctx, args)

    def list_commands(self, ctx):
        return sorted(set(self.commands) | set(LAZY_COMMANDS))

    def get_command(self, ctx, name):
        if name not in self.commands and name in LAZY_COMMANDS:
            module, attr = LAZY_COMMANDS[name].split(":")
            self.add_command(getattr(importlib.import_module(module), attr), name)
        return super().get_command(ctx, name)

    def format_commands(self, ctx, formatter):
        """The subcommands in the order a lecturer meets them, from SUMMARIES (nothing imported)."""
        with formatter.section("Commands"):
            formatter.write_dl([(f"{name} {args}", what) for name, (args, what) in SUMMARIES.items()])

    def main(self, args=None, *rest, **kwargs):
        """The command line. Run as the program itself (no `args`: they come from sys.argv), the
        garbage collector is set for a short-lived process: its youngest generation is collected
        every 10,000 allocations rather than 700 (a run builds few reference cycles: JSON of
        [256, 256, 1] spends a tenth less time, in the same memory; Markdown with plots keeps a few
        MiB more), and as the process ends every object is frozen out of it, so the collections
        Python would run over them while shutting down (a fifth of a second after SymPy) are
        skipped. Files are closed and atexit handlers run as ever. A caller that passes `args`
        (tests, scripts) keeps its collector as it was."""
        if args is None:
            gc.set_threshold(10_000, 10, 10)
        try:
            return super().main(args, *rest, **kwargs)
        finally:
            if args is None:
                gc.freeze()

    def invoke(self, ctx):
        """Runs the subcommand; a DeriveError from any of them (a bad file, a bad value) is a message
        for the user, not a bug, so it is printed as one line without a traceback, with exit code 2
        (1 for a failed write: derive.output.OutputError). An OSError no writer turned into a message
        (a full disk, a closed pipe) is one line with exit code 1 too."""
        try:
            return super().invoke(ctx)
        except DeriveError as exc:
            click.echo(f"derive: error: {exc}", err=True)
            ctx.exit(getattr(exc, "exit_code", 2))
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"derive: error: {where}{exc.strerror or exc}", err=True)
            ctx.exit(1)


@click.group(cls=DefaultGroup, context_settings=CONTEXT)
@click.version_option(package_name="derive")
def main():
    """Exact, step-by-step chain-rule derivations for small neural networks.

    Without a command, `derive NETWORK.yaml` writes the notes for NETWORK.yaml (`derive render`).
    `derive COMMAND --help` tells more about each command.
    """


@main.command(context_settings=CONTEXT)
@click.argument("network", required=False, type=click.Path(dir_okay=False))
@document_options(
    defaults.NOTES_FORMATS,
    "Markdown lecture notes, every number as JSON, HTML, LaTeX or PDF; Beamer slides (PDF) or their LaTeX.",
    "Where to write; '-' for standard output. Default: output/<network name>.<format> (slides: .slides.pdf;"
    " --interactive: .interactive.html).",
)
@click.option(
    "--point", default=defaults.POINT, show_default=True, type=int, help="Which data point to work through (1 = first)."
)
@click.option(
    "--max-paths",
    default=defaults.MAX_PATHS,
    show_default=True,
    type=int,
    help="List a parameter's chain-rule paths one by one up to this many; beyond, show the δ recursion.",
)
@click.option(
    "--max-derivations",
    default=defaults.MAX_DERIVATIONS,
    show_default=True,
    type=int,
    help="Write every parameter's derivation up to this many parameters; beyond, a sample (see --explain).",
)
@click.option(
    "--max-expression",
    default=defaults.MAX_EXPRESSION,
    show_default=True,
    type=int,
    help="Show an output's composed expression while it has at most this many operations.",
)
@click.option(
    "--no-verify", is_flag=True, help="Skip the independent check of the gradients (SymPy, else central differences)."
)
@click.option(
    "--verify-budget",
    default=defaults.VERIFY_BUDGET,
    show_default=True,
    type=float,
    metavar="SECONDS",
    help="Give the SymPy check at most this long; past it, central differences check the gradients instead.",
)
@click.option("--no-pictures", is_flag=True, help="Leave out the network diagrams and plots.")
@click.option(
    "--plot-weight",
    default=None,
    metavar="w4",
    help="Add the gradient-descent curve: the loss against this parameter, its tangent and one update.",
)
@click.option(
    "--explain",
    "explain_params",
    default=None,
    metavar="w1,w4",
    help="Write out the full derivation only for these parameters (default: all of a small network).",
)
@click.option(
    "--interactive",
    is_flag=True,
    help="With -f html: a page to step through (→/←), the network lit beside the notes, a 'your turn' mode.",
)
@click.option(
    "--expand", is_flag=True, help="Print the explicit form of a network (dense shorthand expanded) and stop."
)
def render(
    network,
    fmt,
    output,
    point,
    max_paths,
    max_derivations,
    max_expression,
    no_verify,
    verify_budget,
    no_pictures,
    plot_weight,
    explain_params,
    templates,
    expand,
    interactive,
):
    """Turn the neural network in NETWORK (YAML) into an exact, step-by-step worked example:
    forward pass, loss, every gradient by the chain rule, and the update.

    Without NETWORK, renders the built-in example (examples/pass_fail.yaml).
    """
    if expand:
        from derive.spec.expand import expand_text

        net = load_network(network)
        warn(net.warnings)
        write(expand_text(net), output or "-")
        return
    chosen = [p.strip() for p in explain_params.split(",") if p.strip()] if explain_params else None
    kind = "interactive.html" if interactive and fmt == "html" else EXTENSIONS[fmt]
    target = output or f"output/{safe_stem(network or 'pass_fail')}.{kind}"
    refuse_overwrite([network], [target])
    with progress.shown():  # a bar on a terminal, once the run has taken a couple of seconds
        notes = explain(
            network,
            fmt=fmt,
            point=point,
            max_paths=max_paths,
            verify=not no_verify,
            verify_budget=verify_budget,
            templates=templates,
            derive_in_full=chosen,
            max_derivations=max_derivations,
            max_expression=max_expression,
            plot_weight=plot_weight,
            interactive=interactive,
            pictures=not no_pictures and (fmt in DRAWN or (fmt == "md" and _files_beside(target))),
        )
    warn(notes.network.warnings)
    pics = notes.document.pictures
    if pics and fmt in ("md", "tex") and _files_beside(target):  # the files the notes link, beside them
        for_tex = set(pics.graphics.values())  # the plots' PDF twins: LaTeX's, drawn only for it
        for name in list(pics.files):
            if (name in for_tex) == (fmt == "tex"):
                write(pics.files[name], str(Path(target).parent / name))
    written = write(notes.text, target)
    if written:
        click.echo(f"wrote {written}", err=True)


def _files_beside(target: str) -> bool:
    """Whether the Markdown's picture files can go beside it: not for standard output, nor for a
    device or pipe such as /dev/null (its folder is /dev)."""
    return target != "-" and (not Path(target).exists() or Path(target).is_file())


if __name__ == "__main__":
    main()
