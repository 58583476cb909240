"""Network pictures, checked as geometry: no label overlaps another label or a node, no label is crossed
by an edge other than its own, texts inside nodes stay inside them, the SVG and the TikZ picture draw
the labels where the layout put them, and each chain-rule path has its own colour, dash and legend
entry. Every example network and 50 seeded random networks are checked.

The checks use matplotlib's path geometry (matplotlib.path.Path), not the placement code's own."""

import random
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from matplotlib.path import Path as MPath

from derive import load_network
from derive.calculus.graph import forward
from derive.pictures.diagram import MAX_WIDTH, one_path, scene, svg, svg_of, tikz, tikz_of
from derive.pictures.layout import paths_to
from tests import oracle
from tests.helpers import example_networks

NS = "{http://www.w3.org/2000/svg}"
SLACK = 0.25  # points: shapes are shrunk by this much, so that touching is not counted as overlapping


def _bezier(points, n=48):
    t = np.linspace(0, 1, n)[:, None]
    p = np.array(points, dtype=float)
    return (1 - t) ** 3 * p[0] + 3 * (1 - t) ** 2 * t * p[1] + 3 * (1 - t) * t**2 * p[2] + t**3 * p[3]


def _shrunk(corners, by=SLACK):
    c = np.array(corners, dtype=float)
    centre = c.mean(axis=0)
    out = []
    for p in c:
        d = p - centre
        out.append(p - by * d / np.linalg.norm(d))
    return np.array(out)


def _polygon(corners):
    c = _shrunk(corners)
    return MPath(np.vstack([c, c[:1]]), closed=True)


def _polys_overlap(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if (a.max(axis=0) < b.min(axis=0)).any() or (b.max(axis=0) < a.min(axis=0)).any():
        return False
    return _polygon(a).intersects_path(_polygon(b), filled=True)


def _crossed(corners, line) -> bool:
    """Does a polyline cross the polygon's outline or run inside it? (Not filled: an open curve
    filled would be the region between it and its chord.)"""
    line = np.asarray(line, dtype=float)
    c = np.asarray(corners, dtype=float)
    lo, hi = c.min(axis=0), c.max(axis=0)
    if (line.max(axis=0) < lo).any() or (line.min(axis=0) > hi).any():
        return False
    outline = _polygon(corners)
    return outline.intersects_path(MPath(line), filled=False) or outline.contains_points(line).any()


def _circle_meets(corners, x, y, r) -> bool:
    """Does the polygon come within r of (x, y)? Sampled densely along its outline."""
    c = _shrunk(corners)
    if (c.max(axis=0) < (x - r, y - r)).any() or (c.min(axis=0) > (x + r, y + r)).any():
        return False
    if _polygon(corners).contains_point((x, y)):
        return True
    ring = np.vstack([c, c[:1]])
    pts = np.concatenate([np.linspace(p, q, 60) for p, q in zip(ring[:-1], ring[1:])])
    return bool((np.hypot(pts[:, 0] - x, pts[:, 1] - y) < r - SLACK).any())


def _node_polygon(sh):
    if sh["shape"] == "circle":
        return None
    x, y, w, h = sh["x"], sh["y"], sh["w"], sh["h"]
    return [(x - w / 2, y - h / 2), (x + w / 2, y - h / 2), (x + w / 2, y + h / 2), (x - w / 2, y + h / 2)]


def _problems(s) -> list[str]:
    """Every overlap in a scene: label/label, label/node, label crossed by a foreign edge or leader,
    a node's text outside its node, anything above the heading band's bottom."""
    found = []
    labels = s["labels"]
    nodes = s["nodes"]
    strokes = [((e["source"], e["target"]), _bezier(st["points"])) for e in s["edges"] for st in e["strokes"]]
    leaders = [(lab["owner"], np.array(lab["leader"])) for lab in labels if lab["leader"]]
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            if _polys_overlap(a["corners"], b["corners"]):
                found.append(f"label {a['owner']} overlaps label {b['owner']}")
        for sh in nodes:
            poly = _node_polygon(sh)
            hit = (
                _circle_meets(a["corners"], sh["x"], sh["y"], sh["r"])
                if poly is None
                else _polys_overlap(a["corners"], poly)
            )
            if hit:
                found.append(f"label {a['owner']} overlaps node {sh['name']}")
        for owner, line in strokes:
            own = a["kind"] == "weight" and owner == a["owner"] and not a["leader"]
            if not own and _crossed(a["corners"], line):
                found.append(f"label {a['owner']} is crossed by edge {owner}")
        for owner, line in leaders:
            if owner != a["owner"] and _crossed(a["corners"], line):
                found.append(f"label {a['owner']} is crossed by the leader of {owner}")
    for owner, line in leaders:
        for edge, stroke in strokes:
            if edge != owner and edge != ("leader", owner) and MPath(line).intersects_path(MPath(stroke), filled=False):
                found.append(f"the leader of {owner} crosses edge {edge}")
    for sh in nodes:
        for t in sh["texts"]:
            corners = t["box"].corners()
            if sh["shape"] == "circle":
                far = max(np.hypot(x - sh["x"], y - sh["y"]) for x, y in corners)
                if far > sh["r"]:
                    found.append(f"text in {sh['name']} reaches {far:.1f} from its centre, radius {sh['r']}")
            else:
                x0, y0 = sh["x"] - sh["w"] / 2, sh["y"] - sh["h"] / 2
                if not all(x0 <= x <= x0 + sh["w"] and y0 <= y <= y0 + sh["h"] for x, y in corners):
                    found.append(f"text in {sh['name']} leaves its box")
    band = max([t["baseline"] + 3 for t in s["title_lines"]] + [i["y"] + 3 for i in s["legend"]] + [0])
    tops = [sh["y"] - (sh["r"] if sh["shape"] == "circle" else sh["h"] / 2) for sh in nodes]
    tops += [min(y for _, y in lab["corners"]) for lab in labels]
    if min(tops) < band:
        found.append(f"the picture starts at {min(tops):.1f}, inside the heading band (to {band:.1f})")
    right = max(
        [sh["x"] + (sh["r"] if sh["shape"] == "circle" else sh["w"] / 2) for sh in nodes]
        + [x for lab in labels for x, _ in lab["corners"]]
    )
    bottom = max(
        [sh["y"] + (sh["r"] if sh["shape"] == "circle" else sh["h"] / 2) for sh in nodes]
        + [y for lab in labels for _, y in lab["corners"]]
    )
    if right > s["width"] or bottom > s["height"]:
        found.append(f"content reaches ({right:.1f}, {bottom:.1f}) outside the {s['width']} × {s['height']} picture")
    return found


def _svg_labels(markup):
    """(owner, x, y, angle, w, h) of every label group the SVG draws."""
    out = []
    root = ET.fromstring(markup)
    for g in root.iter(f"{NS}g"):
        if "label" not in (g.get("class") or "").split():
            continue
        m = re.fullmatch(r"translate\(([-\d.]+) ([-\d.]+)\)(?: rotate\(([-\d.]+)\))?", g.get("transform"))
        rect = g.find(f"{NS}rect")
        out.append(
            (
                g.get("data-owner"),
                float(m[1]),
                float(m[2]),
                float(m[3] or 0),
                float(rect.get("width")),
                float(rect.get("height")),
            )
        )
    return out


TIKZ_LABEL = re.compile(
    r"\\node\[inner sep=0pt, outer sep=0pt, fill=white[^\]]*?minimum width=([-\d.]+)pt, "
    r"minimum height=([-\d.]+)pt[^\]]*?(?:, rotate=([-\d.]+))?\] at \(([-\d.]+),([-\d.]+)\)"
)


def _tikz_labels(text):
    return [(float(m[4]), float(m[5]), -float(m[3] or 0), float(m[1]), float(m[2])) for m in TIKZ_LABEL.finditer(text)]


def _owner(lab):
    return lab["owner"] if isinstance(lab["owner"], str) else ">".join(lab["owner"])


def _check(net, fwd, highlight=None):
    s = scene(net, fwd, highlight=highlight)
    problems = _problems(s)
    assert not problems, problems[:8]
    expected = sorted((_owner(lab), lab["x"], lab["y"], lab["angle"], lab["w"], lab["h"]) for lab in s["labels"])
    drawn = sorted(_svg_labels(svg_of(s)))
    assert [d[0] for d in drawn] == [e[0] for e in expected]
    assert np.allclose([d[1:] for d in drawn], [e[1:] for e in expected], atol=0.01) if expected else not drawn
    in_tikz = sorted(_tikz_labels(tikz_of(s)))
    assert np.allclose(in_tikz, sorted(e[1:] for e in expected), atol=0.01) if expected else not in_tikz
    return s


EXAMPLES = [p for p in example_networks()]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_diagrams_have_no_overlaps(path):
    net = load_network(str(path))
    fwd = forward(net, net.data[0])
    s = _check(net, fwd)
    assert svg(net, fwd) == svg_of(s) and tikz(net, fwd) == tikz_of(s)  # one placement, drawn by both
    if not s["big"]:
        assert not s["key"], "every label of an example is on its picture"
        assert s["width"] <= MAX_WIDTH + 1e-6, "an example's picture fits the LaTeX text block by itself"
        assert all(lab["angle"] == 0 or abs(lab["angle"]) <= 60 for lab in s["labels"])
    for param in list(net.parameters)[:4]:
        _check(net, fwd, highlight=param)


def _random_networks():
    """50 seeded networks: layer sizes 1–5 with 1–5 layers after the inputs (some ending in 2–3
    outputs), and hand-wired ones with skip connections or an arbitrary DAG."""
    out = []
    for i in range(50):
        rng = random.Random(7000 + i)
        kind = i % 5
        if kind < 3:
            sizes = [rng.randint(1, 5) for _ in range(rng.randint(2, 6))]
            if kind == 2:
                sizes[-1] = rng.randint(2, 3)
            text, name = oracle.random_network(rng, sizes), f"{i}-{'-'.join(map(str, sizes))}"
        else:
            shape = rng.choice(["skip", "dag"]) if kind == 3 else None
            text, name = oracle.random_network(rng, shape), f"{i}-{shape or 'any'}"
        marks = () if i < 5 else (pytest.mark.slow,)  # five of each kind in the fast tier, all in the full one
        out.append(pytest.param(text, id=name, marks=marks))
    return out


@pytest.mark.parametrize("text", _random_networks())
def test_random_diagrams_have_no_overlaps(text):
    net = load_network(text=text)
    fwd = forward(net, net.data[0])
    _check(net, fwd)
    _check(net, fwd, highlight=next(iter(net.parameters)))


def test_each_path_of_w1_has_its_own_colour_dash_and_legend_entry():
    # The notes number w1's paths in two_paths as Path 1 = L → O31 → O21 → O11 → w1 and
    # Path 2 = L → O31 → O22 → O11 → w1 (derive.steps.backward lists routes depth first in the order
    # O11's connections are written: O21, then O22).
    net = load_network("examples/two_paths.yaml")
    markup = svg(net, forward(net, net.data[0]), highlight="w1")
    root = ET.fromstring(markup)
    legend = [g for g in root.iter(f"{NS}g") if "legend-item" in (g.get("class") or "")]
    assert ["".join(g.find(f"{NS}text").itertext()) for g in legend] == ["Path 1", "Path 2"]
    styles = [(g.find(f"{NS}line").get("stroke"), g.find(f"{NS}line").get("stroke-dasharray")) for g in legend]
    assert styles[0][0] != styles[1][0] and styles[0][1] != styles[1][1]  # colour and dash both differ
    edges = {(g.get("data-source"), g.get("data-target")): g for g in root.iter(f"{NS}g") if g.get("data-source")}

    def look(edge):
        return [(p.get("stroke"), p.get("stroke-dasharray")) for p in edges[edge].iter(f"{NS}path")]

    assert look(("O11", "O21")) == [styles[0]] and look(("O21", "O31")) == [styles[0]]
    assert look(("O11", "O22")) == [styles[1]] and look(("O22", "O31")) == [styles[1]]
    assert look(("x1", "O11")) == styles  # both paths start on w1's own edge
    text = tikz(net, forward(net, net.data[0]), highlight="w1")
    assert "Path 1" in text and "Path 2" in text and "dash pattern=on" in text


def test_a_picture_with_one_path_names_it_without_a_number():
    net = load_network("examples/deep_sigmoid.yaml")
    root = ET.fromstring(svg(net, forward(net, net.data[0]), highlight="w1"))
    legend = ["".join(g.itertext()) for g in root.iter(f"{NS}g") if "legend-item" in (g.get("class") or "")]
    assert legend == ["the path to w1"]


DENSE_8 = """title: eight wide
layers: [8, 8, 8, 1]
activation: sigmoid
parameters:
  random: {seed: 7, low: -1, high: 1, decimals: 2}
data:
  - {x: [-0.3, -0.2, -0.1, 0, 0.1, 0.2, 0.3, -0.3], y: 1}
"""


def test_a_highlight_lighting_many_edges_labels_only_the_parameters_own():
    """In [8, 8, 8, 1], w1 (on x1 → O11) reaches the loss through each of the 8 neurons of the second
    layer: 1 + 8 + 8 + 1 = 18 edges lit, more than a fan of labels has room for. The picture names w1
    alone (its numbers are in the notes beside it), places it clear of everything, and lights all 8
    routes."""
    net = load_network(text=DENSE_8)
    s = scene(net, forward(net, net.data[0]), highlight="w1")
    weights = [lab for lab in s["labels"] if lab["kind"] == "weight"]
    assert [lab["owner"] for lab in weights] == [("x1", "O11")]
    assert s["key"] == [] and _problems(s) == []
    assert len([e for e in s["edges"] if e["state"] == "on-path"]) == 18


def _check_slide(net, fwd, highlight=None):
    """The slides' drawing (larger text against the same gaps): the same geometry checks, every label
    on the picture, and drawn by the TikZ where it was placed."""
    s = scene(net, fwd, highlight=highlight, slide=True)
    if s["big"]:
        return s
    problems = _problems(s)
    assert not problems, problems[:8]
    assert not s["key"], "every label of an example is on its slide picture"
    in_tikz = sorted(_tikz_labels(tikz_of(s)))
    expected = sorted((lab["x"], lab["y"], lab["angle"], lab["w"], lab["h"]) for lab in s["labels"])
    assert np.allclose(in_tikz, expected, atol=0.01) if expected else not in_tikz
    return s


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_the_slides_pictures_of_every_example_have_no_overlaps(path):
    net = load_network(str(path))
    fwd = forward(net, net.data[0])
    notes, slide = scene(net, fwd), _check_slide(net, fwd)
    if not slide["big"]:
        # the text is set larger than the notes' (9 pt names, 7 pt labels), and no title (the frame has one)
        assert slide["sizes"]["name"] > notes["sizes"]["name"] == 9.0
        assert slide["sizes"]["text"] > notes["sizes"]["text"] == 7.0
        assert not slide["title_lines"]
    for param in net.parameters:
        lit = _check_slide(net, fwd, highlight=param)
        paths = paths_to(net, param)
        for k in range(len(paths.routes) if not lit["big"] else 0):
            for legend in (True, False):  # the slides' path frames draw it without its legend
                one = one_path(lit, paths, k, (), legend=legend)
                assert not _problems(one), _problems(one)[:8]
                assert bool(one["legend"]) == legend


@pytest.mark.parametrize("text", _random_networks()[::5])  # two of each kind: a slide's search takes ~1 s
def test_the_slides_pictures_of_random_networks_have_no_overlaps(text):
    net = load_network(text=text)
    fwd = forward(net, net.data[0])
    _check_slide(net, fwd)
    _check_slide(net, fwd, highlight=next(iter(net.parameters)))
