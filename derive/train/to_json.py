"""Every number of a training run, perceptron run or study, for `--format json`: decimals with 20
significant digits (json_decimal) and, where a value is rational, its exact fraction beside it."""

from __future__ import annotations

from fractions import Fraction

from derive import json_text
from derive.numbers import Num, exact_text, json_decimal


def dec(x) -> str:
    return json_decimal(x if isinstance(x, Num) else Num(Fraction(x)))


def values(d: dict) -> dict:
    return {k: dec(v) for k, v in d.items()}


def settings_json(s) -> dict:
    return {
        "optimizer": s.optimizer,
        "hyper_parameters": values(s.hyper),
        "learning_rate": dec(s.eta),
        "batch_size": s.batch_size if s.batch_size is not None else "full",
        "batch_reduction": s.reduction,
        "epochs": s.epochs,
    }


def step_json(s) -> dict:
    """One step of a training run, whole, as the JSON holds it."""
    return {
        "step": s.number,
        "epoch": s.epoch,
        "batch": [i + 1 for i in s.batch],
        "loss": dec(s.loss),
        "gradient_norm": dec(s.norm),
        "gradients": values(s.grads),
        "points": [{"point": pt.index + 1, "loss": dec(pt.loss), "gradients": values(pt.grads)} for pt in s.points],
        "optimizer": {p: {k: dec(v) for k, v in rec.items() if k not in ("w", "g")} for p, rec in s.records.items()},
        "parameters": values(s.after),
        "parameters_exact": {p: exact_text(v) for p, v in s.after.items() if v.exact is not None},
    }


def training_json(r, steps: list[dict] | None = None) -> dict:
    """Every number of a run. `steps`: the steps' JSON, written as the run went (derive.train.run's
    `on_step`), for a run that kept only some of its steps whole; by default each step of `r.steps`."""
    if steps is None:
        if any(not s.points for s in r.steps):
            raise ValueError("this run kept only some steps whole: give their JSON, written as it ran")
        steps = [step_json(s) for s in r.steps]
    if any(not ev.params for ev in r.epochs):
        raise ValueError("this run kept only some epochs' weights; the JSON holds every epoch's")
    return {
        "kind": "training",
        "title": r.net.title,
        "source": r.net.source,
        "loss": r.net.loss,
        "settings": settings_json(r.settings),
        "frozen": sorted(r.net.freeze),
        "initial": values(r.net.parameters),
        "steps": steps,
        "epochs": [
            {"epoch": e, "loss": dec(ev.loss), "gradient_norm": dec(ev.norm), "parameters": values(ev.params)}
            for e, ev in enumerate(r.epochs)
        ],
        # the whole data set after the steps the notes' progress table counts (a run of few epochs)
        "checkpoints": [
            {"step": n, "loss": dec(ev.loss), "gradient_norm": dec(ev.norm), "parameters": values(ev.params)}
            for n, ev in sorted(r.checkpoints.items())
        ],
        "final": values(r.final),
        "stopped": r.stopped,
    }


def training_json_text(r, step_texts: list[bytes]) -> bytes:
    """The run's JSON as UTF-8 text, the same bytes as derive.json_text.dumps(training_json(r, steps)),
    from each step's JSON already written (`step_text`, as the run went): a long run holds its steps
    as text, a third of their size as dicts of strings, and the file's bytes are joined once."""
    text = json_text.dumps_utf8(training_json(r, []))
    empty = b'\n  "steps": [],\n'  # the top level's key: a string value cannot hold a line break
    if not step_texts or text.count(empty) != 1:
        raise ValueError("the run's JSON has no single top-level `steps` to fill")
    head, tail = text.split(empty)
    parts = [head, b'\n  "steps": [\n']
    for i, step in enumerate(step_texts):  # one join, so the steps are copied once
        parts += (b",\n", step) if i else (step,)
    parts += (b"\n  ],\n", tail)
    return b"".join(parts)


def step_text(s) -> bytes:
    """One step's JSON as UTF-8 text, indented to its place in the run's `steps` list."""
    return b"\n".join(b"    " + line for line in json_text.dumps_utf8(step_json(s)).rstrip(b"\n").split(b"\n"))


def perceptron_json(p) -> dict:
    return {
        "kind": "perceptron",
        "title": p.net.title,
        "source": p.net.source,
        "learning_rate": dec(p.eta),
        "threshold": dec(p.threshold),
        "boundary_z": dec(p.z_star),
        "epoch_limit": p.limit,
        "initial": values(p.initial),
        "steps": [
            {
                "step": s.number,
                "epoch": s.epoch,
                "point": s.point + 1,
                "z": dec(s.z),
                "output": dec(s.out),
                "predicted": s.predicted,
                "target": s.target,
                "update": s.error != 0,
                "parameters": values(s.after),
            }
            for s in p.steps
        ],
        "mistakes_per_epoch": p.mistakes,
        "updates": p.updates,
        "converged_epoch": p.converged,
        "cycle": list(p.cycle) if p.cycle else None,
        "final": values(p.final),
        "not_separable": None
        if p.proof is None
        else {"class_1_points": [i + 1 for i in p.proof["ones"]], "class_0_points": [i + 1 for i in p.proof["zeros"]]},
    }


def lr_json(net, results, epochs) -> dict:
    out = []
    for r in results:
        run = r.run
        out.append(
            {
                "learning_rate": dec(r.rate),
                "verdict": r.verdict,
                "opposed_updates": r.flips,
                "compared_updates": r.pairs,
                "stopped": run.stopped,
                "loss_per_epoch": [dec(e.loss) for e in run.epochs],
                "gradient_norm_per_epoch": [dec(e.norm) for e in run.epochs],
                "parameters_per_epoch": [values(e.params) for e in run.epochs],
            }
        )
    first = results[0].run.settings
    return {
        "kind": "study_lr",
        "title": net.title,
        "source": net.source,
        "epochs": epochs,
        "optimizer": first.optimizer,
        "batch_size": first.batch_size if first.batch_size else "full",
        "batch_reduction": first.reduction,
        "rates": out,
    }


def depth_json(net, variants) -> dict:
    out = []
    for v in variants:
        rows = [
            {
                "neuron": r.neuron,
                "activation": r.activation,
                "z": dec(r.z),
                "fprime": dec(r.fprime),
                "bound": dec(r.bound),
                "weight": r.weight if isinstance(r.weight, str) or r.weight is None else dec(r.weight),
                "weight_value": None if r.weight_value is None else dec(r.weight_value),
                "link": None if r.link is None else dec(r.link),
                "product": None if r.product is None else dec(r.product),
                "product_bound": None if r.product_bound is None else dec(r.product_bound),
                "delta": dec(r.delta),
            }
            for r in v.rows
        ]
        out.append(
            {
                "activation": v.activation,
                "weight_scale": dec(v.scale),
                "chain": rows,
                "first_weight": v.first_weight,
                "first_gradient": None if v.first_gradient is None else dec(v.first_gradient),
            }
        )
    return {"kind": "study_depth", "title": net.title, "source": net.source, "variants": out}
