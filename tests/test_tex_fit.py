"""Nothing in the PDF notes runs off the page (issue 14): every example network, the training and
study notes, and a few dense shapes of other widths and depths compile with no box wider than the
text block by more than 2 pt. Long formulas break over lines, pictures are scaled down to the line,
wide tables wrap, shrink (not below 8 pt, \\scriptsize) or split into column groups."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from derive import explain
from derive.cli import main as cli
from derive.render import tex_writer, tree
from derive.render.tex import render_tex
from tests.helpers import ROOT, example_networks

PACKAGES = "texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-pictures"
TOLERANCE = 2.0  # pt: what a reader cannot see; TeX itself lets 0.1 pt pass (\hfuzz)
OVERFULL = re.compile(r"^Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\) (.*)$", re.M)
SCALED_TABLE = re.compile(r"derive: table scaled to (\d+) percent")


def dense(sizes: list[int], targets: str = "1") -> str:
    """A fully connected sigmoid network in the `layers:` form (as tests/test_scale.py writes them)."""
    xs = ", ".join(f"{(i % 7 - 3) / 10:g}" for i in range(sizes[0]))
    return (
        f"title: dense {sizes}\nlayers: {sizes}\nactivation: sigmoid\nparameters:\n"
        f"  random: {{seed: 7, low: -1, high: 1, decimals: 2}}\ndata:\n  - {{x: [{xs}], y: {targets}}}\n"
    )


SHAPES = {
    "wide_10_10_3": dense([10, 10, 3], "[1, 0, 0]"),
    "deep_2x6_1": dense([2, 2, 2, 2, 2, 2, 1]),
    "dense_3_4_4_2": dense([3, 4, 4, 2], "[1, 0]"),
}
STUDIES = [  # (command, example): the training notes and the two studies
    ("train", "training_pass_fail"),
    ("train", "softmax_3class"),
    ("study-lr", "regression_lr"),
    ("study-depth", "deep_sigmoid"),
]


def _need_pdflatex() -> str:
    pdflatex = shutil.which("pdflatex")
    if not pdflatex:
        pytest.skip(f"pdflatex is not installed; CI installs the Debian packages {PACKAGES}")
    return pdflatex


def _log(folder: Path, name: str) -> str:
    """The log of one pdflatex run over `name`.tex in `folder` (one run: boxes are set on the first)."""
    cmd = [_need_pdflatex(), "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"]
    run = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, timeout=120)
    log = (folder / f"{name}.log").read_text(encoding="utf-8", errors="replace")
    assert run.returncode == 0, f"{name}.tex did not compile:\n{log[-1500:]}"
    return log


def _assert_fits(log: str, name: str) -> None:
    wide = [(float(w), where) for w, where in OVERFULL.findall(log) if float(w) > TOLERANCE]
    assert not wide, f"{name}: {len(wide)} boxes wider than the text block, e.g. " + "; ".join(
        f"{w:.1f} pt {where}" for w, where in sorted(wide, reverse=True)[:5]
    )
    # a table scaled below 75 % of \scriptsize (8 pt) would print under 6 pt
    small = [int(p) for p in SCALED_TABLE.findall(log) if int(p) < 75]
    assert not small, f"{name}: a table was scaled to {min(small)} % to fit"


def _write(tmp_path: Path, name: str, args: list[str]) -> Path:
    """`derive ARGS -f tex -o tmp/NAME/NAME.tex` (its plots beside it); the folder."""
    folder = tmp_path / name
    folder.mkdir()
    result = CliRunner().invoke(cli, [*args, "-f", "tex", "-o", str(folder / f"{name}.tex")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return folder


# -- every document type compiled ------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("example", example_networks(), ids=lambda p: p.stem)
def test_example_notes_fit_the_page(example, tmp_path, monkeypatch):
    _need_pdflatex()
    monkeypatch.chdir(ROOT)
    folder = _write(tmp_path, example.stem, ["render", f"examples/{example.name}"])
    _assert_fits(_log(folder, example.stem), example.stem)


@pytest.mark.slow
@pytest.mark.parametrize(("command", "example"), STUDIES, ids=[f"{c}-{e}" for c, e in STUDIES])
def test_training_and_study_notes_fit_the_page(command, example, tmp_path, monkeypatch):
    _need_pdflatex()
    monkeypatch.chdir(ROOT)
    name = f"{example}_{command}"
    folder = _write(tmp_path, name, [command, f"examples/{example}.yaml"])
    _assert_fits(_log(folder, name), name)


@pytest.mark.slow
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_wide_and_deep_networks_fit_the_page(shape, tmp_path):
    _need_pdflatex()
    network = tmp_path / f"{shape}.yaml"
    network.write_text(SHAPES[shape], encoding="utf-8")
    folder = _write(tmp_path, shape, ["render", str(network)])
    _assert_fits(_log(folder, shape), shape)


# -- the fitting itself, on made-up content --------------------------------------------------------
SQUARES = " + ".join(rf"\left(-0.{k}3587\right)^{{2}}" for k in range(1, 16))
SOFTMAX = (
    r"\frac{e^{z_{21}}}{"
    + " + ".join(
        rf"e^{{w_{{{k}}} \tanh{{\left(w_{{1}} x_{{1}} + w_{{2}} x_{{2}} + b_{{1}} \right)}} + b_{{3}}}}"
        for k in range(5, 11)
    )
    + "}"
)
WIDE_TABLE = (
    "| step | "
    + " | ".join(f"$w_{{{k}}}$" for k in range(1, 15))
    + " |\n|"
    + "---|" * 15
    + "\n"
    + "".join(
        f"| {r} | " + " | ".join(f"{(-1) ** k * 0.0647621 * r:.6f}" for k in range(14)) + " |\n" for r in range(1, 4)
    )
)


def test_what_cannot_break_is_rewritten_and_what_is_wide_is_scaled_or_split(tmp_path):
    """A square root of fifteen squares (the size of a training step's gradient), a fraction wider than
    the line, an align* row with a second column, a 14-weight table and a picture 800 pt wide: all
    within the text block, in one compiled document."""
    _need_pdflatex()
    markdown = (
        "# Fit\n\n"
        f"$$\n\\lVert g \\rVert = \\sqrt{{{SQUARES}}} \\approx 0.70551\n$$\n\n"
        f"$$\nO_{{21}} = {SOFTMAX}\n$$\n\n"
        "$$\n\\begin{aligned}\n"
        r"z^{(1)} &= W^{(1)}\,x + b^{(1)}, \quad O^{(1)} = \sigma\left(z^{(1)}\right) && W^{(1)} \in \mathbb{R}^{4 \times 3}"
        "\n\\end{aligned}\n$$\n\n"
        f"{WIDE_TABLE}\n"
        "![a wide picture](wide.svg)\n"
    )
    picture = r"\begin{tikzpicture}\draw (0,0) rectangle (800pt,40pt); \node at (400pt,20pt) {wide};\end{tikzpicture}"
    tex = render_tex(markdown, "Fit", pictures={"wide.svg": picture})
    assert r"\fitpicture{\begin{tikzpicture}" in tex
    assert tex.count(r"\fittable{") == 2, "14 weights of 9 characters do not fit one line even at 8 pt: two groups"
    assert r"\fitrhs{W^{(1)}\,x + b^{(1)}, \quad O^{(1)} = \sigma\left(z^{(1)}\right)} && W^{(1)}" in tex
    (tmp_path / "fit.tex").write_text(tex, encoding="utf-8")
    log = _log(tmp_path, "fit")
    _assert_fits(log, "fit")
    assert "derive: picture scaled to" in log


# -- the writer's plans, without TeX -----------------------------------------------------------------
def test_an_align_row_keeps_a_note_column_and_a_matrix_whole():
    """Only the right side of `=` goes into \\fitrhs: a further `&& note` column stays outside it (inside
    it, the & would end the box early: 'Missing } inserted'), while a matrix's own & stay inside."""
    assert tex_writer._align_row(r"z &= a + b && \text{note}") == r"z &= \fitrhs{a + b} && \text{note}"
    matrix = r"J &= \begin{pmatrix} a & b \\ c & d \end{pmatrix}"
    assert tex_writer._align_row(matrix) == r"J &= \fitrhs{\begin{pmatrix} a & b \\ c & d \end{pmatrix}}"
    assert tex_writer._align_row(r"s &= \{a \& b\}") == r"s &= \fitrhs{\{a \& b\}}"


def test_a_table_too_wide_even_at_8pt_is_split_into_groups_that_repeat_its_first_column():
    # 1 + 14 columns of 9 characters and 2 of gap: 11 + 14 × 11 = 165 characters, more than the
    # 78 × 11/8 ≈ 107 a line holds at 8 pt, so two groups of 7 weights (11 + 7 × 11 = 88 each).
    natural = [4] + [9] * 14
    groups = tex_writer._groups(natural, natural)
    assert [g[0] for g in groups] == [0, 0]
    assert sorted(i for g in groups for i in g[1:]) == list(range(1, 15))
    assert [len(g) - 1 for g in groups] == [7, 7]
    # with 6 weights (4 + 54 characters and 7 × 2 of gap = 72) the table fits the line: one group
    assert tex_writer._groups([4] + [9] * 6, [4] + [9] * 6) == [list(range(7))]


def test_wrapped_columns_never_go_below_their_widest_word():
    """Natural widths 30, 20, 10 with words of at most 8, 6, 10 characters, in a line of 40 with 2
    between columns (34 for the text): the common width c solves min(30, c) + min(20, c) + 10 = 34,
    so c = 12; the third column is left as it is."""
    widths = tex_writer._wrap([30, 20, 10], [8, 6, 10], room=40)
    assert widths[2] is None
    assert widths[0] == pytest.approx(12, abs=0.01) and widths[1] == pytest.approx(12, abs=0.01)
    # no room at all: every column at its widest word
    assert tex_writer._wrap([30, 20, 10], [8, 6, 10], room=10) == [8, 6, None]


def test_a_column_of_numbers_written_as_maths_is_right_aligned():
    md = "| step | $L$ |\n|---|---|\n| start | $-0.3$ |\n| 1 | $8.0044 \\times 10^{17}$ |\n"
    tex = tex_writer.write(tree.parse(md))
    assert r"\begin{tabular}{@{}lr@{}}" in tex and r"$-0.3$" in tex


def test_a_softmax_output_is_written_through_its_weighted_sum():
    """Written out in full, each softmax output repeats all three weighted sums (six tanh terms) inside
    one fraction no line can hold; the notes write it e^{z}/(e^{z21} + e^{z22} + e^{z23}) followed by
    its own weighted sum, which has the two tanh terms of the hidden neurons and can break at +."""
    md = explain(str(ROOT / "examples" / "softmax_3class.yaml")).text
    total = r"e^{z_{21}} + e^{z_{22}} + e^{z_{23}}"
    for k, (w, v, b) in {1: (5, 6, 3), 2: (7, 8, 4), 3: (9, 10, 5)}.items():
        line = next(x for x in md.splitlines() if x.startswith(f"O_{{2{k}}} = "))
        assert line.startswith(
            rf"O_{{2{k}}} = \frac{{e^{{z_{{2{k}}}}}}}{{{total}}}, \quad z_{{2{k}}} = w_{{{w}}} \tanh"
        )
        assert line.count(r"\tanh") == 2 and line.endswith(f"+ b_{{{b}}}") and f"w_{{{v}}} \\tanh" in line


PLOTTED = [  # (command, example, the pictures its Markdown notes show)
    ("render", "pass_fail", ["network", "paths_w4", "paths_w1", "descent_w4"]),  # render: {plot_weight: w4}
    ("render", "deep_sigmoid", ["activations", "layer_gradients"]),
    ("train", "training_pass_fail", ["loss"]),
    ("train", "and_perceptron", ["boundary"]),
    ("study-lr", "regression_lr", ["rates"]),
    ("study-depth", "deep_sigmoid", ["depth"]),
]


@pytest.mark.slow
@pytest.mark.parametrize(("command", "example", "shown"), PLOTTED, ids=[f"{c}-{e}" for c, e, _ in PLOTTED])
def test_every_picture_of_the_markdown_notes_is_in_the_latex(command, example, shown, tmp_path, monkeypatch):
    """The descent curve, the activations and per-layer gradients, the loss curve, the decision
    boundary, the learning-rate and depth plots: each picture the Markdown (and HTML) shows is drawn
    in the LaTeX too, each within the line (\\fitpicture)."""
    monkeypatch.chdir(ROOT)
    md_file, tex_file = tmp_path / "notes.md", tmp_path / "notes.tex"
    for fmt, target in (("md", md_file), ("tex", tex_file)):
        args = [command, f"examples/{example}.yaml", "-f", fmt, "-o", str(target)]
        assert CliRunner().invoke(cli, args, catch_exceptions=False).exit_code == 0
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md_file.read_text(encoding="utf-8"))
    for name in shown:
        assert any(Path(src).stem == name for src in images), f"the Markdown notes no longer show {name}"
    tex = tex_file.read_text(encoding="utf-8")
    drawn = tex.count(r"\fitpicture{")
    assert drawn >= len(images), f"{len(images)} pictures in the Markdown, {drawn} in the LaTeX"
