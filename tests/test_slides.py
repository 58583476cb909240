"""The Beamer slides (`derive -f slides` / `-f slides-tex`): built from the notes' numbers, every
example compiles with nothing running off a frame, w1's chain rule in two_paths is built up in as many
overlay steps as its paths and factors call for, and every gradient is printed on some slide."""

import json
import math
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
import yaml
from click.testing import CliRunner

import derive
from derive import load_network
from derive.calculus.graph import forward
from derive.cli import main
from derive.pictures.diagram import one_path, scene, tikz_of
from derive.pictures.layout import paths_to
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
    lit on its diagram (1; the diagram then stays in view), each factor's formula then its number (2
    per factor, the factor's edge marked on the diagram during both), the product (1); with more than
    one path, a frame that adds each product in turn (1 per path) and then the sum (1)."""
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


# -- the diagram on a path's frames ------------------------------------------------------------------
NUMBER = r"(-?[\d.]+)"
POINT = rf"\({NUMBER},{NUMBER}\)"
BEZIER = rf"{POINT} \.\. controls {POINT} and {POINT} \.\. {POINT};"
# the name written in an input box, a neuron or the loss box: `$O_{11}$`, `\bfseries\itshape L` (at
# the notes' 9 pt or the slides' larger size; a neuron's value below it, `$0.759$`, is no name)
NODE = re.compile(
    rf"\\node\[txt, text=[^\]]*\] at {POINT} \{{\\fontsize\{{[\d.]+\}}[^}}]*\}}\\selectfont\{{\}}(?!\$-?[\d.])(.*)\}};"
)
STROKE = re.compile(
    rf"^\\draw\[line width=([\d.]+)pt, draw=(\{{rgb[^}}]*\}})(?:, dash pattern=([^\]]*))?\] {BEZIER}", re.M
)
BAND = re.compile(
    rf"\\only<([\d-]+)>\{{\\draw\[line width=6pt, draw=(\{{rgb[^}}]*\}}), draw opacity=0\.3\] {BEZIER}\}}"
)
LEGEND = re.compile(
    r"\\draw\[line width=1\.5pt, draw=(\{rgb[^}]*\})(?:, dash pattern=([^\]]*))?\] \([^)]*\) -- \([^)]*\);\n"
    r"\\node\[[^\]]*\] at \([^)]*\) \{\\fontsize\{[^}]*\}\{[^}]*\}\\selectfont\{\}(Path \d+)\};"
)


def node_places(tikz: str) -> dict[str, tuple[float, float]]:
    """Each node's name (O11, x1, L) and where the picture writes it."""
    out = {}
    for x, y, text in NODE.findall(tikz):
        name = re.sub(r"[$_{}]", "", text.replace(r"\bfseries\itshape ", ""))
        out[name] = (float(x), float(y))
    return out


def edge_of(line: tuple[str, ...], places: dict) -> tuple[str, str]:
    """The (source, target) a curve joins: the nodes nearest its first and last points."""
    ends = [(float(line[0]), float(line[1])), (float(line[-2]), float(line[-1]))]
    return tuple(min(places, key=lambda n: (places[n][0] - x) ** 2 + (places[n][1] - y) ** 2) for x, y in ends)


def lit_edges(tikz: str) -> dict[tuple[str, str], tuple[str, str]]:
    """The edges drawn as a path (1.5 pt, as a path's stroke in the notes' picture), each with its colour
    and dash; a faint edge is a 0.6 pt grey line."""
    places = node_places(tikz)
    return {edge_of(m[3:], places): (m[1], m[2]) for m in STROKE.findall(tikz) if m[0] == "1.5"}


def factor_edge(label: str, uses: dict) -> tuple[str, str]:
    """The edge a chain-rule factor of the JSON concerns: dO31/dO21 is the edge O21 → O31, dL/dO31 the
    edge O31 → L, dO11/dw1 the edge w1 sits on (x1 → O11 in the network file)."""
    top, bottom = label[1:].split("/d")
    return uses.get(bottom, (bottom, top))


@pytest.mark.slow
def test_each_path_frame_of_w1_lights_that_path_alone_and_marks_each_factor_while_it_is_shown():
    spec = yaml.safe_load(TWO_PATHS.read_text())
    # where each weight sits, from the network file: {x1: w1} under O11 is the edge x1 → O11
    uses = {w: (src, n) for n, v in spec["neurons"].items() for src, w in v["from"].items()}
    paths = gradients_json(TWO_PATHS)["gradients"]["w1"]["paths"]
    net = load_network(str(TWO_PATHS))
    notes_picture = tikz_of(scene(net, forward(net, net.data[0]), highlight="w1"))  # the notes' picture
    legend = {name: (color, dash) for color, dash, name in LEGEND.findall(notes_picture)}
    assert len(legend) == 2 and len(set(legend.values())) == 2  # two paths, told apart by colour and dash
    tex = slides_tex(TWO_PATHS)
    every = set()
    for k, path in enumerate(paths, start=1):
        route = path["route"]  # ["L", "O31", "O21", "O11", "w1"]
        expected = {(route[i + 1], route[i]) for i in range(len(route) - 2)} | {uses[route[-1]]}
        every |= expected
        assert len(expected) == len(path["factors"]) == 4
        (frame,) = [f for f in frames(tex) if f"path {k} of {len(paths)}" in f.split("\n", 1)[0]]
        lit = lit_edges(frame)
        assert set(lit) == expected  # that path's edges, and no other edge, drawn as a path
        assert set(lit.values()) == {legend[f"Path {k}"]}  # in the colour and dash the notes' legend gives it
        bands = {spec_: edge_of(m, node_places(frame)) for spec_, _, *m in BAND.findall(frame)}
        # factor j's formula is shown at step 2j and its number at 2j + 1: its edge is marked then
        assert bands == {
            f"{2 * j}-{2 * j + 1}": factor_edge(f["label"], uses) for j, f in enumerate(path["factors"], 1)
        }
    (total,) = [f for f in frames(tex) if "paths add up" in f.split("\n", 1)[0]]
    assert set(lit_edges(total)) == every  # the sum's frame: both routes lit


def test_the_factor_of_a_bias_rings_its_neuron():
    # pass_fail: b1 is O1's bias; its one path L → O2 → O1 → b1 has the factors ∂L/∂O2, ∂O2/∂O1, ∂O1/∂b1,
    # the first two about the edges O2 → L and O1 → O2, the last about O1 itself (a bias has no edge)
    path = ROOT / "examples" / "pass_fail.yaml"
    (route,) = gradients_json(path)["gradients"]["b1"]["paths"]
    assert route["route"] == ["L", "O2", "O1", "b1"] and len(route["factors"]) == 3
    net = load_network(str(path))
    picture = one_path(
        scene(net, forward(net, net.data[0]), highlight="b1"), paths_to(net, "b1"), 0, ("2-3", "4-5", "6-7")
    )
    tikz = tikz_of(picture)
    places = node_places(tikz)
    bands = {spec: edge_of(m, places) for spec, _, *m in BAND.findall(tikz)}
    assert bands == {"2-3": ("O2", "L"), "4-5": ("O1", "O2")}
    (ring,) = re.findall(rf"\\only<6-7>\{{\\draw\[[^\]]*draw opacity=0\.3\] {POINT} circle", tikz)
    assert abs(float(ring[0]) - places["O1"][0]) < 0.01  # around O1 (its name is written at its centre)
    assert set(lit_edges(tikz)) == {("O1", "O2"), ("O2", "L")}


def test_lighting_one_path_leaves_the_notes_picture_as_it_was():
    net = load_network(str(TWO_PATHS))
    lit = scene(net, forward(net, net.data[0]), highlight="w1")
    before = tikz_of(lit)
    one = one_path(lit, paths_to(net, "w1"), 1, ("2-3", "4-5", "6-7", "8-9"))
    assert tikz_of(lit) == before and tikz_of(one) != before
    with pytest.raises(ValueError):  # a mark per factor: four factors on this path, not two
        one_path(lit, paths_to(net, "w1"), 1, ("2-3", "4-5"))


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


# -- how large the diagrams come out on a frame ----------------------------------------------------------
# A 16:9 frame of the deck's class options (aspectratio=169, 14pt, plain theme), measured by
# \typeout{\the\linewidth, \the\textheight} inside a titled [t] frame: 398.3386 pt and 252.0748 pt.
# \slidepicture{f\textheight}{…} scales a picture (its \useasboundingbox) to 1.25 times its size, or
# less when it would be wider than the line or taller than f × the text height (adjustbox max width,
# max totalheight, around \scalebox{1.25}).
LINEWIDTH, TEXTHEIGHT, GROWTH = 398.3386, 252.0748, 1.25
SLIDE_PICTURE = re.compile(
    r"\\slidepicture\{([\d.]+)\\textheight\}\{(\\begin\{tikzpicture\}.*?\\end\{tikzpicture\})", re.S
)
NAME_SIZE = re.compile(r"circle\[radius=[\d.]+pt\];\n\\node\[txt[^\]]*\] at \([^)]*\) \{\\fontsize\{([\d.]+)\}")
LABEL_SIZE = re.compile(r"minimum height=[\d.]+pt[^\]]*\] at \([^)]*\) \{\\fontsize\{([\d.]+)\}")


def shown(height: float, tikz: str) -> tuple[float, float]:
    """The smallest neuron name and the smallest weight or bias label of a picture, in points on the
    frame, when \\slidepicture fits it into the line's width and `height` × the text height."""
    width, tall = map(float, re.search(r"\\useasboundingbox \(0,0\) rectangle \(([\d.]+),([\d.]+)\)", tikz).groups())
    scale = min(GROWTH, LINEWIDTH / width, height * TEXTHEIGHT / tall)
    names = [float(x) for x in NAME_SIZE.findall(tikz)]
    labels = [float(x) for x in LABEL_SIZE.findall(tikz)]
    return scale * min(names), scale * min(labels, default=math.inf)


@pytest.mark.parametrize("name", ["pass_fail", "two_paths"])
def test_the_diagrams_of_the_examples_decks_are_readable_from_the_back(name):
    # names at least 10 pt and labels at least 8 pt on the frame (the notes' 9 pt names and 7 pt labels
    # scaled to a frame came out at 7–8 pt and 5.5–6.5 pt): the network's frame and every path's
    tex = slides_tex(ROOT / "examples" / f"{name}.yaml")
    pictures = SLIDE_PICTURE.findall(tex)
    assert len(pictures) > 2
    for height, tikz in pictures:
        names, labels = shown(float(height), tikz)
        assert names >= 10 and labels >= 8, (height, names, labels)


@pytest.mark.parametrize("path", example_networks(), ids=lambda p: p.stem)
def test_the_network_frame_shows_larger_text_than_the_notes_picture_would(path):
    net = load_network(str(path))
    notes = tikz_of(scene(net, forward(net, net.data[0])))  # what the deck showed before it drew its own
    frame = re.search(r"\\begin\{frame\}\[t\]\{The network\}.*?\\end\{frame\}", slides_tex(path), re.S)
    if frame is None or "circle[radius" not in notes:  # no picture, or a summary of the layers
        return
    ((height, tikz),) = SLIDE_PICTURE.findall(frame.group(0))
    assert shown(float(height), tikz)[0] > shown(float(height), notes)[0]
