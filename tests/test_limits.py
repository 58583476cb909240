"""Size limits explain themselves, and numerical edge cases are handled and said."""
import json

import pytest

from derive import DeriveError, explain
from tests.helpers import ROOT

TWO_PATHS = str(ROOT / "examples" / "two_paths.yaml")


def test_derivation_limit_gives_a_sample_and_says_so():
    text = (ROOT / "examples" / "two_paths.yaml").read_text().replace(", explain: [w1]", "")  # no choice made
    md = explain(text=text, max_derivations=3).text
    # the sample: w9 (nearest the loss), w1 (the input weight with most paths) and the six parameters
    # nearest the inputs (w1, w2, b1 of O11; w3, w4, b2 of O12)
    assert "This network has 15 parameters. Derivations are written out for 7 of them" in md
    assert md.count("### The gradient of") == 7
    assert "| $w_{1}$ |" in md.split("## 5. The update")[1]  # every gradient still in the table


def test_explain_names_the_derivations_and_rejects_unknown_names():
    md = explain(TWO_PATHS, derive_in_full=["w1", "b5"]).text
    assert md.count("### The gradient of") == 2
    with pytest.raises(DeriveError, match="w99"):
        explain(TWO_PATHS, derive_in_full=["w99"])


def test_expression_limit_leaves_out_the_composed_output():
    assert "single expression" in explain(TWO_PATHS).text
    assert "single expression" not in explain(TWO_PATHS, max_expression=5).text


def test_negative_limits_are_refused():
    with pytest.raises(DeriveError):
        explain(TWO_PATHS, max_paths=-1)


def test_zero_learning_rate_is_explained():
    text = (ROOT / "examples" / "pass_fail.yaml").read_text().replace("learning_rate: 0.1", "learning_rate: 0")
    md = explain(text=text).text
    assert "with a learning rate of 0 the gradients are found but no parameter changes" in md
    data = json.loads(explain(text=text, fmt="json").text)
    assert data["updated"]["w1"].startswith("0.0100000")


def test_relu_at_exactly_zero_uses_the_stated_convention():
    text = """
inputs: {x1: a}
neurons:
  h: {from: {x1: w1}, bias: -1, activation: relu}
  O1: {from: {h: w2}, bias: 0.5, activation: linear}
parameters: {w1: 0.5, w2: 2}
loss: half_squared_error
data: [{x1: 2, y: 0}]
"""
    # z_h = 0.5·2 − 1 = 0 exactly: ReLU'(0) is taken as 0, so ∂L/∂w1 = (O1 − y)·w2·0·x1 = 0.
    data = json.loads(explain(text=text, fmt="json").text)
    assert data["forward"]["h"]["z_exact"] == "0"
    assert data["gradients"]["w1"]["exact"] == "0"
    assert "derivative is taken as 0 at exactly z = 0" in explain(text=text).text
