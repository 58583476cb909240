"""Command line for training: `derive train`, `derive study-lr` and `derive study-depth`. Each writes
notes in one of five formats, by default to output/<network>_<what>.<format>; a problem is a DeriveError,
which derive's command group prints as `derive: error: …` with exit code 2."""

from __future__ import annotations

import contextlib
import sys
from fractions import Fraction
from pathlib import Path

import click

from derive import defaults
from derive.cli_common import CONTEXT, document_options, warn
from derive.errors import DeriveError
from derive.output import safe_stem, shown_path, write

FORMATS = defaults.TRAINING_FORMATS  # not the renderer's own: --help loads no matplotlib

PROGRESS_FROM = 200  # steps; shorter runs finish before a bar would be worth drawing


def _common(f):
    """NETWORK, then --format, -o and --templates: shared by the three commands."""
    f = document_options(
        FORMATS,
        "Markdown notes, every number as JSON, HTML, LaTeX or PDF.",
        "Where to write; '-' for standard output. Default: output/<network>_<what>.<format>.",
    )(f)
    return click.argument("network", type=click.Path(dir_okay=False))(f)


def _number(text: str, what: str) -> Fraction:
    from derive.numbers import parse_number

    try:
        return parse_number(text)
    except ValueError as exc:
        raise DeriveError(f"{what} `{text}` {exc}") from None


def _rate(text: str, what: str) -> Fraction:
    """A learning rate from the command line, under the rule of the file's `learning_rate`."""
    from derive.spec.model import learning_rate_problem

    value = _number(text, what)
    refused = learning_rate_problem(value)
    if refused is not None:
        raise DeriveError(
            f"{what} `{text[:30]}`: {refused[0]}; give {refused[1]} (the rule of `learning_rate:` in a file too)"
        )
    return value


def _batch(text: str | None):
    if text is None:
        return "file"
    if text == "full":
        return None
    if not text.isdigit() or int(text) < 1:
        raise DeriveError(f"--batch-size `{text}` must be a whole number from 1, or `full`")
    return int(text)


def _detail(text: str, steps: int) -> set[int] | None:
    """The steps written out in full; a number past the run's last step is refused, not allocated."""
    if text == "all":
        return None
    if text == "first":
        return {1}
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise DeriveError(f"--detail `{text[:30]}` must be `first`, `all` or a number of steps (1 or more)")
    if len(text) > 12 or int(text) > steps:
        raise DeriveError(
            f"--detail {text[:30]} is past the last step: this run has {steps:,} step{'s' if steps != 1 else ''}; "
            f"give a number from 1 to {steps:,}, or `all`"
        )
    return set(range(1, int(text) + 1))


@contextlib.contextmanager
def progress(total: int, label: str):
    """A progress bar on standard error for long runs, when a person is watching (a terminal)."""
    if total > PROGRESS_FROM and sys.stderr.isatty():
        with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
            yield bar.update
    else:
        yield None


def _load(network: str):
    from derive.spec.loader import load
    from derive.spec.source import read_text

    net = load(read_text(network), shown_path(network))
    warn(net.warnings)
    return net


def _emit(doc, fmt: str, output: str | None, network: str, what: str, templates: str | None, text=None) -> None:
    """Render `doc` (or take `text`, already rendered) and write it where asked, pictures beside."""
    from derive.render.training import render

    target = output or f"output/{safe_stem(network)}_{what}.{fmt}"
    if text is None:
        text = render(doc, fmt, Path(templates) if templates else None)
    if fmt == "md" and doc is not None and doc.pictures and target != "-":
        for name, content in doc.pictures.files.items():
            write(content, str(Path(target).parent / name))
    written = write(text, target)
    if written:
        click.echo(f"wrote {written}", err=True)


def _pictures(fmt: str, output: str | None, network: str, what: str, no_pictures: bool) -> str | None:
    """The folder (relative to the notes) the pictures go in, or None when there are none to draw."""
    if no_pictures or fmt == "json" or (fmt == "md" and output == "-"):
        return None
    return f"{safe_stem(output or network)}{'' if output else '_' + what}_files"


@click.command("train", context_settings=CONTEXT)
@_common
@click.option(
    "--detail",
    default="first",
    show_default=True,
    metavar="first|all|N",
    help="Steps written out in full: the first, all of them, or the first N (every step is in the JSON).",
)
@click.option(
    "--optimizer",
    type=click.Choice(["sgd", "momentum", "nesterov", "rmsprop", "adam", "perceptron"]),
    default=None,
    help="Override the file's optimizer (with its default hyper-parameters).",
)
@click.option("--learning-rate", default=None, metavar="ETA", help="Override the file's learning_rate.")
@click.option(
    "--epochs",
    type=click.IntRange(1, defaults.MAX_EPOCHS),
    default=None,
    help=f"Override the file's epochs (1 to {defaults.MAX_EPOCHS:,}).",
)
@click.option("--batch-size", default=None, metavar="N|full", help="Override the file's batch_size.")
@click.option(
    "--batch-reduction",
    type=click.Choice(["mean", "sum"]),
    default=None,
    help="Override how a batch's gradients combine.",
)
@click.option("--no-pictures", is_flag=True, help="Leave out the plots.")
def train(
    network, fmt, output, templates, detail, optimizer, learning_rate, epochs, batch_size, batch_reduction, no_pictures
):
    """Train NETWORK over all its data points, epoch after epoch: the first step in full, then one
    table row per epoch (at most 25: every N-th epoch, or every N steps for a run of few epochs) with the
    loss over all the data, its gradient size and the weights, the loss curve and the result."""
    from derive.render import training as train_render
    from derive.steps import training as train_steps
    from derive.train.run import run, settings_for
    from derive.train.to_json import step_text, training_json_text

    net = _load(network)
    s = settings_for(
        net,
        optimizer,
        None if learning_rate is None else _rate(learning_rate, "--learning-rate"),
        epochs,
        _batch(batch_size),
        batch_reduction,
    )
    folder = _pictures(fmt, output, network, "training", no_pictures)
    if s.optimizer == "perceptron":
        doc = _perceptron(net, s, folder)
    else:
        total = -(-len(net.data) // (s.batch_size or len(net.data))) * s.epochs
        chosen = _detail(detail, total)
        # The run keeps whole only what the notes show (memory bounded by them, not by the steps);
        # the JSON, which holds every step and every epoch, is written step by step as it goes.
        step_texts: list[bytes] | None = [] if fmt == "json" else None
        with progress(total, "training") as bar:
            r = run(
                net,
                s,
                keep=(lambda n: True) if chosen is None else chosen.__contains__,
                progress=bar,
                checkpoints=train_steps.progress_steps(s.epochs, total // s.epochs),
                whole=train_steps.whole_steps(chosen),
                keep_epoch=None if fmt == "json" else train_steps.progress_epochs(s.epochs).__contains__,
                on_step=None if step_texts is None else (lambda step: step_texts.append(step_text(step))),
            )
        if step_texts is not None:
            _emit(None, fmt, output, network, "training", templates, training_json_text(r, step_texts))
            return
        pics = train_render.draw(folder, {"loss": _loss_chart(r)}) if folder else None
        doc = train_steps.training_doc(r, chosen, pics)
    _emit(doc, fmt, output, network, "training", templates)


def _loss_chart(r):
    from derive.pictures.train_plots import loss_chart

    return loss_chart(r) if r.steps else None


def _perceptron(net, s, folder):
    from derive.pictures.train_plots import boundary_chart
    from derive.render import training as train_render
    from derive.steps import study as study_steps
    from derive.train import perceptron

    p = perceptron.train(net, s.eta, s.epochs)
    pics = train_render.draw(folder, {"boundary": boundary_chart(p)}) if folder else None
    return study_steps.perceptron_doc(p, pics)


@click.command("study-lr", context_settings=CONTEXT)
@_common
@click.option(
    "--rates",
    default=defaults.STUDY_RATES,
    show_default=True,
    metavar="R1,R2,...",
    help="The learning rates to compare (1 to 8 of them).",
)
@click.option(
    "--epochs",
    type=click.IntRange(1, defaults.MAX_EPOCHS),
    default=None,
    help=f"Epochs per rate (default: the file's epochs if it sets them, else {defaults.STUDY_EPOCHS}).",
)
@click.option(
    "--optimizer",
    type=click.Choice(["sgd", "momentum", "nesterov", "rmsprop", "adam"]),
    default=None,
    help="Override the file's optimizer.",
)
@click.option("--no-pictures", is_flag=True, help="Leave out the plot.")
def study_lr(network, fmt, output, templates, rates, epochs, optimizer, no_pictures):
    """Train the same NETWORK with each learning rate and show, in a table and one plot, slow
    convergence, good convergence, oscillation across the minimum and divergence."""
    from derive.pictures.train_plots import lr_chart
    from derive.render import training as train_render
    from derive.steps import study as study_steps
    from derive.train.run import batches_of, settings_for
    from derive.train.studies import default_epochs
    from derive.train.studies import study_lr as study

    net = _load(network)
    chosen = [_rate(t.strip(), "--rates") for t in rates.split(",") if t.strip()]
    n = epochs or default_epochs(net)
    total = len(chosen) * n * len(batches_of(len(net.data), settings_for(net).batch_size))
    with progress(total, "learning rates") as bar:
        results = study(net, chosen, n, optimizer, bar)
    folder = _pictures(fmt, output, network, "study_lr", no_pictures)
    pics = train_render.draw(folder, {"rates": lr_chart(results)}) if folder else None
    _emit(study_steps.lr_doc(net, results, n, pics), fmt, output, network, "study_lr", templates)


@click.command("study-depth", context_settings=CONTEXT)
@_common
@click.option(
    "--scale",
    default=defaults.DEPTH_SCALE,
    show_default=True,
    metavar="S",
    help="Also show the network with every weight multiplied by S (large weights: exploding products).",
)
@click.option(
    "--point", default=defaults.POINT, show_default=True, type=int, help="Which data point to use (1 = first)."
)
@click.option("--no-pictures", is_flag=True, help="Leave out the plot.")
def study_depth(network, fmt, output, templates, scale, point, no_pictures):
    """Along NETWORK's longest chain, each link's factor f'(z)·w and their product, with sigmoid, tanh
    and ReLU side by side, as written and with large weights: vanishing and exploding gradients."""
    from derive.pictures.train_plots import depth_chart
    from derive.render import training as train_render
    from derive.steps import study as study_steps
    from derive.train.studies import study_depth as study

    net = _load(network)
    variants = study(net, _number(scale, "--scale"), point - 1)
    folder = _pictures(fmt, output, network, "study_depth", no_pictures)
    pics = train_render.draw(folder, {"depth": depth_chart(variants)}) if folder else None
    _emit(study_steps.depth_doc(net, variants, point - 1, pics), fmt, output, network, "study_depth", templates)
