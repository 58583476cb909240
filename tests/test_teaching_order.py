"""Teachable order and length: the lecture's two derivations first (the weight nearest the loss, then
the input weight with the most paths), one full derivation per neuron, and the parameters feeding a
neuron already derived summarised after it ("w2 and w3 have the same breakdown as w1"), each with its
own number. The numbers are checked against central differences (tests/oracle.py), not against what
derive printed."""

from __future__ import annotations

import re

import pytest
from mpmath import mp, mpf

from derive import DeriveError, explain, load_network
from derive.spec.expand import expand_text
from tests import oracle
from tests.helpers import ROOT

EXAMPLES = ROOT / "examples"
RENDER = "render: {plot_weight: w1, explain: [w1]}"  # two_paths.yaml derives only w1 (as the lecture does)
TWO_PATHS = (EXAMPLES / "two_paths.yaml").read_text()
assert RENDER in TWO_PATHS
TWO_PATHS = TWO_PATHS.replace(RENDER, "render: {plot_weight: w1}")  # the default choice


def headings(md: str) -> list[str]:
    return re.findall(r"^### The gradient of \$(.+?)\$$", md, flags=re.M)


def test_pass_fail_derives_w4_then_w1_and_summarises_the_rest():
    md = explain(str(EXAMPLES / "pass_fail.yaml")).text
    # The lecture: "To update w4 ...", then "Similarly, to update w1 ...", then "w2 & w3 have same
    # breakdown as w1". b2 feeds O2 as w4 does, so it follows w4.
    assert headings(md) == ["w_{4}", "w_{1}"]
    assert "$b_{2}$ feeds $O_{2}$ too" in md
    assert "$w_{2}$, $w_{3}$ and $b_{1}$ feed $O_{1}$ too" in md
    assert "with $x_{2}$, $x_{3}$ and $1$ in place of $x_{1}$" in md
    # every parameter is still in the update table
    for p in ("w1", "w2", "w3", "w4", "b1", "b2"):
        assert f"\n| ${p[0]}_{{{p[1:]}}}$ | " in md, p


def test_two_paths_puts_w1_second_and_one_derivation_per_neuron():
    md = explain(text=TWO_PATHS).text
    # w9 (nearest the loss), w1 (two paths, the title's topic), then one parameter for each other
    # neuron: O21 (w5), O22 (w7), O12 (w3). The other ten are summarised.
    assert headings(md) == ["w_{9}", "w_{1}", "w_{5}", "w_{7}", "w_{3}"]
    assert "the same sum of 2 products with $x_{2}$ and $1$ in place of $x_{1}$" in md


def _shown(value: str) -> mpf:
    return mpf(value.replace("−", "-"))


@pytest.mark.parametrize("example", ["pass_fail", "two_paths", "softmax_3class", "deep_sigmoid"])
def test_summarised_gradients_agree_with_central_differences(example):
    """Every summarised parameter's gradient, as shown (5 significant digits), is the central
    difference of the loss rounded the same way. pass_fail carries truncated values (the lecture's
    hand calculation), so there the comparison is with the full-precision value to 2 digits only."""
    text = (EXAMPLES / f"{example}.yaml").read_text()
    text = TWO_PATHS if example == "two_paths" else text.replace("render: {explain: [w1]}", "")
    notes = explain(text=text)
    net = load_network(text=text)
    plain = oracle.load(expand_text(net))
    fd = oracle.gradients_fd(plain, plain["data"][0], dps=30)
    rows = [r for d in notes.document.backward.derived if d.alike for r in d.alike.rows]
    assert rows, "expected summarised parameters"
    digits = 2 if net.carry.mode != "exact" else 5
    for r in rows:
        name = r.tex.replace("_{", "").replace("}", "")
        got = _shown(r.value)
        with mp.workdps(30):
            want = fd[name]
            if want == 0:
                assert got == 0, name
            else:
                assert abs(got - want) <= abs(want) * mpf(10) ** (1 - digits), (name, got, want)


def test_the_file_names_what_is_derived_first(tmp_path):
    text = TWO_PATHS.replace("render: {plot_weight: w1}", "render: {plot_weight: w1, explain: [w1, b5]}")
    md = explain(text=text).text
    assert headings(md) == ["w_{1}", "b_{5}"]  # named: exactly these, in this order
    assert "`render: {explain: [w1, w4]}`" in md  # and the notes say how to choose
    # --explain on the command line wins over the file
    assert headings(explain(text=text, derive_in_full=["w9"]).text) == ["w_{9}"]
    # the explicit form written by --expand keeps the choice
    assert "explain: [w1, b5]" in expand_text(load_network(text=text))


@pytest.mark.parametrize(
    ("render", "message"),
    [
        ("render: {explain: [w99]}", "`w99` is not a parameter"),
        ("render: {explain: [w1, w1]}", "`w1` is listed twice"),
        ("render: {explain: w1}", "$.render.explain"),
    ],
)
def test_bad_explain_lists_are_refused_with_their_place(render, message):
    text = TWO_PATHS.replace("render: {plot_weight: w1}", render)
    with pytest.raises(DeriveError) as err:
        load_network(text=text)
    assert message in str(err.value)
    assert "$.render.explain" in str(err.value)


def test_a_zero_gradient_is_exact_and_said():
    """and_perceptron's point has x1 = 0, so ∂L/∂w1 = δ·x1 = 0 exactly (and ∂L/∂w2 too: x2 = 0), and
    w1_new = 0.3 − 0.1·0 = 0.3 exactly: no "≈ 0.30000"."""
    md = explain(str(EXAMPLES / "and_perceptron.yaml")).text
    assert "0.30000" not in md
    assert r"= 0.3 - 0.1 \cdot 0 = 0.3$" in md
    assert "The gradient is exactly 0, so this step leaves $w_{1}$ where it is." in md
    assert "$w_{2}$ has a gradient of exactly 0, so this step leaves it where it is." in md


def test_derivations_of_a_shape_already_shown_are_brief_and_right():
    """two_paths: w5 and w7 each reach the loss along one path through sigmoids, as w9 does; w3 along
    two, as w1 does. They are given as their products with numbers, and those numbers are the
    central differences of the loss to the 5 digits shown."""
    notes = explain(text=TWO_PATHS)
    md = notes.text
    assert "$w_{5}$ is found just as $w_{9}$ was: one path, $L \\to O_{31} \\to O_{21} \\to w_{5}$" in md
    assert "$w_{7}$ is found just as $w_{9}$ was" in md
    assert "$w_{3}$ is found just as $w_{1}$ was: 2 paths" in md
    brief = {d.name: d for d in notes.document.backward.derived if d.like}
    assert sorted(brief) == ["w3", "w5", "w7"]
    plain = oracle.load(expand_text(load_network(text=TWO_PATHS)))
    fd = oracle.gradients_fd(plain, plain["data"][0], dps=30)
    with mp.workdps(30):
        for name, d in brief.items():
            assert abs(_shown(d.value) - fd[name]) <= abs(fd[name]) * mpf(10) ** -4, name


def test_the_examples_declare_what_their_notes_derive():
    """two_paths derives w1 (the lecture derives only w1 there: its two paths), with w2 and b1 after
    it; deep_sigmoid derives w1, whose gradient vanishes along the chain."""
    md = explain(str(EXAMPLES / "two_paths.yaml")).text
    assert headings(md) == ["w_{1}"] and "$w_{2}$ and $b_{1}$ feed $O_{11}$ too" in md
    assert headings(explain(str(EXAMPLES / "deep_sigmoid.yaml")).text) == ["w_{1}"]
