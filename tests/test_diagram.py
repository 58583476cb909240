"""Network pictures: well-formed standalone SVG with every name, escaped labels, the chain-rule paths
to one parameter highlighted, the layered layout, and TikZ that pdflatex compiles."""
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from derive import load_network
from derive.calculus.graph import forward
from derive.pictures.diagram import layout, svg, tikz
from tests.helpers import ROOT, example_networks

EXAMPLES = [p.stem for p in example_networks()]
NS = "{http://www.w3.org/2000/svg}"

NASTY = """
title: "Skip <b>x</b> & R&D_100%"
inputs:
  x1: "<b>x</b>"
  x2: "R&D_100%"
  x3: "~^\\\\{}$#"
neurons:
  O11: {from: {x1: w1, x2: w2}, bias: b1, activation: tanh}
  O12: {from: {x2: w3, x3: 0.5}, bias: 0.25, activation: relu}
  O21: {from: {O11: w4, O12: w5, x1: w6}, bias: b2, activation: sigmoid}
  O31: {from: {O21: w7, O11: w8, x3: w1}, bias: b3, activation: sigmoid}
outputs: [O31]
parameters: {w1: 0.1, w2: -0.2, w3: 0.3, w4: 0.4, w5: 0.5, w6: -0.6, w7: 0.7, w8: 0.8, b1: 0.1, b2: -0.2, b3: 0.3}
data:
  - {x1: 1, x2: 2, x3: -1, y: 1}
"""

BIG = """
title: Too many neurons to draw
layers: [3, 61, 1]
activation: sigmoid
naming: lecture
parameters:
  random: {seed: 1, low: -1, high: 1, decimals: 2}
data:
  - {x: [1, 2, 3], y: 1}
"""


def _load(name_or_text):
    if "\n" in name_or_text:
        return load_network(text=name_or_text)
    return load_network(str(ROOT / "examples" / f"{name_or_text}.yaml"))


def _picture(name_or_text, **kw):
    net = _load(name_or_text)
    fwd = forward(net, net.data[0])
    return net, ET.fromstring(svg(net, fwd, **kw))


def _classes(el) -> list[str]:
    return (el.get("class") or "").split()


def _groups(root, cls):
    return [g for g in root.iter(f"{NS}g") if cls in _classes(g)]


def _texts(root) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{NS}text")]


def _shown(name: str, texts: list[str]) -> bool:
    return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", t) for t in texts)


@pytest.mark.parametrize("example", EXAMPLES + [NASTY])
def test_svg_is_standalone_and_names_everything(example):
    net, root = _picture(example)
    assert root.tag == f"{NS}svg"
    assert all(root.get(k) for k in ("width", "height", "viewBox"))
    if layout(net).big:
        assert "layer summary" in root.find(f"{NS}title").text
        return
    texts = _texts(root)
    for name in [*net.inputs, *(n.name for n in net.neurons), *net.parameters, "L"]:
        assert _shown(name, texts), name
    assert len(_groups(root, "edge")) == net.edge_count()
    assert len(_groups(root, "loss-edge")) == len(net.outputs)
    markup = svg(net, forward(net, net.data[0]))
    assert "href" not in markup and "@import" not in markup and "url(" not in markup


def test_names_have_lecture_subscripts():
    _, root = _picture("pass_fail")
    subs = [t for t in root.iter(f"{NS}tspan") if t.get("baseline-shift") == "sub"]
    assert {t.text for t in subs} >= {"1", "2", "3", "4"}
    w4 = [t for t in root.iter(f"{NS}text") if "".join(t.itertext()).startswith("w4 = ")]
    assert w4 and w4[0].text == "w" and w4[0][0].text == "4"


def test_user_labels_are_escaped():
    net = _load(NASTY)
    markup = svg(net, forward(net, net.data[0]))
    root = ET.fromstring(markup)
    assert not [el for el in root.iter() if el.tag.split("}")[-1] == "b"]
    assert "&lt;b&gt;x&lt;/b&gt;" in markup and "R&amp;D_100%" in markup
    texts = _texts(root)
    assert "<b>x</b>" in texts and "R&D_100%" in texts
    assert "<b>x</b>" in root.find(f"{NS}title").text


def _on_path(root):
    return {(g.get("data-source"), g.get("data-target")) for g in root.iter(f"{NS}g")
            if "on-path" in _classes(g) and {"edge", "loss-edge"} & set(_classes(g))}


def test_highlight_colours_exactly_the_two_paths_to_w1():
    net, root = _picture("two_paths", highlight="w1")
    assert _on_path(root) == {("x1", "O11"), ("O11", "O21"), ("O11", "O22"), ("O21", "O31"), ("O22", "O31"),
                              ("O31", "L")}
    edges = _groups(root, "edge")
    assert sum("off-path" in _classes(g) for g in edges) == net.edge_count() - 5
    assert [(g.get("data-source"), g.get("data-target"), g.get("data-weight")) for g in edges
            if "own" in _classes(g)] == [("x1", "O11", "w1")]
    strokes = {(g.get("data-source"), g.get("data-target")): [p.get("stroke") for p in g.iter(f"{NS}path")]
               for g in root.iter(f"{NS}g") if {"edge", "loss-edge"} & set(_classes(g))}
    # w1 reaches L along x1→O11→O21→O31 (Path 1, as the notes number it) and x1→O11→O22→O31 (Path 2):
    # the edges both share carry one line per path, the others one line in their path's colour
    one, two = strokes[("O11", "O21")], strokes[("O11", "O22")]
    assert len(one) == 1 and len(two) == 1 and one != two
    assert strokes[("x1", "O11")] == one + two and strokes[("O31", "L")] == one + two
    assert strokes[("O21", "O31")] == one and strokes[("O22", "O31")] == two
    grey = {c for g in edges if "off-path" in _classes(g) for c in strokes[(g.get("data-source"), g.get("data-target"))]}
    assert len(grey) == 1 and not grey & set(one + two)
    assert "the 2 chain-rule paths from L back to w1" in root.find(f"{NS}title").text


def test_highlight_follows_a_tied_weight_and_a_bias():
    _, root = _picture(NASTY, highlight="w1")
    assert ("x3", "O31") in _on_path(root) and ("x1", "O11") in _on_path(root)
    assert "the 3 chain-rule paths from L back to w1" in root.find(f"{NS}title").text
    _, root = _picture(NASTY, highlight="b2")
    assert _on_path(root) == {("O21", "O31"), ("O31", "L")}
    assert [g for g in _groups(root, "bias") if "on-path" in _classes(g)]  # the bias itself
    with pytest.raises(ValueError, match="not a parameter"):
        _picture("two_paths", highlight="w99")


def test_layout_is_layered_and_centred():
    lay = layout(_load("two_paths"))
    assert lay.columns == (("x1", "x2"), ("O11", "O12"), ("O21", "O22"), ("O31",), ("L",))
    lay = layout(_load(NASTY))
    assert lay.column["O31"] == 3 and lay.column["O21"] == 2 and lay.column["L"] == 4
    middles = {round(sum(lay.pos[n][1] for n in col) / len(col), 6) for col in lay.columns}
    assert len(middles) == 1
    assert lay.pos["L"][0] > max(lay.pos[n][0] for n in ("O31", "O21"))


def test_layout_orders_a_column_by_the_mean_row_of_its_sources():
    crossed = """
inputs: {x1: a, x2: b}
neurons:
  O11: {from: {x2: w1}, activation: sigmoid}
  O12: {from: {x1: w2}, activation: sigmoid}
  O21: {from: {O11: w3, O12: w4}, activation: sigmoid}
parameters: {w1: 1, w2: 1, w3: 1, w4: 1}
data:
  - {x1: 1, x2: 1, y: 1}
"""
    assert layout(_load(crossed)).columns[1] == ("O12", "O11")  # written order would cross x1→O12 and x2→O11


def test_svg_is_deterministic_and_values_can_be_hidden():
    net = _load("two_paths")
    fwd = forward(net, net.data[0])
    assert svg(net, fwd, highlight="w1") == svg(net, fwd, highlight="w1")
    texts = _texts(ET.fromstring(svg(net, show_values=False)))
    assert "w1" in texts and not any(t.startswith("w1 =") for t in texts)


def test_big_networks_become_a_layer_summary():
    net, root = _picture(BIG)
    assert "layer summary" in root.find(f"{NS}title").text
    assert not _groups(root, "edge")
    assert len(_groups(root, "layer")) == 4  # inputs, 61 hidden, 1 output, the loss
    assert "61 neurons" in _texts(root) and "183 edges in" in _texts(root)


def test_tikz_uses_lecture_names_and_escapes_labels():
    net = _load(NASTY)
    highlight = tikz(net, forward(net, net.data[0]), highlight="w1")
    assert "w_{1}" in highlight and "O_{31}" in highlight
    text = tikz(net, forward(net, net.data[0]))  # the full picture writes the inputs' labels and the title
    assert text.startswith(r"\begin{tikzpicture}") and text.rstrip().endswith(r"\end{tikzpicture}")
    assert "w_{1}" in text and "O_{31}" in text
    assert r"\textless{}b\textgreater{}x\textless{}/b\textgreater{}" in text and r"R\&D{\ttfamily\char95}100\%" in text  # the notes' escape
    assert "<b>" not in text and "R&D" not in text
    assert "\\VAR{" not in text and "\\BLOCK{" not in text and "\\#{" not in text


@pytest.mark.skipif(shutil.which("pdflatex") is None,
                    reason="pdflatex is not installed (Debian: apt-get install texlive-latex-base texlive-pictures)")
@pytest.mark.slow
def test_tikz_compiles_with_pdflatex(tmp_path):
    pictures = []
    for source, kw in (("two_paths", {"highlight": "w1"}), (NASTY, {"highlight": "w1"}), ("deep_sigmoid", {}),
                       (BIG, {})):
        net = _load(source)
        pictures.append(tikz(net, forward(net, net.data[0]), **kw))
    assert "w_{1}" in pictures[0]
    doc = "\\documentclass{standalone}\n\\usepackage{tikz}\n\\begin{document}\n" + "\n".join(pictures) + "\\end{document}\n"
    (tmp_path / "fig.tex").write_text(doc, encoding="utf-8")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "fig.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:]
    assert (tmp_path / "fig.pdf").stat().st_size > 1000
