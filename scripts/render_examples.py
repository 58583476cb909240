"""Regenerate output/: every example network rendered as Markdown (with its pictures), JSON, HTML,
LaTeX and PDF, and the training walk-throughs and studies in the same formats.

Run from the top of the repository:  python scripts/render_examples.py
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from derive import explain  # noqa: E402
from derive.output import write  # noqa: E402

FORMATS = ("md", "json", "html", "tex")  # and pdf, compiled from the tex (see main)
PLOTS = ("activations.svg", "layer_gradients.svg", "activations.pdf", "layer_gradients.pdf", "descent_", "loss.svg",
         "boundary.svg", "rates.svg",
         "depth.svg")  # matplotlib's: checked for presence only
TRAINING = [  # (command, example, what): `derive COMMAND examples/EXAMPLE.yaml` writes EXAMPLE_WHAT.*
    ("train", "training_pass_fail", "training"), ("train", "softmax_3class", "training"),
    ("train", "and_perceptron", "training"), ("train", "xor_perceptron", "training"),
    ("study-lr", "regression_lr", "study_lr"), ("study-depth", "deep_sigmoid", "study_depth")]
GOLDEN_TRAINING = ("md", "json")  # compared byte for byte; html, tex and pdf are made from the same steps
SLIDES = ("pass_fail", "two_paths")  # `derive EXAMPLE.yaml -f slides` decks: EXAMPLE.slides.tex and .pdf
INTERACTIVE = ("two_paths",)  # `derive EXAMPLE.yaml -f html --interactive`: EXAMPLE.interactive.html


def networks() -> list[Path]:
    """The example networks (answer files for `derive check` end in _answers.yaml)."""
    return [p for p in sorted((ROOT / "examples").glob("*.yaml")) if not p.stem.endswith("_answers")]


def expected_outputs() -> dict[Path, str | bytes]:
    """Every file output/ should hold, with its content (examples named relative to the repo)."""
    files: dict[Path, str | bytes] = {}
    for example in networks():
        rel = example.relative_to(ROOT).as_posix()
        for fmt in FORMATS:
            notes = explain(str(example), name=rel, fmt=fmt, pictures=fmt != "json")  # `render:` in the file
            files[ROOT / "output" / f"{example.stem}.{fmt}"] = notes.text
            if fmt == "md":
                for name, content in notes.document.pictures.files.items():
                    files[ROOT / "output" / name] = content
        if example.stem in SLIDES:
            deck = explain(str(example), name=rel, fmt="slides-tex", pictures=True)
            files[ROOT / "output" / f"{example.stem}.slides.tex"] = deck.text
        if example.stem in INTERACTIVE:
            page = explain(str(example), name=rel, fmt="html", pictures=True, interactive=True)
            files[ROOT / "output" / f"{example.stem}.interactive.html"] = page.text
    return files


def training_outputs(formats=GOLDEN_TRAINING) -> dict[Path, bytes]:
    """The training walk-throughs, as the commands write them (run in a scratch folder)."""
    from click.testing import CliRunner

    from derive.cli import main as cli

    files: dict[Path, bytes] = {}
    for command, example, what in TRAINING:
        for fmt in formats:
            with tempfile.TemporaryDirectory() as scratch:
                target = Path(scratch) / f"{example}_{what}.{fmt}"
                result = CliRunner().invoke(cli, [command, f"examples/{example}.yaml", "-f", fmt, "-o", str(target)],
                                            catch_exceptions=False)
                if result.exit_code != 0:
                    raise SystemExit(f"derive {command} examples/{example}.yaml failed:\n{result.output}")
                for path in Path(scratch).rglob("*"):
                    if path.is_file():
                        files[ROOT / "output" / path.relative_to(scratch)] = path.read_bytes()
    return files


def extra_outputs() -> list[Path]:
    """Outputs checked for presence only: PDFs of the notes, and the other training formats."""
    return pdfs() + [ROOT / "output" / f"{example}_{what}.{fmt}" for _, example, what in TRAINING
                     for fmt in ("html", "tex", "pdf")] + [ROOT / "output" / f"{name}.slides.pdf" for name in SLIDES]


def is_plot(path: Path) -> bool:
    return any(path.name.startswith(p) for p in PLOTS)


def pdfs() -> list[Path]:
    """The PDFs output/ holds, one per example (compiled from the committed .tex)."""
    return [ROOT / "output" / f"{p.stem}.pdf" for p in networks()]


def main() -> None:
    import os

    from derive.render.tex import compile_pdf

    os.chdir(ROOT)  # the training commands are given example paths relative to the repository

    from derive.pictures.drawing import SHIPPED
    from derive.pictures.figures import activations_plot

    plot = activations_plot()  # shipped: the notes of deep networks include it as drawn here
    for kind in ("svg", "pdf"):
        write(plot[kind], str(SHIPPED / f"activations.{kind}"))
    for folder in (ROOT / "output").glob("*_files"):
        shutil.rmtree(folder)  # pictures of parameters that no longer exist must not linger
    for path, text in expected_outputs().items():
        write(text, str(path))
        print(f"wrote {path.relative_to(ROOT)}")
    for pdf in pdfs():
        plots = {p.relative_to(ROOT / "output").as_posix(): p.read_bytes()  # the plots the LaTeX includes
                 for p in (ROOT / "output").glob(f"{pdf.stem}_files/*.pdf")}
        write(compile_pdf(pdf.with_suffix(".tex").read_text(encoding="utf-8"), files=plots), str(pdf))
        print(f"wrote {pdf.relative_to(ROOT)}")
    from derive.render.slides import compile_slides

    for name in SLIDES:
        deck = ROOT / "output" / f"{name}.slides.pdf"
        write(compile_slides(deck.with_suffix("").with_suffix(".slides.tex").read_text(encoding="utf-8")), str(deck))
        print(f"wrote {deck.relative_to(ROOT)}")
    for path, content in training_outputs(GOLDEN_TRAINING + ("html", "tex", "pdf")).items():
        write(content, str(path))
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
