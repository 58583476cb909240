"""The Beamer slides (`derive -f slides` / `-f slides-tex`): built from the notes' numbers, every
example compiles with nothing running off a frame, w1's chain rule in two_paths is built up in as many
overlay steps as its paths and factors call for, and every gradient is printed on some slide."""

import json
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from click.testing import CliRunner

import derive
from derive.cli import main
from derive.render.slides import factor_rows, fit
from tests.helpers import ROOT, example_networks

TWO_PATHS = ROOT / "examples" / "two_paths.yaml"


def slides_tex(path, **options) -> str:
    return derive.explain(str(path), fmt="slides-tex", pictures=True, **options).text


def gradients_json(path) -> dict:
    """The network's JSON, the independent account of its paths, factors and gradients."""
    r = CliRunner().invoke(main, [str(path), "-f", "json", "-o", "-"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def expected_steps(paths: list[dict]) -> int:
    """The overlay steps one parameter's chain rule takes, by the deck's design: per path, the route
    (1), each factor's formula then its number (2 per factor), the product (1); with more than one
    path, a frame that adds each product in turn (1 per path) and then the sum (1)."""
    steps = sum(1 + 2 * len(p["factors"]) + 1 for p in paths)
    return steps + (len(paths) + 1 if len(paths) > 1 else 0)


def frames(tex: str) -> list[str]:
    return re.findall(r"\\begin\{frame\}.*?\\end\{frame\}", tex, re.S)


def overlay_count(frame: str) -> int:
    """The pages Beamer makes of a frame: the highest step any overlay specification names."""
    numbers = [int(n) for spec in re.findall(r"<(\d+(?:-\d*)?)>", frame) for n in re.findall(r"\d+", spec)]
    return max(numbers, default=1)


def significant(value: str, digits: int = 5) -> str:
    """A decimal as the notes show it: exactly when it has at most `digits` significant digits (-2,
    not -2.0000), else rounded to `digits` significant digits with its trailing zeros (0.0038190)."""
    d = Decimal(value)
    if d == 0:
        return "0"
    rounded = d.quantize(Decimal(1).scaleb(d.adjusted() - digits + 1))
    return format(d.normalize(), "f") if rounded == d else format(rounded, "f")


# -- without TeX ---------------------------------------------------------------------------------------
def test_a_long_line_breaks_at_its_relations_then_at_its_terms():
    one, two, rel, halves, terms = re.fullmatch(
        r"\\fitline\{(.*)\}\{(.*)\}\{(.*)\}\{(.*)\}\{(.*)\}", fit(r"L = a + b\,(1 - c) - e = d \approx 0.5"), re.S
    ).groups()
    assert one == r"L = a + b\,(1 - c) - e = d \approx 0.5"
    assert two == "L &= a + b\\,(1 - c) - e = d \\\\\n&\\approx 0.5"  # broken before the value
    assert rel.split(" \\\\\n") == [r"L &= a + b\,(1 - c) - e", "&= d", r"&\approx 0.5"]
    # the minus inside the brackets is not a place to break
    assert halves.split(" \\\\\n") == [r"L &= a + b\,(1 - c)", r"&\quad - e", "&= d", r"&\approx 0.5"]
    assert terms.split(" \\\\\n") == [r"L &= a", r"&\quad + b\,(1 - c)", r"&\quad - e", "&= d", r"&\approx 0.5"]


def test_the_numbers_of_a_factor_appear_at_their_own_step():
    text = fit(r"\frac{\partial O}{\partial w} = O\,(1 - O) \cdot x = 0.5\,(1 - 0.5) \cdot 2 \approx 0.5", 2, 7)
    assert r"\frac{\partial O}{\partial w} &= O\,(1 - O) \cdot x \\" in text  # the formula from the start
    assert r"\uncover<7->{{}= 0.5\,(1 - 0.5) \cdot 2}" in text
    assert r"\uncover<7->{{}\approx 0.5}" in text


def test_factors_share_rows_evenly():
    assert [len(r) for r in factor_rows(range(6))] == [3, 3]
    assert [len(r) for r in factor_rows(range(4))] == [4]
    assert [len(r) for r in factor_rows(range(5))] == [3, 2]


@pytest.mark.slow
def test_w1_of_two_paths_takes_a_step_per_route_formula_number_product_and_sum():
    paths = gradients_json(TWO_PATHS)["gradients"]["w1"]["paths"]
    assert [len(p["factors"]) for p in paths] == [4, 4]  # the seed lecture's second network
    w1 = [
        f
        for f in frames(slides_tex(TWO_PATHS))
        if re.match(r"\\begin\{frame\}\[t\]\{\$\\partial L / \\partial w_\{1\}\$", f)
    ]
    assert len(w1) == len(paths) + 1  # a frame per path, one for the sum
    assert sum(overlay_count(f) for f in w1) == expected_steps(paths) == 23


@pytest.mark.slow
def test_the_deck_is_sixteen_by_nine_at_fourteen_points_in_the_plain_theme():
    tex = slides_tex(TWO_PATHS)
    assert tex.startswith(r"\documentclass[aspectratio=169,14pt]{beamer}")
    assert r"\usetheme{default}" in tex and r"\setbeamertemplate{navigation symbols}{}" in tex
    assert r"\begin{tikzpicture}" in tex  # the network and w1's paths are drawn


@pytest.mark.slow
def test_the_command_writes_the_slides_beside_the_notes(tmp_path, monkeypatch):
    shutil.copy(TWO_PATHS, tmp_path / "two_paths.yaml")
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["two_paths.yaml", "-f", "slides-tex"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "output" / "two_paths.slides.tex").read_text().startswith(r"\documentclass")
    assert not (tmp_path / "output" / "two_paths.tex").exists()


@pytest.mark.slow
def test_a_templates_folder_overrides_the_deck(tmp_path):
    (tmp_path / "slides").mkdir()
    (tmp_path / "slides" / "deck.tex.j2").write_text("%# house style\n\\VAR{doc.loss.value} \\VAR{table | length}\n")
    # two_paths: L = ½(0.01 − 0.74139)² ≈ 0.26747 (the seed lecture's second network); 15 parameters in 2 slides of 8
    assert slides_tex(TWO_PATHS, templates=str(tmp_path)) == "0.26747 2\n"


@pytest.mark.slow
def test_user_text_in_the_title_is_escaped(tmp_path):
    net = tmp_path / "net.yaml"
    net.write_text(TWO_PATHS.read_text().replace("title: Two paths from the loss to w1", 'title: "50% & $5 #1"'))
    assert r"\title{50\% \& \ensuremath{\$}5 \#1}" in slides_tex(net)


def test_a_network_without_gradients_says_why_and_stops_after_the_loss(tmp_path):
    # the perceptron with a step activation: back-propagation has nothing to work with
    net = tmp_path / "step.yaml"
    text = (ROOT / "examples" / "perceptron.yaml").read_text()
    net.write_text(
        text.replace("activation: sigmoid, threshold: 0.5", "activation: step").replace(
            "loss: binary_cross_entropy", "loss: squared_error"
        )
    )
    titles = re.findall(r"\\begin\{frame\}(?:\[t\])?\{([^}$]*)", slides_tex(net))
    assert titles[-2:] == ["The loss", "No gradients"]


# -- compiled ------------------------------------------------------------------------------------------
def need_tex():
    if not shutil.which("pdflatex"):
        pytest.skip("pdflatex is not installed; CI installs the Debian packages texlive-latex-extra texlive-pictures")
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext is not installed; CI installs the Debian package poppler-utils")


def compile_deck(tex: str, folder) -> tuple[str, list[str]]:
    """pdflatex once (overlays need no second run): the log and the text of each page."""
    (folder / "deck.tex").write_text(tex, encoding="utf-8")
    cmd = ["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "deck.tex"]
    run = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, timeout=120)
    log = (folder / "deck.log").read_text(encoding="utf-8", errors="replace")
    assert run.returncode == 0, log[-2000:]
    text = subprocess.run(["pdftotext", "-layout", "deck.pdf", "-"], cwd=folder, capture_output=True, text=True)
    return log, text.stdout.replace("\u2212", "-").split("\f")


@pytest.mark.slow
@pytest.mark.parametrize("path", example_networks(), ids=lambda p: p.stem)
def test_every_example_compiles_with_nothing_off_a_frame_and_every_gradient_shown(path, tmp_path):
    need_tex()
    log, pages = compile_deck(slides_tex(path), tmp_path)
    wide = [float(w) for w in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]
    assert [w for w in wide if w > 2] == []
    tall = [float(h) for h in re.findall(r"Overfull \\vbox \(([\d.]+)pt too high\)", log)]
    assert tall == []  # a frame taller than the slide loses its foot
    numbers = gradients_json(path)
    shown = numbers.get("carried", {}).get("gradients") or {k: g["value"] for k, g in numbers["gradients"].items()}
    text = " ".join(pages)
    missing = [(name, significant(v)) for name, v in shown.items() if significant(v) not in text]
    assert missing == []


@pytest.mark.slow
def test_the_pages_of_w1_in_two_paths_follow_its_paths_and_factors(tmp_path):
    need_tex()
    _, pages = compile_deck(slides_tex(TWO_PATHS), tmp_path)
    paths = gradients_json(TWO_PATHS)["gradients"]["w1"]["paths"]
    titles = [f"path {i} of {len(paths)}" for i in range(1, len(paths) + 1)] + [f"{len(paths)} paths add up"]
    assert sum(1 for page in pages if any(t in page for t in titles)) == expected_steps(paths)


@pytest.mark.slow
def test_the_slides_format_is_a_pdf():
    need_tex()
    pdf = derive.explain(str(TWO_PATHS), fmt="slides").text
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
