"""Plots: what they draw is checked against numbers computed here (the independent oracle's loss and
a central finite difference at 60 digits), and the output is repeatable and leaves matplotlib alone."""
import itertools
import xml.etree.ElementTree as ET

import matplotlib
import pytest
from mpmath import mp, mpf

from derive import load_network
from derive.pictures.figures import activations_plot, descent_curve, layer_gradients, to_float
from tests import oracle
from tests.helpers import ROOT

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _no_cached_figures(tmp_path, monkeypatch):
    """Every plot here is drawn by matplotlib, not read from the user's cache of drawn figures
    (tests/test_figure_cache.py tests the cache)."""
    from derive.pictures import figures

    monkeypatch.setattr(figures, "cache_folder", lambda: tmp_path / "figure-cache")

DEAD_RELU = """
title: A dead ReLU
inputs: {x1: a, x2: b}
neurons:
  O1: {from: {x1: w1}, activation: relu}
  O2: {from: {x2: w2}, bias: b1, activation: sigmoid}
  O3: {from: {O1: w3, O2: w4}, activation: sigmoid}
parameters: {w1: -1, w2: 0.5, w3: 0.3, w4: 0.7, b1: 0.1}
data:
  - {x1: 2, x2: 1, y: 1}
"""

SATURATED = """
title: A saturated sigmoid
inputs: {x1: a}
neurons:
  O1: {from: {x1: w1}, activation: sigmoid}
  O2: {from: {O1: w2}, activation: sigmoid}
parameters: {w1: 1, w2: 0.5}
data:
  - {x1: 1000, y: 0}
"""


def _text(name):
    return (ROOT / "examples" / f"{name}.yaml").read_text()


def _loss(text, param, value):
    """The oracle's loss with one parameter replaced (mpf, at the current precision)."""
    net = oracle.load(text)
    net["parameters"] = {**net["parameters"], param: value}
    return oracle.forward(net, net["data"][0], dps=mp.dps)["loss"]


@pytest.mark.slow
@pytest.mark.parametrize("example,param", [("two_paths", "w1"), ("pass_fail", "w1"), ("pass_fail", "b2")])
def test_descent_curve_tangent_and_step(example, param):
    text = _text(example)
    net = load_network(text=text)
    out = descent_curve(net, 1, param)
    data = out["data"]
    (x0, y0), (x1, y1) = data["tangent"]
    with mp.workdps(60):
        w = oracle.to_mpf(oracle.load(text)["parameters"][param])
        h = mpf(10) ** -20
        slope = (_loss(text, param, w + h) - _loss(text, param, w - h)) / (2 * h)
        eta = oracle.to_mpf(oracle.load(text)["learning_rate"])
        landing = w - eta * slope
        landing_loss = _loss(text, param, landing)
    assert (y1 - y0) / (x1 - x0) == pytest.approx(float(slope), rel=1e-6)
    assert data["gradient"] == pytest.approx(float(slope), rel=1e-12)
    assert data["update"][0] == pytest.approx(float(landing), rel=1e-12, abs=1e-15)
    assert data["update"][1] == pytest.approx(float(landing_loss), rel=1e-12)
    assert data["w_new"] == data["update"][0]
    assert len(data["curve"]["x"]) == 200 and min(data["curve"]["x"]) < data["w_new"] < max(data["curve"]["x"])


@pytest.mark.slow
def test_descent_curve_output_is_repeatable_and_well_formed(monkeypatch):
    from derive.pictures import figures

    monkeypatch.setattr(figures, "cache_folder", lambda: None)  # both drawn, not the second read back
    net = load_network(text=_text("pass_fail"))
    before = dict(matplotlib.rcParams)
    first, second = descent_curve(net, 1, "w4"), descent_curve(net, 1, "w4")
    assert dict(matplotlib.rcParams) == before  # no style leaks out
    assert first["svg"] == second["svg"] and first["png"] == second["png"]
    assert first["png"].startswith(PNG)
    root = ET.fromstring(first["svg"])
    assert root.tag.endswith("svg") and "<dc:date>" not in first["svg"]
    assert b"Software" not in first["png"][:200]
    assert 'id="tangent"' in first["svg"] and 'id="update"' in first["svg"]
    with pytest.raises(ValueError, match="not a parameter"):
        descent_curve(net, 1, "w99")
    with pytest.raises(ValueError, match="no data point 2"):
        descent_curve(net, 2, "w1")


@pytest.mark.slow
def test_activations_plot_marks_the_largest_slopes():
    out = activations_plot()
    assert out["data"]["sigmoid"]["max"] == 0.25 and out["data"]["sigmoid"]["max_text"] == "0.25"
    assert out["data"]["tanh"]["max"] == 1.0
    assert out["data"]["relu"]["at_zero"] == 0.0
    for gid in ("sigmoid-max", "tanh-max", "relu-zero", "relu-open"):
        assert f'id="{gid}"' in out["svg"]
    assert out["png"].startswith(PNG)
    ET.fromstring(out["svg"])


@pytest.mark.slow
def test_layer_gradients_show_the_vanishing_gradient():
    text = _text("deep_sigmoid")
    out = layer_gradients(load_network(text=text), 1)
    logs = out["data"]["log10"]
    assert sorted(logs) == [1, 2, 3, 4, 5]
    grads = oracle.gradients_fd(text, oracle.load(text)["data"][0])
    with mp.workdps(30):
        for layer in logs:
            ((name, value),) = logs[layer].items()
            assert name == f"w{layer}"
            assert value == pytest.approx(float(mp.log10(abs(grads[name]))), abs=1e-9)
    means = out["data"]["mean_log10"]
    assert [means[k] for k in sorted(means)] == sorted(means.values())  # smaller toward the input
    assert out["data"]["skipped"] == [] and out["png"].startswith(PNG)


@pytest.mark.slow
def test_layer_gradients_skip_zeros_and_survive_tiny_values():
    out = layer_gradients(load_network(text=DEAD_RELU), 1)
    assert out["data"]["skipped"] == ["w1", "w3"]
    assert "2 zero gradients not shown" in out["data"]["title"]
    out = layer_gradients(load_network(text=SATURATED), 1)
    assert out["data"]["log10"][1]["w1"] < -400  # e^-1000 is far below the smallest float
    assert out["png"].startswith(PNG)


@pytest.mark.slow
def test_span_and_float_guard():
    net = load_network(text=_text("pass_fail"))
    data = descent_curve(net, 1, "w4", span=(-1, 1))["data"]
    assert data["curve"]["x"][0] == -1.0 and data["curve"]["x"][-1] == 1.0
    assert to_float(mpf("1e400")) == 1e300 and to_float(mpf("-1e400")) == -1e300


@pytest.mark.slow
def test_descent_curve_shows_the_bowl_when_there_is_one():
    """regression_lr, data point 1: x1 = −1, y = −1, O1 = w1·x1 + b1 = −w1 (b1 = 0), so with the
    squared error L(w1) = (−1 − (−w1))² = (w1 − 1)²: a bowl with its bottom at w1 = 1 (hand
    calculation). The wide panel finds it; pass_fail's L(w4) = (1 − σ(0.759·w4 + 0.03))² only falls
    as w4 grows (σ rises toward 1), so there the panel has no lowest point and says so."""
    net = load_network(text=_text("regression_lr"))
    out = descent_curve(net, 1, "w1")
    wide = out["data"]["wide"]
    assert wide["minimum"][0] == pytest.approx(1.0, abs=0.05)
    assert wide["minimum"][1] == pytest.approx(0.0, abs=0.01)
    assert 'id="lowest"' in out["svg"]
    flat = descent_curve(load_network(text=_text("pass_fail")), 1, "w4")
    ys = flat["data"]["wide"]["y"]
    assert flat["data"]["wide"]["minimum"] is None and all(a > b for a, b in itertools.pairwise(ys))
    assert max(ys) - min(ys) > 0.3  # wide enough to see it flatten, not a straight piece of line


@pytest.mark.slow
def test_descent_curve_gives_the_carried_numbers_of_a_hand_calculation():
    """pass_fail carries truncated values (O1 = 0.759, O2 = 0.51129): its notes print ∂L/∂w4 ≈ −0.18537
    (the lecture's hand calculation: −2(1 − 0.51129) · 0.51129(1 − 0.51129) · 0.759), while full
    precision gives −0.18554. The picture names both."""
    with mp.workdps(30):
        hand = -2 * (1 - mpf("0.51129")) * mpf("0.51129") * (1 - mpf("0.51129")) * mpf("0.759")
    assert mp.nstr(hand, 5) == "-0.18537"
    out = descent_curve(load_network(text=_text("pass_fail")), 1, "w4")
    assert out["data"]["carried"]["gradient"] == pytest.approx(float(hand), rel=1e-4)
    with mp.workdps(30):  # full precision by hand: O1 = σ(1.151), z2 = 0.02·O1 + 0.03, O2 = σ(z2)
        o1 = 1 / (1 + mp.exp(-mpf("1.151")))
        o2 = 1 / (1 + mp.exp(-(mpf("0.02") * o1 + mpf("0.03"))))
        full = -2 * (1 - o2) * o2 * (1 - o2) * o1
    assert mp.nstr(full, 5) == "-0.18554"
    assert out["data"]["gradient"] == pytest.approx(float(full), rel=1e-12)


@pytest.mark.parametrize(("fmt", "drawn"), [("html", {"svg"}), ("tex", set()), ("pdf", {"pdf"}), ("json", set())])
def test_a_plot_is_drawn_only_in_the_format_the_output_needs(fmt, drawn, monkeypatch):
    """HTML embeds the SVG; a PDF includes the plot's PDF twin (LaTeX's text only names it: the twin is
    drawn when the file is written or compiled); JSON draws nothing; no PNG (the tests' own) ever."""
    from derive import explain
    from derive.pictures import figures

    seen = []
    real = figures._save

    def save(fig, kind):
        seen.append(kind)
        return real(fig, kind)

    monkeypatch.setattr(figures, "_save", save)
    explain(str(ROOT / "examples" / "pass_fail.yaml"), fmt=fmt, pictures=fmt != "json")  # its descent plot
    assert set(seen) == drawn and len(seen) == len(drawn)


@pytest.mark.slow
def test_the_shipped_activations_plot_is_what_derive_draws():
    """The activations plot is the same for every network, so it is drawn once (by
    scripts/render_examples.py) and shipped; a fresh drawing must give the same bytes."""
    from derive.pictures.drawing import shipped_activations

    fresh, shipped = activations_plot(), shipped_activations()
    assert shipped["svg"] == fresh["svg"] and shipped["pdf"] == fresh["pdf"]
