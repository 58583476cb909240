"""The seed lecture's worked numbers (../shared/seed): z = 1.151, O1 = 0.759, z = 0.04518,
O2 = 0.51129, error ≈ 0.49, reproduced as a hand calculation and at full precision."""
import json
import re

import pytest
from mpmath import mp, mpf

from derive import explain
from derive.spec.loader import load
from tests.helpers import ROOT

SEED = (ROOT / "examples" / "pass_fail.yaml").read_text()
EXACT = SEED.replace("carry: truncate 3", "carry: exact")


@pytest.fixture(scope="module")
def hand_md() -> str:
    return explain(text=SEED, fmt="md").text


def test_hand_calculation_prints_the_seed_numbers(hand_md):
    # z = 95*0.01 + 4*0.02 + 4*0.03 + 0.001 = 0.95 + 0.08 + 0.12 + 0.001 = 1.151 (seed, exact)
    assert r"z_{1} &= 95 \cdot 0.01 + 4 \cdot 0.02 + 4 \cdot 0.03 + 0.001 = 1.151" in hand_md
    # seed: O1 = σ(1.151) = 0.759 (σ(1.151) = 0.75969…, truncated to 3 decimals)
    assert "O_{1} = 0.759$" in hand_md
    # seed: z = 0.759*0.02 + 0.03 = 0.01518 + 0.03 = 0.04518, exact from the carried O1
    assert r"z_{2} &= 0.759 \cdot 0.02 + 0.03 = 0.04518" in hand_md
    # seed: O2 = σ(0.04518) = 0.51129
    assert r"\sigma\left(0.04518\right)" in hand_md and "O_{2} = 0.51129$" in hand_md
    # seed: y − y_pred = 1 − 0.51129 = 0.48871 ≈ 0.49
    assert "y - O_{2} = 1 - 0.51129 = 0.48871" in hand_md


def test_hand_calculation_points_out_what_carrying_changed(hand_md):
    section = hand_md.split("## Hand calculation and full precision")[1]
    # Full precision: O1 = σ(1.151) = 0.759693… → 0.75969; O2 = σ(0.0451938…) = 0.511296… → 0.51130.
    assert "| $O_{1}$ | 0.759 | 0.75969 ← differs |" in section
    assert "| $O_{2}$ | 0.51129 | 0.51130 ← differs |" in section


def _sigma(z):
    return 1 / (1 + mp.exp(-z))


def test_full_precision_values_are_right_to_17_digits(high_precision):
    data = json.loads(explain(text=EXACT, fmt="json").text)
    # Independent computation, straight from the lecture's formulas at 80 digits.
    z1 = mpf(95) * mpf("0.01") + 4 * mpf("0.02") + 4 * mpf("0.03") + mpf("0.001")
    o1 = _sigma(z1)
    z2 = o1 * mpf("0.02") + mpf("0.03")
    o2 = _sigma(z2)
    loss = (1 - o2) ** 2
    # dL/dw4 = 2(O2 − y) · O2(1 − O2) · O1 ; dL/dw1 = 2(O2 − y) · O2(1 − O2) · w4 · O1(1 − O1) · x1
    g_w4 = 2 * (o2 - 1) * o2 * (1 - o2) * o1
    g_w1 = 2 * (o2 - 1) * o2 * (1 - o2) * mpf("0.02") * o1 * (1 - o1) * 95
    expected = {("forward", "O1", "z"): z1, ("forward", "O1", "O"): o1, ("forward", "O2", "z"): z2,
                ("forward", "O2", "O"): o2, ("loss",): loss, ("gradients", "w4", "value"): g_w4,
                ("gradients", "w1", "value"): g_w1, ("updated", "w1"): mpf("0.01") - mpf("0.1") * g_w1}
    for keys, want in expected.items():
        got = data
        for k in keys:
            got = got[k]
        assert len(re.sub(r"[^0-9]", "", got).lstrip("0")) >= 17, (keys, got)
        assert abs(mpf(got) - want) <= abs(want) * mpf(10) ** -19, (keys, got, want)
    assert data["forward"]["O1"]["z_exact"] == "1151/1000"


def test_exact_mode_shows_full_precision_values():
    md = explain(text=EXACT).text
    assert r"O_{1} &= \sigma\left(1.151\right) = \frac{1}{1 + e^{-1.151}} \approx 0.75969" in md
    assert r"\approx 0.51130" in md
    assert "Hand calculation and full precision" not in md


def test_round_mode_rounds_instead_of_truncating():
    md = explain(text=SEED.replace("truncate 3", "round 3")).text
    # σ(1.151) = 0.759693… rounds to 0.760 (truncation gave 0.759); 0.760 is written 0.76.
    assert "O_{1} = 0.76$" in md
    # z2 = 0.76·0.02 + 0.03 = 0.0152 + 0.03 = 0.0452
    assert r"z_{2} &= 0.76 \cdot 0.02 + 0.03 = 0.0452" in md


def test_seed_network_reads_as_the_lecture_writes_it():
    net = load(SEED)
    assert [n.name for n in net.neurons] == ["O1", "O2"]
    assert net.parameters["w1"].numerator == 1 and net.parameters["w1"].denominator == 100
    assert net.inputs["x2"] == "Study hours"


def test_json_holds_the_carried_values_beside_full_precision():
    """The JSON of the hand calculation gives both stories of numbers: full precision, and the
    carried values the notes print (seed: z = 1.151, O1 = 0.759, z = 0.04518, O2 = 0.51129)."""
    data = json.loads(explain(text=SEED, fmt="json").text)
    carried = data["carried"]
    assert carried["how"] == "truncated to 3 decimals"
    assert mpf(carried["forward"]["O1"]["z"]) == mpf("1.151")
    assert mpf(carried["forward"]["O1"]["O"]) == mpf("0.759")
    assert mpf(carried["forward"]["O2"]["z"]) == mpf("0.04518")  # 0.759·0.02 + 0.03, exact
    assert mpf(carried["forward"]["O2"]["O"]) == mpf("0.51129")
    with mp.workdps(30):
        # ∂L/∂w4 by hand from the carried values: −2(1 − O2)·O2(1 − O2)·O1
        hand = -2 * (1 - mpf("0.51129")) * mpf("0.51129") * (1 - mpf("0.51129")) * mpf("0.759")
        assert abs(mpf(carried["gradients"]["w4"]) - hand) < mpf(10) ** -18
        assert abs(mpf(carried["updated"]["w4"]) - (mpf("0.02") - mpf("0.1") * hand)) < mpf(10) ** -18
    # full precision stays where it was: O1 = σ(1.151) = 0.75969…
    assert data["forward"]["O1"]["O"].startswith("0.75969")
    assert "carried" not in json.loads(explain(text=EXACT, fmt="json").text)
