"""A long training run: its late steps agree with an independent high-precision implementation, and a
run that keeps whole only what the notes show (bounded memory) computes and writes the same thing."""

from __future__ import annotations

import json
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
import yaml

from derive.spec.loader import load
from derive.spec.source import read_text
from derive.steps.training import progress_epochs, progress_steps, training_doc, whole_steps
from derive.train.run import EPOCH_WINDOW, run, settings_for
from derive.train.to_json import step_json, step_text, training_json, training_json_text

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "training_pass_fail.yaml"


def _reference_adam(text: str, steps: int, dps: int = 70) -> dict[str, mpmath.mpf]:
    """The example's network by hand, at `dps` digits: O1 = σ(w1·x1 + w2·x2 + w3·x3 + b1),
    O2 = σ(w4·O1 + b2), L = (y − O2)², one point a step in the file's order; gradients by the chain
    rule written out (∂L/∂O2 = −2(y − O2), σ′ = σ(1 − σ)); Adam as torch.optim.Adam documents it
    (ε outside the root, bias corrections 1 − βᵗ). Nothing from derive."""
    raw = yaml.safe_load(text)
    with mpmath.workdps(dps):
        num = lambda v: mpmath.mpf(str(v))  # noqa: E731 - the file's decimals, read as written
        w = {p: num(v) for p, v in raw["parameters"].items()}
        opt = raw["optimizer"]
        b1, b2, eps, eta = num(opt["beta1"]), num(opt["beta2"]), num(opt["epsilon"]), num(raw["learning_rate"])
        m = dict.fromkeys(w, mpmath.mpf(0))
        v = dict.fromkeys(w, mpmath.mpf(0))
        data = raw["data"]
        sig = lambda z: 1 / (1 + mpmath.exp(-z))  # noqa: E731
        for t in range(1, steps + 1):
            d = data[(t - 1) % len(data)]
            x = [num(d["x1"]), num(d["x2"]), num(d["x3"])]
            o1 = sig(w["w1"] * x[0] + w["w2"] * x[1] + w["w3"] * x[2] + w["b1"])
            o2 = sig(w["w4"] * o1 + w["b2"])
            d2 = -2 * (num(d["y"]) - o2) * o2 * (1 - o2)
            d1 = d2 * w["w4"] * o1 * (1 - o1)
            g = {"w1": d1 * x[0], "w2": d1 * x[1], "w3": d1 * x[2], "b1": d1, "w4": d2 * o1, "b2": d2}
            for p in w:
                m[p] = b1 * m[p] + (1 - b1) * g[p]
                v[p] = b2 * v[p] + (1 - b2) * g[p] ** 2
                mhat, vhat = m[p] / (1 - b1**t), v[p] / (1 - b2**t)
                w[p] = w[p] - eta * mhat / (mpmath.sqrt(vhat) + eps)
        return w


@pytest.mark.slow
def test_a_thousand_adam_steps_agree_with_a_70_digit_reimplementation():
    text = EXAMPLE.read_text()
    net = load(read_text(str(EXAMPLE)), str(EXAMPLE))
    s = replace(settings_for(net), epochs=250)  # 4 points, batch 1: 1,000 steps
    r = run(net, s, keep=lambda n: n == 1, whole=lambda n: n in (1, 1000), keep_epoch=lambda e: False)
    assert len(r.steps) == 1000 and r.stopped is None
    want = _reference_adam(text, 1000)
    for p, value in want.items():
        got = r.steps[-1].after[p].mp
        # 50 working digits carried over 1,000 steps: agreement to 35 significant digits
        assert abs(got - value) <= abs(value) * mpmath.mpf(10) ** -35, (p, got, value)
        assert r.final[p] is r.steps[-1].after[p]
    # the first step's bias corrections are exact (1 − 0.9 = 1/10), the thousandth's carried at 50 digits
    assert r.steps[0].records["w1"]["c1"].exact == Fraction(1, 10)
    assert r.steps[-1].records["w1"]["c1"].exact is None
    with mpmath.workdps(60):
        assert abs(r.steps[-1].records["w1"]["c2"].mp - (1 - mpmath.mpf("0.999") ** 1000)) < mpmath.mpf(10) ** -48


@pytest.mark.slow
def test_a_thinned_run_computes_and_writes_what_a_whole_run_does():
    net = load(read_text(str(EXAMPLE)), str(EXAMPLE))
    s = replace(settings_for(net), epochs=60)  # 240 steps; the progress table: every 3rd epoch
    detail = {1, 2}
    whole = run(net, s, keep=detail.__contains__)
    thin = run(net, s, keep=detail.__contains__, whole=whole_steps(detail), keep_epoch=progress_epochs(60).__contains__)
    # what the thinned run still holds: the steps the notes show, a row's epochs and the latest ones
    kept = [st.number for st in thin.steps if st.after]
    assert kept == [1, 2, 3, 4, 5]  # written out in full (1, 2) and the optimizer's trace (1 to 5)
    assert all(st.loss is not None and st.norm is not None for st in thin.steps)  # for the loss plot
    kept_epochs = [e for e, ev in enumerate(thin.epochs) if ev.params]
    assert kept_epochs == [0, *range(3, 60 - EPOCH_WINDOW + 1, 3), *range(60 - EPOCH_WINDOW + 1, 61)]
    assert progress_steps(60, 4) == frozenset()  # 60 epochs: rows by epoch, not by step
    # the same notes
    assert training_doc(whole, detail).body == training_doc(thin, detail).body
    # and the same JSON from a run that writes each step's JSON as it goes (derive train -f json)
    written: list[dict] = []
    streamed = run(
        net, s, keep=detail.__contains__, whole=whole_steps(detail), on_step=lambda st: written.append(step_json(st))
    )
    assert training_doc(streamed, detail, None, written).numbers == training_json(whole)
    # derive train -f json keeps each step as its text instead: the same bytes as the whole JSON
    texts: list[bytes] = []
    as_text = run(
        net, s, keep=detail.__contains__, whole=whole_steps(detail), on_step=lambda st: texts.append(step_text(st))
    )
    assert (
        training_json_text(as_text, texts)
        == (json.dumps(training_json(whole), indent=2, ensure_ascii=False) + "\n").encode()
    )


def test_a_thinned_run_has_no_json_without_the_steps_written_as_it_went():
    net = load(read_text(str(EXAMPLE)), str(EXAMPLE))
    thin = run(net, replace(settings_for(net), epochs=3), whole=lambda n: n == 1)
    try:
        training_json(thin)
    except ValueError as exc:
        assert "kept only some steps" in str(exc)
    else:
        raise AssertionError("a run missing steps must not write a JSON that lacks them")


def test_a_long_run_that_blows_up_shows_the_rows_it_kept():
    """Plain gradient descent on regression_lr with η = 1.2 diverges slowly: it stops during epoch 62
    of 300. A run keeping whole only the rows planned for 300 epochs (every 14th: ⌈300/23⌉) and the
    latest 24 epochs shows every 14th epoch and the last, each with the numbers of the whole run."""
    path = str(Path(__file__).resolve().parent.parent / "examples" / "regression_lr.yaml")
    net = load(read_text(path), path)
    s = replace(settings_for(net, learning_rate=Fraction(12, 10)), epochs=300)
    whole = run(net, s)
    thin = run(net, s, whole=whole_steps({1}), keep_epoch=progress_epochs(300).__contains__)
    assert thin.stopped == whole.stopped and thin.stopped is not None and "epoch 62" in thin.stopped
    rows = training_doc(thin, {1}).body["rows"]
    assert [r["label"] for r in rows] == ["start", "14", "28", "42", "56", "61"]
    assert "one row every 14 epochs, and one for the last" in training_doc(thin, {1}).body["rows_note"]
    by_label = {r["label"]: r for r in training_doc(whole, {1}).body["rows"]}  # every 3rd epoch there
    full = {r["label"]: r for r in _rows_at(whole, [14, 28, 42, 56, 61])}
    for r in rows[1:]:
        assert r == full[r["label"]]
    assert "3" in by_label and "3" not in {r["label"] for r in rows}


def _rows_at(r, epochs):
    """The progress table's row of each epoch in `epochs`, written as the notes write rows."""
    from derive.steps.training import MAX_COLUMNS, TrainNumbers

    tn = TrainNumbers(r.net.show)
    names = list(r.net.parameters)[:MAX_COLUMNS]
    return [
        {
            "label": str(e),
            "loss": tn.text(r.epochs[e].loss),
            "norm": tn.text(r.epochs[e].norm),
            "params": [tn.text(r.epochs[e].params[p]) for p in names],
        }
        for e in epochs
    ]
